"""Classifiers: one utterance, or a window of conversation turns.

* :class:`UtteranceClassifier` — embedders -> fusion -> Dense + ReLU ->
  logits, for single utterances (``conv_length`` 1) and unimodal models.
* :class:`ConversationalModel` — the conversational model of the IEMOCAP
  paper: the embedders and the fusion are applied to every turn of a window
  of ``conv_length`` turns (time-distributed), a forward LSTM reads the fused
  turns, a residual skip adds the current turn's fusion embedding to the LSTM
  context, then Dense + ReLU and a linear layer give the logits of the 6
  classes (the softmax lives in the cross-entropy loss).

Batch layout (dicts of tensors):

* utterances: ``batch[m]`` holds one utterance per row, e.g. token ids
  ``(B, L)`` or audio frames ``(B, T, F)``;
* windows: ``batch[m]`` holds ``n`` turns per row, ``(B, n, L)`` or
  ``(B, n, T, F)``, and ``batch["mask"]`` ``(B, n)`` marks real turns (padding
  turns are 0). The current turn, whose label is predicted, is the last real
  turn of each row, so windows may be padded on the left or on the right.

Optional per-modality lengths: ``batch[f"{m}_lengths"]`` (``(B,)`` or
``(B, n)``), or an attention mask ``batch[f"{m}_mask"]`` whose last axis is
summed; without them the text embedders find the padding tokens themselves
and audio frames are taken as full length.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from course_lib.models.fusion import ConcatFusion, ordered_modalities

Batch = Mapping[str, Any]


def modality_lengths(batch: Batch, modality: str) -> torch.Tensor | None:
    """The lengths of ``modality`` in ``batch``: ``<m>_lengths``, else ``<m>_mask`` summed, else None."""
    if f"{modality}_lengths" in batch:
        return torch.as_tensor(batch[f"{modality}_lengths"])
    if f"{modality}_mask" in batch:
        return torch.as_tensor(batch[f"{modality}_mask"]).sum(dim=-1)
    return None


def _turn_mask(batch: Batch, modality: str) -> torch.Tensor:
    x = batch[modality]
    if "mask" not in batch:
        return torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
    mask = torch.as_tensor(batch["mask"]).to(x.device).bool()
    if mask.dim() != 2 or tuple(mask.shape) != tuple(x.shape[:2]):
        raise ValueError(f"mask must be (B, n) = {tuple(x.shape[:2])}, got {tuple(mask.shape)}")
    if not mask.any(dim=1).all():
        raise ValueError("every window needs at least one unmasked turn")
    return mask


def _last_index(mask: torch.Tensor) -> torch.Tensor:
    positions = torch.arange(mask.shape[1], device=mask.device).expand_as(mask)
    return torch.where(mask, positions, torch.full_like(positions, -1)).max(dim=1).values


def select_current_turn(batch: Batch, modalities: list[str] | None = None) -> dict[str, Any]:
    """Turn a window batch into an utterance batch holding each row's current (last real) turn.

    Tensors whose first two axes are ``(B, n)`` are indexed; everything else
    (``label``, ids) is kept. The ``mask`` key is dropped.

    Args:
        batch: A window batch with ``"mask"``.
        modalities: Keys that identify the window shape (default: the first
            of text/audio/vision/image found).
    """
    keys = modalities or [m for m in ordered_modalities(batch) if m in ("text", "audio", "vision", "image")]
    if not keys:
        raise KeyError(f"no modality key in batch (keys: {sorted(batch)})")
    mask = _turn_mask(batch, keys[0])
    rows = torch.arange(mask.shape[0], device=mask.device)
    last = _last_index(mask)
    selected = {}
    for key, value in batch.items():
        if key == "mask":
            continue
        if torch.is_tensor(value) and value.dim() >= 2 and tuple(value.shape[:2]) == tuple(mask.shape):
            selected[key] = value[rows.to(value.device), last.to(value.device)]
        else:
            selected[key] = value
    return selected


def _distinct_turns(batch: Batch, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Which real turns of a window batch to embed, and how to spread their embeddings back.

    Windows of consecutive turns share context turns. With ``batch["turn_index"]``
    ``(B, n)`` (equal indices hold equal inputs) each distinct turn is embedded
    once per batch; without it every real turn is embedded.

    Returns:
        ``(distinct, expand)``: for the ``R`` real turns (``mask`` order),
        ``distinct`` ``(U,)`` picks one row per distinct turn and ``expand``
        ``(R,)`` maps every real turn to its distinct row.
    """
    rows = torch.arange(int(mask.sum()), device=mask.device)
    if "turn_index" not in batch:
        return rows, rows
    index = torch.as_tensor(batch["turn_index"]).to(mask.device)[mask]
    distinct_ids, expand = torch.unique(index, return_inverse=True)
    first = torch.full_like(distinct_ids, len(rows)).scatter_reduce(0, expand, rows, reduce="amin")
    return first, expand


