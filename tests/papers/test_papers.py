"""The papers as data: tables, derived weighted F1, claims and the comparison record."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.papers import PaperTable, claims_frame, compare, derived_weighted_f1, femia


def test_femia_tables_hold_the_printed_values():
    assert femia.TEXT_TABLE.row("BiLSTM")["exc"] == 0.47
    assert femia.AUDIO_TABLE.row("MEL")["hap"] == 0.0
    assert femia.FUSION_TABLE.row("Concat (cw)")["exc"] == 0.55
    assert femia.FUSION_TABLE.frame().shape == (6, 6)
    with pytest.raises(KeyError, match="no row"):
        femia.TEXT_TABLE.row("GPT")


def test_derived_weighted_f1_by_hand():
    by_hand = (0.37 * 384 + 0.43 * 381 + 0.44 * 170 + 0.46 * 245 + 0.15 * 144 + 0.47 * 299) / 1623
    assert femia.DERIVED_WEIGHTED_F1["BiLSTM"] == pytest.approx(by_hand, abs=1e-4)
    assert derived_weighted_f1({"a": 1.0, "b": 0.0}, {"a": 3, "b": 1}) == 0.75
    with pytest.raises(ValueError, match="support"):
        derived_weighted_f1({"a": 1.0}, {})


def test_femia_claims_carry_the_paper_gaps():
    claims = femia.PAPER.claims
    assert claims["fusion_beats_text"].paper_value == pytest.approx(0.4415 - 0.4037, abs=1e-3)
    assert (
        claims["cross_attention_below_text"].paper_value < 0 < claims["add_beats_cross_attention"].paper_value
    )
    assert claims["context_helps"].paper_value is None
    assert all(claim.direction in ("greater", "less", "similar") for claim in claims.values())


def test_a_table_row_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="row 'x' has 1 values"):
        PaperTable("Table 9", "", ("a", "b"), {"x": (0.1,)})


def test_compare_returns_the_claim_record_and_claims_frame_renders_it():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 6, 400)
    fused = np.where(rng.random(400) < 0.7, truth, rng.integers(0, 6, 400))
    text = np.where(rng.random(400) < 0.4, truth, rng.integers(0, 6, 400))
    record = compare(femia.PAPER.claim("fusion_beats_text"), truth, fused, text, n_resamples=200)
    assert set(record) >= {"claim", "paper", "observed", "ci_low", "ci_high", "verdict"}
    assert record["verdict"] == "holds" and record["ci_low"] > 0
    backwards = compare(femia.PAPER.claim("fusion_beats_text"), truth, text, fused, n_resamples=200)
    assert backwards["verdict"] == "does not hold"
    table = claims_frame([record, backwards])
    assert list(table.columns) == ["claim", "paper", "observed", "95% CI", "verdict"]
    assert table.loc[0, "paper"] == f"{femia.CLAIMS['fusion_beats_text'].paper_value:+.3f}"


def test_beside_paper_puts_our_rows_under_the_papers():
    from course_lib.papers import beside_paper

    ours = {"add (ours)": {**{c: 0.5 for c in femia.CLASSES}, "weighted": 0.5}}
    table = beside_paper(femia.FUSION_TABLE, ours, {"add (ours)": "Add (cw)"}, femia.TEST_SUPPORTS)
    assert list(table.index.get_level_values("source")) == ["paper (Table 4: Add (cw))", "ours"]
    assert table.iloc[0]["exc"] == 0.52 and table.iloc[1]["exc"] == 0.5
    assert table.iloc[0]["weighted (paper: derived)"] == pytest.approx(
        femia.DERIVED_WEIGHTED_F1["Add (cw)"], abs=1e-4
    )


def test_class_margin_is_negative_when_the_class_is_the_worst():
    truth = np.repeat(np.arange(6), 10)
    pred = truth.copy()
    pred[truth == 4] = 0  # hap never right
    assert femia.class_margin("hap")(truth, pred) < 0
    assert femia.class_margin("sad")(truth, pred) > 0
