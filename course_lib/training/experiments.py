"""Repeat an experiment over seeds and summarise it as mean ± std.

The conversational emotion paper reports every figure as the average of two
runs with different seeds; :func:`run_seeds` does the same for any function
``fn(seed) -> metrics dict`` or any :class:`Experiment`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import numpy as np
from torch import nn

from course_lib.runtime import seed_everything
from course_lib.training.trainer import Trainer

Loaders = tuple[Iterable[Any], Iterable[Any], Iterable[Any] | None]


def flatten_metrics(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested dicts to one level with dotted keys (``{"f1": {"neu": x}}`` -> ``{"f1.neu": x}``)."""
    flat: dict[str, Any] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_metrics(value, prefix=f"{name}."))
        else:
            flat[name] = value
    return flat


def _is_number(value: Any) -> bool:
    return isinstance(value, (Real, np.number)) and not isinstance(value, (bool, np.bool_))


def summarize(per_seed: Mapping[int, Mapping[str, Any]], ddof: int = 0) -> dict[str, Any]:
    """Mean and standard deviation of every numeric metric across seeds.

    Args:
        per_seed: ``{seed: metrics}``; nested metric dicts are flattened.
        ddof: Delta degrees of freedom of the standard deviation (0: the
            population formula, as ``numpy.std``).

    Returns:
        ``{"seeds": [...], "per_seed": {seed: flat metrics}, "mean": {...},
        "std": {...}}``; metrics that are not numbers, or missing from a seed,
        appear only under ``per_seed``.
    """
    flat = {seed: flatten_metrics(values) for seed, values in per_seed.items()}
    if not flat:
        raise ValueError("no seeds to summarise")
    shared = set.intersection(*(set(values) for values in flat.values()))
    keys = [key for key in next(iter(flat.values())) if key in shared]
    mean, std = {}, {}
    for key in keys:
        column = [flat[seed][key] for seed in flat]
        if all(_is_number(value) for value in column):
            array = np.asarray(column, dtype=np.float64)
            mean[key] = float(array.mean())
            std[key] = float(array.std(ddof=ddof)) if array.size > ddof else float("nan")
    return {"seeds": list(flat), "per_seed": flat, "mean": mean, "std": std}


def run_seeds(
    fn_or_config: Callable[[int], Mapping[str, Any]] | Experiment,
    seeds: Sequence[int] = (42, 77),
    ddof: int = 0,
) -> dict[str, Any]:
    """Run an experiment once per seed and summarise it (see :func:`summarize`).

    Every generator is seeded before each run.

    Args:
        fn_or_config: ``fn(seed) -> metrics`` or an object with a
            ``run(seed)`` method such as :class:`Experiment`.
        seeds: The seeds (the paper uses two).
        ddof: Delta degrees of freedom of the standard deviation.
    """
    if not seeds:
        raise ValueError("run_seeds needs at least one seed")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {tuple(seeds)}")
    run = fn_or_config.run if hasattr(fn_or_config, "run") else fn_or_config
    per_seed = {}
    for seed in seeds:
        seed_everything(seed)
        per_seed[seed] = run(seed)
    return summarize(per_seed, ddof=ddof)


def format_mean_std(summary: Mapping[str, Any], key: str, digits: int = 3) -> str:
    """``"0.512 ± 0.010"`` for one metric of a :func:`run_seeds` summary."""
    mean, std = summary["mean"][key], summary["std"][key]
    if math.isnan(std):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def summary_table(
    summaries: Mapping[str, Mapping[str, Any]], metrics: Sequence[str], digits: int = 3, as_text: bool = True
):
    """A pandas table comparing several :func:`run_seeds` summaries.

    Args:
        summaries: ``{row name: summary}``.
        metrics: Metric keys to show as columns.
        digits: Decimals of the text cells.
        as_text: Cells as ``"mean ± std"`` strings (True) or numeric means with
            an extra ``<metric>_std`` column each (False).
    """
    import pandas as pd

    rows = {}
    for name, summary in summaries.items():
        if as_text:
            rows[name] = {key: format_mean_std(summary, key, digits) for key in metrics}
        else:
            row = {}
            for key in metrics:
                row[key] = summary["mean"][key]
                row[f"{key}_std"] = summary["std"][key]
            rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index")


@dataclass
class Experiment:
    """One trainable configuration: a model builder, its loaders and trainer options.

    Attributes:
        name: Display name.
        build_model: Returns a fresh model; :meth:`Trainer.fit` calls it
            right after seeding.
        make_loaders: ``make_loaders(seed) -> (train, val, test)``; ``test``
            may be None.
        trainer_kwargs: Keyword arguments of :class:`Trainer` (the seed is
            set by :meth:`run`).
        config: Free-form description recorded with the results.
        last_trainer: The trainer of the latest :meth:`run` (its history and
            fitted model), for plots.
    """

    name: str
    build_model: Callable[[], nn.Module]
    make_loaders: Callable[[int], Loaders]
    trainer_kwargs: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    last_trainer: Trainer | None = field(default=None, init=False, repr=False)

    def run(self, seed: int) -> dict[str, Any]:
        """Train with ``seed``; select on validation; evaluate the test split once.

        Returns:
            ``best_epoch``, ``epochs``, ``val_<monitor>`` (best validation
            score) and ``test_<metric>`` for every test metric.
        """
        seed_everything(seed)
        train, val, test = self.make_loaders(seed)
        trainer = Trainer(**{**self.trainer_kwargs, "seed": seed})
        history = trainer.fit(self.build_model, train, val)
        self.last_trainer = trainer
        result: dict[str, Any] = {
            "best_epoch": trainer.best_epoch,
            "epochs": len(history),
            f"val_{trainer.monitor}": trainer.best_score,
        }
        if test is not None:
            result.update({f"test_{key}": value for key, value in trainer.evaluate(test).items()})
        return result
