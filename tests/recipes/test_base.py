"""The recipe base: mean ± std over seeds, sized configurations, comparisons and claims."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pytest
import torch

from course_lib.papers import Claim
from course_lib.recipes.base import (
    Comparison,
    RecipeConfig,
    combine,
    compare_configs,
    estimate,
    flatten_metrics,
    format_mean_std,
    run_seeds,
    summarize,
    summary_table,
)


def test_run_seeds_mean_std_and_per_seed():
    summary = run_seeds(lambda seed: {"a": seed, "f1": {"neu": seed / 100}, "name": "run"}, seeds=(42, 77))
    assert summary["seeds"] == [42, 77]
    assert summary["mean"]["a"] == pytest.approx(59.5)
    assert summary["std"]["a"] == pytest.approx(17.5)  # population std of (42, 77)
    assert summary["mean"]["f1.neu"] == pytest.approx(0.595)
    assert "name" not in summary["mean"] and summary["per_seed"][77]["name"] == "run"
    sample = run_seeds(lambda seed: {"a": seed}, seeds=(42, 77), ddof=1)
    assert sample["std"]["a"] == pytest.approx(35 / math.sqrt(2))


def test_run_seeds_seeds_every_generator():
    summary = run_seeds(lambda seed: {"draw": torch.rand(1).item()}, seeds=(5, 6))
    again = run_seeds(lambda seed: {"draw": torch.rand(1).item()}, seeds=(5,))
    assert summary["per_seed"][5]["draw"] == again["per_seed"][5]["draw"]
    assert summary["per_seed"][5]["draw"] != summary["per_seed"][6]["draw"]


def test_run_seeds_rejects_bad_seeds():
    with pytest.raises(ValueError):
        run_seeds(lambda seed: {}, seeds=())
    with pytest.raises(ValueError, match="distinct"):
        run_seeds(lambda seed: {}, seeds=(1, 1))


def test_summaries_skip_metrics_missing_from_a_seed():
    summary = summarize({1: {"a": 1.0, "b": 2.0}, 2: {"a": 3.0}})
    assert summary["mean"] == {"a": 2.0}
    assert flatten_metrics({"x": {"y": {"z": 1}}}) == {"x.y.z": 1}


def test_formatting_and_table():
    summary = summarize({1: {"f1": 0.5}, 2: {"f1": 0.7}})
    assert format_mean_std(summary, "f1") == "0.600 ± 0.100"
    table = summary_table({"concat": summary}, ["f1"])
    assert table.loc["concat", "f1"] == "0.600 ± 0.100"
    numeric = summary_table({"concat": summary}, ["f1"], as_text=False)
    assert numeric.loc["concat", "f1_std"] == pytest.approx(0.1)


@dataclass(frozen=True)
class ToyConfig(RecipeConfig):
    SMOKE_SIZES: ClassVar[dict[str, int]] = {"hidden": 4}

    accuracy: float = 0.5
    hidden: int = 64
    sizes: tuple[int, ...] = (1, 2)


@dataclass
class ToyResult:
    """A recipe result: a classifier right on a share ``accuracy`` of 200 fixed test items."""

    seed: int
    accuracy: float
    valid_score: float
    test_ids: list[str] = field(default_factory=lambda: [f"t{i}" for i in range(200)])

    @property
    def y_true(self) -> np.ndarray:
        return np.arange(200) % 4

    @property
    def y_pred(self) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        wrong = rng.random(200) > self.accuracy
        return np.where(wrong, (self.y_true + 1) % 4, self.y_true)

    def summary(self) -> dict[str, float]:
        return {"val_weighted_f1": self.valid_score, "test_weighted_f1": self.accuracy}


def _toy_train(config: ToyConfig, seed: int) -> ToyResult:
    return ToyResult(seed, config.accuracy, valid_score=1 - config.accuracy)


def test_sized_configs_replace_and_as_dict():
    assert ToyConfig.sized(True).hidden == 4 and ToyConfig.sized(False).hidden == 64
    assert ToyConfig.sized(True, hidden=8).hidden == 8
    assert ToyConfig().replace(accuracy=0.9).accuracy == 0.9
    assert ToyConfig().as_dict() == {"accuracy": 0.5, "hidden": 64, "sizes": [1, 2]}


def test_compare_configs_selects_on_validation_never_on_test():
    comparison = compare_configs(
        {"strong": ToyConfig(accuracy=0.9), "weak": ToyConfig(accuracy=0.4)}, _toy_train, seeds=(1, 2)
    )
    assert isinstance(comparison, Comparison) and set(comparison.seconds) == {"strong", "weak"}
    assert comparison.best() == "weak", "the toy's validation score is the opposite of its test score"
    assert comparison.mean("strong", split="test") == pytest.approx(0.9)
    assert comparison.table(split="valid").loc["weak", "val_weighted_f1"] == "0.600 ± 0.000"


def test_comparison_claims_use_the_paired_test_predictions_of_every_seed():
    comparison = compare_configs(
        {"strong": ToyConfig(accuracy=0.9), "weak": ToyConfig(accuracy=0.4)}, _toy_train, seeds=(1, 2, 3)
    )
    y_true, preds, ids = comparison.test_predictions("strong")
    assert preds.shape == (3, 200) and len(ids) == 200
    claim = Claim("strong_beats_weak", "strong beats weak", "toy", "greater", 0.5)
    record = comparison.claim(claim, "strong", "weak", metric="accuracy", n_resamples=200)
    assert record["verdict"] == "holds" and record["paper"] == 0.5
    assert record["observed"] == pytest.approx(
        np.mean([(p == y_true).mean() for p in preds])
        - np.mean([(p == y_true).mean() for p in comparison.test_predictions("weak")[1]])
    )
    alone = comparison.claim(claim, "weak", metric=lambda t, p: float((t == p).mean()), n_resamples=100)
    assert alone["b"] is None and 0.3 < alone["observed"] < 0.5


def test_claims_refuse_rows_evaluated_on_different_items():
    def shifted(config, seed):
        result = _toy_train(config, seed)
        result.test_ids = [f"other{i}" for i in range(200)]
        return result

    comparison = compare_configs({"a": ToyConfig()}, _toy_train, seeds=(1,))
    other = compare_configs({"b": ToyConfig()}, shifted, seeds=(1,))
    comparison.runs.update(other.runs)
    with pytest.raises(ValueError, match="different test items"):
        comparison.claim(Claim("k", "t", "s"), "a", "b")


def test_estimate_is_one_readable_line():
    assert estimate(12, 30.0) == "12 runs of training: about 6 min"
    assert estimate(1, 20.0, "feature extraction") == "1 run of feature extraction: about 20 s"


def test_verbose_comparisons_estimate_the_remaining_time_after_the_first_run(capsys):
    compare_configs({"a": ToyConfig(), "b": ToyConfig()}, _toy_train, seeds=(1, 2), verbose=True)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("  first run:") and "3 runs of training: about" in lines[0]
    assert lines[1].startswith("  a: 2 seed(s)")


def test_a_note_qualifies_the_claim_text():
    comparison = compare_configs({"a": ToyConfig(accuracy=0.9), "b": ToyConfig()}, _toy_train, seeds=(1,))
    record = comparison.claim(
        Claim("k", "a beats b", "toy"), "a", "b", metric="accuracy", n_resamples=50, note="toy family"
    )
    assert record["claim"] == "a beats b (toy family)"


@dataclass
class DrawResult:
    """A result that depends on the generators seeded before the run."""

    seed: int
    draw: float
    pid: int

    def summary(self) -> dict[str, float]:
        return {"val_weighted_f1": self.draw, "test_weighted_f1": self.draw}


def _draw(config: ToyConfig, seed: int) -> DrawResult:
    import os

    return DrawResult(seed, float(torch.rand(1)) + float(np.random.rand()) + config.accuracy, os.getpid())


def test_parallel_jobs_give_the_results_of_one_run_at_a_time(capsys):
    import os

    configs = {"a": ToyConfig(0.1), "b": ToyConfig(0.2), "c": ToyConfig(0.3)}
    alone = compare_configs(configs, _draw, seeds=(1, 2), jobs=1)
    together = compare_configs(configs, _draw, seeds=(1, 2), jobs=2, verbose=True)
    assert list(together.runs) == list(configs), "rows keep their order"
    for name in configs:
        assert [r.draw for r in together.runs[name]] == [r.draw for r in alone.runs[name]]
        assert [r.seed for r in together.runs[name]] == [1, 2]
    assert all(r.pid != os.getpid() for runs in together.runs.values() for r in runs), (
        "runs in worker processes"
    )
    assert all(r.pid == os.getpid() for runs in alone.runs.values() for r in runs)
    assert "6 runs, 2 at a time" in capsys.readouterr().out


def test_jobs_are_resolved_from_the_cores_and_the_device(monkeypatch):
    from course_lib.recipes.base import resolve_jobs

    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert resolve_jobs("auto", 20, "cpu") == 8
    assert resolve_jobs("auto", 3, "cpu") == 3, "never more processes than runs"
    assert resolve_jobs("auto", 20, "cuda:0") == 1, "one run at a time on a GPU"
    assert resolve_jobs(None, 20) == 1 and resolve_jobs(2, 20) == 2
    with pytest.raises(ValueError, match="jobs"):
        resolve_jobs(0, 5)


def test_combine_joins_comparisons_and_refuses_a_repeated_row():
    first = compare_configs({"strong": ToyConfig(accuracy=0.9)}, _toy_train, seeds=(1,))
    second = compare_configs({"weak": ToyConfig(accuracy=0.4)}, _toy_train, seeds=(1,))
    both = combine(first, second)
    assert list(both.runs) == ["strong", "weak"] and both.mean("weak", split="test") == pytest.approx(0.4)
    with pytest.raises(ValueError, match="strong"):
        combine(first, first)
