"""Open the box: what a model is made of and what shapes flow through it.

* :func:`parameter_table` -- parameters per block (trainable and frozen);
* :func:`trace_shapes` -- push one batch through the model and list, in call
  order, the output shape of every block (forward hooks, no change to the model);
* :func:`modality_reliance` -- how much a trained multimodal model's score drops
  when one modality's inputs are shuffled across the items (permutation importance).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
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


def _modality_keys(batch: Mapping[str, Any], modality: str) -> list[str]:
    return [key for key in batch if key == modality or key.startswith(f"{modality}_")]


def shuffle_modality(batch: Mapping[str, Any], modality: str, generator: torch.Generator) -> dict[str, Any]:
    """A copy of ``batch`` whose ``modality`` inputs (and their lengths / masks) are shuffled across rows.

    Rows are only exchanged with rows of the same turn ``mask`` (windows with the
    same real turns), so every window stays well formed; labels and the other
    modalities keep their place.

    Shape:
        ``batch[modality]`` ``(B, ...)`` -> the same shape, rows permuted.
    """
    rows = batch[modality].shape[0]
    order = torch.arange(rows)
    patterns = batch["mask"].reshape(rows, -1).tolist() if "mask" in batch else [[]] * rows
    groups: dict[tuple, list[int]] = {}
    for row, pattern in enumerate(patterns):
        groups.setdefault(tuple(pattern), []).append(row)
    for members in groups.values():
        members_t = torch.tensor(members)
        order[members_t] = members_t[torch.randperm(len(members), generator=generator)]
    shuffled = dict(batch)
    shuffled.pop("turn_index", None)  # a shuffled turn is no longer the turn its index names
    for key in _modality_keys(batch, modality):
        shuffled[key] = batch[key][order.to(batch[key].device)]
    return shuffled


@torch.no_grad()
def _predicted(model: nn.Module, batches: Sequence[Mapping[str, Any]], change: Callable | None) -> np.ndarray:
    outputs = [model(change(batch) if change else batch) for batch in batches]
    return torch.cat([output.argmax(dim=-1).cpu() for output in outputs]).numpy()


def modality_reliance(
    model: nn.Module,
    batches: Iterable[Mapping[str, Any]],
    modalities: Sequence[str],
    score: Callable[[np.ndarray, np.ndarray], float],
    label_key: str = "label",
    repeats: int = 5,
    seed: int = 0,
) -> Any:
    """Score a trained classifier intact and with each modality shuffled across the items.

    A modality the model relies on costs a large drop when its inputs are
    shuffled (they then belong to other items); one it ignores costs nothing.

    Args:
        model: A classifier taking a batch dict and returning logits ``(B, C)``.
        batches: The evaluation batches (in a fixed order).
        modalities: The batch keys to shuffle, one at a time.
        score: ``(y_true, y_pred) -> float``, e.g. weighted F1.
        label_key: The batch key of the targets.
        repeats: Shuffles averaged per modality.
        seed: Seed of the shuffles.

    Returns:
        A pandas table indexed by ``intact`` and ``<modality> shuffled``, with
        ``score`` (mean over the shuffles), ``score_std`` and ``drop`` (intact - shuffled).
    """
    import pandas as pd

    batches = list(batches)
    y_true = torch.cat([torch.as_tensor(batch[label_key]).cpu() for batch in batches]).numpy()
    was_training = model.training
    model.eval()
    try:
        intact = score(y_true, _predicted(model, batches, None))
        rows = {"intact": {"score": intact, "score_std": 0.0, "drop": 0.0}}
        for modality in modalities:
            generator = torch.Generator().manual_seed(seed)
            change = functools.partial(shuffle_modality, modality=modality, generator=generator)
            scores = [score(y_true, _predicted(model, batches, change)) for _ in range(repeats)]
            mean = float(np.mean(scores))
            rows[f"{modality} shuffled"] = {
                "score": mean,
                "score_std": float(np.std(scores)),
                "drop": intact - mean,
            }
    finally:
        model.train(was_training)
    return pd.DataFrame.from_dict(rows, orient="index")
