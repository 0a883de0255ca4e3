"""Text + image sentiment models of lesson 07 (MVSA): unimodal heads and three fusions.

Every model takes a batch dict and returns class logits ``(B, C)``. The keys
it reads:

* ``text`` ``(B, D_t)`` -- the pooled sentence embedding (MiniLM mean, 384-d);
* ``image`` ``(B, D_i)`` -- the pooled image features (EfficientNet-Lite0, 1280-d);
* ``tokens`` ``(B, L, D_t)`` with ``tokens_mask`` ``(B, L)`` (True on real
  tokens) and ``regions`` ``(B, R, D_i)`` -- the token states and the region
  grid (4x4 = 16 regions at 128 px), for :class:`RegionAttentionFusion` only.

The fusions:

* :class:`ConcatFusionClassifier` -- ``FFN([t; i])``;
* :class:`PooledAttentionFusion` -- the paper's model: text projected to 128,
  image to 1280, ``nn.MultiheadAttention(embed_dim=128, kdim=1280,
  vdim=1280)`` with the text as the query and the image as key and value. With
  one key the softmax has one entry, so every attention weight is exactly 1
  and the output is ``W_o W_v i``: **it does not depend on the text**. With
  ``residual=False`` (as written) the classifier sees the image alone; the
  residual version classifies ``[t'; MHA(t', i', i')]`` and keeps the text;
* :class:`RegionAttentionFusion` -- text tokens attend to image regions and
  regions attend to tokens (padding tokens masked), each direction one
  pre-norm :class:`~course_lib.models.sequence.CrossmodalBlock`; both are
  mean-pooled and classified.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from course_lib.models.registry import register
from course_lib.models.sequence import CrossmodalBlock, masked_pool

__all__ = [
    "ConcatFusionClassifier",
    "PooledAttentionFusion",
    "RegionAttentionFusion",
    "TailClassifier",
    "UnimodalClassifier",
    "build_mvsa_model",
    "head",
]

NUM_CLASSES = 3


def head(
    in_dim: int, num_classes: int = NUM_CLASSES, hidden: int | None = 128, dropout: float = 0.2
) -> nn.Module:
    """The classifier: a linear probe (``hidden=None`` or 0) or an FFN ``Linear-ReLU-Dropout-Linear``.

    Shape:
        ``(B, in_dim)`` -> ``(B, num_classes)``
    """
    if not hidden:
        return nn.Sequential(nn.Dropout(dropout), nn.Linear(in_dim, num_classes))
    return nn.Sequential(
        nn.Linear(in_dim, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, num_classes)
    )


class UnimodalClassifier(nn.Module):
    """A stand-alone text or image model on frozen pooled features.

    Args:
        modality: ``"text"`` or ``"image"`` (the batch key read).
        in_dim: Feature width.
        num_classes: Classes.
        hidden: Hidden width of the head (None or 0: a linear probe).
        dropout: Dropout in the head.

    Shape:
        ``batch[modality]`` ``(B, in_dim)`` -> ``(B, num_classes)``
    """

    def __init__(
        self,
        modality: str,
        in_dim: int,
        num_classes: int = NUM_CLASSES,
        hidden: int | None = 128,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        self.modality = modality
        self.head = head(in_dim, num_classes, hidden, dropout)

    def forward(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return self.head(batch[self.modality])


class TailClassifier(nn.Module):
    """A stand-alone model whose encoder's last block trains too: tail, pooling, then the unimodal head.

    The batch holds what enters the tail (:mod:`course_lib.features.tails`):
    ``tokens`` ``(B, L, D_in)`` with ``tokens_mask`` ``(B, L)`` for a text tail,
    ``regions`` ``(B, R, C_in)`` for an image tail.

    Args:
        tail: A :class:`~course_lib.features.tails.TextTail` (``classifier.modality == "text"``)
            or :class:`~course_lib.features.tails.ImageTail` (``"image"``).
        classifier: The head on the pooled vector (reads ``batch[classifier.modality]``).

    Shape:
        pre-tail batch -> ``(B, num_classes)``
    """

    def __init__(self, tail: nn.Module, classifier: UnimodalClassifier) -> None:
        super().__init__()
        self.tail = tail
        self.classifier = classifier

    def positions(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """The tail's output per token (padding zero) or per region.

        The text tail runs on the batch's longest real sequence only (padding
        beyond it is cut, then restored as zeros), which saves most of its cost.

        Shape:
            text ``(B, L, D)``; image ``(B, R, 1280)``
        """
        if self.classifier.modality != "text":
            return self.tail.regions(batch["regions"])
        tokens, mask = batch["tokens"], batch["tokens_mask"]
        length = max(int(mask.sum(1).max()), 1)
        out = self.tail(tokens[:, :length], mask[:, :length])
        return nn.functional.pad(out, (0, 0, 0, tokens.shape[1] - length))

    def pool(self, positions: torch.Tensor, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Mask-aware mean over tokens, or mean over regions: ``(B, P, D)`` -> ``(B, D)``."""
        if self.classifier.modality == "text":
            return masked_pool(positions, batch["tokens_mask"], "mean")
        return positions.mean(1)

    def forward(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        pooled = self.pool(self.positions(batch), batch)
        return self.classifier({self.classifier.modality: pooled})


class ConcatFusionClassifier(nn.Module):
    """Early fusion of the pooled vectors: ``FFN([t; i])``.

    Shape:
        text ``(B, D_t)``, image ``(B, D_i)`` -> ``(B, num_classes)``
    """

    def __init__(
        self,
        text_dim: int,
        image_dim: int,
        num_classes: int = NUM_CLASSES,
        hidden: int | None = 128,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        self.head = head(text_dim + image_dim, num_classes, hidden, dropout)

    def forward(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return self.head(torch.cat([batch["text"], batch["image"]], dim=-1))


class PooledAttentionFusion(nn.Module):
    """The paper's fusion: MHA with the projected text as query over the projected image.

    Args:
        text_dim: Width of the pooled text vector.
        image_dim: Width of the pooled image vector.
        embed_dim: Text projection and attention width (128 in the paper).
        image_proj: Image projection width, the attention's ``kdim = vdim`` (1280).
        num_heads: Attention heads (``embed_dim`` must be divisible by it).
        residual: Classify ``[t'; attention output]`` (True) or the attention output alone (False,
            the paper as written).
        num_classes: Classes.
        hidden: Hidden width of the FFN classifier.
        dropout: Dropout in the classifier.

    Attributes:
        attention: The last forward's weights averaged over heads, ``(B, 1, 1)``.

    Shape:
        text ``(B, D_t)``, image ``(B, D_i)`` -> ``(B, num_classes)``
    """

    def __init__(
        self,
        text_dim: int,
        image_dim: int,
        embed_dim: int = 128,
        image_proj: int = 1280,
        num_heads: int = 4,
        residual: bool = True,
        num_classes: int = NUM_CLASSES,
        hidden: int | None = 128,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        self.text_proj = nn.Linear(text_dim, embed_dim)
        self.image_proj = nn.Linear(image_dim, image_proj)
        self.attn = nn.MultiheadAttention(
            embed_dim, num_heads, kdim=image_proj, vdim=image_proj, batch_first=True
        )
        self.residual = residual
        self.head = head(2 * embed_dim if residual else embed_dim, num_classes, hidden, dropout)
        self.attention: torch.Tensor | None = None

    def fuse(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """The fused vector the classifier sees.

        Shape:
            returns ``(B, 2 * embed_dim)`` with the residual, ``(B, embed_dim)`` without
        """
        query = self.text_proj(batch["text"]).unsqueeze(1)  # (B, 1, 128)
        image = self.image_proj(batch["image"]).unsqueeze(1)  # (B, 1, 1280): one key
        attended, weights = self.attn(query, image, image)  # (B, 1, 128), (B, 1, 1)
        self.attention = weights.detach()
        attended = attended.squeeze(1)
        return torch.cat([query.squeeze(1), attended], dim=-1) if self.residual else attended

    def forward(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return self.head(self.fuse(batch))


class RegionAttentionFusion(nn.Module):
    """Token/region attention: text tokens attend to image regions, and regions to tokens.

    Args:
        text_dim: Width of a token state.
        image_dim: Width of a region feature.
        dim: Common width both are projected to.
        num_heads: Attention heads.
        dropout: Dropout in the attention blocks and the classifier.
        num_classes: Classes.
        hidden: Hidden width of the FFN classifier.

    Attributes:
        text_to_image: Last forward's weights of tokens over regions, ``(B, L, R)``.
        image_to_text: Last forward's weights of regions over tokens, ``(B, R, L)``.

    Shape:
        tokens ``(B, L, D_t)``, tokens_mask ``(B, L)``, regions ``(B, R, D_i)`` -> ``(B, num_classes)``
    """

    def __init__(
        self,
        text_dim: int,
        image_dim: int,
        dim: int = 128,
        num_heads: int = 4,
        dropout: float = 0.1,
        num_classes: int = NUM_CLASSES,
        hidden: int | None = 128,
    ) -> None:
        super().__init__()
        self.text_proj = nn.Linear(text_dim, dim)
        self.image_proj = nn.Linear(image_dim, dim)
        self.text_block = CrossmodalBlock(dim, num_heads, dropout)
        self.image_block = CrossmodalBlock(dim, num_heads, dropout)
        self.head = head(2 * dim, num_classes, hidden, dropout)

    @property
    def text_to_image(self) -> torch.Tensor | None:
        return self.text_block.attention

    @property
    def image_to_text(self) -> torch.Tensor | None:
        return self.image_block.attention

    def fuse(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Both directions, mean-pooled over real tokens and over regions.

        Shape:
            returns ``(B, 2 * dim)``
        """
        mask = batch["tokens_mask"].bool()  # (B, L)
        tokens = self.text_proj(batch["tokens"])  # (B, L, d)
        regions = self.image_proj(batch["regions"])  # (B, R, d)
        text = self.text_block(tokens, regions)  # (B, L, d): tokens attend to regions
        image = self.image_block(regions, tokens, mask)  # (B, R, d): regions attend to real tokens
        weights = mask.unsqueeze(-1).to(text.dtype)
        text_pooled = (text * weights).sum(1) / weights.sum(1).clamp_min(1.0)
        return torch.cat([text_pooled, image.mean(1)], dim=-1)

    def region_attention(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Attention mass per region of the last forward: the tokens' weights averaged over real tokens.

        Shape:
            returns ``(B, R)``, each row summing to 1
        """
        if self.text_to_image is None:
            raise RuntimeError("run a forward pass first")
        mask = batch["tokens_mask"].bool().unsqueeze(-1).to(self.text_to_image.dtype)
        return (self.text_to_image * mask).sum(1) / mask.sum(1).clamp_min(1.0)

    def forward(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return self.head(self.fuse(batch))


#: Model names of :func:`build_mvsa_model`, in the order the lesson shows them.
MODELS: tuple[str, ...] = ("text", "image", "concat", "pooled_mha", "pooled_mha_residual", "region_mha")


def build_mvsa_model(
    name: str,
    text_dim: int = 384,
    image_dim: int = 1280,
    hidden: int | None = 128,
    dropout: float = 0.2,
    embed_dim: int = 128,
    num_heads: int = 4,
    num_classes: int = NUM_CLASSES,
) -> nn.Module:
    """One of :data:`MODELS` with the given sizes (the saved predictor rebuilds it from these).

    Raises:
        ValueError: for an unknown name.
    """
    common: dict[str, Any] = {"num_classes": num_classes, "hidden": hidden, "dropout": dropout}
    if name in ("text", "image"):
        return UnimodalClassifier(name, text_dim if name == "text" else image_dim, **common)
    if name == "concat":
        return ConcatFusionClassifier(text_dim, image_dim, **common)
    if name in ("pooled_mha", "pooled_mha_residual"):
        return PooledAttentionFusion(
            text_dim, image_dim, embed_dim, 1280, num_heads, residual=name.endswith("residual"), **common
        )
    if name == "region_mha":
        return RegionAttentionFusion(text_dim, image_dim, embed_dim, num_heads, **common)
    raise ValueError(f"unknown MVSA model {name!r}; choose one of {MODELS}")


def _registered(name: str) -> None:
    register("mvsa", name)(lambda **options: build_mvsa_model(name, **options))


for _name in MODELS:
    _registered(_name)
