"""Baselines of the sequence-model lessons: a text-only LSTM, an early-fusion LSTM and an early-fusion CNN.

* :class:`TextLSTM` -- an LSTM over the text steps alone, last-state read-out,
  then a :class:`~course_lib.models.sequence.RegressionHead`: what words say
  without voice or face;
* :class:`EarlyFusionLSTM` (EF-LSTM) -- the modalities concatenated step by
  step, then one LSTM: the early-fusion baseline MulT is compared with. It
  needs the modalities on one time axis (the word-aligned file).

* :class:`EarlyFusionCNN` -- the same step-by-step concatenation through two
  1-D convolutions and a max over the real steps (lesson 08's CNN baseline).

All return ``{"prediction": (B,)}`` like :class:`~course_lib.models.mult.MulT`,
so the same Trainer, objectives and few-shot code apply.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from course_lib.models.registry import register
from course_lib.models.sequence import (
    LSTMEncoder,
    RegressionHead,
    TemporalProjection,
    length_mask,
    masked_pool,
)

__all__ = [
    "EarlyFusionCNN",
    "EarlyFusionLSTM",
    "TextLSTM",
    "build_ef_cnn",
    "build_ef_lstm",
    "build_text_lstm",
]


def _lengths(batch: Mapping[str, Any], modality: str) -> torch.Tensor:
    x = batch[modality]
    if f"{modality}_lengths" in batch:
        return batch[f"{modality}_lengths"]
    return torch.full((x.shape[0],), x.shape[1], dtype=torch.long)


class TextLSTM(nn.Module):
    """LSTM over the text steps, last real state, regression head.

    Shape:
        batch ``text`` ``(B, T, D)`` and ``text_lengths`` ``(B,)`` -> ``{"prediction": (B,)}``.
    """

    def __init__(self, text_dim: int, hidden: int = 64, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = LSTMEncoder(text_dim, hidden, readout="last")
        self.head = RegressionHead(hidden, dropout=dropout)

    def forward(self, batch: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        state = self.encoder(batch["text"].float(), _lengths(batch, "text"))
        return {"prediction": self.head(state)}


class EarlyFusionLSTM(nn.Module):
    """EF-LSTM: modalities concatenated per step, one LSTM, regression head.

    Args:
        input_dims: Features per step of each modality used.
        hidden: LSTM units.
        dropout: Dropout inside the head.
        modalities: Modalities concatenated, in this order.

    Shape:
        batch ``{m: (B, T, D_m)}`` with equal ``<m>_lengths`` -> ``{"prediction": (B,)}``.
    """

    def __init__(
        self,
        input_dims: Mapping[str, int],
        hidden: int = 64,
        dropout: float = 0.1,
        modalities: Sequence[str] = ("text", "audio", "vision"),
    ) -> None:
        super().__init__()
        self.modalities = tuple(modalities)
        self.encoder = LSTMEncoder(sum(input_dims[m] for m in self.modalities), hidden, readout="last")
        self.head = RegressionHead(hidden, dropout=dropout)

    def forward(self, batch: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        fused, lengths = _early_fusion(batch, self.modalities)
        return {"prediction": self.head(self.encoder(fused, lengths))}


def _early_fusion(batch: Mapping[str, Any], modalities: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """The modalities concatenated step by step, and the shared lengths.

    Shape:
        ``{m: (B, T, D_m)}`` -> ``(B, T, sum D_m)``, ``(B,)``.
    """
    lengths = [_lengths(batch, m) for m in modalities]
    steps = {batch[m].shape[1] for m in modalities}
    if len(steps) > 1 or any(not torch.equal(lengths[0], other) for other in lengths[1:]):
        raise ValueError(
            "early fusion concatenates the modalities step by step: they must share one time axis "
            "(use the word-aligned file)"
        )
    return torch.cat([batch[m].float() for m in modalities], dim=-1), lengths[0]


class EarlyFusionCNN(nn.Module):
    """CNN baseline: modalities concatenated per step, two Conv1D + ReLU, max over real steps, linear.

    ``ŷ = CNN([F_t; I_a; I_v])`` with per-token text states: Conv1d(sum D_m -> channels, k)
    -> ReLU -> Conv1d(channels -> channels, k) -> ReLU -> masked max -> dropout -> Linear(-> 1).

    Args:
        input_dims: Features per step of each modality used.
        channels: Convolution channels.
        kernel_size: Odd kernel over time ("same" padding; padding steps are zeroed).
        dropout: Dropout before the output layer.
        modalities: Modalities concatenated, in this order.

    Shape:
        batch ``{m: (B, T, D_m)}`` with equal ``<m>_lengths`` -> ``{"prediction": (B,)}``.
    """

    def __init__(
        self,
        input_dims: Mapping[str, int],
        channels: int = 128,
        kernel_size: int = 3,
        dropout: float = 0.1,
        modalities: Sequence[str] = ("text", "audio", "vision"),
    ) -> None:
        super().__init__()
        self.modalities = tuple(modalities)
        width = sum(input_dims[m] for m in self.modalities)
        self.conv1 = TemporalProjection(width, channels, kernel_size, bias=True)
        self.conv2 = TemporalProjection(channels, channels, kernel_size, bias=True)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(channels, 1)

    def forward(self, batch: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        fused, lengths = _early_fusion(batch, self.modalities)
        mask = length_mask(lengths.to(fused.device), fused.shape[1])
        hidden = torch.relu(self.conv2(torch.relu(self.conv1(fused, mask)), mask))
        return {"prediction": self.out(self.dropout(masked_pool(hidden, mask, "max"))).squeeze(-1)}


@register("msa", "text_lstm")
def build_text_lstm(input_dims: Mapping[str, int], hidden: int = 64, dropout: float = 0.1) -> TextLSTM:
    """The text-only LSTM baseline."""
    return TextLSTM(input_dims["text"], hidden, dropout)


@register("msa", "ef_lstm")
def build_ef_lstm(input_dims: Mapping[str, int], hidden: int = 64, dropout: float = 0.1) -> EarlyFusionLSTM:
    """The early-fusion LSTM baseline over text, audio and vision."""
    return EarlyFusionLSTM(input_dims, hidden, dropout)


@register("msa", "ef_cnn")
def build_ef_cnn(input_dims: Mapping[str, int], channels: int = 128, dropout: float = 0.1) -> EarlyFusionCNN:
    """The early-fusion CNN baseline over text tokens, audio and vision."""
    return EarlyFusionCNN(input_dims, channels, dropout=dropout)
