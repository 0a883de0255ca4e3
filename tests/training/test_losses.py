"""Class weights w_i = N / (|C| N_i) and default losses."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_lib.training.losses import class_weights, default_loss


def test_inverse_frequency_weights():
    # N = 4, |C| = 2: w0 = 4 / (2 * 3), w1 = 4 / (2 * 1)
    torch.testing.assert_close(class_weights([0, 0, 0, 1], 2), torch.tensor([4 / 6, 2.0]))
    # an absent class gets weight 0 (N = 2, |C| = 3: 2 / 3); balanced classes get weight 1
    torch.testing.assert_close(class_weights(torch.tensor([0, 1]), 3), torch.tensor([2 / 3, 2 / 3, 0.0]))
    torch.testing.assert_close(class_weights([0, 1, 2, 0, 1, 2], 3), torch.ones(3))


def test_class_weights_reject_bad_labels():
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        class_weights([0, 2], 2)
    with pytest.raises(ValueError, match="at least one"):
        class_weights([], 2)


def test_default_losses():
    weights = torch.tensor([1.0, 3.0])
    loss = default_loss("classification", weights)
    assert isinstance(loss, nn.CrossEntropyLoss)
    torch.testing.assert_close(loss.weight, weights)
    assert isinstance(default_loss("regression"), nn.L1Loss)
    with pytest.raises(ValueError):
        default_loss("regression", weights)
    with pytest.raises(ValueError):
        default_loss("ranking")
