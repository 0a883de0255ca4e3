"""The Optuna sweep: seeded, validation-only objective, test once, shared studies, command line."""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass

import numpy as np
import optuna
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from course_lib.__main__ import main
from course_lib.recipes.base import RecipeConfig
from course_lib.training import sweep


@dataclass(frozen=True)
class ToyConfig(RecipeConfig):
    c: float = 1.0
    intercept: bool = True


@dataclass
class ToyResult:
    val: float
    test: float

    def summary(self) -> dict[str, float]:
        return {"val_weighted_f1": self.val, "test_weighted_f1": self.test, "note": "x"}


CALLS: list[str] = []


def toy_space(trial, smoke: bool) -> ToyConfig:
    return ToyConfig(
        c=trial.suggest_float("c", 1e-4, 10.0, log=True),
        intercept=trial.suggest_categorical("intercept", [True, False]),
    )


def toy_load(smoke: bool):
    x, y = make_classification(n_samples=300, n_features=8, flip_y=0.2, random_state=0)
    return (x[:150], y[:150]), (x[150:225], y[150:225]), (x[225:], y[225:])


def toy_train(config: ToyConfig, data, seed: int, pause: float = 0.0) -> ToyResult:
    (x, y), (xv, yv), (xt, yt) = data
    model = LogisticRegression(C=config.c, fit_intercept=config.intercept, random_state=seed).fit(x, y)
    CALLS.append("train")
    time.sleep(pause)
    return ToyResult(
        f1_score(yv, model.predict(xv), average="weighted"),
        f1_score(yt, model.predict(xt), average="weighted"),
    )


TOY = sweep.SweepRecipe("toy", toy_space, toy_load, toy_train, description="logistic regression")
SLOW_TOY = sweep.SweepRecipe("slow_toy", toy_space, toy_load, lambda c, d, s: toy_train(c, d, s, pause=0.3))


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_the_same_sampler_seed_proposes_the_same_trials(tmp_path):
    first = sweep.run_sweep(TOY, "a", trials=6, storage=f"sqlite:///{tmp_path / 'a.db'}", score_test=False)
    second = sweep.run_sweep(TOY, "a", trials=6, storage=f"sqlite:///{tmp_path / 'b.db'}", score_test=False)
    assert first.trials["c"].tolist() == second.trials["c"].tolist()
    assert first.trials["value"].tolist() == second.trials["value"].tolist()
    other = sweep.run_sweep(
        TOY, "a", trials=6, storage=f"sqlite:///{tmp_path / 'c.db'}", sampler_seed=7, score_test=False
    )
    assert other.trials["c"].tolist() != first.trials["c"].tolist()


def test_trials_store_validation_only_and_the_winner_is_scored_on_test_once(tmp_path):
    CALLS.clear()
    result = sweep.run_sweep(TOY, "s", trials=5, storage=f"sqlite:///{tmp_path / 's.db'}", seeds=(1, 2))
    assert len(CALLS) == 5 * 2 + 2  # every trial over two seeds, then the winner once more
    stored = optuna.load_study(study_name="s", storage=f"sqlite:///{tmp_path / 's.db'}")
    for trial in stored.trials:
        assert not any(key.startswith("test_") for key in trial.user_attrs)
        assert trial.user_attrs["seeds"] == [1, 2]
    assert result.best_value == max(result.trials["value"])
    assert result.rerun_value == pytest.approx(result.best_value)
    assert set(result.test) == {"test_weighted_f1"}
    assert result.best_config == toy_space(optuna.trial.FixedTrial(result.best_params), False)
    assert "test split, scored once for the winner" in result.report()


