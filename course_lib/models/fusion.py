"""Fusion modules: per-modality utterance embeddings -> one fused representation.

Every module takes ``inputs: Dict[str, Tensor]`` of ``(B, D_m)`` embeddings
keyed by modality and iterates the modalities in the fixed order of
:data:`MODALITY_ORDER` (any other key afterwards, alphabetically), never in
dict insertion order. Each module exposes ``output_dim``; those with
``produces_logits = True`` (late and hybrid fusion) already return class
scores, so the classifiers do not add another head on top.

Registered builders (kind ``"fusion"``): ``concat``, ``add``,
``cross_attention``, ``paper_cross_attention``, ``late``, ``hybrid``. Each is
called as ``build("fusion", name, input_dims={...}, num_classes=6, dim=128)``.

``paper_cross_attention`` (:class:`WindowCrossAttentionFusion`) is the IEMOCAP
paper's own variant and works on a whole conversation window (``window_level =
True``): :class:`~course_lib.models.conversation.ConversationalModel` calls it
with ``{m: (B, n, D_m)}`` and the turn mask instead of one turn at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from course_lib.models.registry import register

MODALITY_ORDER: tuple[str, ...] = ("text", "audio", "vision", "image")
LATE_COMBINES = ("learned", "mean")


def ordered_modalities(keys: Iterable[str]) -> list[str]:
    """Modalities in the course's fixed order: text, audio, vision, image, then others sorted."""
    keys = list(keys)
    known = [m for m in MODALITY_ORDER if m in keys]
    return known + sorted(k for k in keys if k not in MODALITY_ORDER)


class Fusion(nn.Module):
    """Base class: remembers the modalities and checks the inputs.

    Args:
        input_dims: ``{modality: embedding size}``.
    """

    produces_logits = False

    def __init__(self, input_dims: Mapping[str, int]) -> None:
        super().__init__()
        if not input_dims:
            raise ValueError("fusion needs at least one modality")
        self.modalities = ordered_modalities(input_dims)
        self.input_dims = {m: int(input_dims[m]) for m in self.modalities}

    def _inputs(self, inputs: Mapping[str, torch.Tensor]) -> list[torch.Tensor]:
        missing = [m for m in self.modalities if m not in inputs]
        if missing:
            raise KeyError(f"fusion expects modalities {self.modalities}; missing {missing}")
        tensors = []
        for m in self.modalities:
            x = inputs[m]
            if x.dim() != 2 or x.shape[-1] != self.input_dims[m]:
                raise ValueError(f"{m} embedding must be (B, {self.input_dims[m]}), got {tuple(x.shape)}")
            tensors.append(x)
        return tensors


