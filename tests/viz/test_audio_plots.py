"""Waveform, log-Mel and MFCC figures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_lib.viz import audio as V


@pytest.fixture
def wav() -> np.ndarray:
    t = np.arange(24_000) / 16_000
    return (0.5 * np.sin(2 * np.pi * 220 * t) * np.linspace(0, 1, len(t))).astype(np.float32)


def test_waveform_axes_and_decimation(wav):
    ax = V.plot_waveform(wav, max_points=1000)
    line = ax.lines[0]
    assert len(line.get_xdata()) <= 1000
    assert ax.get_xlim() == pytest.approx((0, 1.5))
    assert max(line.get_ydata()) == pytest.approx(wav.max(), abs=1e-6)  # the envelope survives decimation
    assert ax.get_xlabel() == "time (s)"
    plt.close(ax.figure)


def test_plots_draw_into_given_axes(wav):
    fig, axes = plt.subplots(1, 2)
    spec = np.random.default_rng(0).normal(size=(64, 151))
    assert V.plot_logmel(spec, ax=axes[0]) is axes[0]
    assert V.plot_mfcc(spec[:13], ax=axes[1], title="mine") is axes[1]
    image = axes[0].images[0]
    assert image.get_array().shape == (64, 151)
    assert image.get_extent()[1] == pytest.approx(151 * 160 / 16_000)
    assert axes[1].get_title() == "mine"
    plt.close(fig)


def test_overview_figure(wav):
    fig = V.plot_audio_overview(wav, title="an utterance")
    assert isinstance(fig, matplotlib.figure.Figure)
    assert [ax.get_ylabel() for ax in fig.axes[:3]] == ["amplitude", "Mel band", "coefficient"]
    assert fig.axes[1].images[0].get_array().shape == (64, 1 + len(wav) // 160)
    plt.close(fig)


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="mono"):
        V.plot_waveform(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="frames"):
        V.plot_logmel(np.zeros(10))


def test_chroma_plot_labels_the_pitch_classes():
    from course_lib.viz.audio import PITCH_CLASSES, plot_chroma

    ax = plot_chroma(np.random.default_rng(0).random((12, 50)))
    assert [t.get_text() for t in ax.get_yticklabels()] == list(PITCH_CLASSES)