def test_a_study_that_holds_its_trials_is_resumed_not_redone(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    sweep.run_sweep(TOY, "r", trials=3, storage=url, score_test=False)
    CALLS.clear()
    result = sweep.run_sweep(TOY, "r", trials=5, storage=url, score_test=False)
    assert len(CALLS) == 2 and len(result.trials) == 5
    CALLS.clear()
    sweep.run_sweep(TOY, "r", trials=5, storage=url, score_test=False)
    assert CALLS == []


def _worker(url: str, index: int, barrier) -> None:
    barrier.wait()
    sweep.run_sweep(SLOW_TOY, "shared", trials=8, storage=url, worker=index, score_test=False)


def test_two_processes_on_one_study_share_its_trials(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    sweep.open_study("shared", url)  # created once, before the workers race
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    workers = [context.Process(target=_worker, args=(url, index, barrier)) for index in (0, 1)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
        assert process.exitcode == 0
    table = sweep.trials_table(optuna.load_study(study_name="shared", storage=url))
    done = table[table["state"] == "complete"]
    assert 8 <= len(done) <= 9  # a trial may start in each worker just before the target is reached
    assert set(done["worker"]) == {0, 1}
    assert table["trial"].is_unique


def test_a_study_created_for_the_other_direction_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    sweep.open_study("d", url, direction="minimize")
    with pytest.raises(ValueError, match="created to minimize"):
        sweep.open_study("d", url, direction="maximize")


def test_bad_inputs_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown sweep recipe 'nope'"):
        sweep.resolve_recipe("nope")
    with pytest.raises(ValueError, match="cannot open the sweep storage"):
        sweep.open_study("x", "notadialect://nowhere")
    with pytest.raises(ValueError, match="at least 1"):
        sweep.run_sweep(TOY, "x", trials=0, storage=f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ValueError, match="direction"):
        sweep.SweepRecipe("bad", toy_space, toy_load, toy_train, direction="up")


def test_the_command_prints_the_trial_table_and_the_winner(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sweep.SWEEPS, "toy", f"{__name__}:TOY")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["sweep", "toy", "--study", "cli", "--storage", url, "--trials", "3", "--smoke"]) == 0
    out = capsys.readouterr().out
    assert "trial" in out and "best trial: val_weighted_f1 =" in out and "best configuration: {'c':" in out
    assert main(["sweep", "nope", "--study", "cli", "--trials", "3"]) == 2
    assert "unknown sweep recipe" in capsys.readouterr().err


def test_the_default_storage_is_a_sqlite_file_in_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    assert sweep.default_storage() == f"sqlite:///{tmp_path / 'sweeps' / 'sweeps.db'}"
    assert np.isfinite(sweep.run_sweep(TOY, "default", trials=2, score_test=False).best_value)
    assert (tmp_path / "sweeps" / "sweeps.db").is_file()


def test_parallel_trials_are_proposed_in_batches_and_reproducible(tmp_path):
    runs = [
        sweep.run_sweep(
            TOY, "p", trials=5, storage=f"sqlite:///{tmp_path / f'{name}.db'}", seeds=(1, 2), jobs=2
        )
        for name in ("a", "b")
    ]
    first, second = (run.trials for run in runs)
    assert len(first) == 5 and (first["state"] == "complete").all()  # never more than asked for
    assert first["c"].tolist() == second["c"].tolist()  # the machine's timing does not matter
    assert first["value"].tolist() == second["value"].tolist()
    assert first["c"].nunique() == 5  # trials asked together are not proposed twice
    stored = optuna.load_study(study_name="p", storage=f"sqlite:///{tmp_path / 'a.db'}")
    assert all(trial.user_attrs["seeds"] == [1, 2] for trial in stored.trials)
    assert runs[0].rerun_value == pytest.approx(runs[0].best_value)  # the winner retrained in the parent


def test_a_failing_batch_marks_its_trials_failed(tmp_path):
    def broken(config, data, seed):
        raise RuntimeError("diverged")

    url = f"sqlite:///{tmp_path / 'f.db'}"
    with pytest.raises(RuntimeError, match="diverged"):
        sweep.run_sweep(
            sweep.SweepRecipe("bad", toy_space, toy_load, broken), "f", trials=2, storage=url, jobs=2
        )
    states = {trial.state for trial in optuna.load_study(study_name="f", storage=url).trials}
    assert states == {optuna.trial.TrialState.FAIL}
