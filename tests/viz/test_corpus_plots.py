"""The emotion-space figure draws the centres and the turns it is given."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
from matplotlib.figure import Figure

from course_lib.viz import plot_emotion_space


def test_emotion_space_draws_centres_and_points():
    centres = {"neu": (0.0, -0.1, 0.0), "ang": (-0.7, 0.9, 0.7)}
    points = {"ang": np.array([[-0.6, 0.8], [-0.8, 0.95], [-0.7, 0.7]])}
    fig = plot_emotion_space(centres, points)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    offsets = [c.get_offsets() for c in ax.collections]
    assert sum(len(o) for o in offsets) == 2 + 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["neu", "ang"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("valence", "arousal")
    np.testing.assert_allclose(offsets[-1][0], (-0.7, 0.9))
