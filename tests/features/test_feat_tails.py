"""Tail fine-tuning: the cached prefix plus the copied last block reproduces the frozen encoder."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from course_lib.features.tails import ImageTail, PreTailImageMaps, PreTailTokenStates, TextTail

TEXTS = ["so happy with this :)", "the worst service i have ever had, never again", ""]


@pytest.fixture(scope="module")
def text_encoder():
    from course_lib.features.text import TextEncoder

    return TextEncoder(max_length=32)


@pytest.fixture(scope="module")
def backbone():
    from course_lib.features.encoders import load_image_backbone

    return load_image_backbone(image_size=128)


@pytest.fixture
def images(tmp_path):
    rng = np.random.default_rng(0)
    paths = []
    for i in range(3):
        path = tmp_path / f"im{i}.png"
        Image.fromarray(rng.integers(0, 255, (96 + 16 * i, 128, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def _pad(items):
    from course_lib.recipes.mvsa import _pad_tokens

    tokens, mask = _pad_tokens(items)
    return torch.from_numpy(tokens), torch.from_numpy(mask)


def test_text_tail_over_cached_states_equals_the_frozen_encoder(text_encoder):
    from course_lib.features.text import TokenStates

    frozen = TokenStates(text_encoder)(TEXTS)
    states, mask = _pad(PreTailTokenStates(text_encoder)(TEXTS))
    with torch.no_grad():
        out = TextTail(text_encoder).eval()(states, mask)
    for i, expected in enumerate(frozen):
        assert out[i, : len(expected)].numpy() == pytest.approx(expected, abs=1e-4)
        assert float(out[i, len(expected) :].abs().sum()) == 0.0  # padding stays zero


def test_text_tail_trains_a_copy_and_ignores_padding(text_encoder):
    tail = TextTail(text_encoder)
    states, mask = _pad(PreTailTokenStates(text_encoder)(TEXTS[:2]))
    longer = torch.cat([states, torch.randn(2, 5, states.shape[-1])], dim=1)
    longer_mask = torch.cat([mask, torch.zeros(2, 5, dtype=torch.bool)], dim=1)
    tail.eval()
    with torch.no_grad():
        a, b = tail(states, mask), tail(longer, longer_mask)[:, : states.shape[1]]
    assert torch.allclose(a, b, atol=1e-5)  # values on padded positions never reach real tokens
    tail.train()
    tail(states, mask).pow(2).mean().backward()
    grads = [p.grad for p in tail.parameters()]
    assert all(g is not None for g in grads) and any(float(g.abs().sum()) > 0 for g in grads)
    assert all(p.grad is None for p in text_encoder.model.parameters())  # the encoder itself is untouched


def test_image_tail_over_cached_maps_equals_the_frozen_regions(backbone, images):
    from course_lib.features.encoders import ImageRegions

    frozen = np.stack(ImageRegions(backbone)(images))
    pretail = np.stack(PreTailImageMaps(backbone)(images))
    assert pretail.shape[:2] == (3, 16)  # a 4x4 grid at 128 px
    tail = ImageTail(backbone).eval()
    with torch.no_grad():
        out = tail.regions(torch.from_numpy(pretail)).numpy()
    assert out.shape == frozen.shape == (3, 16, 1280)
    assert np.abs(out - frozen).max() < 1e-3


def test_tails_refuse_models_they_cannot_split():
    class NotBert(torch.nn.Module):
        dim = 4

        def __init__(self):
            super().__init__()
            self.model = torch.nn.Linear(4, 4)

    with pytest.raises(TypeError, match="BERT-like"):
        TextTail(NotBert())
    with pytest.raises(TypeError, match="EfficientNet-Lite0"):
        ImageTail(torch.nn.Linear(3, 3))
    with pytest.raises(ValueError, match="square"):
        ImageTail.regions(None, torch.zeros(1, 5, 3))