class UtteranceEncoder(nn.Module):
    """Embed each modality of an utterance and fuse the embeddings.

    Args:
        embedders: ``{modality: embedder}``; each has ``forward(x, lengths)``
            and ``output_dim``.
        fusion: A fusion module over the embedders' outputs; None means the
            single embedder's output (one modality) or concatenation.

    Shape:
        batch of utterances -> ``(B, output_dim)``.
    """

    def __init__(self, embedders: Mapping[str, nn.Module], fusion: nn.Module | None = None) -> None:
        super().__init__()
        if not embedders:
            raise ValueError("at least one embedder is needed")
        self.modalities = ordered_modalities(embedders)
        self.embedders = nn.ModuleDict({m: embedders[m] for m in self.modalities})
        if fusion is None and len(self.modalities) > 1:
            fusion = ConcatFusion({m: embedders[m].output_dim for m in self.modalities})
        self.fusion = fusion
        self.output_dim = (
            fusion.output_dim if fusion is not None else embedders[self.modalities[0]].output_dim
        )
        self.produces_logits = bool(getattr(fusion, "produces_logits", False))
        self.window_level = bool(getattr(fusion, "window_level", False))

    def embed(
        self, inputs: Mapping[str, torch.Tensor], lengths: Mapping[str, Any]
    ) -> dict[str, torch.Tensor]:
        """Per-modality embeddings ``{m: (B, D_m)}``."""
        missing = [m for m in self.modalities if m not in inputs]
        if missing:
            raise KeyError(f"batch lacks modalities {missing} (keys: {sorted(inputs)})")
        return {m: self.embedders[m](inputs[m], lengths.get(m)) for m in self.modalities}

    def forward(
        self, inputs: Mapping[str, torch.Tensor], lengths: Mapping[str, Any] | None = None
    ) -> torch.Tensor:
        if self.window_level:
            raise TypeError("a window-level fusion needs a window of turns: use ConversationalModel")
        embeddings = self.embed(inputs, lengths or {})
        if self.fusion is None:
            return embeddings[self.modalities[0]]
        return self.fusion(embeddings)


def _head(input_dim: int, dense_size: int, num_classes: int, dropout: float) -> nn.Module:
    return nn.Sequential(
        nn.Linear(input_dim, dense_size), nn.ReLU(), nn.Dropout(dropout), nn.Linear(dense_size, num_classes)
    )


