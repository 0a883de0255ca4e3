"""Modality translation: decoder shapes and masks, teacher forcing, no target at evaluation, the cycle loss."""

from __future__ import annotations

import pytest
import torch

from course_lib.models import registry
from course_lib.models.seq2seq import (
    AttentionDecoder,
    TranslationRegressor,
    Translator,
    masked_mse,
    translation_objective,
)

DIMS = {"text": 6, "audio": 3, "vision": 4}
LENGTHS = [5, 2, 4]


def _batch(fill: float = 7.0, seed: int = 0) -> dict[str, torch.Tensor]:
    """Word-aligned batch (one time axis) whose padding holds ``fill``."""
    generator = torch.Generator().manual_seed(seed)
    longest = max(LENGTHS)
    batch = {"label": torch.tensor([1.5, -0.5, 0.0])}
    for m, dim in DIMS.items():
        batch[m] = torch.full((len(LENGTHS), longest, dim), fill)
        for i, n in enumerate(LENGTHS):
            batch[m][i, :n] = torch.randn(n, dim, generator=generator)
        batch[f"{m}_lengths"] = torch.tensor(LENGTHS)
    return batch


def _model(**options) -> TranslationRegressor:
    torch.manual_seed(0)
    return TranslationRegressor(DIMS, **{"hidden": 8, "head_hidden": 5, **options})


def test_decoder_shapes_and_attention_masks():
    torch.manual_seed(0)
    decoder = AttentionDecoder(hidden=8, output_dim=3)
    memory = torch.randn(2, 6, 8)
    mask = torch.tensor([[True] * 6, [True, True, True, False, False, False]])
    state = (torch.zeros(2, 8), torch.zeros(2, 8))
    outputs, attention = decoder(memory, mask, state, steps=4)
    assert outputs.shape == (2, 4, 3) and attention.shape == (2, 4, 6)
    torch.testing.assert_close(attention.sum(-1), torch.ones(2, 4))
    assert torch.all(attention[1, :, 3:] == 0), "padding steps of the source get no attention"


def test_translation_is_zero_on_padding_and_the_same_alone_as_in_a_batch():
    model = _model().eval()
    batch = _batch()
    with torch.no_grad():
        outputs = model(batch)
        assert outputs["translation"].shape == (3, 5, 3)
        assert outputs["mask"].tolist()[1] == [True, True, False, False, False]
        assert torch.all(outputs["translation"][1, 2:] == 0)
        alone = {k: v[1:2, : LENGTHS[1]] if v.dim() > 1 else v[1:2] for k, v in batch.items()}
        single = model(alone)
    torch.testing.assert_close(single["translation"][0], outputs["translation"][1, :2])
    torch.testing.assert_close(single["prediction"][0], outputs["prediction"][1])


def test_teacher_forcing_ratio_zero_ignores_the_target_and_one_reads_it():
    torch.manual_seed(0)
    translator = Translator(input_dim=6, output_dim=3, hidden=8)
    x, lengths = torch.randn(2, 4, 6), torch.tensor([4, 4])
    target = torch.randn(2, 4, 3)
    changed = target.clone()
    changed[:, 1] += 10.0
    free = translator(x, lengths)[0]
    free_with_target = translator(x, lengths, target, teacher_forcing=0.0)[0]
    torch.testing.assert_close(free, free_with_target)
    forced = translator(x, lengths, target, teacher_forcing=1.0)[0]
    forced_changed = translator(x, lengths, changed, teacher_forcing=1.0)[0]
    # step t reads the true frame t - 1: changing frame 1 leaves steps 0 and 1 alone, moves step 2
    torch.testing.assert_close(forced[:, :2], forced_changed[:, :2])
    assert not torch.allclose(forced[:, 2], forced_changed[:, 2])
    # forced step 1 reads frame 0 of the target, free-running step 1 reads its own output
    assert not torch.allclose(forced[:, 1], free[:, 1])
    with pytest.raises(ValueError, match="teacher forcing needs"):
        translator.decoder(
            torch.zeros(1, 2, 8), torch.ones(1, 2, dtype=torch.bool), (torch.zeros(1, 8),) * 2, 2, None, 0.5
        )


