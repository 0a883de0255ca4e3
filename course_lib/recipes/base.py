"""What every lesson's recipe shares: sized configurations, seeds, comparisons, tables and claims.

A *recipe* (:mod:`course_lib.recipes.erc` for lessons 01-05, one per paper) is
a configuration dataclass plus a ``train(config, data, seed) -> result``
function. This module gives them the rest:

* :class:`RecipeConfig` -- a frozen configuration with smoke-mode sizes
  (:meth:`RecipeConfig.sized`), ``replace`` and ``as_dict``;
* :func:`run_seeds` / :func:`summarize` -- mean ± std over seeds (the papers
  average two or more runs);
* :func:`compare_configs` -> :class:`Comparison` -- several configurations over
  seeds, with :meth:`Comparison.table`, :meth:`Comparison.best` (chosen on
  **validation only**) and :meth:`Comparison.claim` (a paper's claim tested with
  a paired bootstrap over the test items, :func:`course_lib.papers.compare`).

A result returned by a recipe's ``train`` has ``seed``, ``summary()`` (flat numbers with
``val_`` and ``test_`` prefixes), ``test_ids``, ``y_true`` and ``y_pred`` (the
test items, in a fixed order).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any, ClassVar

import numpy as np

from course_lib.runtime import seed_everything


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


def _check_seeds(seeds: Sequence[int]) -> None:
    if not seeds:
        raise ValueError("at least one seed is needed")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {tuple(seeds)}")


def run_seeds(
    fn: Callable[[int], Mapping[str, Any]],
    seeds: Sequence[int] = (42, 77),
    ddof: int = 0,
) -> dict[str, Any]:
    """Run ``fn(seed) -> metrics`` once per seed and summarise it (see :func:`summarize`).

    Every generator is seeded before each run.

    Args:
        fn: One run.
        seeds: The seeds (the papers use two or more).
        ddof: Delta degrees of freedom of the standard deviation.
    """
    _check_seeds(seeds)
    per_seed = {}
    for seed in seeds:
        seed_everything(seed)
        per_seed[seed] = fn(seed)
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


# ----------------------------------------------------------------------------- configurations


@dataclass(frozen=True)
class RecipeConfig:
    """Base of the recipes' configurations: frozen, validated, sized for smoke runs.

    Subclasses set :attr:`SMOKE_SIZES` (fields replaced in smoke mode so a run
    on the tiny corpora takes seconds on a CPU) and may define ``name``.
    """

    SMOKE_SIZES: ClassVar[dict[str, Any]] = {}

    @classmethod
    def sized(cls, smoke: bool, **fields: Any) -> RecipeConfig:
        """A configuration with :attr:`SMOKE_SIZES` applied when ``smoke`` (explicit ``fields`` win).

        Example: ``ERCConfig.sized(run.smoke, text="bilstm_glove", audio="mfcc")``.
        """
        return cls(**{**(cls.SMOKE_SIZES if smoke else {}), **fields})

    def replace(self, **changes: Any) -> RecipeConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """The configuration as plain JSON-able values (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}


# ----------------------------------------------------------------------------- comparisons


