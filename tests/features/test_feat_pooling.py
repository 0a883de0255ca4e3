"""Masked pooling on hand-made tensors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.features.encoders import masked_pool, pool_frames

X = torch.tensor(
    [
        [[1.0, -1.0], [3.0, 5.0], [100.0, 100.0]],  # last step is padding
        [[2.0, 0.0], [4.0, -2.0], [6.0, 2.0]],
    ]
)
MASK = torch.tensor([[1, 1, 0], [1, 1, 1]], dtype=torch.bool)


def test_mean_ignores_padding():
    np.testing.assert_allclose(masked_pool(X, MASK, "mean").numpy(), [[2.0, 2.0], [4.0, 0.0]])


def test_max_ignores_padding():
    np.testing.assert_allclose(masked_pool(X, MASK, "max").numpy(), [[3.0, 5.0], [6.0, 2.0]])


def test_meanstd_is_population_std_over_valid_steps():
    out = masked_pool(X, MASK, "meanstd").numpy()
    expected_std = [[1.0, 3.0], [np.std([2, 4, 6]), np.std([0, -2, 2])]]
    np.testing.assert_allclose(
        out, np.concatenate([[[2.0, 2.0], [4.0, 0.0]], expected_std], axis=1), rtol=1e-6
    )


def test_cls_takes_first_position():
    np.testing.assert_array_equal(masked_pool(X, MASK, "cls").numpy(), [[1.0, -1.0], [2.0, 0.0]])


def test_no_mask_means_all_valid_and_integer_masks_work():
    np.testing.assert_allclose(masked_pool(X, None, "mean")[0].numpy(), [104 / 3, 104 / 3], rtol=1e-6)
    np.testing.assert_allclose(
        masked_pool(X, MASK.long(), "max").numpy(), masked_pool(X, MASK, "max").numpy()
    )


def test_fully_masked_rows_pool_to_zero():
    mask = torch.tensor([[0, 0, 0], [1, 0, 0]], dtype=torch.bool)
    for method in ("mean", "max", "meanstd"):
        out = masked_pool(X, mask, method)
        assert torch.isfinite(out).all()
        assert out[0].abs().sum() == 0
    np.testing.assert_allclose(masked_pool(X, mask, "max")[1].numpy(), [2.0, 0.0])


def test_pool_frames_of_variable_lengths():
    frames = [np.array([[1.0, 2.0], [3.0, 4.0]], np.float32), np.array([[5.0, 6.0]], np.float32)]
    np.testing.assert_allclose(pool_frames(frames, "mean"), [[2.0, 3.0], [5.0, 6.0]])
    assert pool_frames(frames, "meanstd").shape == (2, 4)


def test_unknown_pooling_is_refused():
    with pytest.raises(ValueError, match="pooling"):
        masked_pool(X, MASK, "median")
