"""The Multimodal Transformer (MulT, Tsai et al. 2019) with per-user adapter tokens, for lesson 06.

Data flow for a batch of clips (``B`` clips, modality ``m`` with ``T_m`` steps):

1. :class:`UserAdapter` -- a temporal Conv1D projects every modality to
   ``dim`` channels; then one *user token* per modality,
   ``u_m = MLP_m(E_m[user])`` (an embedding re-parameterised through a
   ``Linear(dim, 512) -> Tanh -> Linear(512, dim)`` MLP), is written at index
   ``T_m`` of each clip, just after its last real step, and the padding mask
   grows by one. The personalisation paper moves the Conv1D into the adapter
   so that the token is appended after it; it calls this ``h = [X̂, u]``.
   Row 0 of every ``E_m`` is a learned *generic user*: users never seen in
   pre-training (validation and test users) get it, and a share
   ``user_dropout`` of training clips get it too, so that it is trained.
2. Every sequence is scaled by ``sqrt(dim)``, gets sinusoidal positions and
   dropout.
3. Six crossmodal transformers (text <- audio, text <- vision, audio <- text,
   audio <- vision, vision <- text, vision <- audio) of ``layers``
   :class:`~course_lib.models.sequence.CrossmodalBlock` each: the target
   modality queries the *low-level* source sequence at every layer.
4. Per target modality, its two crossmodal outputs are concatenated
   (``2 dim``) and pass a self-attention "memory" of ``memory_layers`` blocks.
5. Read-out: each memory output at the user-token index (without tokens: at
   the last real step), concatenated (``6 dim``) into a residual
   :class:`~course_lib.models.sequence.RegressionHead`.

Padding masks are used everywhere, so a clip's prediction does not depend on
the batch it is in. The reference code has none, reads ``h[-1]`` (a padding
step for every clip shorter than the batch's longest) and applies a causal
mask by default; ``causal=True`` reproduces the latter for comparison.

Fine-tuning with separate learning rates: :meth:`MulT.param_groups` returns
the base and adapter parameter groups (the adapter includes the Conv1D
projections, as in the paper).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from course_lib.models.registry import register
from course_lib.models.sequence import (
    CrossmodalBlock,
    RegressionHead,
    TemporalProjection,
    length_mask,
    sinusoidal_positions,
)

__all__ = ["GENERIC_USER", "MODALITIES", "MulT", "UserAdapter", "build_mult", "insert_token", "user_ids"]

MODALITIES: tuple[str, ...] = ("text", "audio", "vision")
#: Row of the user embeddings used for users never seen in pre-training.
GENERIC_USER = 0


def _lengths(batch: Mapping[str, Any], modality: str) -> torch.Tensor:
    x = batch[modality]
    if f"{modality}_lengths" in batch:
        return batch[f"{modality}_lengths"].to(x.device).long()
    return torch.full((x.shape[0],), x.shape[1], dtype=torch.long, device=x.device)


def insert_token(x: torch.Tensor, lengths: torch.Tensor, token: torch.Tensor) -> torch.Tensor:
    """Write ``token`` just after each sequence's last real step (one step longer).

    Shape:
        x ``(B, T, D)`` (zeros on padding), lengths ``(B,)``, token ``(B, D)`` -> ``(B, T + 1, D)``.
    """
    out = torch.cat([x, x.new_zeros(x.shape[0], 1, x.shape[2])], dim=1)
    rows = torch.arange(x.shape[0], device=x.device)
    out = out.index_put((rows, lengths), token)
    return out


class UserAdapter(nn.Module):
    """Temporal projections and one re-parameterised token per user and modality.

    Args:
        input_dims: Features per step of each modality.
        dim: Projected width (the token's size).
        n_users: Users seen in pre-training (ids 1..n_users; 0 is the generic user).
        hidden: Width of the re-parameterising MLP (512 in the paper).
        kernel_size: Conv1D kernel over time (odd; 3 keeps lengths with padding 1).
        tokens: Append user tokens (False: only the projections, MulT without adapter).

    Shape:
        inputs ``{m: (B, T_m, D_m)}``, lengths ``{m: (B,)}``, users ``(B,)`` ->
        ``({m: (B, T_m + 1, dim)}, {m: (B,)} new lengths, {m: (B,)} read-out index)``.
    """

    def __init__(
        self,
        input_dims: Mapping[str, int],
        dim: int,
        n_users: int,
        hidden: int = 512,
        kernel_size: int = 3,
        tokens: bool = True,
    ) -> None:
        super().__init__()
        self.modalities = tuple(m for m in MODALITIES if m in input_dims)
        self.projections = nn.ModuleDict(
            {m: TemporalProjection(input_dims[m], dim, kernel_size) for m in self.modalities}
        )
        self.use_tokens = tokens
        self.n_users = n_users
        if tokens:
            self.embeddings = nn.ModuleDict({m: nn.Embedding(n_users + 1, dim) for m in self.modalities})
            self.mlps = nn.ModuleDict(
                {
                    m: nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, dim))
                    for m in self.modalities
                }
            )

    def tokens(self, users: torch.Tensor) -> dict[str, torch.Tensor]:
        """``u_m = MLP_m(E_m[user])`` for every modality.

        Shape:
            users ``(B,)`` -> ``{m: (B, dim)}``.
        """
        if not self.use_tokens:
            raise RuntimeError("this adapter has no user tokens")
        return {m: self.mlps[m](self.embeddings[m](users)) for m in self.modalities}

    def forward(
        self,
        inputs: Mapping[str, torch.Tensor],
        lengths: Mapping[str, torch.Tensor],
        users: torch.Tensor | None = None,
        tokens: Mapping[str, torch.Tensor] | None = None,
    ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        sequences, new_lengths, readout = {}, {}, {}
        if self.use_tokens and tokens is None:
            if users is None:
                raise ValueError("user tokens need the users' ids (batch key 'user')")
            tokens = self.tokens(users)
        for m in self.modalities:
            mask = length_mask(lengths[m], inputs[m].shape[1])
            projected = self.projections[m](inputs[m], mask)
            if self.use_tokens:
                sequences[m] = insert_token(projected, lengths[m], tokens[m])
                new_lengths[m], readout[m] = lengths[m] + 1, lengths[m]
            else:
                sequences[m], new_lengths[m], readout[m] = projected, lengths[m], lengths[m] - 1
        return sequences, new_lengths, readout


class MulT(nn.Module):
    """MulT with optional user adapter tokens (see the module docstring).

    Args:
        input_dims: Features per step, e.g. ``{"text": 50, "audio": 5, "vision": 20}``.
        dim: Width of every modality after projection (30 in the paper and the reference code).
        num_heads: Attention heads (must divide ``dim``).
        layers: Blocks per crossmodal transformer.
        memory_layers: Blocks per self-attention memory (width ``2 dim``).
        kernel_size: Conv1D kernel of the projections.
        dropout: Attention, residual and feed-forward dropout.
        embed_dropout: Dropout on the embedded inputs.
        out_dropout: Dropout inside the regression head.
        causal: Causal attention masks, the reference code's default (off: a clip is judged whole).
        n_users: Users seen in pre-training (ids 1..n_users).
        user_tokens: Use the user adapter tokens.
        adapter_hidden: Width of the tokens' MLP.
        user_dropout: Share of training clips given the generic user (trains it).

    Shape:
        batch with ``text``/``audio``/``vision`` ``(B, T_m, D_m)``, ``<m>_lengths`` ``(B,)``
        and ``user`` ``(B,)`` -> ``{"prediction": (B,), "fused": (B, 6 dim)}``.
    """

    def __init__(
        self,
        input_dims: Mapping[str, int],
        dim: int = 30,
        num_heads: int = 5,
        layers: int = 2,
        memory_layers: int = 2,
        kernel_size: int = 3,
        dropout: float = 0.1,
        embed_dropout: float = 0.25,
        out_dropout: float = 0.0,
        causal: bool = False,
        n_users: int = 0,
        user_tokens: bool = True,
        adapter_hidden: int = 512,
        user_dropout: float = 0.2,
    ) -> None:
        super().__init__()
        missing = [m for m in MODALITIES if m not in input_dims]
        if missing:
            raise ValueError(f"MulT needs text, audio and vision; input_dims lacks {missing}")
        if dim % num_heads or (2 * dim) % num_heads:
            raise ValueError(f"dim {dim} must be divisible by num_heads {num_heads}")
        self.config = {
            "input_dims": dict(input_dims),
            "dim": dim,
            "num_heads": num_heads,
            "layers": layers,
            "memory_layers": memory_layers,
            "kernel_size": kernel_size,
            "dropout": dropout,
            "embed_dropout": embed_dropout,
            "out_dropout": out_dropout,
            "causal": causal,
            "n_users": n_users,
            "user_tokens": user_tokens,
            "adapter_hidden": adapter_hidden,
            "user_dropout": user_dropout,
        }
        self.dim = dim
        self.user_dropout = user_dropout
        self.adapter = UserAdapter(input_dims, dim, n_users, adapter_hidden, kernel_size, user_tokens)
        self.embed_dropout = nn.Dropout(embed_dropout)
        self.crossmodal = nn.ModuleDict(
            {
                f"{target}<-{source}": nn.ModuleList(
                    CrossmodalBlock(dim, num_heads, dropout, causal=causal) for _ in range(layers)
                )
                for target in MODALITIES
                for source in MODALITIES
                if source != target
            }
        )
        self.crossmodal_norms = nn.ModuleDict({key: nn.LayerNorm(dim) for key in self.crossmodal})
        self.memory = nn.ModuleDict(
            {
                m: nn.ModuleList(
                    CrossmodalBlock(2 * dim, num_heads, dropout, causal=causal) for _ in range(memory_layers)
                )
                for m in MODALITIES
            }
        )
        self.memory_norms = nn.ModuleDict({m: nn.LayerNorm(2 * dim) for m in MODALITIES})
        self.head = RegressionHead(6 * dim, dropout=out_dropout)

    def _users(self, batch: Mapping[str, Any], size: int, device: torch.device) -> torch.Tensor:
        users = batch.get("user")
        users = (
            torch.full((size,), GENERIC_USER, dtype=torch.long, device=device)
            if users is None
            else users.to(device).long()
        )
        if self.training and self.user_dropout > 0:
            dropped = torch.rand(size, device=device) < self.user_dropout
            users = users.masked_fill(dropped, GENERIC_USER)
        return users

    def _embed(self, x: torch.Tensor) -> torch.Tensor:
        positions = sinusoidal_positions(x.shape[1], x.shape[2], x.device)
        return self.embed_dropout(x * math.sqrt(self.dim) + positions)

    def forward(
        self, batch: Mapping[str, Any], tokens: Mapping[str, torch.Tensor] | None = None
    ) -> dict[str, torch.Tensor]:
        """Predict a sentiment score per clip; ``tokens`` overrides the user tokens (``{m: (B, dim)}``)."""
        size, device = batch["text"].shape[0], batch["text"].device
        lengths = {m: _lengths(batch, m) for m in MODALITIES}
        users = self._users(batch, size, device) if self.adapter.use_tokens and tokens is None else None
        inputs = {m: batch[m].float() for m in MODALITIES}
        sequences, lengths, readout = self.adapter(inputs, lengths, users, tokens)
        masks = {m: length_mask(lengths[m], sequences[m].shape[1]) for m in MODALITIES}
        embedded = {m: self._embed(sequences[m]) for m in MODALITIES}
        rows = torch.arange(size, device=device)
        pooled = []
        for target in MODALITIES:
            branches = []
            for source in MODALITIES:
                if source == target:
                    continue
                key = f"{target}<-{source}"
                h = embedded[target]
                for block in self.crossmodal[key]:
                    h = block(h, embedded[source], masks[source])
                branches.append(self.crossmodal_norms[key](h))
            h = torch.cat(branches, dim=-1)
            for block in self.memory[target]:
                h = block(h, h, masks[target])
            h = self.memory_norms[target](h)
            pooled.append(h[rows, readout[target]])
        fused = torch.cat(pooled, dim=-1)
        return {"prediction": self.head(fused), "fused": fused}

    def adapter_parameters(self) -> list[nn.Parameter]:
        """The adapter's parameters: projections, user embeddings and their MLPs."""
        return list(self.adapter.parameters())

    def base_parameters(self) -> list[nn.Parameter]:
        """Every parameter outside the adapter."""
        adapter = {id(p) for p in self.adapter.parameters()}
        return [p for p in self.parameters() if id(p) not in adapter]

    def param_groups(self, base_lr: float = 1e-4, adapter_lr: float = 1e-3) -> list[dict[str, Any]]:
        """Optimizer groups with the paper's fine-tuning learning rates (base 1e-4, adapter 1e-3)."""
        return [
            {"params": self.base_parameters(), "lr": base_lr, "name": "base"},
            {"params": self.adapter_parameters(), "lr": adapter_lr, "name": "adapter"},
        ]

    def attention_maps(self, key: str = "text<-audio", layer: int = 0) -> torch.Tensor:
        """Attention weights of one crossmodal block in the last forward (heads averaged).

        Shape:
            ``(B, T_target + 1, T_source + 1)`` with user tokens, else ``(B, T_target, T_source)``.
        """
        weights = self.crossmodal[key][layer].attention
        if weights is None:
            raise RuntimeError("run the model once before asking for its attention maps")
        return weights


@register("msa", "mult")
def build_mult(input_dims: Mapping[str, int], **options: Any) -> MulT:
    """MulT (with user tokens unless ``user_tokens=False``); options as :class:`MulT`."""
    return MulT(input_dims, **options)


def user_ids(users: Sequence[Any]) -> dict[Any, int]:
    """Ids 1..n of the pre-training users, in the given order (0 is the generic user)."""
    return {user: number for number, user in enumerate(dict.fromkeys(users), start=1)}
