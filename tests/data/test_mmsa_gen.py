"""MOSI-like corpus writer: format, round trip through the loader, determinism, signal."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from course_lib.data import mmsa
from course_lib.data.synthetic import mmsa_gen
from course_lib.data.synthetic.mmsa_gen import ACTION_UNITS, MMSAPreset, audio_features, write_mmsa_corpus

pytest.importorskip("espeakng_loader")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("mmsa")
    return out, write_mmsa_corpus(out, "tiny", seed=5, progress=False, variants=("nobias",))


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
    assert 144 <= sum(summary["segments"].values()) <= 192
    assert summary["videos"] == {"train": 6, "valid": 2, "test": 4}


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
    again = write_mmsa_corpus(tmp_path, "tiny", seed=5, progress=False, variants=("nobias",))
    assert again == summary
    for corpus in ("MOSI", "MOSEI", "MOSI_nobias"):
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
    speakers = {s["video_id"]: s for s in truth["speakers"]}
    assert len(speakers) == 12 and np.std([s["bias"] for s in speakers.values()]) > 0.2
    for segment in truth["segments"]:
        speaker = speakers[segment["id"].split("$_$")[0]]
        expected = np.clip(speaker["expressiveness"] * segment["z"] + speaker["bias"], -3, 3)
        assert segment["y"] == pytest.approx(expected, abs=1e-3)
        assert segment["y_M"] == segment["y"] == segment["y_A"] == segment["y_V"]  # MOSI: no conflict


def test_tiny_mosi_has_enough_clips_per_speaker_for_five_shot(tiny):
    samples = mmsa.load(tiny[0] / "MOSI" / "aligned_50.pkl")
    per_speaker = Counter(s.video_id for items in samples.values() for s in items)
    assert len(per_speaker) == 12 and min(per_speaker.values()) >= 12
    assert len({s.video_id for s in samples["test"]}) == 4


def test_nobias_variant_has_the_same_segments_without_speaker_bias(tiny):
    out = tiny[0]
    plain = mmsa.load_arrays(out / "MOSI" / "aligned_50.pkl")
    control = mmsa.load_arrays(out / "MOSI_nobias" / "aligned_50.pkl")
    for split in ("train", "valid", "test"):
        assert plain[split]["id"] == control[split]["id"]
        assert plain[split]["raw_text"] == control[split]["raw_text"]
    truth = json.loads((out / "MOSI_nobias" / "ground_truth.json").read_text())
    assert truth["params"]["speaker_bias_std"] == truth["params"]["expressiveness_log_std"] == 0.0
    assert all(s["bias"] == 0.0 and s["expressiveness"] == 1.0 for s in truth["speakers"])


def test_mosei_writes_unimodal_labels_and_conflicts(tiny):
    out, summary = tiny
    samples = [s for items in mmsa.load(out / "MOSEI" / "aligned_50.pkl").values() for s in items]
    truth = {s["id"]: s for s in json.loads((out / "MOSEI" / "ground_truth.json").read_text())["segments"]}
    assert summary["MOSEI"]["conflicts"] == sum(t["conflict"] is not None for t in truth.values()) > 0
    for sample in samples:
        assert set(sample.unimodal_labels) == {"T", "A", "V"}
        assert sample.unimodal_labels == pytest.approx(truth[sample.id]["unimodal_labels"], abs=1e-6)
        assert sample.label == pytest.approx(truth[sample.id]["label"], abs=1e-6)
        conflict = truth[sample.id]["conflict"]
        if conflict is not None:
            assert truth[sample.id][f"y_{conflict['modality']}"] == conflict["value"]
    assert mmsa.load(out / "MOSI" / "aligned_50.pkl")["train"][0].unimodal_labels is None


_SMALL = MMSAPreset(
    videos=6,
    segments=(5, 5),
    split=(4, 1, 1),
    uninformative_text=0.0,
    speaker_bias_std=0.0,
    expressiveness_log_std=0.0,
    label_weights=(0.6, 0.25, 0.15),
    write_unimodal_labels=True,
)


@pytest.fixture(scope="module")
def knobs(tmp_path_factory) -> Path:
    """Small corpora on the same segments: every knob off, then one knob on at a time."""
    out = tmp_path_factory.mktemp("knobs")
    corpora = {
        "MOSI_control": _SMALL,
        "MOSI_conflict": replace(_SMALL, modality_conflict=1.0),
        "MOSI_bias": replace(_SMALL, speaker_bias_std=0.7, label_weights=None),
        "MOSI_expressive": replace(_SMALL, expressiveness_log_std=0.6),
    }
    write_mmsa_corpus(out, "tiny", seed=2, progress=False, corpora=corpora)
    return out


def _labels(root: Path) -> dict[str, np.ndarray]:
    arrays = mmsa.load_arrays(root / "aligned_50.pkl")
    keys = ("regression_labels", "regression_labels_T", "regression_labels_A", "regression_labels_V")
    return {key: np.concatenate([arrays[s][key] for s in ("train", "valid", "test")]) for key in keys}


def _truth(root: Path) -> tuple[dict, list[dict]]:
    truth = json.loads((root / "ground_truth.json").read_text())
    return {s["video_id"]: s for s in truth["speakers"]}, truth["segments"]


def test_without_conflict_unimodal_labels_equal_the_multimodal_one(knobs):
    control, conflict = _labels(knobs / "MOSI_control"), _labels(knobs / "MOSI_conflict")
    for m in "TAV":
        np.testing.assert_array_equal(control[f"regression_labels_{m}"], control["regression_labels"])
    np.testing.assert_array_equal(conflict["regression_labels_T"], control["regression_labels_T"])
    differs = (conflict["regression_labels_A"] != conflict["regression_labels"]) | (
        conflict["regression_labels_V"] != conflict["regression_labels"]
    )
    assert differs.mean() > 0.5


def test_bias_knob_sets_the_per_speaker_offset(knobs):
    offsets = {}
    for name in ("MOSI_control", "MOSI_bias"):
        speakers, segments = _truth(knobs / name)
        residual: dict[str, list[float]] = {}
        for s in segments:
            residual.setdefault(s["id"].split("$_$")[0], []).append(s["label"] - s["z"])
        offsets[name] = {v: float(np.mean(r)) for v, r in residual.items()}
        true_bias = [speakers[v]["bias"] for v in offsets[name]]
    assert max(abs(v) for v in offsets["MOSI_control"].values()) < 0.4
    assert np.corrcoef(list(offsets["MOSI_bias"].values()), true_bias)[0, 1] > 0.8


def test_expressiveness_knob_scales_the_labels(knobs):
    _, control = _truth(knobs / "MOSI_control")
    speakers, expressive = _truth(knobs / "MOSI_expressive")
    assert {s["expressiveness"] for s in _truth(knobs / "MOSI_control")[0].values()} == {1.0}
    assert [s["z"] for s in control] == [s["z"] for s in expressive]
    for video, speaker in speakers.items():
        own = [i for i, s in enumerate(expressive) if s["id"].startswith(video + "$_$")]
        wider = np.mean([abs(expressive[i]["y"]) for i in own]) - np.mean([abs(control[i]["y"]) for i in own])
        assert np.sign(wider) == np.sign(speaker["expressiveness"] - 1.0), video


def test_unknown_variant_or_corpus_folder_is_refused(tmp_path):
    with pytest.raises(ValueError, match="variant"):
        write_mmsa_corpus(tmp_path, "tiny", seed=0, variants=("noise",))
    with pytest.raises(ValueError, match="folder"):
        write_mmsa_corpus(tmp_path, "tiny", seed=0, corpora={"SIMS": _SMALL})


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
