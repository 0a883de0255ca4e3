"""Audio embedders: shapes, padding invariance, feature concatenation."""

from __future__ import annotations

import pytest
import torch

from course_lib.models.audio import DeepAudioEmbedder, SimpleAudioEmbedder, concat_frame_features


@pytest.mark.parametrize("pool", [1, 2])
def test_simple_shape_and_padding_invariance(pool):
    torch.manual_seed(0)
    model = SimpleAudioEmbedder(7, conv_channels=(6, 5), kernel_size=3, pool=pool, hidden_size=4).eval()
    frames = torch.randn(2, 9, 7)
    lengths = torch.tensor([9, 5])
    out = model(frames, lengths)
    assert out.shape == (2, 8)
    padded = torch.cat([frames, torch.randn(2, 6, 7)], dim=1)  # garbage after the real frames
    torch.testing.assert_close(model(padded, lengths), out)


def test_simple_output_lengths():
    model = SimpleAudioEmbedder(3, conv_channels=(4, 4, 4), pool=2)
    assert model.output_lengths(torch.tensor([8, 5, 1])).tolist() == [1, 1, 1]
    assert model.output_lengths(torch.tensor([20])).tolist() == [3]


def test_simple_rejects_wrong_feature_size():
    with pytest.raises(ValueError, match="expected frames"):
        SimpleAudioEmbedder(13)(torch.randn(2, 10, 12))


def test_simple_learns_gradients_through_convolutions():
    model = SimpleAudioEmbedder(4, conv_channels=(3,), hidden_size=2)
    model(torch.randn(3, 6, 4)).sum().backward()
    assert model.blocks[0][0].weight.grad.abs().sum() > 0


def test_concat_frame_features():
    mfcc, chroma = torch.randn(2, 10, 13), torch.randn(2, 10, 12)
    both = concat_frame_features([mfcc, chroma])
    assert both.shape == (2, 10, 25)
    torch.testing.assert_close(both[..., 13:], chroma)
    with pytest.raises(ValueError, match="feature set 1"):
        concat_frame_features([mfcc, torch.randn(2, 9, 12)])


def test_deep_embedder_projects_pooled_features():
    model = DeepAudioEmbedder(384, dim=16)
    assert model(torch.randn(5, 384)).shape == (5, 16)
    assert model(torch.randn(5, 30, 384), torch.tensor([30, 3, 4, 5, 6])).shape == (5, 16)