class ConcatFusion(Fusion):
    """Early fusion by concatenation.

    Shape:
        ``{m: (B, D_m)}`` -> ``(B, sum D_m)``.
    """

    def __init__(self, input_dims: Mapping[str, int]) -> None:
        super().__init__(input_dims)
        self.output_dim = sum(self.input_dims.values())

    def forward(self, inputs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return torch.cat(self._inputs(inputs), dim=-1)


class AddFusion(Fusion):
    """Early fusion by addition after a linear projection of each modality to ``dim``.

    Shape:
        ``{m: (B, D_m)}`` -> ``(B, dim)``.
    """

    def __init__(self, input_dims: Mapping[str, int], dim: int = 128) -> None:
        super().__init__(input_dims)
        self.projections = nn.ModuleDict({m: nn.Linear(d, dim) for m, d in self.input_dims.items()})
        self.output_dim = dim

    def forward(self, inputs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        tensors = self._inputs(inputs)
        return torch.stack([self.projections[m](x) for m, x in zip(self.modalities, tensors)]).sum(0)


class CrossAttentionFusion(Fusion):
    """Each modality attends to the others; the attended summaries are concatenated.

    Design. An utterance embedder returns one vector per modality. Attention
    over a single key is degenerate: the softmax weight is always 1, so
    "text attends to audio" would just be a linear map of the audio vector,
    i.e. concatenation in disguise. We therefore project every modality's
    embedding into ``num_tokens`` learned tokens of size ``dim`` (``k``
    different linear views of the same utterance, plus a learned position
    embedding per token). Then, for every modality ``m``:

    1. its tokens are the queries, the tokens of all other modalities the
       keys and values of a multi-head attention (one attention block per
       querying modality, so text->audio and audio->text are distinct);
    2. a residual connection and LayerNorm give ``LayerNorm(q + attn(q, kv))``;
    3. the tokens are mean-pooled into one ``dim`` vector.

    The pooled vectors of all modalities are concatenated. With ``k > 1``
    keys the attention weights carry information: each text token can pick
    the aspects of the voice (e.g. arousal) that disambiguate it, and vice
    versa. The attention weights of the last call are kept in
    :attr:`last_attention` for inspection in the notebooks.

    Args:
        input_dims: ``{modality: D_m}``; at least two modalities.
        dim: Token size (a multiple of ``num_heads``).
        num_tokens: Tokens per modality ``k``.
        num_heads: Attention heads.
        dropout: Dropout on the attention weights.

    Shape:
        ``{m: (B, D_m)}`` -> ``(B, M * dim)``.
    """

    def __init__(
        self,
        input_dims: Mapping[str, int],
        dim: int = 128,
        num_tokens: int = 4,
        num_heads: int = 4,
        dropout: float = 0.0,
    ) -> None:
        super().__init__(input_dims)
        if len(self.modalities) < 2:
            raise ValueError("cross-attention fusion needs at least two modalities")
        if dim % num_heads:
            raise ValueError(f"dim ({dim}) must be a multiple of num_heads ({num_heads})")
        self.dim, self.num_tokens = dim, num_tokens
        self.tokenizers = nn.ModuleDict(
            {m: nn.Linear(d, num_tokens * dim) for m, d in self.input_dims.items()}
        )
        self.positions = nn.ParameterDict(
            {m: nn.Parameter(torch.randn(num_tokens, dim) * 0.02) for m in self.modalities}
        )
        self.attention = nn.ModuleDict(
            {
                m: nn.MultiheadAttention(dim, num_heads, dropout=dropout, batch_first=True)
                for m in self.modalities
            }
        )
        self.norms = nn.ModuleDict({m: nn.LayerNorm(dim) for m in self.modalities})
        self.output_dim = len(self.modalities) * dim
        self.last_attention: dict[str, torch.Tensor] = {}

    def tokens(self, inputs: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The ``(B, num_tokens, dim)`` token sequence of every modality."""
        tensors = self._inputs(inputs)
        return {
            m: self.tokenizers[m](x).view(x.shape[0], self.num_tokens, self.dim) + self.positions[m]
            for m, x in zip(self.modalities, tensors)
        }

    def forward(self, inputs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        tokens = self.tokens(inputs)
        pooled = []
        for m in self.modalities:
            context = torch.cat([tokens[other] for other in self.modalities if other != m], dim=1)
            attended, weights = self.attention[m](tokens[m], context, context, need_weights=True)
            self.last_attention[m] = weights.detach()
            pooled.append(self.norms[m](tokens[m] + attended).mean(dim=1))
        return torch.cat(pooled, dim=-1)


class WindowCrossAttentionFusion(Fusion):
    """The IEMOCAP paper's cross-attention: audio turns query the text turns of the window.

    Over a window of ``n`` turns, the audio embedding of every turn is a query
    and the text embeddings of the window's turns are the keys and values of a
    multi-head attention (padding turns masked out). The attended vector
    *replaces* the fused vector of the turn: the audio only chooses which
    turns' text to mix. With one turn (``conv_length`` 1) the single weight is
    1 and the output is a linear map of the turn's text alone -- the audio is
    ignored entirely, one reason this fusion ranks low in the paper.

    Args:
        input_dims: ``{"text": D_t, "audio": D_a}``.
        dim: Attention size (a multiple of ``num_heads``).
        num_heads: Attention heads.
        query: The modality of the queries (the other one gives keys and values).
        dropout: Dropout on the attention weights.

    Shape:
        ``{m: (B, n, D_m)}``, mask ``(B, n)`` -> ``(B, n, dim)``.
    """

    window_level = True

    def __init__(
        self,
        input_dims: Mapping[str, int],
        dim: int = 128,
        num_heads: int = 4,
        query: str = "audio",
        dropout: float = 0.0,
    ) -> None:
        super().__init__(input_dims)
        if len(self.modalities) != 2 or query not in self.modalities:
            raise ValueError(f"window cross-attention needs two modalities including {query!r}")
        if dim % num_heads:
            raise ValueError(f"dim ({dim}) must be a multiple of num_heads ({num_heads})")
        self.query = query
        self.context = next(m for m in self.modalities if m != query)
        self.projections = nn.ModuleDict({m: nn.Linear(d, dim) for m, d in self.input_dims.items()})
        self.attention = nn.MultiheadAttention(dim, num_heads, dropout=dropout, batch_first=True)
        self.output_dim = dim
        self.last_attention: torch.Tensor | None = None

    def forward(self, inputs: Mapping[str, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        queries = self.projections[self.query](inputs[self.query])
        context = self.projections[self.context](inputs[self.context])
        attended, weights = self.attention(queries, context, context, key_padding_mask=~mask.bool())
        self.last_attention = weights.detach()
        return attended


def _classifier(input_dim: int, num_classes: int, hidden: int | None, dropout: float) -> nn.Module:
    if hidden is None:
        return nn.Sequential(nn.Dropout(dropout), nn.Linear(input_dim, num_classes))
    return nn.Sequential(
        nn.Linear(input_dim, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, num_classes)
    )


class LateFusion(Fusion):
    """Late fusion: one classifier per modality, their log-probabilities combined.

    ``combine="mean"`` averages the per-modality log-probabilities (a product
    of experts); ``combine="learned"`` weights them with softmax-normalised
    learned weights, so training can learn to trust one modality more.

    Args:
        input_dims: ``{modality: D_m}``.
        num_classes: Number of classes.
        combine: ``"learned"`` or ``"mean"``.
        hidden: Optional hidden layer size of the per-modality classifiers.
        dropout: Dropout before the classifiers' output layers.

    Shape:
        ``{m: (B, D_m)}`` -> ``(B, num_classes)`` class log-scores.
    """

    produces_logits = True

    def __init__(
        self,
        input_dims: Mapping[str, int],
        num_classes: int = 6,
        combine: str = "learned",
        hidden: int | None = None,
        dropout: float = 0.0,
    ) -> None:
        super().__init__(input_dims)
        if combine not in LATE_COMBINES:
            raise ValueError(f"combine must be one of {LATE_COMBINES}, got {combine!r}")
        self.combine = combine
        self.heads = nn.ModuleDict(
            {m: _classifier(d, num_classes, hidden, dropout) for m, d in self.input_dims.items()}
        )
        self.mix = nn.Parameter(torch.zeros(len(self.modalities)))
        self.output_dim = num_classes

    def modality_logits(self, inputs: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Each modality classifier's logits ``(B, num_classes)``."""
        return {m: self.heads[m](x) for m, x in zip(self.modalities, self._inputs(inputs))}

    def weights(self) -> torch.Tensor:
        """Combination weight of each modality (in :attr:`modalities` order)."""
        if self.combine == "mean":
            return torch.full_like(self.mix, 1.0 / len(self.modalities))
        return torch.softmax(self.mix, dim=0)

    def forward(self, inputs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        logits = self.modality_logits(inputs)
        log_probs = torch.stack([F.log_softmax(logits[m], dim=-1) for m in self.modalities], dim=1)
        return (log_probs * self.weights().view(1, -1, 1)).sum(dim=1)


class HybridFusion(Fusion):
    """Hybrid fusion: an early (concatenation) classifier and per-modality classifiers.

    The concatenated embeddings go through ``Linear -> ReLU -> Linear`` to
    class logits; every modality also has its own classifier. The ``M + 1``
    log-probability vectors are combined with softmax-normalised learned
    weights, so the model can fall back on a single modality when fusion does
    not help.

    Args:
        input_dims: ``{modality: D_m}``.
        num_classes: Number of classes.
        dim: Hidden size of the early branch.
        dropout: Dropout in the classifiers.

    Shape:
        ``{m: (B, D_m)}`` -> ``(B, num_classes)`` class log-scores.
    """

    produces_logits = True

    def __init__(
        self, input_dims: Mapping[str, int], num_classes: int = 6, dim: int = 128, dropout: float = 0.0
    ) -> None:
        super().__init__(input_dims)
        self.early = _classifier(sum(self.input_dims.values()), num_classes, dim, dropout)
        self.late = nn.ModuleDict(
            {m: _classifier(d, num_classes, None, dropout) for m, d in self.input_dims.items()}
        )
        self.mix = nn.Parameter(torch.zeros(len(self.modalities) + 1))
        self.output_dim = num_classes

    def branch_names(self) -> list[str]:
        """``["early", <modalities>...]``, the order of :meth:`weights`."""
        return ["early", *self.modalities]

    def weights(self) -> torch.Tensor:
        """Combination weight of each branch."""
        return torch.softmax(self.mix, dim=0)

    def forward(self, inputs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        tensors = self._inputs(inputs)
        logits = [self.early(torch.cat(tensors, dim=-1))]
        logits += [self.late[m](x) for m, x in zip(self.modalities, tensors)]
        log_probs = torch.stack([F.log_softmax(item, dim=-1) for item in logits], dim=1)
        return (log_probs * self.weights().view(1, -1, 1)).sum(dim=1)


# ----------------------------------------------------------------------------- registry builders


@register("fusion", "concat")
def build_concat(input_dims: Mapping[str, int], num_classes: int = 6, dim: int = 128) -> ConcatFusion:
    """Concatenation (``num_classes`` and ``dim`` are not used)."""
    return ConcatFusion(input_dims)


@register("fusion", "add")
def build_add(input_dims: Mapping[str, int], num_classes: int = 6, dim: int = 128) -> AddFusion:
    """Projection to ``dim`` and addition."""
    return AddFusion(input_dims, dim)


@register("fusion", "cross_attention")
def build_cross_attention(
    input_dims: Mapping[str, int], num_classes: int = 6, dim: int = 128, **options: Any
) -> CrossAttentionFusion:
    """Cross-modal attention over learned tokens; options: ``num_tokens``, ``num_heads``, ``dropout``."""
    return CrossAttentionFusion(input_dims, dim, **options)


@register("fusion", "paper_cross_attention")
def build_paper_cross_attention(
    input_dims: Mapping[str, int], num_classes: int = 6, dim: int = 128, **options: Any
) -> WindowCrossAttentionFusion:
    """The paper's window-level audio->text attention; options: ``num_heads``, ``query``, ``dropout``."""
    return WindowCrossAttentionFusion(input_dims, dim, **options)


@register("fusion", "late")
def build_late(
    input_dims: Mapping[str, int], num_classes: int = 6, dim: int = 128, **options: Any
) -> LateFusion:
    """Per-modality classifiers combined; options: ``combine``, ``hidden``, ``dropout``."""
    return LateFusion(input_dims, num_classes, **options)


@register("fusion", "hybrid")
def build_hybrid(
    input_dims: Mapping[str, int], num_classes: int = 6, dim: int = 128, **options: Any
) -> HybridFusion:
    """Early + late branches with learned weights; options: ``dropout``."""
    return HybridFusion(input_dims, num_classes, dim, **options)
