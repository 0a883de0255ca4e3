"""Hyper-parameter sweeps on Optuna: a seeded TPE sampler, a validation objective, the test split once.

A *sweep recipe* (:class:`SweepRecipe`) tells the sweep how to load a lesson's data,
how to build a configuration from an Optuna trial (the search space) and how to
train one configuration (a recipe's ``train(config, data, seed) -> result``,
whose ``summary()`` holds ``val_<metric>`` and ``test_<metric>``). The sweep

* maximises (or minimises) the mean **validation** metric over the given seeds;
  the trials store validation numbers only;
* scores the **test** split once, for the winner, by training its configuration
  again (:func:`run_sweep`, ``score_test=True``) -- on a CPU that reproduces the
  trial exactly, which the result checks;
* keeps the study in an RDB storage: a SQLite file by default
  (:func:`default_storage`); the same command pointed at a PostgreSQL URL
  (``postgresql+psycopg://user:password@host/db``, with the ``psycopg`` driver
  installed) lets several machines work on one study. Processes started with the
  same study name and storage share its trials: ``trials`` is the number of
  finished trials the *study* should hold, so a second process, or the same
  command run again after an interruption, only adds what is missing.

Lessons register their recipe in :data:`SWEEPS` (``name -> "module:attribute"``);
the command line is::

    python -m course_lib sweep RECIPE --study NAME [--storage URL] --trials N [--smoke]
"""

from __future__ import annotations

import argparse
import importlib
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

#: Sweep recipe name -> ``"module:attribute"`` of its :class:`SweepRecipe` (imported when used).
SWEEPS: dict[str, str] = {
    "mvsa": "course_lib.recipes.mvsa:SWEEP",
    "selfmm": "course_lib.recipes.selfmm:SWEEP",
}

DIRECTIONS = ("maximize", "minimize")


@dataclass(frozen=True)
class SweepRecipe:
    """What a sweep needs from a lesson.

    Attributes:
        name: The name used on the command line.
        space: ``(trial, smoke) -> config``: the search space. It calls
            ``trial.suggest_float / suggest_int / suggest_categorical`` and
            returns a recipe configuration (sized for smoke runs when ``smoke``).
        load: ``(smoke) -> data``: the lesson's data, loaded once per process.
        train: ``(config, data, seed) -> result``; ``result.summary()`` holds
            ``val_<metric>`` and ``test_<metric>``.
        metric: The objective is the mean of ``val_<metric>`` over the seeds.
        direction: ``"maximize"`` or ``"minimize"``.
        description: One line shown by ``sweep --help``.
    """

    name: str
    space: Callable[[Any, bool], Any]
    load: Callable[[bool], Any]
    train: Callable[[Any, Any, int], Any]
    metric: str = "weighted_f1"
    direction: str = "maximize"
    description: str = ""

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, got {self.direction!r}")


@dataclass
class SweepResult:
    """The outcome of :func:`run_sweep`.

    Attributes:
        study_name: The Optuna study.
        storage: Its storage URL.
        metric: The objective's metric (``val_<metric>``).
        trials: One row per trial: number, state, value, parameters, seconds, worker.
        best_params: The winning trial's parameters.
        best_config: The configuration they build.
        best_value: Its mean validation metric.
        test: The winner's mean test metrics (``test_`` keys), or None when not scored.
        rerun_value: The validation metric of the winner trained again for the test
            score; equal to ``best_value`` on a CPU.
    """

    study_name: str
    storage: str
    metric: str
    trials: Any
    best_params: dict[str, Any]
    best_config: Any
    best_value: float
    test: dict[str, float] | None = None
    rerun_value: float | None = None
    notes: list[str] = field(default_factory=list)

    def report(self) -> str:
        """The trial table, the best configuration and the winner's test score, as text."""
        import pandas as pd

        with pd.option_context("display.max_columns", None, "display.width", 160):
            lines = [f"study {self.study_name!r} at {self.storage}", self.trials.to_string(index=False)]
        lines.append(f"best trial: val_{self.metric} = {self.best_value:.4f} with {self.best_params}")
        if self.best_config is not None and hasattr(self.best_config, "as_dict"):
            lines.append(f"best configuration: {self.best_config.as_dict()}")
        if self.test is not None:
            scored = ", ".join(f"{key} = {value:.4f}" for key, value in self.test.items())
            lines.append(f"test split, scored once for the winner: {scored}")
        lines.extend(self.notes)
        return "\n".join(lines)


