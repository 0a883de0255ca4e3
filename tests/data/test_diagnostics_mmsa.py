"""MMSA corpus facts and linear-probe reference scores (``data stats`` / ``data probe``)."""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import numpy as np
import pytest

from course_lib.data.diagnostics.linear import LOGISTIC_CS, RIDGE_ALPHAS, fit_linear_probe
from course_lib.data.diagnostics.mmsa import mmsa_probe, mmsa_stats, pooled_frames
from course_lib.data.mmsa import MMSAFormatError

VIEWS = ("text", "audio", "vision", "fused")


def test_linear_probe_regression_and_classification_choose_on_validation():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 5))
    y = x @ np.array([1.0, -2.0, 0.5, 0.0, 0.0]) + rng.normal(0.0, 0.1, size=300)
    result = fit_linear_probe(x[:200], y[:200], x[200:250], y[200:250], x[250:], y[250:], kind="regression")
    assert set(result) == {"valid", "test", "regularisation"}
    assert result["regularisation"]["alpha"] in RIDGE_ALPHAS and result["test"]["mae"] < 0.2
    classes = np.where(x[:, 0] > 0, "positive", "negative")
    result = fit_linear_probe(x[:200], classes[:200], x[200:250], classes[200:250], x[250:], classes[250:])
    assert result["regularisation"]["C"] in LOGISTIC_CS and result["test"]["weighted_f1"] > 0.9
    with pytest.raises(ValueError, match="kind"):
        fit_linear_probe(x, y, x, y, x, y, kind="ranking")


def test_pooled_frames_skip_padding_and_non_finite_values():
    frames = np.array([[[1.0, -np.inf], [3.0, 2.0], [100.0, 100.0]]])
    pooled = pooled_frames(frames, np.array([[True, True, False]]))
    np.testing.assert_allclose(pooled, [[2.0, 2.0, 1.0, 0.0]])
    assert (pooled_frames(np.full((1, 2, 1), -np.inf), np.ones((1, 2), dtype=bool)) == 0).all()


def _toy_pickle(path: Path, offsets: list[float], seed: int = 0) -> Path:
    """Speakers whose labels are what their words say plus a personal offset."""
    rng = np.random.default_rng(seed)
    words = {-2.0: "awful", -1.0: "bad", 0.0: "fine", 1.0: "good", 2.0: "great"}
    content = {}
    for split, speakers in (("train", range(12)), ("valid", range(12, 15)), ("test", range(15, 18))):
        scores = rng.choice(list(words), size=12 * len(speakers))
        video = np.repeat(list(speakers), 12)
        labels = scores + np.array([offsets[v] for v in video]) + rng.normal(0.0, 0.2, size=len(scores))
        n = len(scores)
        content[split] = {
            "raw_text": [f"the movie was {words[s]} i think" for s in scores],
            "text_bert": np.ones((n, 3, 8), dtype=np.int64),
            "audio": rng.normal(size=(n, 8, 5)).astype(np.float32),
            "vision": rng.normal(size=(n, 8, 20)).astype(np.float32),
            "id": [f"video{v}$_${i}" for i, v in enumerate(video)],
            "regression_labels": np.clip(labels, -3, 3).astype(np.float32),
        }
    path.write_bytes(pickle.dumps(content, protocol=4))
    return path


def test_speaker_offset_estimate_finds_personal_offsets_and_their_absence(tmp_path):
    offsets = list(np.random.default_rng(1).normal(0.0, 0.8, size=18))
    biased = mmsa_stats(_toy_pickle(tmp_path / "biased.pkl", offsets))
    control = mmsa_stats(_toy_pickle(tmp_path / "control.pkl", [0.0] * 18))
    assert biased["speaker_offset"]["excess_std"] == pytest.approx(np.std(offsets), abs=0.25)
    assert control["speaker_offset"]["excess_std"] < 0.15
    assert control["clips"] == {"train": 144, "valid": 36, "test": 36}
    assert control["speakers_with_12_clips"] == 18 and control["ground_truth"] is None
    assert control["unimodal_labels"] is None


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, dict]:
    pytest.importorskip("espeakng_loader")
    from course_lib.data.synthetic.mmsa_gen import write_mmsa_corpus

    out = tmp_path_factory.mktemp("mmsa_diagnostics")
    return out, write_mmsa_corpus(out, "tiny", seed=0, progress=False, variants=("nobias",))


def test_stats_of_the_tiny_corpora(tiny):
    out, summary = tiny
    mosi = mmsa_stats(out / "MOSI" / "aligned_50.pkl")
    assert mosi["clips"] == summary["segments"] and mosi["speakers"] == summary["videos"]
    assert mosi["speakers_with_12_clips"] == 12 and mosi["clips_per_speaker"]["min"] >= 12
    assert mosi["label"]["mean"] == pytest.approx(summary["label_mean"], abs=1e-3)
    assert mosi["unimodal_labels"] is None and mosi["ground_truth"]["bias_std"] > 0.3
    control = mmsa_stats(out / "MOSI_nobias" / "aligned_50.pkl")
    assert control["ground_truth"]["bias_std"] == 0.0
    mosei = mmsa_stats(out / "MOSEI" / "unaligned_50.pkl")
    assert set(mosei["unimodal_labels"]) == {"T", "A", "V"}
    assert all(0.0 <= v["equal_share"] < 1.0 for v in mosei["unimodal_labels"].values())
    assert mosei["ground_truth"]["conflict_share"] == pytest.approx(
        summary["MOSEI"]["conflicts"] / sum(summary["MOSEI"]["segments"].values()), abs=1e-3
    )


@pytest.mark.parametrize("corpus", ["MOSI/aligned_50.pkl", "MOSEI/unaligned_50.pkl"])
def test_probe_scores_every_view_and_the_oracle_ceiling(tiny, corpus):
    result = mmsa_probe(tiny[0] / corpus)
    assert set(result) == {"valid", "test"}
    for split in ("valid", "test"):
        assert set(result[split]) == {*VIEWS, "oracle"}
        for figures in result[split].values():
            assert figures["alpha"] in RIDGE_ALPHAS and math.isfinite(figures["mae"])
    assert result["test"]["oracle"]["mae"] < min(result["test"][v]["mae"] for v in VIEWS)  # valid: 4 clips
    assert result["test"]["oracle"]["corr"] > 0.8


def test_probe_names_a_missing_key(tmp_path):
    path = _toy_pickle(tmp_path / "toy.pkl", [0.0] * 18)
    content = pickle.loads(path.read_bytes())
    del content["valid"]["vision"]
    path.write_bytes(pickle.dumps(content, protocol=4))
    with pytest.raises(MMSAFormatError, match="'valid'.*vision"):
        mmsa_probe(path)
