"""The lesson 07 models: shapes, the degenerate pooled attention, the region attention's masks."""

from __future__ import annotations

import pytest
import torch

from course_lib.models import registry
from course_lib.models.mvsa import MODELS, PooledAttentionFusion, RegionAttentionFusion, build_mvsa_model


def _batch(b: int = 4, length: int = 7, regions: int = 16, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    mask = torch.ones(b, length, dtype=torch.bool)
    mask[1, 3:] = False  # a shorter text
    mask[2, 5:] = False
    return {
        "text": torch.randn(b, 384, generator=g),
        "image": torch.randn(b, 1280, generator=g),
        "tokens": torch.randn(b, length, 384, generator=g),
        "tokens_mask": mask,
        "regions": torch.randn(b, regions, 1280, generator=g),
    }


@pytest.mark.parametrize("name", MODELS)
def test_every_model_gives_three_logits_and_is_registered(name):
    model = registry.build("mvsa", name).eval()
    assert name in registry.available("mvsa")
    assert model(_batch()).shape == (4, 3)


def test_pooled_attention_has_the_papers_shapes():
    model = PooledAttentionFusion(384, 1280)
    assert model.attn.embed_dim == 128 and model.attn.kdim == 1280 and model.attn.vdim == 1280
    assert model.fuse(_batch()).shape == (4, 256)
    assert PooledAttentionFusion(384, 1280, residual=False).fuse(_batch()).shape == (4, 128)


def test_pooled_attention_over_one_key_has_weight_one_and_ignores_the_text():
    torch.manual_seed(0)
    model = PooledAttentionFusion(384, 1280, residual=False).eval()
    batch = _batch()
    fused = model.fuse(batch)
    torch.testing.assert_close(model.attention, torch.ones(4, 1, 1))
    other_text = {**batch, "text": torch.randn(4, 384) * 10}
    torch.testing.assert_close(model.fuse(other_text), fused)  # the query does not matter
    torch.testing.assert_close(model(other_text), model(batch))
    other_image = {**batch, "image": torch.randn(4, 1280)}
    assert not torch.allclose(model.fuse(other_image), fused)  # the image does


def test_residual_pooled_attention_depends_on_the_text():
    torch.manual_seed(0)
    model = PooledAttentionFusion(384, 1280, residual=True).eval()
    batch = _batch()
    other_text = {**batch, "text": torch.randn(4, 384)}
    assert not torch.allclose(model(other_text), model(batch))
    torch.testing.assert_close(model.attention, torch.ones(4, 1, 1))  # still one key, still weight 1


def test_region_attention_shapes_and_weights():
    torch.manual_seed(0)
    model = RegionAttentionFusion(384, 1280, dim=32, num_heads=4).eval()
    batch = _batch()
    assert model.fuse(batch).shape == (4, 64)
    assert model.text_to_image.shape == (4, 7, 16)
    assert model.image_to_text.shape == (4, 16, 7)
    torch.testing.assert_close(model.text_to_image.sum(-1), torch.ones(4, 7))
    mass = model.region_attention(batch)
    assert mass.shape == (4, 16)
    torch.testing.assert_close(mass.sum(-1), torch.ones(4))


def test_region_attention_never_looks_at_padding_tokens():
    torch.manual_seed(0)
    model = RegionAttentionFusion(384, 1280, dim=32, num_heads=4).eval()
    batch = _batch()
    logits = model(batch)
    assert torch.all(model.image_to_text[1, :, 3:] == 0) and torch.all(model.image_to_text[2, :, 5:] == 0)
    changed = batch["tokens"].clone()
    changed[1, 3:] = 100.0  # what sits in the padding changes nothing
    torch.testing.assert_close(model({**batch, "tokens": changed}), logits)


def test_unknown_model_name_is_refused():
    with pytest.raises(ValueError, match="unknown MVSA model"):
        build_mvsa_model("late")
