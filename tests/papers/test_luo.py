"""The Self-MM lesson's paper as data: its tables, inconsistencies and claims."""

from __future__ import annotations

import pytest

from course_lib.papers import luo, papers


def test_tables_hold_the_printed_values():
    assert luo.ABLATION_TABLE.row("t+a+v") == {"mae": 0.588, "corr": 0.734, "acc2": 0.745, "f1": 0.751}
    assert luo.COMPARISON_TABLE.row("SVM") == luo.ABLATION_TABLE.row("t+a+v")
    assert list(luo.ABLATION_TABLE.rows) == list(luo.SUBSETS)
    for table in (luo.BATCH_TABLE, luo.LR_TABLE, luo.HIDDEN_TABLE):
        chosen = min(table.rows, key=lambda row: table.rows[row][0])
        assert table.row(chosen) == {"mae": 0.563, "corr": 0.751, "acc2": 0.852, "f1": 0.850}


def test_the_corr_inconsistency_is_in_the_numbers():
    assert luo.COMPARISON_TABLE.row("Ours")["corr"] == 0.726
    assert luo.BATCH_TABLE.row("64")["corr"] == 0.751
    assert set(luo.MODEL_ROWS.values()) <= set(luo.COMPARISON_TABLE.rows)


def test_claims_carry_the_paper_gaps_and_the_paper_key():
    assert luo.CLAIMS["selfmm_beats_svm"].paper_value == pytest.approx(-0.053)
    assert luo.CLAIMS["vision_beats_audio"].paper_value == pytest.approx(0.816 - 0.953)
    assert all(c.paper_key == "luo" for c in [*luo.CLAIMS.values(), *luo.COURSE_QUESTIONS.values()])
    assert all(c.direction in ("greater", "less", "similar") for c in luo.CLAIMS.values())
    assert papers()["luo"] is luo.PAPER
