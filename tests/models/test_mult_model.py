"""MulT with user adapter tokens, and the baselines: shapes, padding masks, the token as the only user path."""

from __future__ import annotations

import pytest
import torch

from course_lib.models import registry
from course_lib.models.baselines import EarlyFusionLSTM, TextLSTM
from course_lib.models.mult import GENERIC_USER, MulT, insert_token

DIMS = {"text": 6, "audio": 3, "vision": 4}
LENGTHS = {"text": [5, 2, 4], "audio": [7, 3, 1], "vision": [2, 6, 3]}


def _clips(lengths: dict[str, list[int]], seed: int = 0) -> list[dict[str, torch.Tensor]]:
    generator = torch.Generator().manual_seed(seed)
    count = len(next(iter(lengths.values())))
    return [{m: torch.randn(lengths[m][i], DIMS[m], generator=generator) for m in DIMS} for i in range(count)]


def _batch(clips, users, fill: float = 5.0) -> dict[str, torch.Tensor]:
    """Right-padded batch whose padding holds ``fill`` (not zeros)."""
    batch = {"user": torch.tensor(users)}
    for m, dim in DIMS.items():
        longest = max(c[m].shape[0] for c in clips)
        batch[m] = torch.full((len(clips), longest, dim), fill)
        for i, clip in enumerate(clips):
            batch[m][i, : clip[m].shape[0]] = clip[m]
        batch[f"{m}_lengths"] = torch.tensor([c[m].shape[0] for c in clips])
    return batch


def _model(**options) -> MulT:
    torch.manual_seed(0)
    defaults = {"dim": 8, "num_heads": 2, "layers": 2, "memory_layers": 1, "n_users": 3, "adapter_hidden": 16}
    return MulT(DIMS, **{**defaults, **options}).eval()


def test_insert_token_writes_after_the_last_real_step():
    x = torch.zeros(2, 3, 2)
    out = insert_token(x, torch.tensor([1, 3]), torch.tensor([[1.0, 1.0], [2.0, 2.0]]))
    assert out.shape == (2, 4, 2)
    assert out[0, 1].tolist() == [1.0, 1.0] and out[1, 3].tolist() == [2.0, 2.0]
    assert out.abs().sum() == 6.0  # nothing else written


@pytest.mark.parametrize("options", [{}, {"causal": True}, {"user_tokens": False}])
def test_mult_shapes_and_padding_invariance(options):
    model = _model(**options)
    clips = _clips(LENGTHS)
    out = model(_batch(clips, [1, 2, 0]))
    assert out["prediction"].shape == (3,) and out["fused"].shape == (3, 6 * 8)
    extra = 0 if options.get("user_tokens") is False else 1
    assert model.attention_maps("text<-audio").shape == (3, 5 + extra, 7 + extra)
    alone = torch.cat([model(_batch([c], [u]))["prediction"] for c, u in zip(clips, [1, 2, 0])])
    torch.testing.assert_close(out["prediction"], alone, atol=1e-5, rtol=1e-5)
    other_fill = model(_batch(clips, [1, 2, 0], fill=-9.0))["prediction"]
    torch.testing.assert_close(out["prediction"], other_fill, atol=1e-5, rtol=1e-5)


def test_the_adapter_acts_only_through_its_token():
    model = _model()
    clips = _clips(LENGTHS)
    batch = _batch(clips, [1, 2, 1])
    base = model(batch)["prediction"]
    # the user changes the prediction
    assert not torch.allclose(base, model(_batch(clips, [2, 2, 2]))["prediction"])
    # the prediction is that of the tokens u_m = MLP_m(E_m[user]) given directly
    tokens = model.adapter.tokens(batch["user"])
    torch.testing.assert_close(model(batch, tokens=tokens)["prediction"], base)
    # another user's embedding row leaves user 1's clips unchanged
    with torch.no_grad():
        for embedding in model.adapter.embeddings.values():
            embedding.weight[2] += 3.0
    changed = model(batch)["prediction"]
    torch.testing.assert_close(changed[[0, 2]], base[[0, 2]])
    assert not torch.isclose(changed[1], base[1])
    # with the tokens fixed, the embeddings and MLPs have no other path to the output
    with torch.no_grad():
        for mlp in model.adapter.mlps.values():
            mlp[0].weight.mul_(2.0)
    fixed = model(batch, tokens=tokens)["prediction"]
    for embedding in model.adapter.embeddings.values():
        torch.nn.init.normal_(embedding.weight)
    torch.testing.assert_close(model(batch, tokens=tokens)["prediction"], fixed)


def test_param_groups_split_base_and_adapter():
    model = _model()
    groups = model.param_groups(1e-4, 1e-3)
    assert [g["lr"] for g in groups] == [1e-4, 1e-3]
    ids = [{id(p) for p in g["params"]} for g in groups]
    assert not ids[0] & ids[1]
    assert ids[0] | ids[1] == {id(p) for p in model.parameters()}
    projection = model.adapter.projections["text"].conv.weight
    assert id(projection) in ids[1]  # the Conv1D moved into the adapter, as in the paper


def test_user_dropout_trains_the_generic_user():
    model = _model(user_dropout=1.0, dropout=0.0, embed_dropout=0.0).train()
    batch = _batch(_clips(LENGTHS), [1, 2, 3])
    generic = _batch(_clips(LENGTHS), [GENERIC_USER] * 3)
    torch.testing.assert_close(model(batch)["prediction"], model(generic)["prediction"])


def test_mult_refuses_bad_sizes():
    with pytest.raises(ValueError, match="divisible"):
        MulT(DIMS, dim=10, num_heads=3)
    with pytest.raises(ValueError, match="lacks"):
        MulT({"text": 5})


def test_baselines_padding_invariance_and_aligned_check():
    aligned = {m: [5, 2, 4] for m in DIMS}
    clips = _clips(aligned)
    for model in (TextLSTM(DIMS["text"], hidden=8), EarlyFusionLSTM(DIMS, hidden=8)):
        model.eval()
        out = model(_batch(clips, [0, 0, 0]))["prediction"]
        assert out.shape == (3,)
        alone = torch.cat([model(_batch([c], [0]))["prediction"] for c in clips])
        torch.testing.assert_close(out, alone, atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="one time axis"):
        EarlyFusionLSTM(DIMS, hidden=8)(_batch(_clips(LENGTHS), [0, 0, 0]))


def test_registry_builds_the_msa_models():
    assert {"mult", "text_lstm", "ef_lstm"} <= set(registry.available("msa"))
    assert isinstance(registry.build("msa", "ef_lstm", input_dims=DIMS, hidden=8), EarlyFusionLSTM)
