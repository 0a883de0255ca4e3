"""Audio figures: waveform, log-Mel spectrogram and MFCC.

Every function draws into ``ax`` when given (or a new figure) and returns the
matplotlib ``Axes``; :func:`plot_audio_overview` returns a ``Figure`` with the
three views stacked on a shared time axis.
"""

from __future__ import annotations

from typing import Any

import numpy as np

SAMPLE_RATE = 16_000
HOP_LENGTH = 160


def _axes(ax: Any, figsize: tuple[float, float] = (8, 2.5)) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_waveform(
    wav: np.ndarray,
    sample_rate: int = SAMPLE_RATE,
    ax: Any = None,
    title: str | None = None,
    max_points: int = 20_000,
) -> Any:
    """Waveform against time in seconds (min/max decimated above ``max_points`` samples).

    Shape:
        wav ``(T,)``
    """
    ax = _axes(ax)
    wav = np.asarray(wav, dtype=np.float32)
    if wav.ndim != 1 or wav.size == 0:
        raise ValueError(f"expected a non-empty mono waveform of shape (T,), got {wav.shape}")
    step = max(1, len(wav) // (max_points // 2))
    if step > 1:  # keep the envelope: min and max of each block
        blocks = wav[: len(wav) // step * step].reshape(-1, step)
        values = np.stack([blocks.min(1), blocks.max(1)], axis=1).ravel()
        times = np.repeat(np.arange(len(blocks)) * step, 2) / sample_rate
    else:
        values, times = wav, np.arange(len(wav)) / sample_rate
    ax.plot(times, values, linewidth=0.6)
    ax.set(xlabel="time (s)", ylabel="amplitude", xlim=(0, len(wav) / sample_rate), title=title or "waveform")
    return ax


def _plot_matrix(
    matrix: np.ndarray,
    ax: Any,
    sample_rate: int,
    hop_length: int,
    ylabel: str,
    title: str,
    colorbar_label: str,
    cmap: str,
) -> Any:
    ax = _axes(ax)
    matrix = np.asarray(matrix)
    if matrix.ndim != 2:
        raise ValueError(f"expected a (features, frames) matrix, got shape {matrix.shape}")
    seconds = matrix.shape[1] * hop_length / sample_rate
    image = ax.imshow(
        matrix,
        origin="lower",
        aspect="auto",
        cmap=cmap,
        extent=(0.0, seconds, -0.5, matrix.shape[0] - 0.5),
        interpolation="nearest",
    )
    ax.set(xlabel="time (s)", ylabel=ylabel, title=title)
    ax.figure.colorbar(image, ax=ax, label=colorbar_label, pad=0.01)
    return ax


def plot_logmel(
    logmel: np.ndarray,
    sample_rate: int = SAMPLE_RATE,
    hop_length: int = HOP_LENGTH,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Log-Mel spectrogram (dB) as an image: Mel band against time.

    Shape:
        logmel ``(n_mels, frames)``
    """
    return _plot_matrix(
        logmel, ax, sample_rate, hop_length, "Mel band", title or "log-Mel spectrogram", "dB", "magma"
    )


def plot_mfcc(
    mfcc: np.ndarray,
    sample_rate: int = SAMPLE_RATE,
    hop_length: int = HOP_LENGTH,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """MFCC matrix as an image: coefficient against time.

    Shape:
        mfcc ``(n_mfcc, frames)``
    """
    return _plot_matrix(
        mfcc, ax, sample_rate, hop_length, "coefficient", title or "MFCC", "value", "coolwarm"
    )


PITCH_CLASSES: tuple[str, ...] = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def plot_chroma(
    chroma: np.ndarray,
    sample_rate: int = SAMPLE_RATE,
    hop_length: int = HOP_LENGTH,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Chroma as an image: the 12 pitch classes against time.

    Shape:
        chroma ``(12, frames)``
    """
    ax = _plot_matrix(
        chroma, ax, sample_rate, hop_length, "pitch class", title or "Chroma", "share", "viridis"
    )
    ax.set_yticks(range(len(PITCH_CLASSES)), PITCH_CLASSES)
    return ax


def plot_audio_overview(wav: np.ndarray, sample_rate: int = SAMPLE_RATE, title: str | None = None) -> Any:
    """Waveform, log-Mel and MFCC of one utterance in one figure (torchaudio backend features).

    Shape:
        wav ``(T,)`` at 16 kHz
    """
    import matplotlib.pyplot as plt

    from course_lib.features.audio import FrequencyConfig, frequency_features

    config = FrequencyConfig(sample_rate=sample_rate)
    logmel = frequency_features([wav], "logmel", config)[0]
    mfcc = frequency_features([wav], "mfcc", config)[0]
    fig, axes = plt.subplots(3, 1, figsize=(8, 7), sharex=True, constrained_layout=True)
    plot_waveform(wav, sample_rate, axes[0])
    plot_logmel(logmel, sample_rate, config.hop_length, axes[1])
    plot_mfcc(mfcc, sample_rate, config.hop_length, axes[2])
    for ax in axes[:2]:
        ax.set_xlabel("")
    if title:
        fig.suptitle(title)
    return fig