@dataclass
class Comparison:
    """Several configurations trained over the same seeds.

    Attributes:
        runs: ``{row name: [result per seed]}``.
        summaries: ``{row name: summary}`` (:func:`summarize` of ``result.summary()``).
        seconds: Wall time per row.
    """

    runs: dict[str, list[Any]]
    summaries: dict[str, dict[str, Any]]
    seconds: dict[str, float]

    def mean(self, name: str, metric: str = "weighted_f1", split: str = "valid") -> float:
        """Mean over seeds of ``<split>_<metric>`` (``split`` is ``"valid"`` or ``"test"``)."""
        key = f"{'val' if split == 'valid' else split}_{metric}"
        return self.summaries[name]["mean"][key]

    def best(self, metric: str = "weighted_f1", among: Sequence[str] | None = None) -> str:
        """The row with the highest mean **validation** ``metric`` (the test split is never consulted)."""
        names = list(among) if among is not None else list(self.runs)
        return max(names, key=lambda name: self.mean(name, metric, "valid"))

    def table(self, metrics: Sequence[str] = ("weighted_f1",), split: str = "valid", digits: int = 3) -> Any:
        """``mean ± std`` of ``<split>_<metric>`` per row, as a pandas table."""
        prefix = "val" if split == "valid" else split
        return summary_table(self.summaries, [f"{prefix}_{m}" for m in metrics], digits)

    def test_predictions(self, name: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """``(y_true (N,), y_pred (S, N), ids)`` of a row's test items over its seeds."""
        runs = self.runs[name]
        ids = list(runs[0].test_ids)
        if any(list(r.test_ids) != ids for r in runs):
            raise ValueError(f"{name}: the seeds' test items differ")
        return np.asarray(runs[0].y_true), np.stack([np.asarray(r.y_pred) for r in runs]), ids

    def claim(
        self,
        claim: Any,
        a: str,
        b: str | None = None,
        metric: Any = "weighted_f1",
        n_resamples: int = 1000,
        seed: int = 0,
        note: str | None = None,
    ) -> dict[str, Any]:
        """Test a paper's claim on rows ``a`` and ``b`` (see :func:`course_lib.papers.compare`).

        ``note`` qualifies how the claim was tested here; it is appended to the
        claim's text in brackets (e.g. the model family, or a stand-in feature).

        The difference is score(a) - score(b) on the test items, means over
        seeds, with a paired bootstrap interval; without ``b`` it is score(a)
        itself (for claims about one system, with a callable ``metric``).

        Raises:
            ValueError: when the two rows were evaluated on different test items.
        """
        from course_lib.papers import compare

        y_true, pred_a, ids = self.test_predictions(a)
        pred_b = None
        if b is not None:
            y_true_b, pred_b, ids_b = self.test_predictions(b)
            if ids_b != ids or not np.array_equal(y_true_b, y_true):
                raise ValueError(f"{a!r} and {b!r} were evaluated on different test items")
        record = compare(claim, y_true, pred_a, pred_b, metric=metric, n_resamples=n_resamples, seed=seed)
        if note:
            record["claim"] = f"{record['claim']} ({note})"
        return {**record, "a": a, "b": b}


def resolve_jobs(jobs: int | str | None, runs: int, device: Any = "cpu") -> int:
    """How many runs to train at once: ``"auto"`` uses every CPU core on a CPU device, one run elsewhere.

    Parallel runs need the ``fork`` start method (Linux, macOS); without it, one run at a time.
    """
    import multiprocessing
    import os

    if jobs is None:
        return 1
    if jobs == "auto":
        on_cpu = str(device).split(":")[0] == "cpu"
        jobs = (os.cpu_count() or 1) if on_cpu else 1
    jobs = int(jobs)
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1 or 'auto', got {jobs}")
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(jobs, runs))


#: The training function of the comparison running in parallel; forked workers inherit it.
_PARALLEL_TRAIN: Callable[[Any, int], Any] | None = None


def _timed(train: Callable[[Any, int], Any], config: Any, seed: int) -> tuple[Any, float]:
    seed_everything(seed)
    started = time.perf_counter()
    result = train(config, seed)
    return result, time.perf_counter() - started


def _train_in_worker(config: Any, seed: int) -> tuple[Any, float]:
    import torch

    torch.set_num_threads(1)
    assert _PARALLEL_TRAIN is not None, "workers are forked from compare_configs"
    return _timed(_PARALLEL_TRAIN, config, seed)


def train_runs(
    configs: Mapping[Any, Any],
    train: Callable[[Any, int], Any],
    seeds: Sequence[int],
    jobs: int,
    skip: Collection[tuple[Any, int]] = (),
):
    """Yield ``(name, seed, result, seconds)`` as runs finish, ``jobs`` at a time (in forked processes).

    Every run is seeded with :func:`course_lib.runtime.seed_everything` first, so
    its result does not depend on ``jobs`` (workers train on one thread each).
    Runs listed in ``skip`` (``(name, seed)`` pairs) are not trained.
    """
    global _PARALLEL_TRAIN
    tasks = [(name, seed) for name in configs for seed in seeds if (name, seed) not in skip]
    if jobs == 1:
        for name, seed in tasks:
            yield (name, seed, *_timed(train, configs[name], seed))
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    _PARALLEL_TRAIN = train
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = {
                pool.submit(_train_in_worker, configs[name], seed): (name, seed) for name, seed in tasks
            }
            for future in as_completed(futures):
                yield (*futures[future], *future.result())
    finally:
        _PARALLEL_TRAIN = None


