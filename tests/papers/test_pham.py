"""The Seq2Seq2Sentiment slides as data."""

from __future__ import annotations

import pytest

from course_lib.papers import papers, pham


def test_tables_transcribed_with_six_columns_and_the_claims_carry_their_gaps():
    assert pham.BIMODAL_TABLE.row("T -> V")["f1_2"] == 0.67
    assert pham.TRIMODAL_TABLE.row("concat(T+V+A)")["f1_7"] == 0.24
    assert len(pham.TRIMODAL_TABLE.rows) == 14 and len(pham.BIMODAL_TABLE.rows) == 9
    assert pham.CLAIMS["seq2seq_beats_concat"].paper_value == pytest.approx(
        pham.BIMODAL_TABLE.row("T -> A")["f1_2"] - pham.BIMODAL_TABLE.row("concat(T+A)")["f1_2"]
    )
    assert pham.CLAIMS["hierarchical_no_help"].direction == "less"
    assert all(c.paper_key == "pham" for c in [*pham.CLAIMS.values(), *pham.COURSE_QUESTIONS.values()])


def test_registered():
    assert papers()["pham"] is pham.PAPER
