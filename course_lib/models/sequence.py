"""Sequence blocks shared by the MulT, Self-MM and Seq2Seq lessons.

* :func:`sinusoidal_positions` — the Transformer's fixed position encodings;
* :class:`TemporalProjection` — MulT's Conv1D over time to a common width;
* :class:`CrossmodalBlock` — one pre-norm crossmodal attention layer (queries
  from modality A, keys and values from modality B), also a self-attention
  layer when A is B;
* :class:`LSTMEncoder` — a (bi)LSTM over packed sequences with a ``last``,
  ``mean`` or ``max`` read-out;
* :class:`AttentionPooling` — a learnt weighted mean over time;
* :class:`RegressionHead` — a residual MLP giving one sentiment score.

Padding. Batches are right-padded (see :func:`course_lib.data.datasets.pad_collate`);
``mask`` tensors are ``(B, T)`` and True on real frames, ``lengths`` ``(B,)``
count them, and every sequence needs at least one real frame. Every block
gives the same outputs on the real frames of a padded batch as on each
sequence alone, whatever the padding holds. The reference
MulT code has no padding mask and reads its output at ``h[-1]``, which is a
padding step for every sequence shorter than the batch's longest; the course's
blocks avoid both.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

__all__ = [
    "READOUTS",
    "AttentionPooling",
    "CrossmodalBlock",
    "LSTMEncoder",
    "RegressionHead",
    "TemporalProjection",
    "causal_mask",
    "sinusoidal_positions",
]

READOUTS = ("last", "mean", "max")


def sinusoidal_positions(length: int, dim: int, device: torch.device | None = None) -> torch.Tensor:
    """Fixed sinusoidal position encodings (Vaswani et al., 2017), positions from 0.

    Channel ``2i`` holds ``sin(t / 10000^(2i / dim))`` and channel ``2i + 1``
    the matching cosine; an odd ``dim`` ends with a sine.

    Shape:
        ``(length, dim)``.
    """
    positions = torch.arange(length, dtype=torch.float32, device=device).unsqueeze(1)
    channels = torch.arange(0, dim, 2, dtype=torch.float32, device=device)
    frequencies = torch.exp(channels * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim, device=device)
    table[:, 0::2] = torch.sin(positions * frequencies)
    table[:, 1::2] = torch.cos(positions * frequencies[: dim // 2])
    return table


def causal_mask(query_length: int, key_length: int, device: torch.device | None = None) -> torch.Tensor:
    """Attention mask hiding later steps: query step ``t`` sees key steps ``s <= t``.

    The two sequences share one time axis (aligned modalities). ``True``
    marks a hidden pair, as :class:`torch.nn.MultiheadAttention` expects.

    Shape:
        ``(query_length, key_length)``.
    """
    queries = torch.arange(query_length, device=device).unsqueeze(1)
    keys = torch.arange(key_length, device=device).unsqueeze(0)
    return keys > queries


def _zero_padding(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    return x if mask is None else x.masked_fill(~mask.bool().unsqueeze(-1), 0.0)


class TemporalProjection(nn.Module):
    """Conv1D over time projecting every frame to ``dim`` channels.

    With an odd kernel and ``kernel_size // 2`` zero padding the output keeps
    the input's length, so lengths and masks stay valid. Padding frames are
    set to 0 before the convolution (the last real frame then sees zeros, as
    it does alone) and after it.

    Args:
        input_dim: Features per frame.
        dim: Output channels.
        kernel_size: Odd kernel over time (1 is a per-frame linear map, MulT's code).
        bias: Add a bias (the MulT code has none).

    Shape:
        x ``(B, T, input_dim)``, mask ``(B, T)`` -> ``(B, T, dim)``.
    """

    def __init__(self, input_dim: int, dim: int, kernel_size: int = 3, bias: bool = False) -> None:
        super().__init__()
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd and >= 1, got {kernel_size}")
        self.conv = nn.Conv1d(input_dim, dim, kernel_size, padding=kernel_size // 2, bias=bias)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        out = self.conv(_zero_padding(x, mask).transpose(1, 2)).transpose(1, 2)
        return _zero_padding(out, mask)


class CrossmodalBlock(nn.Module):
    """One pre-norm crossmodal attention layer: modality A attends to modality B.

    ``a = a + MHA(LN(a), LN(b), LN(b))`` then ``a = a + FFN(LN(a))`` with a
    ``ffn_mult * dim`` ReLU feed-forward. Padding frames of B are never
    attended to. With ``causal=True`` step ``t`` of A only sees steps
    ``s <= t`` of B: the reference MulT code applies this mask by default
    (``--attn_mask``), although a clip's sentiment is judged on the whole clip.
    Called with ``b = a`` it is a self-attention layer (MulT's memory).

    The last forward's attention weights, averaged over heads, stay in
    :attr:`attention` for plots.

    Args:
        dim: Width of both modalities.
        num_heads: Attention heads (``dim`` must be divisible by it).
        dropout: Dropout on the attention weights, the residual branches and
            inside the feed-forward.
        ffn_mult: Feed-forward width as a multiple of ``dim``.
        causal: Hide later steps of B.

    Shape:
        a ``(B, Ta, dim)``, b ``(B, Tb, dim)``, b_mask ``(B, Tb)`` -> ``(B, Ta, dim)``;
        :attr:`attention` ``(B, Ta, Tb)``.
    """

    def __init__(
        self, dim: int, num_heads: int, dropout: float = 0.0, ffn_mult: int = 4, causal: bool = False
    ) -> None:
        super().__init__()
        self.norm_query = nn.LayerNorm(dim)
        self.norm_source = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, num_heads, dropout=dropout, batch_first=True)
        self.norm_ffn = nn.LayerNorm(dim)
        self.ffn = nn.Sequential(
            nn.Linear(dim, ffn_mult * dim),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(ffn_mult * dim, dim),
        )
        self.dropout = nn.Dropout(dropout)
        self.causal = causal
        self.attention: torch.Tensor | None = None

    def forward(self, a: torch.Tensor, b: torch.Tensor, b_mask: torch.Tensor | None = None) -> torch.Tensor:
        source = self.norm_source(b)
        attn_mask = causal_mask(a.shape[1], b.shape[1], a.device) if self.causal else None
        padding = None if b_mask is None else ~b_mask.bool()
        attended, weights = self.attn(
            self.norm_query(a), source, source, key_padding_mask=padding, attn_mask=attn_mask
        )
        self.attention = weights.detach()
        a = a + self.dropout(attended)
        return a + self.dropout(self.ffn(self.norm_ffn(a)))


def length_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """Boolean mask of the valid positions of padded sequences.

    Shape:
        lengths ``(B,)`` -> mask ``(B, max_len)``, True where ``t < length``.
    """
    positions = torch.arange(max_len, device=lengths.device)
    return positions.unsqueeze(0) < lengths.unsqueeze(1)


def masked_pool(hidden: torch.Tensor, mask: torch.Tensor, how: str) -> torch.Tensor:
    """Mean or max over the valid time steps.

    Shape:
        hidden ``(B, T, D)``, mask ``(B, T)`` -> ``(B, D)``.
    """
    mask = mask.unsqueeze(-1).to(hidden.dtype)
    if how == "mean":
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
    if how == "max":
        filled = hidden.masked_fill(mask == 0, torch.finfo(hidden.dtype).min)
        return filled.max(dim=1).values
    raise ValueError(f"pooling must be 'mean' or 'max', got {how!r}")


def _checked_lengths(lengths: torch.Tensor, batch: int, max_len: int) -> torch.Tensor:
    lengths = torch.as_tensor(lengths).reshape(-1).long().cpu()
    if lengths.shape[0] != batch:
        raise ValueError(f"got {lengths.shape[0]} lengths for a batch of {batch}")
    if lengths.min() < 1 or lengths.max() > max_len:
        raise ValueError(f"lengths must lie in 1..{max_len}, got {lengths.tolist()}")
    return lengths


class LSTMEncoder(nn.Module):
    """LSTM over the real steps of padded sequences (packed), with a read-out.

    Read-outs:

    * ``"last"``: the final hidden state of the top layer, i.e. the forward
      direction's state at each sequence's *last real step* (and, when
      bidirectional, the backward direction's after reading back to step 0),
      never a padding step;
    * ``"mean"`` / ``"max"``: over the real steps of the top layer's outputs.

    Args:
        input_dim: Features per step.
        hidden_size: Units per direction.
        num_layers: Stacked layers.
        bidirectional: Read both ways.
        dropout: Dropout between stacked layers.
        readout: ``"last"``, ``"mean"`` or ``"max"``.

    Shape:
        x ``(B, T, input_dim)``, lengths ``(B,)`` -> ``(B, output_dim)`` with
        ``output_dim = hidden_size * (2 if bidirectional else 1)``.
    """

    def __init__(
        self,
        input_dim: int,
        hidden_size: int,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        readout: str = "last",
    ) -> None:
        super().__init__()
        if readout not in READOUTS:
            raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
        self.lstm = nn.LSTM(
            input_dim,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.readout = readout
        self.directions = 2 if bidirectional else 1
        self.output_dim = hidden_size * self.directions

    def encode(
        self, x: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Per-step outputs (0 on padding) and the final states of every layer and direction.

        Shape:
            x ``(B, T, input_dim)``, lengths ``(B,)`` -> outputs ``(B, T, output_dim)``,
            ``(h_n, c_n)`` each ``(num_layers * directions, B, hidden_size)``.
        """
        lengths = _checked_lengths(lengths, x.shape[0], x.shape[1])
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        output, states = self.lstm(packed)
        outputs, _ = pad_packed_sequence(output, batch_first=True, total_length=x.shape[1])
        return outputs, states

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        outputs, (h_n, _) = self.encode(x, lengths)
        if self.readout == "last":
            return torch.cat(list(h_n[-self.directions :]), dim=-1)
        mask = length_mask(torch.as_tensor(lengths, device=x.device), x.shape[1])
        return masked_pool(outputs, mask, self.readout)


class AttentionPooling(nn.Module):
    """Weighted mean over the real steps, the weights learnt: ``softmax_t(v^T tanh(W h_t))``.

    The last forward's weights stay in :attr:`weights` for plots (0 on padding).

    Args:
        dim: Features per step.
        hidden: Width of the scoring layer (default ``dim``).

    Shape:
        x ``(B, T, dim)``, mask ``(B, T)`` -> ``(B, dim)``; :attr:`weights` ``(B, T)``.
    """

    def __init__(self, dim: int, hidden: int | None = None) -> None:
        super().__init__()
        hidden = hidden or dim
        self.score = nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, 1, bias=False))
        self.weights: torch.Tensor | None = None

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        scores = self.score(x).squeeze(-1)
        if mask is not None:
            scores = scores.masked_fill(~mask.bool(), float("-inf"))
        weights = torch.softmax(scores, dim=1)
        self.weights = weights.detach()
        return torch.einsum("bt,btd->bd", weights, _zero_padding(x, mask))


class RegressionHead(nn.Module):
    """Residual MLP then a linear layer to one score, as MulT's output layers.

    ``h = x + W2 dropout(ReLU(W1 x))`` (without ``+ x`` when ``residual`` is
    False), then ``score = w^T h + b``.

    Args:
        input_dim: Features of the fused representation.
        hidden: Width of the MLP (default ``input_dim``).
        dropout: Dropout inside the MLP.
        residual: Add the skip connection.

    Shape:
        ``(B, input_dim)`` -> ``(B,)``.
    """

    def __init__(
        self, input_dim: int, hidden: int | None = None, dropout: float = 0.0, residual: bool = True
    ) -> None:
        super().__init__()
        hidden = hidden or input_dim
        self.mlp = nn.Sequential(
            nn.Linear(input_dim, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, input_dim)
        )
        self.out = nn.Linear(input_dim, 1)
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.mlp(x)
        return self.out(x + h if self.residual else h).squeeze(-1)
