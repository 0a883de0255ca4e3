"""Facts and probes of an IEMOCAP(-like) tree, on a very small generated corpus."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile

from course_lib.data.diagnostics.iemocap import ORACLE_LABEL, iemocap_probe, iemocap_stats, prosodic_features
from course_lib.data.records import IEMOCAP_CLASSES
from course_lib.data.synthetic.iemocap_gen import MANIFEST_NAME, IemocapParams, write_iemocap_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("diagnostics")
    params = IemocapParams(dialogues_per_session=2, turns_per_dialogue=(10, 12))
    write_iemocap_corpus(out, params=params, seed=1, progress=False)
    return out


def _manifest(out: Path) -> list[dict[str, str]]:
    with open(out / MANIFEST_NAME, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_stats_match_the_ground_truth(corpus):
    stats = iemocap_stats(corpus)
    rows = _manifest(corpus)
    durations = [float(r["end"]) - float(r["start"]) for r in rows]
    assert stats["turns"] == len(rows)
    assert stats["duration_s"]["mean"] == pytest.approx(np.mean(durations), abs=1e-3)
    assert stats["duration_s"]["q10"] <= stats["duration_s"]["q50"] <= stats["duration_s"]["q90"]
    assert stats["xxx_share"] == pytest.approx(np.mean([r["label"] == "xxx" for r in rows]))
    assert sum(stats["turns_per_speaker"].values()) == len(rows) and len(stats["turns_per_speaker"]) == 10
    assert set(stats["improvised_overlap"]) == {"valid", "test"}
    assert all(0 <= share <= 1 for share in stats["improvised_overlap"].values())
    assert stats["train_word_types"] > 100 and stats["tokens_per_turn"] > 3
    assert set(stats["full_scale_share"]) <= set(IEMOCAP_CLASSES)
    assert not any(stats["full_scale_share"].values())
    assert stats == iemocap_stats(corpus / "IEMOCAP_full_release")


def test_stats_count_turns_touching_full_scale(corpus, tmp_path):
    copy = tmp_path / "clipped"
    shutil.copytree(corpus, copy)
    row = next(r for r in _manifest(copy) if r["label"] == "ang")
    wav = (
        copy / "IEMOCAP_full_release" / f"Session{row['session']}" / "sentences" / "wav" / row["dialogue_id"]
    ) / f"{row['utterance_id']}.wav"
    audio, rate = soundfile.read(str(wav), dtype="float32")
    soundfile.write(str(wav), np.clip(audio * 10, -1, 1), rate, subtype="PCM_16")
    shares = iemocap_stats(copy)["full_scale_share"]
    assert shares["ang"] > 0 and not any(v for k, v in shares.items() if k != "ang")


def test_probe_scores_each_view_and_labels_the_oracle(corpus, tmp_path):
    result = iemocap_probe(corpus)
    for split in ("valid", "test"):
        assert set(result[split]) == {"text", "audio", "fused", "oracle"}
        assert all(0.0 <= value <= 1.0 for value in result[split].values())
    assert result["about"]["oracle"] == ORACLE_LABEL
    assert set(result["chosen"]) == {"text", "audio", "fused"} and "audio_weight" in result["chosen"]["fused"]
    shutil.copytree(corpus / "IEMOCAP_full_release", tmp_path / "IEMOCAP_full_release")
    without_truth = iemocap_probe(tmp_path)
    assert "oracle" not in without_truth["test"] and "oracle" not in without_truth["about"]
    assert without_truth["test"]["text"] == result["test"]["text"]


def test_prosodic_features_are_finite_for_speech_and_silence():
    rate = 16_000
    t = np.arange(rate) / rate
    tone = (0.3 * np.sin(2 * np.pi * 180 * t) * (t < 0.6)).astype(np.float32)
    for audio in (tone, np.zeros(rate, np.float32)):
        features = prosodic_features(audio, rate)
        assert features.shape == (20,) and np.isfinite(features).all()
    assert prosodic_features(tone, rate)[0] == pytest.approx(12 * np.log2(1.8), abs=0.5)
