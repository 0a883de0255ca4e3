"""Speech synthesis with eSpeak NG: format, prosody knobs, determinism, errors."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.data.synthetic.speech import SAMPLE_RATE, Voice, speakable_text, synthesize

TEXT = "Well, I really do not know what to say about that."


def _rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))


def test_output_is_float32_mono_16k_and_plausible_length():
    audio = synthesize(TEXT, Voice())
    assert SAMPLE_RATE == 16_000
    assert audio.dtype == np.float32 and audio.ndim == 1
    seconds = audio.size / SAMPLE_RATE
    assert 1.5 < seconds < 6.0, seconds
    assert np.abs(audio).max() <= 1.0 and _rms(audio) > 0.01


def test_same_text_and_voice_give_identical_samples_whatever_came_before():
    voices = [Voice(variant="f3"), Voice(name="en", variant="m2", pitch=30), Voice(name="en-gb-scotland")]
    first = [synthesize(TEXT, voice) for voice in voices]
    for voice in reversed(voices):
        synthesize("Oh yes, absolutely wonderful news!", voice)
    again = [synthesize(TEXT, voice) for voice in voices]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)


def test_rate_changes_duration():
    slow = synthesize(TEXT, Voice(rate=120))
    fast = synthesize(TEXT, Voice(rate=280))
    assert fast.size < 0.7 * slow.size


def test_volume_changes_loudness():
    quiet = synthesize(TEXT, Voice(volume=40))
    loud = synthesize(TEXT, Voice(volume=160))
    assert _rms(loud) > 2.0 * _rms(quiet)


def _f0(audio: np.ndarray) -> np.ndarray:
    import librosa

    f0, voiced, _ = librosa.pyin(audio, fmin=60, fmax=500, sr=SAMPLE_RATE, frame_length=1024)
    return f0[voiced]


def test_pitch_and_range_change_fundamental_frequency():
    low = _f0(synthesize(TEXT, Voice(pitch=20, pitch_range=50)))
    high = _f0(synthesize(TEXT, Voice(pitch=85, pitch_range=50)))
    assert np.median(high) > 1.2 * np.median(low)
    flat = _f0(synthesize(TEXT, Voice(pitch=50, pitch_range=5)))
    lively = _f0(synthesize(TEXT, Voice(pitch=50, pitch_range=95)))
    assert np.std(lively) > 1.5 * np.std(flat)


def test_variants_change_the_timbre():
    female = synthesize(TEXT, Voice(variant="f2"))
    male = synthesize(TEXT, Voice(variant="m3"))
    assert female.size != male.size or not np.array_equal(female, male)


def test_tags_are_not_spoken():
    plain = synthesize("I am so happy", Voice())
    tagged = synthesize("[LAUGHTER] I am so happy [BREATHING]", Voice())
    np.testing.assert_array_equal(plain, tagged)
    assert speakable_text("[LAUGHTER]  hi   there ") == "hi there"


@pytest.mark.parametrize("text", ["", "   ", "[LAUGHTER]", "[BREATHING] [LAUGHTER]", "...!?"])
def test_unspeakable_text_raises_value_error(text):
    with pytest.raises(ValueError, match="nothing to speak"):
        synthesize(text, Voice())


@pytest.mark.parametrize(
    "kwargs", [{"pitch": 101}, {"pitch_range": -1}, {"rate": 20}, {"volume": 300}, {"variant": "klatt2"}]
)
def test_out_of_range_voice_is_refused(kwargs):
    with pytest.raises(ValueError):
        Voice(**kwargs)


def test_unknown_voice_raises_value_error():
    with pytest.raises(ValueError, match="no voice"):
        synthesize("hello", Voice(name="xx-not-a-voice"))
