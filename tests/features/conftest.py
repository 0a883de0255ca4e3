"""Shared fixtures of the feature tests: short signals and models loaded once per session."""

from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile as sf

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SR = 16_000


def tone(
    seconds: float, freq: float = 220.0, amplitude: float = 0.3, noise: float = 0.01, seed: int = 0
) -> np.ndarray:
    """A harmonic tone with a little noise (float32, 16 kHz)."""
    t = np.arange(int(seconds * SR)) / SR
    rng = np.random.default_rng(seed)
    wav = sum(amplitude / k * np.sin(2 * np.pi * freq * k * t) for k in (1, 2, 3))
    return (wav + noise * rng.standard_normal(len(t))).astype(np.float32)


@pytest.fixture(scope="session")
def make_tone():
    """The :func:`tone` signal maker."""
    return tone


@pytest.fixture(scope="session")
def speech() -> dict[str, np.ndarray]:
    """Synthesised sentences: the same sentence by two voices and another sentence."""
    speech_mod = pytest.importorskip("course_lib.data.synthetic.speech")
    voice, other = speech_mod.Voice(), speech_mod.Voice(variant="f3", pitch=65)
    sentence = "The weather is lovely today, let's go for a walk."
    return {
        "a": speech_mod.synthesize(sentence, voice),
        "a_other_voice": speech_mod.synthesize(sentence, other),
        "b": speech_mod.synthesize("Give me the report before five o'clock.", voice),
    }


@pytest.fixture
def wav_files(tmp_path):
    """Three short 16 kHz wav files of different lengths."""
    paths = []
    for i, seconds in enumerate((0.5, 1.0, 1.7)):
        path = tmp_path / f"utt{i}.wav"
        sf.write(path, tone(seconds, 150 + 50 * i, seed=i), SR, subtype="FLOAT")
        paths.append(path)
    return paths


@pytest.fixture(scope="session")
def whisper():
    """The packaged Whisper tiny.en encoder (CTranslate2)."""
    from course_lib.features.encoders import load_speech_encoder

    return load_speech_encoder(batch_size=8)


@pytest.fixture(scope="session")
def minilm():
    """The packaged MiniLM-L6 text encoder."""
    from course_lib.features.text import TextEncoder

    return TextEncoder()


@pytest.fixture(scope="session")
def efficientnet():
    """EfficientNet-Lite0 with the packaged ImageNet weights."""
    from course_lib.features.encoders import load_image_backbone

    return load_image_backbone()