class UtteranceClassifier(nn.Module):
    """Embedders -> fusion -> Dense + ReLU -> logits, one utterance at a time.

    With a fusion that already produces class scores (late, hybrid) no head is
    added.

    Args:
        embedders: ``{modality: embedder}``.
        fusion: Fusion module, or None (see :class:`UtteranceEncoder`).
        num_classes: Number of classes.
        dense_size: Units of the Dense + ReLU layer.
        dropout: Dropout before the output layer.

    Shape:
        batch of utterances -> logits ``(B, num_classes)``.
    """

    def __init__(
        self,
        embedders: Mapping[str, nn.Module],
        fusion: nn.Module | None = None,
        num_classes: int = 6,
        dense_size: int = 128,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.encoder = UtteranceEncoder(embedders, fusion)
        self.modalities = self.encoder.modalities
        if self.encoder.produces_logits:
            if self.encoder.output_dim != num_classes:
                raise ValueError(f"the fusion returns {self.encoder.output_dim} classes, not {num_classes}")
            self.head = None
        else:
            self.head = _head(self.encoder.output_dim, dense_size, num_classes, dropout)

    def forward(self, batch: Batch) -> torch.Tensor:
        lengths = {m: modality_lengths(batch, m) for m in self.modalities}
        fused = self.encoder({m: batch[m] for m in self.modalities if m in batch}, lengths)
        return fused if self.head is None else self.head(fused)


class ConversationalModel(nn.Module):
    """The conversational model: time-distributed embedding and fusion, forward LSTM, residual skip.

    For every real turn of the window the embedders and the fusion produce a
    fused vector ``u_t`` (padding turns are never embedded); a window-level
    fusion (``fusion.window_level``, the paper's cross-attention) fuses the
    embedded turns of the whole window at once. A turn shared by several
    windows of a batch (``batch["turn_index"]``) is embedded once. The sequence of
    real turns, oldest first, is read by a forward LSTM; its last state is
    the context ``c``. The output is ``head(c + W u_current)`` with ``W`` the
    identity when the LSTM size equals the fusion size (the default), and
    ``head`` = Dense + ReLU + Dropout + Linear.

    Args:
        embedders: ``{modality: embedder}``.
        fusion: Fusion module, or None (see :class:`UtteranceEncoder`).
        num_classes: Number of classes (6 for the IEMOCAP setting).
        hidden_size: LSTM size; None means the fusion's output size.
        num_layers: LSTM layers.
        dense_size: Units of the Dense + ReLU layer.
        dropout: Dropout before the output layer.

    Shape:
        window batch (``batch[m]`` ``(B, n, ...)``, ``batch["mask"]``
        ``(B, n)``) -> logits ``(B, num_classes)``.
    """

    def __init__(
        self,
        embedders: Mapping[str, nn.Module],
        fusion: nn.Module | None = None,
        num_classes: int = 6,
        hidden_size: int | None = None,
        num_layers: int = 1,
        dense_size: int = 128,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.encoder = UtteranceEncoder(embedders, fusion)
        self.modalities = self.encoder.modalities
        fused_dim = self.encoder.output_dim
        hidden = hidden_size or fused_dim
        self.lstm = nn.LSTM(fused_dim, hidden, num_layers=num_layers, batch_first=True)
        self.skip = nn.Identity() if hidden == fused_dim else nn.Linear(fused_dim, hidden)
        self.head = _head(hidden, dense_size, num_classes, dropout)

    def fused_turns(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """Fused vectors of the real turns, padding turns left as zeros.

        Returns:
            ``(turns, mask)``: turns ``(B, n, D_f)`` and the boolean mask ``(B, n)``.
        """
        mask = _turn_mask(batch, self.modalities[0])
        distinct, expand = _distinct_turns(batch, mask)
        inputs, lengths = {}, {}
        for m in self.modalities:
            x = batch[m]
            if tuple(x.shape[:2]) != tuple(mask.shape):
                raise ValueError(
                    f"{m} must be (B, n, ...) with (B, n) = {tuple(mask.shape)}, got {tuple(x.shape)}"
                )
            inputs[m] = x[mask][distinct]
            m_lengths = modality_lengths(batch, m)
            lengths[m] = None if m_lengths is None else m_lengths.to(mask.device)[mask][distinct]
        if getattr(self.encoder.fusion, "window_level", False):
            embedded = self.encoder.embed(inputs, lengths)
            windows = {m: self._scatter(e[expand], mask) for m, e in embedded.items()}
            fused = self.encoder.fusion(windows, mask)
            return fused * mask.unsqueeze(-1).to(fused.dtype), mask
        return self._scatter(self.encoder(inputs, lengths)[expand], mask), mask

    @staticmethod
    def _scatter(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Put the rows of the real turns ``(R, D)`` back into their windows ``(B, n, D)`` (zeros elsewhere)."""
        out = values.new_zeros(mask.shape[0], mask.shape[1], values.shape[-1])
        out[mask] = values
        return out

    def forward(self, batch: Batch) -> torch.Tensor:
        turns, mask = self.fused_turns(batch)
        # Move the real turns to the front (stable, so their order is kept) for packing.
        order = torch.sort((~mask).to(torch.int8), dim=1, stable=True).indices
        turns = torch.gather(turns, 1, order.unsqueeze(-1).expand_as(turns))
        counts = mask.sum(dim=1)
        packed = pack_padded_sequence(turns, counts.cpu(), batch_first=True, enforce_sorted=False)
        output, _ = self.lstm(packed)
        output, _ = pad_packed_sequence(output, batch_first=True, total_length=turns.shape[1])
        rows = torch.arange(turns.shape[0], device=turns.device)
        last = counts - 1
        context = output[rows, last]
        current = turns[rows, last]
        return self.head(context + self.skip(current))
