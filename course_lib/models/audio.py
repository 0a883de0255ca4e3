"""Audio embedders: the frames (or pooled features) of one utterance -> one embedding.

Two embedders, registered in :mod:`course_lib.models.registry`:

* ``"simple"`` — :class:`SimpleAudioEmbedder`: 1D convolutions over frame
  features (MFCC, log-Mel, Chroma, or several of them concatenated along the
  feature axis) and a stacked BiLSTM over the convolved frames;
* ``"deep"`` — :class:`DeepAudioEmbedder`: features pooled from a pretrained
  speech encoder (Whisper offline, wav2vec 2.0 online) and a small projection.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from course_lib.models.registry import register
from course_lib.models.sequence import length_mask
from course_lib.models.text import BiLSTMEncoder, ProjectionEmbedder


def concat_frame_features(features: Sequence[torch.Tensor]) -> torch.Tensor:
    """Concatenate several frame-feature sets (e.g. MFCC and Chroma) along the feature axis.

    Shape:
        each ``(B, T, F_i)`` -> ``(B, T, sum F_i)``.

    Raises:
        ValueError: when the sets disagree on batch size or frame count.
    """
    if not features:
        raise ValueError("no feature sets to concatenate")
    first = features[0].shape[:2]
    for index, item in enumerate(features):
        if item.dim() != 3 or item.shape[:2] != first:
            raise ValueError(
                f"feature set {index} has shape {tuple(item.shape)}; expected (B, T, F) with (B, T) = "
                f"{tuple(first)}"
            )
    return torch.cat(list(features), dim=-1)


class SimpleAudioEmbedder(nn.Module):
    """Conv1D blocks over frame features, then a stacked BiLSTM.

    Each block is ``Conv1d(kernel_size, padding="same") -> BatchNorm -> ReLU
    -> MaxPool1d(pool)``; pooling shortens the sequence (and the lengths) by
    ``pool`` per block, which keeps the LSTM cheap on long turns. Padded
    frames are zeroed around every block, so in eval mode the embedding of a
    turn does not depend on how much padding follows it.

    Args:
        input_dim: Features per frame (the sum of the chosen feature sets).
        conv_channels: Output channels of each convolution block.
        kernel_size: Convolution width in frames.
        pool: Max-pooling stride per block (1 = none).
        hidden_size: LSTM units per direction.
        num_layers: Stacked BiLSTM layers.
        dropout: Dropout after the convolutions and between LSTM layers.
        pooling: How the BiLSTM summarises the sequence (``"last"``,
            ``"mean"``, ``"max"``).

    Shape:
        frames ``(B, T, input_dim)``, lengths ``(B,)`` -> ``(B, 2 * hidden_size)``.
    """

    def __init__(
        self,
        input_dim: int,
        conv_channels: Sequence[int] = (64, 64),
        kernel_size: int = 5,
        pool: int = 2,
        hidden_size: int = 64,
        num_layers: int = 2,
        dropout: float = 0.0,
        pooling: str = "last",
    ) -> None:
        super().__init__()
        if pool < 1:
            raise ValueError(f"pool must be >= 1, got {pool}")
        blocks: list[nn.Module] = []
        channels = input_dim
        for out_channels in conv_channels:
            blocks.append(
                nn.Sequential(
                    nn.Conv1d(channels, out_channels, kernel_size, padding="same"),
                    nn.BatchNorm1d(out_channels),
                    nn.ReLU(),
                )
            )
            channels = out_channels
        self.blocks = nn.ModuleList(blocks)
        self.pooler = nn.MaxPool1d(pool, ceil_mode=True) if pool > 1 else nn.Identity()
        self.dropout = nn.Dropout(dropout)
        self.pool = pool
        self.input_dim = input_dim
        self.encoder = BiLSTMEncoder(channels, hidden_size, num_layers, dropout, pooling)
        self.output_dim = self.encoder.output_dim

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Frame counts after the pooling of every block (ceil division)."""
        for _ in self.blocks:
            lengths = self.output_lengths_once(lengths)
        return lengths

    def forward(self, frames: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        if frames.dim() != 3 or frames.shape[-1] != self.input_dim:
            raise ValueError(f"expected frames (B, T, {self.input_dim}), got {tuple(frames.shape)}")
        if lengths is None:
            lengths = torch.full((frames.shape[0],), frames.shape[1], dtype=torch.long)
        lengths = torch.as_tensor(lengths).reshape(-1).long().cpu().clamp(min=1, max=frames.shape[1])
        x = frames.float().transpose(1, 2)
        for block in self.blocks:
            # Zero the padded frames before and after each block, so that padding never
            # reaches a real frame (ReLU outputs are >= 0, so zeros are neutral for max-pooling).
            valid = length_mask(lengths, x.shape[-1]).unsqueeze(1).to(x.device)
            x = block(x * valid) * valid
            x = self.pooler(x)
            lengths = self.output_lengths_once(lengths)
        return self.encoder(self.dropout(x.transpose(1, 2)), lengths)

    def output_lengths_once(self, lengths: torch.Tensor) -> torch.Tensor:
        """Frame counts after one block's pooling."""
        if self.pool == 1:
            return lengths
        return torch.div(lengths + self.pool - 1, self.pool, rounding_mode="floor")


class DeepAudioEmbedder(ProjectionEmbedder):
    """Pooled pretrained speech-encoder features + Linear/ReLU projection.

    Frame-level encoder outputs ``(B, T, D)`` are mean-pooled over their valid
    frames first (see :class:`course_lib.models.text.ProjectionEmbedder`).

    Shape:
        x ``(B, input_dim)`` or ``(B, T, input_dim)`` -> ``(B, dim)``.
    """


@register("audio", "simple")
def build_simple_audio(input_dim: int, **options: Any) -> SimpleAudioEmbedder:
    """Conv1D + BiLSTM over frame features; see :class:`SimpleAudioEmbedder`."""
    return SimpleAudioEmbedder(input_dim, **options)


@register("audio", "deep")
def build_deep_audio(input_dim: int, dim: int = 128, dropout: float = 0.0) -> DeepAudioEmbedder:
    """Pooled speech-encoder features + projection; see :class:`DeepAudioEmbedder`."""
    return DeepAudioEmbedder(input_dim, dim, dropout)
