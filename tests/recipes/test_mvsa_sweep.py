"""``python -m course_lib sweep mvsa``: two processes on one SQLite study share its trials."""

from __future__ import annotations

import os
import subprocess
import sys

import optuna
import pytest

from course_lib.data.synthetic.mvsa_gen import MVSAPreset, write_mvsa_corpus
from course_lib.recipes import mvsa as recipe
from course_lib.runtime import repo_root
from course_lib.training import sweep


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    write_mvsa_corpus(root / "corpora" / "tiny", "tiny", seed=5, progress=False, params=MVSAPreset(60, 10))
    recipe.load_data(
        root / "corpora" / "tiny", recipe.MVSAConfig.sized(True), root / "cache"
    )  # warm the cache
    return root


def test_mvsa_is_a_registered_sweep_recipe():
    found = sweep.resolve_recipe("mvsa")
    assert found is recipe.SWEEP and found.metric == "weighted_f1" and found.direction == "maximize"
    config = found.space(
        optuna.trial.FixedTrial(
            {"lr": 1e-3, "weight_decay": 1e-4, "hidden": 64, "dropout": 0.1, "num_heads": 2, "batch_size": 16}
        ),
        True,
    )
    assert (
        config.model == recipe.SWEEP_MODEL
        and config.max_epochs == recipe.MVSAConfig.SMOKE_SIZES["max_epochs"]
    )


def test_two_sweep_commands_started_together_fill_one_study(data_dir, tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    sweep.open_study("together", url)  # created once, before the workers race
    env = {
        **os.environ,
        "COURSE_DATA_DIR": str(data_dir),
        "PYTHONPATH": str(repo_root()),
        "HF_HUB_OFFLINE": "1",
    }
    command = [
        sys.executable,
        "-m",
        "course_lib",
        "sweep",
        "mvsa",
        "--study",
        "together",
        "--storage",
        url,
        "--trials",
        "4",
        "--smoke",
        "--no-test",
    ]
    workers = [
        subprocess.Popen(
            [*command, "--worker", str(i)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for i in (0, 1)
    ]
    outputs = [process.communicate(timeout=600) for process in workers]
    for process, (out, err) in zip(workers, outputs):
        assert process.returncode == 0, err[-2000:]
        assert "best trial: val_weighted_f1" in out and "best configuration" in out
    table = sweep.trials_table(optuna.load_study(study_name="together", storage=url))
    done = table[table["state"] == "complete"]
    assert 4 <= len(done) <= 5  # a trial may start in each worker just before the target is reached
    assert set(done["worker"]) == {0, 1}
    assert {"lr", "weight_decay", "hidden", "dropout", "num_heads", "batch_size"} <= set(table.columns)