def compare_configs(
    configs: Mapping[str, Any],
    train: Callable[[Any, int], Any],
    seeds: Sequence[int] = (42, 77),
    verbose: bool = False,
    jobs: int | str | None = 1,
    device: Any = "cpu",
    store: Any = None,
    from_record: Callable[..., Any] | None = None,
) -> Comparison:
    """Train every configuration once per seed (or take the run from a run store).

    Every run seeds every generator first and depends on nothing but its
    configuration and seed, so running several at once (``jobs``) gives the
    same results as one after the other (on a CPU, each run on one thread).

    Args:
        configs: ``{row name: configuration}``.
        train: ``train(config, seed) -> result`` (see the module docstring).
        seeds: The seeds, the same for every row.
        verbose: Print one line per row with its time, and after the first
            run(s) an estimate of the time the others will take.
        jobs: Runs trained at once, in forked processes (see :func:`resolve_jobs`;
            ``"auto"``: one per CPU core). Compute what every run shares
            (features) before, so the processes inherit it.
        device: The runs' device (``"auto"`` jobs train one run at a time off the CPU).
        store: A :class:`course_lib.recipes.store.RunStore`: runs found there
            are not trained again (a line says which, and who trained them), and
            runs trained here are added to it (with ``result.model``'s weights).
        from_record: Rebuilds a stored result (needed with ``store``).

    Returns:
        A :class:`Comparison`; its ``seconds`` add up the training time of each
        row's runs (with parallel jobs, more than the wall time; a stored run
        counts the time it took when it was trained).
    """
    _check_seeds(seeds)
    finished: dict[Any, dict[int, Any]] = {name: {} for name in configs}
    seconds: dict[Any, float] = {name: 0.0 for name in configs}
    if store is not None:
        _take_stored(configs, seeds, store, from_record, finished, seconds)
    stored = {(name, seed) for name in finished for seed in finished[name]}
    total_runs = len(configs) * len(seeds) - len(stored)
    jobs = resolve_jobs(jobs, max(total_runs, 1), device)
    if verbose and jobs > 1 and total_runs > 1:
        print(f"  {total_runs} runs, {jobs} at a time (one process per CPU core)", flush=True)
    started = time.perf_counter()
    runs_done = train_runs(configs, train, seeds, jobs, skip=stored)
    for count, (name, seed, result, elapsed) in enumerate(runs_done, start=1):
        finished[name][seed] = result
        seconds[name] += elapsed
        if store is not None:
            store.save(configs[name], seed, result, model=getattr(result, "model", None))
        if verbose and count == 1 and total_runs > 1:
            rest = estimate(total_runs - 1, elapsed / jobs, "training")
            print(f"  first run: {elapsed:.1f} s; {rest} more", flush=True)
        if verbose and len(finished[name]) == len(seeds):
            print(f"  {name}: {len(seeds)} seed(s) in {seconds[name]:.1f} s", flush=True)
    if verbose and jobs > 1 and total_runs > 1:
        print(f"  all {total_runs} runs: {time.perf_counter() - started:.1f} s of wall time", flush=True)
    runs = {name: [finished[name][seed] for seed in seeds] for name in configs}
    summaries = {name: summarize({r.seed: r.summary() for r in runs[name]}) for name in configs}
    return Comparison(runs, summaries, {name: round(value, 2) for name, value in seconds.items()})


def _take_stored(
    configs: Mapping[Any, Any],
    seeds: Sequence[int],
    store: Any,
    from_record: Callable[..., Any] | None,
    finished: dict[Any, dict[int, Any]],
    seconds: dict[Any, float],
) -> None:
    """Fill ``finished`` and ``seconds`` with the runs ``store`` holds, and say which rows they are."""
    if from_record is None:
        raise ValueError("a run store needs from_record to rebuild its results")
    origins: dict[Any, set[str]] = {}
    for name, config in configs.items():
        for seed in seeds:
            found = store.load(config, seed, from_record)
            if found is not None:
                result, about = found
                finished[name][seed] = result
                seconds[name] += about["seconds"]
                origins.setdefault(name, set()).add(about.get("trained_by") or "an earlier run")
    for name, trained_by in origins.items():
        count = len(finished[name])
        print(
            f"  {name}: {count} of {len(seeds)} seed(s) taken from the run store "
            f"(trained by {', '.join(sorted(trained_by))}; same configuration, seed, corpus and code)",
            flush=True,
        )


def estimate(runs: int, seconds_per_run: float, what: str = "training") -> str:
    """A one-line time estimate to print before a long step, e.g. ``"12 runs of training: about 6 min"``."""
    total = runs * seconds_per_run
    shown = f"{total / 60:.0f} min" if total >= 90 else f"{total:.0f} s"
    return f"{runs} run{'s' if runs != 1 else ''} of {what}: about {shown}"


def combine(*comparisons: Comparison) -> Comparison:
    """One :class:`Comparison` holding the rows of several (for tables and claims across them).

    Raises:
        ValueError: when two comparisons share a row name.
    """
    runs: dict[str, list[Any]] = {}
    summaries: dict[str, dict[str, Any]] = {}
    seconds: dict[str, float] = {}
    for comparison in comparisons:
        shared = set(runs) & set(comparison.runs)
        if shared:
            raise ValueError(f"rows {sorted(shared)} appear in two comparisons")
        runs.update(comparison.runs)
        summaries.update(comparison.summaries)
        seconds.update(comparison.seconds)
    return Comparison(runs, summaries, seconds)