# ----------------------------------------------------------------------------- recipes and storage


def resolve_recipe(recipe: str | SweepRecipe) -> SweepRecipe:
    """The :class:`SweepRecipe` registered under ``recipe`` (or ``recipe`` itself)."""
    if isinstance(recipe, SweepRecipe):
        return recipe
    if recipe not in SWEEPS:
        known = ", ".join(sorted(SWEEPS)) or "none"
        raise ValueError(f"unknown sweep recipe {recipe!r}; known: {known}")
    module_name, attribute = SWEEPS[recipe].split(":")
    return getattr(importlib.import_module(module_name), attribute)


def default_storage(data_dir: str | Path | None = None) -> str:
    """``sqlite:///<data>/sweeps/sweeps.db`` (or the per-user fallback when the data folder is read-only)."""
    from course_lib.runtime import _writable_or_fallback, resolve_data_dir

    folder = _writable_or_fallback(resolve_data_dir(data_dir) / "sweeps", "sweeps")
    return f"sqlite:///{folder / 'sweeps.db'}"


def _storage(url: str):
    """An Optuna RDB storage for ``url``, with heartbeats so a killed worker's trial is marked failed."""
    import optuna
    import sqlalchemy.exc

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine_kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            if hasattr(optuna.storages, "RetryHeartbeatStaleTrialCallback"):  # optuna >= 4.9
                retry = {
                    "heartbeat_stale_trial_callback": optuna.storages.RetryHeartbeatStaleTrialCallback(1)
                }
            else:
                retry = {"failed_trial_callback": optuna.storages.RetryFailedTrialCallback(max_retry=1)}
            return optuna.storages.RDBStorage(
                url, engine_kwargs=engine_kwargs, heartbeat_interval=30, grace_period=90, **retry
            )
    except (sqlalchemy.exc.ArgumentError, sqlalchemy.exc.OperationalError, ImportError) as error:
        raise ValueError(f"cannot open the sweep storage {url!r}: {error}") from error


def open_study(
    name: str, storage: str | None = None, direction: str = "maximize", seed: int = 42, worker: int = 0
):
    """Create or load the study ``name`` in ``storage`` with a TPE sampler seeded by ``seed + worker``.

    Give each process working on one study its own ``worker`` index, so their
    samplers do not propose the same configurations.
    """
    import optuna

    url = storage or default_storage()
    sampler = optuna.samplers.TPESampler(seed=seed + worker, constant_liar=True)  # sees trials in progress
    study = optuna.create_study(
        study_name=name, storage=_storage(url), sampler=sampler, direction=direction, load_if_exists=True
    )
    found = study.direction.name.lower()
    if found != direction:
        raise ValueError(f"study {name!r} in {url} was created to {found}, not to {direction}")
    return study


def _finished(study) -> int:
    import optuna

    return len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))


# ----------------------------------------------------------------------------- the sweep


def _mean_summary(recipe: SweepRecipe, config: Any, data: Any, seeds: Sequence[int]) -> dict[str, float]:
    """Train ``config`` once per seed; the mean of every numeric summary value."""
    return _mean_of([recipe.train(config, data, seed).summary() for seed in seeds])


def _mean_of(summaries: Sequence[dict[str, Any]]) -> dict[str, float]:
    """The mean of every numeric value over several runs' summaries."""
    keys = [key for key, value in summaries[0].items() if isinstance(value, (int, float, np.number))]
    return {key: float(np.mean([summary[key] for summary in summaries])) for key in keys}


