"""One leaderboard across the lessons: every method that fits a task, one corpus, one protocol.

A :class:`Method` names a lesson's model and how to train it for one seed: its
``train(seed)`` returns a recipe result (``test_ids``, ``y_true``, ``y_pred`` and
``summary()`` with ``val_`` / ``test_`` figures, as every recipe's result has).
:func:`evaluate` trains every method over the same seeds on the same test items
and returns a :class:`Leaderboard`:

* the task's figures, mean ± std over seeds (sentiment: MAE, Corr, Acc2 in both
  conventions, Acc7, F1; emotion: weighted and macro F1, accuracy);
* trainable parameters and training seconds per method;
* the **reference** method, chosen on **validation** (its primary figure), and the
  95% paired bootstrap interval of each method's test difference from it, with
  the verdict the interval supports.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from course_lib import metrics
from course_lib.stats import paired_bootstrap

SENTIMENT_FIGURES = ("mae", "corr", "acc2_has0", "acc2_non0", "acc7", "f1_has0", "f1_non0")
EMOTION_FIGURES = ("weighted_f1", "macro_f1", "accuracy")


@dataclass(frozen=True)
class Task:
    """How a task is scored.

    Attributes:
        name: ``"sentiment"`` (regression in [-3, 3]) or ``"emotion"`` (classes).
        primary: The figure that ranks the methods.
        higher_is_better: Its direction.
        figures: The figures shown.
    """

    name: str
    primary: str
    higher_is_better: bool
    figures: tuple[str, ...]

    def score(self, y_true: np.ndarray, y_pred: np.ndarray, classes: Sequence[str] = ()) -> dict[str, float]:
        """The task's figures for one run's test predictions."""
        if self.name == "sentiment":
            table = metrics.regression_metrics(y_true, y_pred)
        else:
            table = metrics.classification_metrics(y_true, y_pred, list(classes))
        return {name: float(table[name]) for name in self.figures}

    def primary_metric(self, classes: Sequence[str] = ()) -> Callable[[np.ndarray, np.ndarray], float] | str:
        """The primary figure for :func:`course_lib.stats.paired_bootstrap`: a callable, or the name
        of one of its fast paths (``"weighted_f1"``, ``"accuracy"`` on class indices)."""
        if self.name == "sentiment":
            return (
                getattr(metrics, self.primary) if self.primary in ("mae", "acc7") else _figure(self.primary)
            )
        if self.primary in ("weighted_f1", "accuracy"):
            return self.primary
        return lambda y_true, y_pred: metrics.classification_metrics(y_true, y_pred, list(classes))[
            self.primary
        ]


def _figure(name: str) -> Callable[[np.ndarray, np.ndarray], float]:
    return lambda y_true, y_pred: metrics.regression_metrics(y_true, y_pred)[name]


TASKS: dict[str, Task] = {
    "sentiment": Task("sentiment", "mae", False, SENTIMENT_FIGURES),
    "emotion": Task("emotion", "weighted_f1", True, EMOTION_FIGURES),
}


@dataclass(frozen=True)
class Method:
    """One entry of the leaderboard.

    Attributes:
        name: Its row name, e.g. ``"MulT + user tokens"``.
        lesson: The lesson that teaches it, e.g. ``"06"``.
        task: A key of :data:`TASKS`.
        train: ``seed -> result`` (``test_ids``, ``y_true``, ``y_pred``, ``summary()``;
            ``n_parameters`` or ``model`` when known).
    """

    name: str
    lesson: str
    task: str
    train: Callable[[int], Any]

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {sorted(TASKS)}, got {self.task!r}")


@dataclass
class Entry:
    """A method's runs: one result and its training seconds per seed."""

    method: Method
    results: list[Any]
    seconds: list[float]

    def predictions(self, order: Sequence[Any]) -> np.ndarray:
        """Test predictions per seed, items in ``order``. Shape: ``(S, N)``."""
        rows = []
        for result in self.results:
            position = {item: index for index, item in enumerate(result.test_ids)}
            rows.append(np.asarray(result.y_pred)[[position[item] for item in order]])
        return np.stack(rows)

    def parameters(self) -> int | None:
        """Trainable parameters of the first run's network (None when unknown or not a network)."""
        result = self.results[0]
        if getattr(result, "n_parameters", None) is not None:
            return int(result.n_parameters)
        model = getattr(result, "model", None)
        if not isinstance(model, torch.nn.Module):
            return None  # no model kept, or not a network (an SVR's support vectors are not weights)
        return sum(p.numel() for p in model.parameters() if p.requires_grad)


