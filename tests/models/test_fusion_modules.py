"""Fusion modules: shapes, fixed modality order, and what each one computes."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from course_lib.models import fusion as fu
from course_lib.models import registry

DIMS = {"audio": 5, "text": 7}


def _inputs(batch: int = 3) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    return {m: torch.randn(batch, d, generator=generator) for m, d in DIMS.items()}


@pytest.mark.parametrize("name", ["concat", "add", "cross_attention", "late", "hybrid"])  # per-turn fusions
def test_every_registered_fusion_shape_and_order(name):
    torch.manual_seed(0)
    module = registry.build("fusion", name, input_dims=DIMS, num_classes=6, dim=8).eval()
    inputs = _inputs()
    out = module(inputs)
    assert out.shape == (3, module.output_dim)
    assert module.modalities == ["text", "audio"]
    reordered = {"text": inputs["text"], "audio": inputs["audio"]}
    torch.testing.assert_close(module(reordered), out)
    assert module.produces_logits == (name in ("late", "hybrid"))


def test_ordered_modalities():
    assert fu.ordered_modalities(["zz", "image", "audio", "text"]) == ["text", "audio", "image", "zz"]


def test_concat_is_text_then_audio():
    inputs = _inputs()
    out = fu.ConcatFusion(DIMS)(inputs)
    torch.testing.assert_close(out, torch.cat([inputs["text"], inputs["audio"]], dim=-1))


def test_add_sums_projections():
    module = fu.AddFusion(DIMS, dim=4)
    inputs = _inputs()
    expected = module.projections["text"](inputs["text"]) + module.projections["audio"](inputs["audio"])
    torch.testing.assert_close(module(inputs), expected)


def test_fusion_checks_inputs():
    module = fu.ConcatFusion(DIMS)
    with pytest.raises(KeyError, match="missing"):
        module({"text": torch.randn(2, 7)})
    with pytest.raises(ValueError, match="audio embedding"):
        module({"text": torch.randn(2, 7), "audio": torch.randn(2, 4)})


def test_cross_attention_mixes_modalities():
    torch.manual_seed(0)
    module = fu.CrossAttentionFusion(DIMS, dim=8, num_tokens=3, num_heads=2).eval()
    inputs = _inputs()
    out = module(inputs)
    weights = module.last_attention["text"]
    assert weights.shape == (3, 3, 3)  # (B, text tokens, audio tokens)
    torch.testing.assert_close(weights.sum(-1), torch.ones(3, 3))
    # the text half of the output changes when only the audio input changes
    changed = dict(inputs, audio=inputs["audio"] + 1.0)
    assert not torch.allclose(module(changed)[:, :8], out[:, :8])
    with pytest.raises(ValueError, match="two modalities"):
        fu.CrossAttentionFusion({"text": 4})
    with pytest.raises(ValueError, match="multiple"):
        fu.CrossAttentionFusion(DIMS, dim=10, num_heads=4)


def test_late_fusion_mean_of_log_probabilities():
    module = fu.LateFusion(DIMS, num_classes=4, combine="mean")
    inputs = _inputs()
    logits = module.modality_logits(inputs)
    expected = (F.log_softmax(logits["text"], -1) + F.log_softmax(logits["audio"], -1)) / 2
    torch.testing.assert_close(module(inputs), expected)


def test_late_fusion_learned_weights_train():
    module = fu.LateFusion(DIMS, num_classes=4, combine="learned")
    torch.testing.assert_close(module.weights(), torch.tensor([0.5, 0.5]))
    loss = F.cross_entropy(module(_inputs()), torch.tensor([0, 1, 2]))
    loss.backward()
    assert module.mix.grad is not None and module.mix.grad.abs().sum() > 0


def test_hybrid_has_early_and_late_branches():
    module = fu.HybridFusion(DIMS, num_classes=4, dim=6)
    assert module.branch_names() == ["early", "text", "audio"]
    assert module.weights().shape == (3,)
    out = module(_inputs())
    assert out.shape == (3, 4)
    # log-probability mixtures: exp sums to at most 1 per row (Jensen)
    assert (out.exp().sum(-1) <= 1 + 1e-5).all()


def _window_inputs(batch: int = 2, turns: int = 3) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    generator = torch.Generator().manual_seed(2)
    inputs = {m: torch.randn(batch, turns, d, generator=generator) for m, d in DIMS.items()}
    return inputs, torch.tensor([[True, True, True], [False, True, True]])[:batch]


def test_paper_cross_attention_is_window_level_and_ignores_padding_turns():
    torch.manual_seed(0)
    module = registry.build("fusion", "paper_cross_attention", input_dims=DIMS, dim=8, num_heads=2).eval()
    assert module.window_level and module.output_dim == 8
    inputs, mask = _window_inputs()
    out = module(inputs, mask)
    assert out.shape == (2, 3, 8)
    noisy = {m: x.clone() for m, x in inputs.items()}
    noisy["text"][1, 0] += 100.0  # a padding turn's text
    torch.testing.assert_close(module(noisy, mask)[1, 1:], out[1, 1:])
    assert module.last_attention.shape == (2, 3, 3)
    assert torch.allclose(module.last_attention[1, :, 0], torch.zeros(3))


def test_paper_cross_attention_over_one_turn_ignores_the_audio():
    torch.manual_seed(0)
    module = fu.WindowCrossAttentionFusion(DIMS, dim=8, num_heads=2).eval()
    inputs, _ = _window_inputs(batch=2, turns=1)
    mask = torch.ones(2, 1, dtype=torch.bool)
    changed = {"text": inputs["text"], "audio": torch.randn(2, 1, DIMS["audio"])}
    torch.testing.assert_close(module(changed, mask), module(inputs, mask))
    with pytest.raises(ValueError, match="two modalities"):
        fu.WindowCrossAttentionFusion({"text": 3, "vision": 4})
