"""Audio features: shapes, backend agreement, statistics, crop/pad and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

from course_lib.features import audio as A

SR = 16_000
CONFIG = A.FrequencyConfig()


@pytest.mark.parametrize("kind", A.KINDS)
@pytest.mark.parametrize("backend", A.BACKENDS)
def test_frequency_feature_shapes(make_tone, kind, backend):
    waves = [make_tone(1.0), make_tone(0.37)]
    feats = A.frequency_features(waves, kind, CONFIG, backend=backend)
    rows = CONFIG.n_features(kind)
    assert [f.shape for f in feats] == [(rows, 1 + 16000 // 160), (rows, 1 + len(waves[1]) // 160)]
    assert all(f.dtype == np.float32 and np.isfinite(f).all() for f in feats)


@pytest.mark.parametrize("kind,atol", [("mfcc", 2e-3), ("logmel", 1e-3), ("mel", 1e-6), ("chroma", 1e-4)])
def test_librosa_and_torchaudio_agree(make_tone, kind, atol):
    waves = [make_tone(1.2, 180), make_tone(0.61, 300, seed=3)]
    reference = [A.librosa_features(w, kind, CONFIG) for w in waves]
    batched = A.frequency_features(waves, kind, CONFIG, backend="torchaudio")
    for ref, out in zip(reference, batched):
        np.testing.assert_allclose(out, ref, atol=atol, rtol=1e-4)


def test_mel_is_the_power_mel_spectrogram_whose_db_is_logmel(make_tone):
    wav = make_tone(0.7, 220)
    mel = A.frequency_features([wav], "mel")[0]
    logmel = A.frequency_features([wav], "logmel")[0]
    assert (mel >= 0).all()
    np.testing.assert_allclose(10 * np.log10(np.maximum(mel, 1e-10)), logmel, atol=1e-3)


def test_chroma_window_resolves_the_pitch_class_of_a_low_voice(make_tone):
    """A 110 Hz tone (A2) lands on chroma bin A with the 128 ms window; 25 ms bins (40 Hz) cannot say so."""
    tone = make_tone(1.0, 110)
    chroma = A.frequency_features([tone], "chroma")[0]
    assert CONFIG.fft_size("chroma") == 2048 and CONFIG.fft_size("mfcc") == 400
    assert chroma.shape[1] == 1 + len(tone) // 160, "same frames as the other kinds"
    a_bin = 9  # librosa's chroma starts at C: C C# D D# E F F# G G# A
    assert np.argmax(chroma.mean(axis=1)) == a_bin
    coarse = A.frequency_features([tone], "chroma", A.FrequencyConfig(chroma_n_fft=400))[0]
    assert np.argmax(coarse.mean(axis=1)) != a_bin


def test_backends_agree_with_other_parameters(make_tone):
    config = A.FrequencyConfig(n_fft=512, hop_length=256, n_mels=40, n_mfcc=13, f_min=50.0, f_max=7000.0)
    wav = make_tone(0.8, 250)
    ref = A.librosa_features(wav, "mfcc", config)
    out = A.frequency_features([wav], "mfcc", config)[0]
    assert out.shape == (13, 1 + len(wav) // 256)
    np.testing.assert_allclose(out, ref, atol=2e-3, rtol=1e-4)


def test_batched_output_does_not_depend_on_batch_partners(make_tone):
    wav = make_tone(0.5)
    alone = A.frequency_features([wav], "logmel")[0]
    together = A.frequency_features([make_tone(2.0, 400), wav], "logmel")[1]
    np.testing.assert_allclose(alone, together, atol=1e-4)


def test_statistics_match_librosa(make_tone):
    import librosa

    wav = make_tone(1.0, 200)
    stats = A.frame_statistics(wav)
    assert set(stats) == set(A.STAT_NAMES)
    rms = librosa.feature.rms(y=wav, frame_length=400, hop_length=160, center=True, pad_mode="constant")[0]
    centroid = librosa.feature.spectral_centroid(
        y=wav, sr=SR, n_fft=400, hop_length=160, pad_mode="constant"
    )[0]
    np.testing.assert_allclose(stats["rms"].numpy(), rms, atol=1e-5)
    np.testing.assert_allclose(stats["centroid"].numpy(), centroid, rtol=1e-3, atol=0.5)
    assert stats["envelope"].max() <= np.abs(wav).max() + 1e-6
    assert 0 <= stats["zcr"].min() and stats["zcr"].max() <= 1


def test_statistics_on_handmade_signals():
    square = np.tile(np.r_[np.ones(8), -np.ones(8)], 200).astype(np.float32) * 0.5
    stats = A.frame_statistics(square)
    middle = {k: v[5].item() for k, v in stats.items()}
    assert middle["rms"] == pytest.approx(0.5, abs=1e-6)
    assert middle["envelope"] == pytest.approx(0.5)
    assert middle["zcr"] == pytest.approx(1 / 8, abs=0.01)  # one sign change every 8 samples
    assert middle["centroid"] > 1000  # a 1 kHz square wave with odd harmonics
    assert stats["flux"][0] == 0


def test_summaries_ignore_padding():
    frames = torch.tensor([[[1.0, 3.0, 100.0]], [[2.0, 2.0, 2.0]]])  # (B=2, F=1, T=3)
    out = A.summarize(frames, torch.tensor([2, 3]))
    np.testing.assert_allclose(out.numpy(), [[2.0, 1.0, 1.0, 3.0], [2.0, 0.0, 2.0, 2.0]])


def test_statistical_features_shapes(make_tone):
    frames, summaries = A.statistical_features([make_tone(0.5), make_tone(1.0)])
    assert frames[0].shape == (5, 1 + 8000 // 160) and frames[1].shape == (5, 101)
    assert summaries.shape == (2, 20) and np.isfinite(summaries).all()


def test_crop_or_pad():
    wav = np.arange(10, dtype=np.float32)
    np.testing.assert_array_equal(A.crop_or_pad(wav, 4, sample_rate=1), [0, 1, 2, 3])
    np.testing.assert_array_equal(A.crop_or_pad(wav, 12, sample_rate=1), [*range(10), 0, 0])
    crops = {tuple(A.crop_or_pad(wav, 4, 1, "random", np.random.default_rng(s))) for s in range(20)}
    assert len(crops) > 1 and all(np.diff(c).tolist() == [1, 1, 1] for c in crops)
    first = A.crop_or_pad(wav, 4, 1, "random", np.random.default_rng(7))
    np.testing.assert_array_equal(first, A.crop_or_pad(wav, 4, 1, "random", np.random.default_rng(7)))
    with pytest.raises(ValueError, match="mode"):
        A.crop_or_pad(wav, 4, 1, "middle")


def test_silent_audio_gives_finite_floor_features():
    silent = np.zeros(SR // 2, dtype=np.float32)
    logmel = A.frequency_features([silent], "logmel")[0]
    assert np.allclose(logmel, -100.0)
    stats = A.frame_statistics(silent)
    assert all(torch.isfinite(v).all() for v in stats.values())
    assert float(stats["centroid"].abs().max()) == 0.0
    chroma = A.frequency_features([silent], "chroma")[0]
    assert np.isfinite(chroma).all()


def test_too_short_audio_is_padded_to_one_frame():
    short = np.full(50, 0.1, dtype=np.float32)
    for backend in A.BACKENDS:
        out = A.frequency_features([short], "mfcc", backend=backend)[0]
        assert out.shape == (40, 1 + 400 // 160)


@pytest.mark.parametrize(
    "bad,match",
    [
        (np.array([0.1, np.nan, 0.2] * 200, dtype=np.float32), "NaN"),
        (np.zeros(0, dtype=np.float32), "empty"),
        (np.zeros((2, 100), dtype=np.float32), "mono"),
    ],
)
def test_bad_waveforms_are_refused(bad, match):
    with pytest.raises(A.BadAudioError, match=match):
        A.frequency_features([bad], "logmel")


def test_wrong_sample_rate_is_resampled_with_warning(tmp_path, make_tone):
    path = tmp_path / "at8k.wav"
    sf.write(path, make_tone(1.0)[::2], 8000)
    with pytest.warns(UserWarning, match="resampling from 8000"):
        wav = A.load_audio(path)
    assert len(wav) == SR and wav.dtype == np.float32
    with pytest.raises(A.BadAudioError, match="8000 Hz"):
        A.load_audio(path, on_rate_mismatch="error")


def test_load_audio_errors_name_the_file(tmp_path):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF0000WAVEjunk")
    with pytest.raises(A.BadAudioError, match="broken.wav"):
        A.load_audio(broken)
    nan_file = tmp_path / "nan.wav"
    sf.write(nan_file, np.array([0.0, np.nan, 0.1] * 100, dtype=np.float32), SR, subtype="FLOAT")
    with pytest.raises(A.BadAudioError, match="nan.wav.*NaN"):
        A.load_audio(nan_file)


def _bad_wav(path, kind: str) -> None:
    sf.write(path, np.full(1600, 0.1, np.float32), SR, subtype="PCM_16")
    data = path.read_bytes()
    if kind == "zero-length":
        path.write_bytes(b"")
    elif kind == "header-only":
        path.write_bytes(data[:44])
    elif kind == "truncated":
        path.write_bytes(data[: 44 + 1600])
    elif kind == "text-as-wav":
        path.write_text("this is a transcript, not audio\n", encoding="utf-8")
    else:
        sf.write(path, np.array([0.0, np.nan, 0.1] * 100, dtype=np.float32), SR, subtype="FLOAT")


@pytest.mark.parametrize(
    "kind, match",
    [
        ("zero-length", "cannot read audio"),
        ("header-only", "truncated wav: the header declares 3200 data bytes, the file holds 0"),
        ("truncated", "truncated wav: the header declares 3200 data bytes, the file holds 1600"),
        ("text-as-wav", "cannot read audio"),
        ("nan-samples", "NaN"),
    ],
)
def test_bad_wav_file_error_names_the_file(tmp_path, kind, match):
    path = tmp_path / f"{kind}.wav"
    _bad_wav(path, kind)
    with pytest.raises(A.BadAudioError, match=match) as error:
        A.load_audio(path)
    assert str(error.value).startswith(str(path))


def test_48_khz_wav_is_resampled_to_16_khz_with_a_warning(tmp_path, make_tone):
    path = tmp_path / "at48k.wav"
    sf.write(path, np.repeat(make_tone(0.5), 3), 48_000, subtype="FLOAT")
    with pytest.warns(UserWarning, match="at48k.wav: resampling from 48000 Hz to 16000 Hz"):
        wav = A.load_audio(path)
    assert len(wav) == SR // 2


def test_path_with_spaces_and_non_ascii_characters_is_read(tmp_path, make_tone):
    path = tmp_path / "dossier é 音声" / "tour 1 ñ.wav"
    path.parent.mkdir()
    sf.write(path, make_tone(0.25), SR, subtype="FLOAT")
    assert len(A.load_audio(path)) == SR // 4


def test_stereo_is_averaged(tmp_path, make_tone):
    left = make_tone(0.2)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, np.zeros_like(left)], axis=1), SR, subtype="FLOAT")
    np.testing.assert_allclose(A.load_audio(path), left / 2, atol=1e-6)


@pytest.mark.parametrize("kind", ["mfcc", "logmel", "chroma", "stats"])
def test_extractor_on_files(wav_files, kind):
    frames = A.AudioFeatures(kind=kind)(wav_files)
    width = 5 if kind == "stats" else CONFIG.n_features(kind)
    assert [f.shape for f in frames] == [(1 + n // 160, width) for n in (8000, 16000, 27200)]
    pooled = A.AudioFeatures(kind=kind, pooled="meanstd")(wav_files)
    assert all(p.shape == ((20,) if kind == "stats" else (2 * width,)) for p in pooled)
    assert all(p.dtype == np.float32 for p in pooled)


def test_extractor_crop_is_seeded_per_record(wav_files):
    extractor = A.AudioFeatures(kind="logmel", max_seconds=0.4, crop="random", seed=3)
    first, second = extractor(wav_files), extractor(wav_files)
    assert all(f.shape == (41, 64) for f in first)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    other_seed = A.AudioFeatures(kind="logmel", max_seconds=0.4, crop="random", seed=4)(wav_files)
    assert not np.array_equal(first[2], other_seed[2])
    assert not extractor.variable_length and A.AudioFeatures().variable_length


def test_extractor_config_ignores_device_but_not_parameters():
    base = A.AudioFeatures(kind="mfcc").config_dict()
    assert base == A.AudioFeatures(kind="mfcc", device="cuda").config_dict()
    assert base != A.AudioFeatures(kind="mfcc", config=A.FrequencyConfig(n_mfcc=13)).config_dict()


def test_unknown_kind_and_backend_are_refused():
    with pytest.raises(ValueError, match="kind"):
        A.AudioFeatures(kind="spectral")
    with pytest.raises(ValueError, match="backend"):
        A.frequency_features([np.ones(500, np.float32)], "mfcc", backend="scipy")


@pytest.mark.parametrize("backend", A.BACKENDS)
def test_extractor_frames_are_the_transposed_features(wav_files, backend):
    frames = A.AudioFeatures(kind="mfcc", backend=backend)(wav_files)
    direct = A.frequency_features([A.load_audio(p) for p in wav_files], "mfcc", backend=backend)
    for time_major, feature_major in zip(frames, direct):
        assert time_major.flags["C_CONTIGUOUS"]
        np.testing.assert_array_equal(time_major, feature_major.T)


def test_summary_table_and_backend_comparison(make_tone):
    waves = [make_tone(0.5, 200), make_tone(0.8, 300)]
    table = A.summary_table(waves)
    assert table.shape == (2, 20) and "std_rms" in table.columns
    agreement = A.compare_backends(waves, kinds=("mfcc", "chroma"))
    assert list(agreement.index) == ["mfcc", "chroma"]
    assert (agreement["relative to the largest value"] < 1e-3).all()