@dataclass
class Leaderboard:
    """Every method's runs on one task, with the validation-chosen reference.

    Attributes:
        task: The :class:`Task`.
        entries: ``{method name: Entry}``.
        test_ids: The shared test items, in a fixed order.
        y_true: Their targets.
        classes: Class names (emotion task).
        reference: The method with the best mean **validation** primary figure.
    """

    task: Task
    entries: dict[str, Entry]
    test_ids: list[Any]
    y_true: np.ndarray
    classes: tuple[str, ...] = ()
    reference: str = ""
    n_resamples: int = 1000
    _rows: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def rows(self) -> list[dict[str, Any]]:
        """One record per method: lesson, figures (mean, std), parameters, seconds, CI against the reference."""
        if self._rows:
            return self._rows
        metric = self.task.primary_metric(self.classes)
        reference = self.entries[self.reference].predictions(self.test_ids)
        for name, entry in self.entries.items():
            predictions = entry.predictions(self.test_ids)
            per_seed = [self.task.score(self.y_true, row, self.classes) for row in predictions]
            record = {"method": name, "lesson": entry.method.lesson, "task": self.task.name}
            for figure in self.task.figures:
                values = np.array([scores[figure] for scores in per_seed], dtype=float)
                record[figure], record[f"{figure}_std"] = float(np.nanmean(values)), float(np.nanstd(values))
            record["parameters"] = entry.parameters()
            record["train_seconds"] = float(np.mean(entry.seconds))
            record.update(self._against_reference(name, predictions, reference, metric))
            self._rows.append(record)
        return self._rows

    def _against_reference(self, name: str, predictions, reference, metric) -> dict[str, Any]:
        if name == self.reference:
            return {"difference": 0.0, "ci_low": 0.0, "ci_high": 0.0, "verdict": "reference"}
        result = paired_bootstrap(self.y_true, predictions, reference, metric, n_resamples=self.n_resamples)
        worse_side = result.high < 0 if self.task.higher_is_better else result.low > 0
        better_side = result.low > 0 if self.task.higher_is_better else result.high < 0
        verdict = "worse" if worse_side else "better" if better_side else "not distinguishable"
        return {
            "difference": result.difference,
            "ci_low": result.low,
            "ci_high": result.high,
            "verdict": verdict,
        }

    def table(self, digits: int = 3) -> Any:
        """The leaderboard as a pandas table, best primary figure first, ``mean ± std`` cells."""
        import pandas as pd

        rows = sorted(self.rows(), key=lambda r: r[self.task.primary], reverse=self.task.higher_is_better)
        table = {}
        for row in rows:
            cells = {"lesson": row["lesson"]}
            for figure in self.task.figures:
                cells[figure] = f"{row[figure]:.{digits}f} ± {row[f'{figure}_std']:.{digits}f}"
            cells["parameters"] = row["parameters"]
            cells["train s"] = round(row["train_seconds"], 1)
            cells[f"Δ{self.task.primary} vs reference [95% CI]"] = (
                "reference (best on validation)"
                if row["verdict"] == "reference"
                else f"{row['difference']:+.{digits}f} [{row['ci_low']:+.{digits}f}, {row['ci_high']:+.{digits}f}]"
            )
            cells["verdict"] = row["verdict"]
            table[row["method"]] = cells
        return pd.DataFrame.from_dict(table, orient="index")

    def verdicts(self) -> dict[str, list[str]]:
        """``{verdict: [method names]}``: which methods are really better or worse than the reference."""
        grouped: dict[str, list[str]] = {}
        for row in self.rows():
            grouped.setdefault(row["verdict"], []).append(row["method"])
        return grouped

    def records(self) -> list[dict[str, Any]]:
        """JSON-able rows for ``run.record``: method, lesson, task, figures, parameters, seconds, CI, verdict."""
        return [{k: v for k, v in row.items()} for row in self.rows()]

    def plot(self, ax: Any = None) -> Any:
        """Horizontal bars of the primary figure (mean ± std over seeds); the reference is highlighted."""
        import matplotlib.pyplot as plt

        rows = sorted(self.rows(), key=lambda r: r[self.task.primary], reverse=not self.task.higher_is_better)
        owned = ax is None
        if owned:
            _, ax = plt.subplots(figsize=(7, 0.45 * len(rows) + 1.2), layout="constrained")
        colors = ["C3" if r["verdict"] == "reference" else "C0" for r in rows]
        ax.barh(
            [f"{r['method']} ({r['lesson']})" for r in rows],
            [r[self.task.primary] for r in rows],
            xerr=[r[f"{self.task.primary}_std"] for r in rows],
            color=colors,
        )
        direction = "higher" if self.task.higher_is_better else "lower"
        ax.set_xlabel(f"test {self.task.primary} ({direction} is better; mean ± std over seeds)")
        ax.grid(axis="x", alpha=0.3)
        if owned:
            plt.close(ax.figure)
        return ax.figure


