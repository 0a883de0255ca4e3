"""Image loading and preprocessing for the image backbones.

:func:`load_image` decodes any file Pillow reads and converts it to RGB (grey,
palette, RGBA and CMYK images included). An empty, truncated or otherwise
undecodable file raises :class:`ImageDecodeError` naming the file, so a corpus
loop can count and report it instead of crashing somewhere inside a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

#: ImageNet channel statistics (torchvision / transformers convention).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class ImageDecodeError(ValueError):
    """An image file that cannot be decoded."""


def load_image(path: str | Path) -> PILImage:
    """Decode an image file fully and return it in RGB mode.

    Raises:
        ImageDecodeError: when the file is missing, empty, truncated or not an image.
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    try:
        with Image.open(path) as image:
            image.load()
            return image.convert("RGB")
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as error:
        raise ImageDecodeError(f"{path}: cannot decode the image ({error})") from error


def resize_center_crop(image: PILImage, size: int = 224, resize: int = 256) -> PILImage:
    """Resize the shorter side to ``resize`` (bilinear), then take the central ``size`` square."""
    from PIL import Image

    width, height = image.size
    scale = resize / min(width, height)
    new_w, new_h = max(size, round(width * scale)), max(size, round(height * scale))
    image = image.resize((new_w, new_h), Image.Resampling.BILINEAR)
    left, top = (new_w - size) // 2, (new_h - size) // 2
    return image.crop((left, top, left + size, top + size))


def to_tensor(
    image: PILImage,
    size: int = 224,
    resize: int = 256,
    mean: Sequence[float] = IMAGENET_MEAN,
    std: Sequence[float] = IMAGENET_STD,
) -> torch.Tensor:
    """RGB conversion, resize + centre crop, scaling to [0, 1] and normalisation.

    Shape:
        returns ``(3, size, size)`` float32
    """
    image = resize_center_crop(image.convert("RGB"), size, resize)
    pixels = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1)
    mean_t = torch.tensor(mean, dtype=torch.float32)[:, None, None]
    std_t = torch.tensor(std, dtype=torch.float32)[:, None, None]
    return (pixels - mean_t) / std_t


def load_batch(paths: Sequence[str | Path], **kwargs) -> torch.Tensor:
    """Load and preprocess several images into one batch (``kwargs`` go to :func:`to_tensor`).

    Shape:
        returns ``(B, 3, size, size)``
    """
    return torch.stack([to_tensor(load_image(p), **kwargs) for p in paths])
