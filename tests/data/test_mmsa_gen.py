"""MOSI-like corpus writer: format, round trip through the loader, determinism, signal."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from course_lib.data import mmsa
from course_lib.data.synthetic import mmsa_gen
from course_lib.data.synthetic.mmsa_gen import ACTION_UNITS, audio_features, write_mmsa_corpus

pytest.importorskip("espeakng_loader")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("mmsa")
    return out, write_mmsa_corpus(out, "tiny", seed=5, progress=False)


def test_files_round_trip_with_documented_counts_and_shapes(tiny):
    out, summary = tiny
    for name, (ta, tv) in (("aligned_50.pkl", (50, 50)), ("unaligned_50.pkl", (500, 375))):
        report = mmsa.MMSAReport()
        arrays = mmsa.load_arrays(out / "MOSI" / name, report)
        assert report.samples == summary["segments"]
        for split, n in summary["segments"].items():
            part = arrays[split]
            assert part["text_bert"].shape == (n, 3, 50)
            assert part["audio"].shape == (n, ta, 5) and part["vision"].shape == (n, tv, 20)
            assert ("audio_lengths" in part) == (name == "unaligned_50.pkl")
            assert all(i.count("$_$") == 1 for i in part["id"])
            assert np.isfinite(part["audio"]).all()
        if name == "unaligned_50.pkl":
            assert report.total_nonfinite == summary["unaligned_audio_neg_inf"] > 0
    assert 60 <= sum(summary["segments"].values()) <= 300
    assert summary["videos"] == {"train": 7, "valid": 2, "test": 3}


def test_split_is_by_video_and_labels_are_annotator_means(tiny):
    samples = mmsa.load(tiny[0] / "MOSI" / "unaligned_50.pkl")
    videos = {split: {s.video_id for s in items} for split, items in samples.items()}
    assert not (videos["train"] & videos["test"] or videos["train"] & videos["valid"])
    labels = np.array([s.label for items in samples.values() for s in items])
    assert labels.min() >= -3 and labels.max() <= 3
    assert np.allclose(labels * 3, np.rint(labels * 3), atol=1e-3)
    for s in samples["train"]:
        assert s.annotation == mmsa.annotation_of(s.label)
        assert s.audio.shape[0] <= 500 and s.audio.shape[0] > 50
        tokens = s.text_bert[0][s.text_bert[1] == 1]
        assert tokens[0] == 101 and tokens[-1] == 102 and len(s.raw_text.split()) <= len(tokens) - 2


def test_aligned_features_sit_on_word_tokens(tiny):
    arrays = mmsa.load_arrays(tiny[0] / "MOSI" / "aligned_50.pkl")["train"]
    mask = arrays["text_bert"][:, 1]
    content = mask.copy()
    content[:, 0] = 0
    content[np.arange(len(mask)), mask.sum(axis=1) - 1] = 0  # [SEP]
    nonzero = np.abs(arrays["vision"]).sum(axis=2) > 0
    assert not nonzero[content == 0].any()
    assert nonzero[content == 1].mean() > 0.95


def test_same_seed_gives_identical_bytes(tiny, tmp_path):
    out, summary = tiny
    again = write_mmsa_corpus(tmp_path, "tiny", seed=5, progress=False)
    assert again == summary
    for corpus in ("MOSI", "MOSEI"):
        for name in ("aligned_50.pkl", "unaligned_50.pkl", "ground_truth.json"):
            assert (tmp_path / corpus / name).read_bytes() == (out / corpus / name).read_bytes(), name


def test_mosei_like_files_have_mosei_dimensions(tiny):
    out, summary = tiny
    report = mmsa.MMSAReport()
    aligned = mmsa.load_arrays(out / "MOSEI" / "aligned_50.pkl")
    samples = mmsa.load(out / "MOSEI" / "unaligned_50.pkl", report)
    assert {k: len(v) for k, v in samples.items()} == summary["MOSEI"]["segments"]
    assert aligned["train"]["audio"].shape[1:] == (50, 74) and aligned["train"]["vision"].shape[1:] == (
        50,
        35,
    )
    first = samples["train"][0]
    assert first.audio.shape[1] == 74 and first.vision.shape[1] == 35
    assert report.total_nonfinite == summary["MOSEI"]["unaligned_audio_neg_inf"] > 0
    mosi_videos = {s.video_id for items in mmsa.load(out / "MOSI" / "aligned_50.pkl").values() for s in items}
    assert not mosi_videos & {s.video_id for items in samples.values() for s in items}


def test_faces_and_voices_follow_the_sentiment(tiny):
    samples = [s for items in mmsa.load(tiny[0] / "MOSI" / "unaligned_50.pkl").values() for s in items]
    labels = np.array([s.label for s in samples])
    smile = np.array(
        [
            s.vision[:, ACTION_UNITS.index("AU12")].mean() - s.vision[:, ACTION_UNITS.index("AU04")].mean()
            for s in samples
        ]
    )
    assert np.corrcoef(smile, labels)[0, 1] > 0.2


def test_ground_truth_explains_labels_with_personal_bias(tiny):
    truth = json.loads((tiny[0] / "MOSI" / "ground_truth.json").read_text())
    bias = {s["video_id"]: s["bias"] for s in truth["speakers"]}
    assert len(bias) == 12 and np.std(list(bias.values())) > 0.2
    for segment in truth["segments"]:
        expected = np.clip(segment["z"] + bias[segment["id"].split("$_$")[0]], -3, 3)
        assert segment["y"] == pytest.approx(expected, abs=1e-3)


def test_74d_audio_features_extend_the_5d_ones():
    rng = np.random.default_rng(0)
    signal = np.concatenate(
        [np.zeros(800), 0.3 * np.sin(2 * np.pi * 150 * np.arange(8000) / 16000), 0.05 * rng.normal(size=4000)]
    ).astype(np.float32)
    full = mmsa_gen.audio_features_74(signal)
    assert full.shape == (1 + len(signal) // 160, 74)
    np.testing.assert_array_equal(full[:, :5], audio_features(signal))
    assert np.isfinite(full[:, 5:]).all()
    tone, noise = full[20:60], full[-20:-5]
    assert tone[:, 7].mean() < noise[:, 7].mean()  # spectral flatness: tone is peaky, noise is flat
    assert tone[:, 6].mean() < noise[:, 6].mean()  # centroid


def test_audio_features_of_a_tone_and_silence():
    rate = 16000
    t = np.arange(rate) / rate
    tone = 0.5 * np.sin(2 * np.pi * 200 * t)
    signal = np.concatenate([np.zeros(rate // 2), tone]).astype(np.float32)
    feats = audio_features(signal)
    assert feats.shape == (1 + len(signal) // 160, 5)
    middle = feats[80:140]
    assert np.allclose(middle[:, 0], 200, rtol=0.02) and (middle[:, 1] > 0.9).all()
    assert np.isneginf(feats[:20, 2]).all() and (feats[:20, [0, 1, 3, 4]] == 0).all()
    assert np.allclose(middle[:, 2], 20 * np.log10(0.5 / np.sqrt(2)), atol=0.3)
    assert (middle[:, 4] > 0).all()


def test_make_segment_text_is_lowercase_and_carries_sign():
    rng = np.random.default_rng(0)
    positive = " ".join(mmsa_gen.make_segment_text(rng, 2.8, True) for _ in range(30))
    negative = " ".join(mmsa_gen.make_segment_text(rng, -2.8, True) for _ in range(30))
    assert positive == positive.lower()
    cues_pos = sum(positive.count(w) for w in ("amazing", "brilliant", "fantastic", "masterpiece", "great"))
    cues_neg = sum(negative.count(w) for w in ("amazing", "brilliant", "fantastic", "masterpiece", "great"))
    assert cues_pos > cues_neg


def test_unknown_preset_is_refused(tmp_path):
    with pytest.raises(ValueError, match="preset"):
        write_mmsa_corpus(tmp_path, "medium", seed=0)
