"""Loss helpers: class weights for imbalanced classes and the default losses."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn


def class_weights(labels: Any, num_classes: int) -> torch.Tensor:
    """Inverse-frequency class weights ``w_i = N / (|C| * N_i)``.

    A class occurring in exactly ``N / |C|`` samples gets weight 1; rarer
    classes weigh more. A class absent from ``labels`` gets weight 0 (it never
    appears as a target, so its weight has no effect on the loss).

    Args:
        labels: Integer class indices of the training samples (list, numpy
            array or tensor).
        num_classes: Number of classes ``|C|``.

    Shape:
        Returns ``(num_classes,)`` float32.

    Raises:
        ValueError: for no labels or labels outside ``[0, num_classes)``.
    """
    if hasattr(labels, "detach"):
        labels = labels.detach().cpu().numpy()
    array = np.asarray(labels).reshape(-1).astype(np.int64)
    if array.size == 0:
        raise ValueError("class_weights needs at least one label")
    if array.min() < 0 or array.max() >= num_classes:
        raise ValueError(f"labels must lie in [0, {num_classes}), got {array.min()}..{array.max()}")
    counts = np.bincount(array, minlength=num_classes).astype(np.float64)
    weights = np.zeros(num_classes, dtype=np.float64)
    present = counts > 0
    weights[present] = array.size / (num_classes * counts[present])
    return torch.tensor(weights, dtype=torch.float32)


def default_loss(task: str, weights: torch.Tensor | None = None) -> nn.Module:
    """Cross-entropy (optionally class-weighted) for ``"classification"``, L1 for ``"regression"``."""
    if task == "classification":
        return nn.CrossEntropyLoss(weight=weights)
    if task == "regression":
        if weights is not None:
            raise ValueError("class weights only apply to classification")
        return nn.L1Loss()
    raise ValueError(f"task must be 'classification' or 'regression', got {task!r}")
