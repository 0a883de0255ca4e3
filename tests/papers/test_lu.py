"""The personalisation paper as data, and claims on per-unit scores."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.papers import compare_values, lu


@pytest.mark.parametrize("table", [lu.BASELINE_TABLE, lu.FS_UA_TABLE])
def test_printed_averages_match_the_users_rows(table):
    """A check of the transcription: each Avg row is the mean of the ten users, to the printed precision."""
    users = np.array([table.rows[u] for u in lu.USERS])
    np.testing.assert_allclose(users.mean(0), table.rows["Avg"], atol=0.011)


def test_table_3_repeats_tables_1_and_2_and_claims_carry_its_gaps():
    assert lu.SUMMARY_TABLE.rows["Baseline"] == lu.BASELINE_TABLE.rows["Avg"]
    assert lu.SUMMARY_TABLE.rows["FS-UA"] == lu.FS_UA_TABLE.rows["Avg"]
    assert lu.FS_UA_TABLE.row("3")["acc2"] == 0.39
    assert lu.CLAIMS["kd_beats_baseline_mae"].paper_value == pytest.approx(-0.05)
    assert lu.CLAIMS["kd_beats_baseline_acc2"].paper_value == pytest.approx(0.04)
    assert lu.PAPER.claim("kd_beats_fs_ua").direction == "less"
    assert set(lu.METHOD_ROWS.values()) == set(lu.SUMMARY_TABLE.rows)


def test_compare_values_bootstraps_units():
    claim = lu.CLAIMS["kd_beats_baseline_mae"]
    a = np.array([0.8, 0.7, 0.9, 0.6, 0.75, 0.85])
    record = compare_values(claim, a, a + 0.2, n_resamples=300)
    assert record["observed"] == pytest.approx(-0.2)
    assert record["ci_low"] == pytest.approx(-0.2) and record["ci_high"] == pytest.approx(-0.2)
    assert record["verdict"] == "holds" and record["paper"] == pytest.approx(-0.05)
    noisy = compare_values(claim, a, a[::-1], n_resamples=300)
    assert noisy["ci_low"] < 0 < noisy["ci_high"] and noisy["verdict"] == "inconclusive"
    with_nan = compare_values(claim, [np.nan, 0.5, 0.7], [0.6, 0.6, 0.8], n_resamples=200)
    assert with_nan["observed"] == pytest.approx(0.6 - 2.0 / 3.0)
    with pytest.raises(ValueError, match="same units"):
        compare_values(claim, a, a[:3])