def _record(trial: Any, summary: dict[str, float], seconds: float, worker: int, seeds: Sequence[int]) -> None:
    """Store a trial's time, worker, seeds and validation figures as user attributes."""
    trial.set_user_attr("seconds", round(seconds, 2))
    trial.set_user_attr("worker", worker)
    trial.set_user_attr("seeds", list(seeds))
    for name, value in summary.items():
        if name.startswith("val_"):
            trial.set_user_attr(name, value)


def _objective(recipe: SweepRecipe, data: Any, smoke: bool, seeds: Sequence[int], worker: int):
    key = f"val_{recipe.metric}"

    def objective(trial) -> float:
        config = recipe.space(trial, smoke)
        start = time.perf_counter()
        summary = _mean_summary(recipe, config, data, seeds)
        if key not in summary:
            raise KeyError(f"{recipe.name}: the result's summary() has no {key!r}")
        _record(trial, summary, time.perf_counter() - start, worker, seeds)
        return summary[key]

    return objective


def _optimize_in_batches(
    handle: Any,
    recipe: SweepRecipe,
    data: Any,
    smoke: bool,
    seeds: Sequence[int],
    worker: int,
    trials: int,
    jobs: int,
) -> None:
    """Ask ``jobs`` trials at a time, train them at once in forked processes, tell them in the order asked.

    The sampler proposes each batch from the same finished trials whatever the
    machine's timing, so a seeded sweep gives the same trials with any ``jobs``
    >= 2 (with ``jobs = 1`` it is the ordinary sequential loop).
    """
    import optuna

    from course_lib.recipes.base import train_runs

    key = f"val_{recipe.metric}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(handle)  # trials of a killed batch (optimize() does this itself)
    while (missing := trials - _finished(handle)) > 0:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", "Heartbeat of storage", UserWarning
            )  # batches end within the run
            asked = [handle.ask() for _ in range(min(jobs, missing))]
        configs = {trial.number: recipe.space(trial, smoke) for trial in asked}
        runs: dict[int, list[tuple[dict[str, float], float]]] = {number: [] for number in configs}
        try:
            train = lambda config, seed: recipe.train(config, data, seed).summary()
            for number, _seed, summary, seconds in train_runs(configs, train, seeds, jobs):
                runs[number].append((summary, seconds))
        except BaseException:
            for trial in asked:
                handle.tell(trial, state=optuna.trial.TrialState.FAIL)
            raise
        for trial in asked:
            mean = _mean_of([summary for summary, _ in runs[trial.number]])
            if key not in mean:
                raise KeyError(f"{recipe.name}: the result's summary() has no {key!r}")
            _record(trial, mean, sum(seconds for _, seconds in runs[trial.number]), worker, seeds)
            handle.tell(trial, mean[key])


def trials_table(study):
    """One row per trial: number, state, value, parameters, seconds and worker (a pandas table)."""
    import pandas as pd

    rows = []
    for trial in study.get_trials(deepcopy=False):
        row = {"trial": trial.number, "state": trial.state.name.lower(), "value": trial.value}
        row.update(trial.params)
        row["seconds"] = trial.user_attrs.get("seconds")
        row["worker"] = trial.user_attrs.get("worker")
        rows.append(row)
    return pd.DataFrame(rows)


