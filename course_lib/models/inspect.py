"""Open the box: what a model is made of and what shapes flow through it.

* :func:`parameter_table` -- parameters per block (trainable and frozen);
* :func:`trace_shapes` -- push one batch through the model and list, in call
  order, the output shape of every block (forward hooks, no change to the model).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence


def _blocks(model: nn.Module, depth: int) -> list[tuple[str, nn.Module]]:
    """Named sub-modules at most ``depth`` levels down (the model itself excluded)."""
    return [(name, module) for name, module in model.named_modules() if name and name.count(".") < depth]


def parameter_table(model: nn.Module, depth: int = 2) -> Any:
    """Parameters of every block down to ``depth`` levels, as a pandas table.

    Columns: ``block``, ``type``, ``trainable``, ``frozen``; a last row ``total``.
    """
    import pandas as pd

    rows = []
    for name, module in [*_blocks(model, depth), ("total", model)]:
        trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
        frozen = sum(p.numel() for p in module.parameters() if not p.requires_grad)
        rows.append({"block": name, "type": type(module).__name__, "trainable": trainable, "frozen": frozen})
    return pd.DataFrame(rows).set_index("block")


def _shape(value: Any) -> str:
    if isinstance(value, PackedSequence):
        return f"packed {tuple(value.data.shape)}"
    if torch.is_tensor(value):
        return str(tuple(value.shape))
    if isinstance(value, (tuple, list)) and value:
        return _shape(value[0])
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_shape(v)}" for k, v in value.items())
    return type(value).__name__


@torch.no_grad()
def trace_shapes(model: nn.Module, batch: Mapping[str, Any], depth: int = 2) -> Any:
    """Run ``model(batch)`` once (in eval mode) and list each block's input and output shapes.

    Args:
        model: Any module taking a batch dict.
        batch: One batch (as the model's DataLoader yields it).
        depth: How deep to look into the sub-modules.

    Returns:
        A pandas table in call order: ``block``, ``type``, ``input``, ``output``;
        the last row is the whole model.
    """
    import pandas as pd

    rows: list[dict[str, str]] = []
    hooks = []
    for name, module in _blocks(model, depth):

        def record(module: nn.Module, inputs: tuple, output: Any, name: str = name) -> None:
            rows.append(
                {
                    "block": name,
                    "type": type(module).__name__,
                    "input": _shape(inputs),
                    "output": _shape(output),
                }
            )

        hooks.append(module.register_forward_hook(record))
    was_training = model.training
    model.eval()
    try:
        output = model(batch)
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    inputs = {k: v for k, v in batch.items() if torch.is_tensor(v)}
    rows.append(
        {"block": "(model)", "type": type(model).__name__, "input": _shape(inputs), "output": _shape(output)}
    )
    return pd.DataFrame(rows)