def test_evaluation_needs_no_target_modality():
    model = _model(source=("text",), target=("audio",), teacher_forcing=1.0).eval()
    batch = _batch()
    with torch.no_grad():
        full = model(batch)
        without = model({k: v for k, v in batch.items() if not k.startswith("audio")})
        zeroed = model({**batch, "audio": torch.zeros_like(batch["audio"])})
    assert set(without) == {"prediction"}
    torch.testing.assert_close(without["prediction"], full["prediction"])
    torch.testing.assert_close(zeroed["prediction"], full["prediction"])


def test_prediction_ignores_the_target_even_while_training():
    model = _model(teacher_forcing=1.0).train()
    batch = _batch()
    torch.manual_seed(1)
    a = model(batch)["prediction"]
    torch.manual_seed(1)
    b = model({**batch, "audio": batch["audio"] * 3})["prediction"]
    torch.testing.assert_close(a, b)


def test_cycle_loss_by_hand_on_a_tiny_example():
    model = _model(source=("audio",), target=("vision",), cycle=True, teacher_forcing=0.0).train()
    batch = _batch()
    outputs = model(batch)
    assert model.width == 4 and outputs["translation"].shape == (3, 5, 4)
    # the cycle is the translation translated back by the same translator, to the zero-padded source
    back, _, _ = model.translator(outputs["translation"], batch["audio_lengths"])
    torch.testing.assert_close(outputs["cycle"], back)
    padded_source = torch.cat([batch["audio"], torch.zeros(3, 5, 1)], dim=-1)
    torch.testing.assert_close(outputs["cycle_target"], padded_source)
    by_hand = 0.0
    for i, n in enumerate(LENGTHS):
        by_hand += ((back[i, :n] - padded_source[i, :n]) ** 2).sum()
    by_hand = by_hand / (sum(LENGTHS) * 4)
    torch.testing.assert_close(
        masked_mse(outputs["cycle"], outputs["cycle_target"], outputs["mask"]), by_hand
    )
    loss, logs = translation_objective(0.1, 0.5, 1.0)(outputs, batch)
    mae = (outputs["prediction"] - batch["label"]).abs().mean()
    translation = masked_mse(outputs["translation"], outputs["translation_target"], outputs["mask"])
    torch.testing.assert_close(loss, 0.1 * translation + 0.5 * by_hand + mae)
    assert set(logs) == {"mse_translation", "mse_cycle", "mae"}


def test_masked_mse_by_hand():
    prediction = torch.tensor([[[1.0, 2.0], [5.0, 5.0]]])
    target = torch.tensor([[[0.0, 0.0], [0.0, 0.0]]])
    assert masked_mse(prediction, target, torch.tensor([[True, False]])).item() == pytest.approx(2.5)


def test_concat_and_hierarchical_variants():
    batch = _batch()
    concat = _model(source=("text", "audio"), target=("audio", "vision")).eval()
    assert concat(batch)["translation"].shape == (3, 5, 7)
    hierarchical = _model(source=("text",), via=("audio",), target=("vision",)).eval()
    outputs = hierarchical(batch)
    assert outputs["translation_1"].shape == (3, 5, 3) and outputs["translation"].shape == (3, 5, 4)
    only_text = hierarchical({k: v for k, v in batch.items() if k.startswith("text") or k == "label"})
    torch.testing.assert_close(only_text["prediction"], outputs["prediction"])
    loss, logs = translation_objective()(outputs, batch)
    assert {"mse_translation", "mse_translation_1", "mae"} == set(logs) and torch.isfinite(loss)


def test_registry_builds_it_and_bad_settings_fail():
    model = registry.build("msa", "seq2seq", input_dims=DIMS, source=("vision",), target=("text",), hidden=4)
    assert isinstance(model, TranslationRegressor) and model.target_dim == 6
    with pytest.raises(ValueError, match="teacher_forcing"):
        _model(teacher_forcing=1.5)
    with pytest.raises(ValueError, match="cycle"):
        _model(via=("audio",), target=("vision",), cycle=True)
    with pytest.raises(KeyError, match="no feature size"):
        _model(target=("image",))
