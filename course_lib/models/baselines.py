"""Baselines of the sequence-model lessons: a text-only LSTM and an early-fusion LSTM.

* :class:`TextLSTM` -- an LSTM over the text steps alone, last-state read-out,
  then a :class:`~course_lib.models.sequence.RegressionHead`: what words say
  without voice or face;
* :class:`EarlyFusionLSTM` (EF-LSTM) -- the modalities concatenated step by
  step, then one LSTM: the early-fusion baseline MulT is compared with. It
  needs the modalities on one time axis (the word-aligned file).

Both return ``{"prediction": (B,)}`` like :class:`~course_lib.models.mult.MulT`,
so the same Trainer, objectives and few-shot code apply.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from course_lib.models.registry import register
from course_lib.models.sequence import LSTMEncoder, RegressionHead

__all__ = ["EarlyFusionLSTM", "TextLSTM", "build_ef_lstm", "build_text_lstm"]


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
        lengths = [_lengths(batch, m) for m in self.modalities]
        steps = {batch[m].shape[1] for m in self.modalities}
        if len(steps) > 1 or any(not torch.equal(lengths[0], other) for other in lengths[1:]):
            raise ValueError(
                "early fusion concatenates the modalities step by step: they must share one time axis "
                "(use the word-aligned file)"
            )
        fused = torch.cat([batch[m].float() for m in self.modalities], dim=-1)
        return {"prediction": self.head(self.encoder(fused, lengths[0]))}


@register("msa", "text_lstm")
def build_text_lstm(input_dims: Mapping[str, int], hidden: int = 64, dropout: float = 0.1) -> TextLSTM:
    """The text-only LSTM baseline."""
    return TextLSTM(input_dims["text"], hidden, dropout)


@register("msa", "ef_lstm")
def build_ef_lstm(input_dims: Mapping[str, int], hidden: int = 64, dropout: float = 0.1) -> EarlyFusionLSTM:
    """The early-fusion LSTM baseline over text, audio and vision."""
    return EarlyFusionLSTM(input_dims, hidden, dropout)
