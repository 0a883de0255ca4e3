"""MVSA corpus facts and linear-probe reference scores (``data stats`` / ``data probe``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from course_lib.data.diagnostics.linear import LOGISTIC_CS
from course_lib.data.diagnostics.mvsa import HUE_BINS, RGB_BINS, image_statistics, mvsa_probe, mvsa_stats
from course_lib.data.records import MVSA_CLASSES
from course_lib.data.synthetic.mvsa_gen import write_mvsa_corpus


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("mvsa_diagnostics")
    return out, write_mvsa_corpus(out, "tiny", seed=0, progress=False)


def test_image_statistics_describe_colour_and_brightness(tmp_path):
    paths = {}
    for name, colour in (("bright", (250, 200, 60)), ("dark", (20, 30, 90))):
        paths[name] = tmp_path / f"{name}.jpg"
        Image.new("RGB", (64, 64), colour).save(paths[name])
    bright, dark = image_statistics(paths["bright"]), image_statistics(paths["dark"])
    assert bright.shape == (RGB_BINS**3 + HUE_BINS + 4,)
    assert bright[: RGB_BINS**3].sum() == pytest.approx(1.0)
    assert bright[-2] > 0.9 and dark[-2] < 0.5  # mean brightness (V)


@pytest.mark.parametrize(("variant", "name"), [("single", "MVSA_Single"), ("multiple", "MVSA")])
def test_stats_match_the_generator_summary(tiny, variant, name):
    out, summary = tiny
    stats = mvsa_stats(out, variant)
    expected = summary[name]["expected"]
    assert stats["posts"] == expected["kept"] == sum(stats["splits"].values())
    assert stats["class_counts"] == {c: expected[c] for c in MVSA_CLASSES}
    assert sum(stats["class_shares"].values()) == pytest.approx(1.0, abs=1e-3)
    assert stats["latin1_share"] == pytest.approx(expected["latin1_texts"] / expected["kept"], abs=1e-4)
    assert stats["broken_images"] == expected["broken_image"]
    assert stats["dropped"]["conflicting"] == expected["conflicting"]
    truth = stats["ground_truth"]
    assert sum(truth["kept_informative_cue_shares"].values()) == pytest.approx(1.0, abs=1e-3)
    assert (
        truth["latent_shares"]["positive"]
        > truth["latent_shares"]["negative"]
        > truth["latent_shares"]["neutral"]
    )


def test_probe_scores_every_view_and_the_oracle_ceiling(tiny):
    result = mvsa_probe(tiny[0], "single")
    assert set(result) == {"valid", "test"}
    for split in ("valid", "test"):
        assert set(result[split]) == {"text", "image", "fused", "oracle"}
        for figures in result[split].values():
            assert figures["C"] in LOGISTIC_CS
            assert all(0.0 <= figures[k] <= 1.0 for k in ("accuracy", "weighted_f1", "macro_f1"))
    assert result["test"]["oracle"]["weighted_f1"] > 0.85
    assert result["test"]["oracle"]["weighted_f1"] >= max(
        result["test"][v]["weighted_f1"] for v in ("text", "image")
    )


def test_real_data_without_ground_truth_has_no_oracle(tiny, tmp_path):
    copy = shutil.copytree(tiny[0] / "MVSA_Single", tmp_path / "MVSA_Single")
    (copy / "ground_truth.csv").unlink()
    assert mvsa_stats(copy, "single")["ground_truth"] is None
    result = mvsa_probe(tmp_path, "single")
    assert set(result["test"]) == {"text", "image", "fused"}
    assert np.isfinite(result["test"]["fused"]["weighted_f1"])
