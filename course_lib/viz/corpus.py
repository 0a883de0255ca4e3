"""Figures of the generated corpora's hidden world.

:func:`plot_emotion_space` draws the emotion centres in the valence-arousal
plane, optionally with the latent points of some turns around them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def plot_emotion_space(
    centres: Mapping[str, Sequence[float]],
    points: Mapping[str, np.ndarray] | None = None,
    ax: Axes | None = None,
    title: str = "emotions in the valence-arousal plane",
) -> Figure:
    """Each emotion's centre (a labelled star) and, optionally, turns around it (dots).

    Args:
        centres: ``{emotion: (valence, arousal, ...)}``, each in [-1, 1].
        points: ``{emotion: (N, 2) array of (valence, arousal)}`` of some turns.
        ax: Axes to draw into (default: a new figure).
        title: Axes title.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 5))
    else:
        fig = ax.figure
    colours = plt.get_cmap("tab10")
    for index, (emotion, centre) in enumerate(centres.items()):
        colour = colours(index % 10)
        if points is not None and emotion in points and len(points[emotion]):
            cloud = np.asarray(points[emotion], dtype=float)
            ax.scatter(cloud[:, 0], cloud[:, 1], s=6, alpha=0.35, color=colour)
        ax.scatter(
            [centre[0]], [centre[1]], marker="*", s=220, color=colour, edgecolor="black", label=emotion
        )
        ax.annotate(emotion, (centre[0], centre[1]), xytext=(6, 6), textcoords="offset points")
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set(xlim=(-1.05, 1.05), ylim=(-1.05, 1.05), xlabel="valence", ylabel="arousal", title=title)
    ax.set_aspect("equal")
    ax.legend(loc="lower right", fontsize="small")
    return fig
