"""Fine-tuning the last block of a pretrained encoder on a CPU: cache what enters it, train it.

Fine-tuning a whole transformer or CNN on a laptop CPU is slow, but most of the
gain of fine-tuning sits in the top of the network. Split the encoder in two:

* the **frozen prefix** (everything below the last layer) runs once per item, and
  its output is cached like any other feature (:class:`PreTailTokenStates`,
  :class:`PreTailImageMaps`);
* the **trainable tail** (:class:`TextTail`: the text model's last transformer
  layer; :class:`ImageTail`: EfficientNet-Lite0's last block and head) is a copy
  of the pretrained weights that trains with the classifier above it.

Before training, ``tail(cached prefix output)`` equals the frozen encoder's own
output (a test checks it), so "frozen" and "fine-tuned last block" start from the
same point and differ only by what training changes.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from course_lib.features.text import TokenStates

__all__ = ["ImageTail", "PreTailImageMaps", "PreTailTokenStates", "TextTail"]


def _last_layer(model: nn.Module) -> nn.Module:
    """The last transformer layer of a BERT-like ``transformers`` model (``encoder.layer[-1]``)."""
    layers = getattr(getattr(model, "encoder", None), "layer", None)
    if layers is None or len(layers) == 0:
        raise TypeError(
            f"{type(model).__name__} has no encoder.layer list; tail fine-tuning needs a BERT-like model"
        )
    return layers[-1]


class TextTail(nn.Module):
    """A trainable copy of a text encoder's last transformer layer.

    Args:
        encoder: A loaded :class:`course_lib.features.text.TextEncoder` (its weights are copied).
    """

    def __init__(self, encoder: Any) -> None:
        super().__init__()
        self.layer = copy.deepcopy(_last_layer(encoder.model)).float()
        self.layer.requires_grad_(True)
        self.dim = int(encoder.dim)

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Run the layer over the states entering it (padding masked out of the attention).

        Shape:
            states ``(B, L, D)``, mask ``(B, L)`` (True/1 on real tokens) -> ``(B, L, D)``
        """
        keep = mask.bool()
        additive = (~keep)[:, None, None, :].to(states.dtype) * torch.finfo(states.dtype).min
        out = self.layer(states, attention_mask=additive)
        out = out[0] if isinstance(out, tuple) else out
        return out * keep.unsqueeze(-1).to(out.dtype)


def _efficientnet(backbone: nn.Module) -> nn.Module:
    net = getattr(backbone, "net", None)
    if net is None or not hasattr(net, "_blocks"):
        raise TypeError(
            f"{type(backbone).__name__} is not EfficientNet-Lite0; image tail fine-tuning needs "
            "course_lib.features.encoders.EfficientNetLite0"
        )
    return net


class ImageTail(nn.Module):
    """A trainable copy of EfficientNet-Lite0's last block and head (1x1 conv, batch norm, activation).

    Args:
        backbone: A :class:`course_lib.features.encoders.EfficientNetLite0` (its weights are copied).
    """

    out_dim = 1280

    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        net = _efficientnet(backbone)
        self.block = copy.deepcopy(net._blocks[-1])
        self.conv_head = copy.deepcopy(net._conv_head)
        self.bn = copy.deepcopy(net._bn1)
        self.act = copy.deepcopy(net._swish)
        rate = net._global_params.drop_connect_rate or 0.0
        self.drop_connect_rate = rate * (len(net._blocks) - 1) / len(net._blocks)
        self.requires_grad_(True)

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        """Feature maps entering the last block -> the backbone's last feature map.

        Shape:
            ``(B, C_in, h, w)`` (192 channels for Lite0) -> ``(B, 1280, h, w)``
        """
        x = self.block(maps, drop_connect_rate=self.drop_connect_rate or None)
        return self.act(self.bn(self.conv_head(x)))

    def regions(self, regions: torch.Tensor) -> torch.Tensor:
        """The same on maps stored as rows of regions (square grids, row by row).

        Shape:
            ``(B, h * w, C_in)`` -> ``(B, h * w, 1280)``
        """
        b, r, c = regions.shape
        side = math.isqrt(r)
        if side * side != r:
            raise ValueError(f"{r} regions do not form a square grid")
        maps = regions.transpose(1, 2).reshape(b, c, side, side)
        return self(maps).flatten(2).transpose(1, 2)


class PreTailTokenStates(TokenStates):
    """A cacheable extractor: the token states entering the text model's last layer.

    Each item holds the real tokens only (``[CLS]`` and ``[SEP]`` included), like
    :class:`course_lib.features.text.TokenStates` one layer lower (same attributes).
    """

    name = "text-pretail-states"
    layer = -2


@dataclass
class PreTailImageMaps:
    """A cacheable extractor: the feature maps entering EfficientNet-Lite0's last block, as region rows.

    Attributes:
        backbone: A :class:`course_lib.features.encoders.EfficientNetLite0`.
        batch_size: Images per forward pass.
        backbone_name: Name recorded in the cache key.
    """

    backbone: Any
    batch_size: int = 32
    backbone_name: str = "efficientnet-lite0"

    name = "image-pretail-maps"
    variable_length = False

    def config_dict(self) -> dict[str, Any]:
        """Backbone name and input size."""
        return {
            "backbone": self.backbone_name,
            "image_size": getattr(self.backbone, "image_size", None),
            "version": 1,
        }

    def _maps(self, images: torch.Tensor) -> torch.Tensor:
        net = _efficientnet(self.backbone)
        x = net._swish(net._bn0(net._conv_stem(images)))
        for block in net._blocks[:-1]:
            x = block(x)  # eval mode: drop connect is off
        return x.flatten(2).transpose(1, 2)

    def __call__(self, records: Sequence[Any]) -> list[np.ndarray]:
        """``(h * w, C_in)`` float32 arrays, one per record (or image path)."""
        from course_lib.features.encoders import _image_outputs

        return _image_outputs(self.backbone, self._maps, records, self.batch_size)
