"""Figures of text + image posts: a grid of posts and attention drawn over an image.

Both return a closed matplotlib Figure (show it with ``display(fig)``).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure


def _drawable(text: str) -> str:
    """The text with emoji and symbols matplotlib's default font lacks shown as a middle dot."""
    return "".join(ch if ord(ch) < 0x2000 else "\u00b7" for ch in text)


def plot_post_grid(
    posts: Sequence[Any],
    captions: Mapping[str, str] | None = None,
    columns: int = 4,
    width: int = 28,
) -> Figure:
    """Images of posts with their (wrapped) text and label underneath.

    Args:
        posts: Records with ``id``, ``text``, ``image_path`` and ``label``.
        captions: Extra line per post id (e.g. the generator's ground truth).
        columns: Images per row.
        width: Characters per text line.
    """
    import matplotlib.pyplot as plt

    from course_lib.features.image import load_image

    rows = max(1, -(-len(posts) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(3.0 * columns, 3.6 * rows), layout="constrained")
    for ax in np.atleast_1d(axes).ravel():
        ax.axis("off")
    for ax, post in zip(np.atleast_1d(axes).ravel(), posts):
        ax.imshow(load_image(post.image_path))
        text = "\n".join(textwrap.wrap(_drawable(post.text), width)[:3])
        extra = f"\n{captions[post.id]}" if captions and post.id in captions else ""
        ax.set_title(f"#{post.id}: {post.label}", fontsize=9)
        ax.text(0.5, -0.04, text + extra, transform=ax.transAxes, ha="center", va="top", fontsize=7)
    plt.close(fig)
    return fig


def plot_region_attention(
    image_path: Any,
    weights: np.ndarray,
    boxes: Sequence[Sequence[int]] = (),
    title: str | None = None,
    ax: Any = None,
) -> Figure:
    """The image with the attention of each grid region over it and the drawn shapes' boxes.

    Args:
        image_path: The image file.
        weights: Attention per region, row by row. Shape: ``(side * side,)``.
        boxes: Pixel boxes ``(x0, y0, x1, y1)`` to outline (e.g. the generator's shapes).
        title: Axes title.
        ax: Axes to draw into (default: a new figure).
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from course_lib.features.image import load_image

    image = load_image(image_path)
    side = math.isqrt(len(weights))
    owned = ax is None
    if owned:
        fig, ax = plt.subplots(figsize=(3.6, 3.6), layout="constrained")
    fig = ax.figure
    ax.imshow(image)
    width, height = image.size
    heat = np.asarray(weights, dtype=float).reshape(side, side)
    shown = ax.imshow(heat, extent=(0, width, height, 0), alpha=0.45, cmap="magma", interpolation="nearest")
    for x0, y0, x1, y1 in boxes:
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="cyan", linewidth=1))
    fig.colorbar(shown, ax=ax, shrink=0.7, label="attention")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
    if owned:
        plt.close(fig)
    return fig


def plot_post_predictions(
    image_path: Any,
    text: str,
    predictions: Mapping[str, Mapping[str, float]],
    attention: np.ndarray | None = None,
    boxes: Sequence[Sequence[int]] = (),
    title: str | None = None,
) -> Figure:
    """A post's image (with the region attention when given) beside each model's class probabilities.

    Args:
        image_path: The image file.
        text: The post's text (shown wrapped under the image).
        predictions: ``{model: {class: probability}}``.
        attention: Attention per region ``(R,)`` or None.
        boxes: Pixel boxes to outline.
        title: Figure title.
    """
    import matplotlib.pyplot as plt

    from course_lib.features.image import load_image

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6), layout="constrained")
    if attention is not None:
        plot_region_attention(image_path, attention, boxes, ax=left)
    else:
        left.imshow(load_image(image_path))
        left.set_axis_off()
    left.set_title("\n".join(textwrap.wrap(_drawable(text), 40)[:3]), fontsize=8)
    names, classes = list(predictions), list(next(iter(predictions.values())))
    width = 0.8 / max(len(classes), 1)
    for i, cls in enumerate(classes):
        right.barh(np.arange(len(names)) + i * width, [predictions[n][cls] for n in names], width, label=cls)
    right.set_yticks(np.arange(len(names)) + width * (len(classes) - 1) / 2, names)
    right.set_xlim(0, 1)
    right.set_xlabel("probability")
    right.legend(fontsize=8, loc="lower right")
    if title:
        fig.suptitle(title, fontsize=10)
    plt.close(fig)
    return fig