def run_sweep(
    recipe: str | SweepRecipe,
    study: str,
    trials: int,
    storage: str | None = None,
    smoke: bool = False,
    seeds: Sequence[int] = (42,),
    sampler_seed: int = 42,
    worker: int = 0,
    score_test: bool = True,
    data: Any = None,
    quiet: bool = True,
    jobs: int | str = 1,
) -> SweepResult:
    """Run the study until it holds ``trials`` finished trials, then score the winner on the test split.

    Args:
        recipe: A registered name (:data:`SWEEPS`) or a :class:`SweepRecipe`.
        study: The study name; processes sharing it (and ``storage``) share trials.
        trials: Finished trials the study should hold (this process adds the missing ones).
        storage: An RDB URL; :func:`default_storage` when None.
        smoke: Smoke-sized configurations and data.
        seeds: Training seeds per trial; the objective is their mean validation metric.
        sampler_seed: Seed of the TPE sampler (plus ``worker``).
        worker: This process's index among those sharing the study.
        score_test: Train the winner again and report its test metrics.
        data: The recipe's data when already loaded (else ``recipe.load(smoke)``).
        quiet: Hide Optuna's per-trial log lines.
        jobs: Trials trained at once on this machine, in forked processes (``"auto"``: one per
            CPU core); each batch is proposed from the same finished trials, so the result
            does not depend on the machine's timing.
    """
    import optuna

    from course_lib.recipes.base import resolve_jobs

    if trials < 1:
        raise ValueError(f"trials must be at least 1, got {trials}")
    recipe = resolve_recipe(recipe)
    url = storage or default_storage()
    if quiet:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    handle = open_study(study, url, recipe.direction, sampler_seed, worker)
    data = recipe.load(smoke) if data is None else data
    missing = trials - _finished(handle)
    parallel = resolve_jobs(jobs, missing * len(seeds))
    if missing > 0 and parallel > 1:
        _optimize_in_batches(handle, recipe, data, smoke, seeds, worker, trials, parallel)
    elif missing > 0:
        stop = optuna.study.MaxTrialsCallback(trials, states=(optuna.trial.TrialState.COMPLETE,))
        handle.optimize(_objective(recipe, data, smoke, seeds, worker), n_trials=missing, callbacks=[stop])
    best = handle.best_trial
    config = recipe.space(optuna.trial.FixedTrial(best.params), smoke)
    result = SweepResult(
        study_name=study,
        storage=url,
        metric=recipe.metric,
        trials=trials_table(handle),
        best_params=dict(best.params),
        best_config=config,
        best_value=float(best.value),
    )
    if score_test:
        summary = _mean_summary(recipe, config, data, best.user_attrs.get("seeds", seeds))
        result.test = {key: value for key, value in summary.items() if key.startswith("test_")}
        result.rerun_value = summary[f"val_{recipe.metric}"]
        if not math.isclose(result.rerun_value, result.best_value, rel_tol=1e-6, abs_tol=1e-9):
            result.notes.append(
                f"note: the winner trained again scored val_{recipe.metric} = {result.rerun_value:.4f}, "
                f"not {result.best_value:.4f} (a non-deterministic device or library)"
            )
    return result


# ----------------------------------------------------------------------------- command line


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``sweep RECIPE ...`` to the command line."""
    parser = subparsers.add_parser(
        "sweep",
        help="search a lesson's hyper-parameters with Optuna (validation objective, test once)",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("recipe", help=f"the lesson's sweep recipe ({', '.join(sorted(SWEEPS)) or 'none'})")
    parser.add_argument("--study", required=True, help="study name; processes sharing it share its trials")
    parser.add_argument(
        "--storage", default=None, help="RDB URL (default: a SQLite file under the data folder)"
    )
    parser.add_argument("--trials", type=int, required=True, help="finished trials the study should hold")
    parser.add_argument("--smoke", action="store_true", help="smoke-sized data and configurations")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42], help="training seeds per trial")
    parser.add_argument("--sampler-seed", type=int, default=42, help="seed of the TPE sampler")
    parser.add_argument(
        "--worker", type=int, default=0, help="this process's index among the study's workers"
    )
    parser.add_argument("--no-test", action="store_true", help="do not score the winner on the test split")
    parser.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    """Run ``sweep`` from parsed arguments and print the report."""
    from course_lib.runtime import resolve_mode

    smoke = args.smoke or resolve_mode("auto") == "smoke"
    result = run_sweep(
        args.recipe,
        study=args.study,
        trials=args.trials,
        storage=args.storage,
        smoke=smoke,
        seeds=args.seeds,
        sampler_seed=args.sampler_seed,
        worker=args.worker,
        score_test=not args.no_test,
    )
    print(result.report())
    return 0
