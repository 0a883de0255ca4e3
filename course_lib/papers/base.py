"""Building blocks of the ``papers`` modules: a table, a paper, a claim and the comparison record."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from course_lib.stats import Metric, paired_bootstrap, verdict


@dataclass(frozen=True)
class PaperTable:
    """A table of a paper, verbatim numbers with their source.

    Attributes:
        source: Where it is in the paper, e.g. ``"Table 2"``.
        caption: What it reports, in our words.
        columns: Column names (e.g. class labels).
        rows: Row name -> values, in column order (None where the paper has no value).
    """

    source: str
    caption: str
    columns: tuple[str, ...]
    rows: Mapping[str, tuple[float | None, ...]]

    def __post_init__(self) -> None:
        for name, values in self.rows.items():
            if len(values) != len(self.columns):
                raise ValueError(
                    f"{self.source}: row {name!r} has {len(values)} values for {len(self.columns)} columns"
                )

    def row(self, name: str) -> dict[str, float | None]:
        """One row as column -> value."""
        if name not in self.rows:
            raise KeyError(f"{self.source} has no row {name!r}; rows: {list(self.rows)}")
        return dict(zip(self.columns, self.rows[name]))

    def frame(self) -> Any:
        """The table as a pandas DataFrame (rows x columns)."""
        import pandas as pd

        return pd.DataFrame.from_dict(dict(self.rows), orient="index", columns=list(self.columns))


@dataclass(frozen=True)
class Claim:
    """A statement of a paper that a lesson tests.

    Attributes:
        key: Short identifier, e.g. ``"fusion_beats_text"``.
        text: The claim in our words.
        source: Where the paper makes or supports it.
        direction: ``"greater"`` (ours: a - b > 0 supports it), ``"less"`` or ``"similar"``.
        paper_value: The paper's number for the quantity compared (e.g. its gap), if it has one.
        paper_value_note: How that number was obtained (e.g. "derived, approximate: ...").
        paper_key: The :class:`Paper` it belongs to (see :func:`of_paper`), so a
            report can group the claims of every lesson by paper.
    """

    key: str
    text: str
    source: str
    direction: str = "greater"
    paper_value: float | None = None
    paper_value_note: str = ""
    paper_key: str = ""


def of_paper(paper_key: str, claims: Mapping[str, Claim]) -> dict[str, Claim]:
    """The same claims, each marked as belonging to the paper ``paper_key``."""
    return {key: dataclasses.replace(claim, paper_key=paper_key) for key, claim in claims.items()}


@dataclass(frozen=True)
class Paper:
    """A paper: citation, tables, configuration and claims."""

    key: str
    citation: str
    tables: Mapping[str, PaperTable] = field(default_factory=dict)
    configuration: Mapping[str, Any] = field(default_factory=dict)
    claims: Mapping[str, Claim] = field(default_factory=dict)

    def claim(self, key: str) -> Claim:
        """The claim called ``key``."""
        if key not in self.claims:
            raise KeyError(f"{self.key} has no claim {key!r}; claims: {list(self.claims)}")
        return self.claims[key]


def beside_paper(
    table: PaperTable,
    ours: Mapping[str, Mapping[str, float]],
    rows: Mapping[str, str],
    supports: Mapping[str, int] | None = None,
) -> Any:
    """Our per-class scores under the paper's, row by row, as one pandas table.

    Args:
        table: The paper's table (e.g. ``femia.FUSION_TABLE``).
        ours: Our row name -> ``{column: value}`` (e.g. ``results_table(...).to_dict("index")``);
            a ``"weighted"`` entry is shown too.
        rows: Our row name -> the paper's row it corresponds to.
        supports: Class supports to derive the paper's weighted F1 (then labelled "derived").

    Returns:
        A table indexed by (our row, ``"paper (<source>)"`` | ``"ours"``) with the
        table's columns plus ``weighted``.
    """
    import pandas as pd

    records, index = [], []
    for name, paper_row in rows.items():
        values = table.row(paper_row)
        paper = {**values, "weighted": derived_weighted_f1(values, supports) if supports else None}
        records += [paper, {c: ours[name].get(c) for c in [*table.columns, "weighted"]}]
        index += [(name, f"paper ({table.source}: {paper_row})"), (name, "ours")]
    frame = pd.DataFrame(records, index=pd.MultiIndex.from_tuples(index, names=["model", "source"]))
    return frame.rename(columns={"weighted": "weighted (paper: derived)" if supports else "weighted"})


def derived_weighted_f1(per_class_f1: Mapping[str, float | None], supports: Mapping[str, int]) -> float:
    """Support-weighted mean of per-class F1 (how a weighted F1 is recovered from a per-class table).

    Args:
        per_class_f1: Class -> F1.
        supports: Class -> number of test items of that class.

    Raises:
        ValueError: when a class lacks a value or a support.
    """
    missing = [c for c in per_class_f1 if per_class_f1[c] is None or c not in supports]
    if missing:
        raise ValueError(f"no F1 value or support for {missing}")
    total = sum(supports[c] for c in per_class_f1)
    return float(sum(per_class_f1[c] * supports[c] for c in per_class_f1) / total)


def compare(
    claim: Claim,
    y_true: Sequence,
    pred_a: Sequence,
    pred_b: Sequence | None,
    metric: Metric | str = "weighted_f1",
    n_resamples: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Test ``claim`` on our run: the record a lesson stores under ``claims``.

    The observed value is score(a) - score(b) (means over seeds), its interval a
    paired bootstrap over the test items, and the verdict follows from the
    interval alone (:func:`course_lib.stats.verdict`).

    Args:
        claim: The paper's claim (``direction`` says which sign supports it).
        y_true: Test targets. Shape: ``(N,)``.
        pred_a, pred_b: Test predictions of the two systems. Shape: ``(N,)`` or ``(S, N)``;
            ``pred_b=None`` for a claim about one system (the value is score(a)).
        metric: See :func:`course_lib.stats.paired_bootstrap`.
        n_resamples: Bootstrap resamples.
        seed: Seed of the resampling.

    Returns:
        ``{"claim", "source", "paper", "paper_note", "observed", "ci_low", "ci_high",
        "seed_std_a", "seed_std_b", "n_items", "verdict", "paper_key"}``.
    """
    result = paired_bootstrap(y_true, pred_a, pred_b, metric=metric, n_resamples=n_resamples, seed=seed)
    return {
        "claim": claim.text,
        "source": claim.source,
        "paper": claim.paper_value,
        "paper_note": claim.paper_value_note,
        "observed": result.difference,
        "ci_low": result.low,
        "ci_high": result.high,
        "seed_std_a": result.seed_std_a,
        "seed_std_b": result.seed_std_b,
        "n_items": result.n_items,
        "verdict": verdict(result.low, result.high, claim.direction),
        "paper_key": claim.paper_key,
    }