def _timed(train: Callable[[int], Any], seed: int) -> tuple[Any, float]:
    from course_lib.runtime import seed_everything

    seed_everything(seed)
    started = time.perf_counter()
    result = train(seed)
    return result, time.perf_counter() - started


def _validation_primary(entry: Entry, task: Task) -> float:
    values = [result.summary()[f"val_{task.primary}"] for result in entry.results]
    return float(np.mean(values))


def evaluate(
    methods: Sequence[Method],
    seeds: Sequence[int] = (42, 77),
    classes: Sequence[str] = (),
    n_resamples: int = 1000,
    verbose: bool = False,
) -> Leaderboard:
    """Train every method over ``seeds`` and build the leaderboard of their shared task.

    Args:
        methods: Methods of one task, scored on the same test items.
        seeds: The seeds every method is trained with.
        classes: Class names (emotion task).
        n_resamples: Bootstrap resamples of each interval.
        verbose: Print one line per method with its time.

    Raises:
        ValueError: when the methods mix tasks or their test items differ.
    """
    if not methods:
        raise ValueError("no methods to evaluate")
    tasks = {method.task for method in methods}
    if len(tasks) != 1:
        raise ValueError(f"a leaderboard holds one task, got {sorted(tasks)}")
    task = TASKS[tasks.pop()]
    entries: dict[str, Entry] = {}
    for method in methods:
        if method.name in entries:
            raise ValueError(f"two methods are named {method.name!r}")
        runs = [_timed(method.train, seed) for seed in seeds]
        entries[method.name] = Entry(method, [r for r, _ in runs], [s for _, s in runs])
        if verbose:
            print(f"{method.name}: {sum(s for _, s in runs):.1f} s for {len(seeds)} seeds")
    first = entries[methods[0].name].results[0]
    test_ids = list(first.test_ids)
    for name, entry in entries.items():
        for result in entry.results:
            if sorted(map(str, result.test_ids)) != sorted(map(str, test_ids)):
                raise ValueError(f"{name} was tested on other items than {methods[0].name}")
    y_true = np.asarray(first.y_true)
    ordered = sorted(
        entries.values(), key=lambda e: _validation_primary(e, task), reverse=task.higher_is_better
    )
    return Leaderboard(
        task,
        entries,
        test_ids,
        y_true,
        tuple(classes),
        reference=ordered[0].method.name,
        n_resamples=n_resamples,
    )


def leaderboard_records(boards: Mapping[str, Leaderboard]) -> list[dict[str, Any]]:
    """The records of several leaderboards (one per task), for ``run.record({"leaderboard": ...})``."""
    return [record for board in boards.values() for record in board.records()]
