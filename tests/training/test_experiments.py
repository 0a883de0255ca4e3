"""Multi-seed runs: mean ± std summaries and the Experiment protocol."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from course_lib.training.experiments import (
    Experiment,
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


class CountingLoader:
    """Wraps a DataLoader and counts how often it is iterated."""

    def __init__(self, loader):
        self.loader, self.iterations = loader, 0

    def __iter__(self):
        self.iterations += 1
        return iter(self.loader)


def test_experiment_selects_on_validation_and_tests_once():
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(60, 4, generator=generator)
    labels = (features[:, 0] > 0).long()
    samples = [{"x": f, "label": y} for f, y in zip(features, labels)]
    test_loader = CountingLoader(DataLoader(samples[40:], batch_size=20))

    class Linear(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(4, 2)

        def forward(self, batch):
            return self.layer(batch["x"])

    experiment = Experiment(
        name="linear",
        build_model=Linear,
        make_loaders=lambda seed: (
            DataLoader(samples[:30], batch_size=10, shuffle=True),
            DataLoader(samples[30:40], batch_size=10),
            test_loader,
        ),
        trainer_kwargs={"max_epochs": 3, "labels": ("neg", "pos"), "progress": False, "lr": 0.05},
    )
    summary = run_seeds(experiment, seeds=(1, 2))
    assert test_loader.iterations == 2  # once per seed, after fitting
    assert {"best_epoch", "epochs", "val_weighted_f1", "test_weighted_f1", "test_f1_pos"} <= set(
        summary["mean"]
    )
    assert 0.0 <= summary["mean"]["test_accuracy"] <= 1.0