def _mean_of_values(_: np.ndarray, values: np.ndarray) -> float:
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else float("nan")


def compare_values(
    claim: Claim,
    values_a: Sequence[float],
    values_b: Sequence[float] | None = None,
    n_resamples: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Test ``claim`` on per-unit scores: the mean of ``a - b`` over units, with a paired bootstrap over units.

    For claims whose items are not test clips but units scored on their own,
    e.g. each (user, draw) of a few-shot study scored by its query MAE: the
    units are resampled with replacement, as :func:`compare` resamples clips.
    NaN scores (a figure undefined on a unit) are left out of each mean.

    Args:
        claim: The paper's claim.
        values_a, values_b: Scores of the two systems on the same units. Shape: ``(U,)``;
            ``values_b=None`` for a claim about one system.
        n_resamples: Bootstrap resamples.
        seed: Seed of the resampling.

    Returns:
        The record of :func:`compare`.
    """
    a = np.asarray(values_a, dtype=float)
    b = None if values_b is None else np.asarray(values_b, dtype=float)
    if b is not None and b.shape != a.shape:
        raise ValueError(f"values_a {a.shape} and values_b {b.shape} must score the same units")
    return compare(claim, np.zeros(len(a)), a, b, metric=_mean_of_values, n_resamples=n_resamples, seed=seed)


def claims_frame(records: Sequence[Mapping[str, Any]], digits: int = 3) -> Any:
    """Claim records as a table: claim | paper | observed (± seed std) | 95% CI | verdict."""
    import pandas as pd

    def number(value: Any) -> str:
        return (
            "—" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:+.{digits}f}"
        )

    rows = []
    for record in records:
        spread = max(record.get("seed_std_a", 0.0), record.get("seed_std_b", 0.0))
        observed = number(record["observed"]) + (f" (seed std ≤ {spread:.{digits}f})" if spread else "")
        rows.append(
            {
                "claim": record["claim"],
                "paper": number(record.get("paper")),
                "observed": observed,
                "95% CI": f"[{record['ci_low']:+.{digits}f}, {record['ci_high']:+.{digits}f}]",
                "verdict": record["verdict"],
            }
        )
    return pd.DataFrame(rows, columns=["claim", "paper", "observed", "95% CI", "verdict"])
