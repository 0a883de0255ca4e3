"""course_lib.runtime: mode, seeding, device, folders, recording."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from course_lib import runtime


@pytest.mark.parametrize(
    ("mode", "env", "expected"),
    [
        ("smoke", {}, "smoke"),
        ("full", {"CI": "true"}, "full"),
        ("auto", {"CI": "true"}, "smoke"),
        ("auto", {"COURSE_SMOKE": "1"}, "smoke"),
        ("auto", {}, "full"),
        ("auto", {"CI": "false"}, "full"),
    ],
)
def test_resolve_mode(monkeypatch, mode, env, expected):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("COURSE_SMOKE", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert runtime.resolve_mode(mode) == expected


def test_resolve_mode_rejects_unknown():
    with pytest.raises(ValueError, match="mode must be one of"):
        runtime.resolve_mode("fast")


def test_seed_everything_repeats_draws():
    runtime.seed_everything(7)
    first = (np.random.rand(3), torch.rand(3))
    runtime.seed_everything(7)
    second = (np.random.rand(3), torch.rand(3))
    assert np.array_equal(first[0], second[0]) and torch.equal(first[1], second[1])


def test_pick_device():
    assert runtime.pick_device("cpu").type == "cpu"
    assert runtime.pick_device("auto").type in {"cpu", "cuda", "mps"}
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            runtime.pick_device("cuda")


def test_offline_sets_hub_variable(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    assert runtime.resolve_offline(True) is True
    assert runtime.os.environ["HF_HUB_OFFLINE"] == "1"


def test_setup_resolves_folders_and_records(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "d"))
    run = runtime.setup("smoke", seed=3, device="cpu", name="probe", offline=True, verbose=False)
    assert run.smoke and run.preset == "tiny"
    assert run.data_dir == (tmp_path / "d").resolve()
    assert run.corpora_dir == run.data_dir / "corpora" / "tiny"
    assert run.pick("a", "b") == "a"
    path = run.record(
        {"f1": np.float32(0.5), "per_class": {"neu": 0.25}, "curve": np.arange(3), "nan": float("nan")}
    )
    payload = json.loads(path.read_text())
    assert path == run.data_dir / "results" / "probe.json"
    assert payload["results"] == {"f1": 0.5, "per_class": {"neu": 0.25}, "curve": [0, 1, 2], "nan": None}
    assert payload["mode"] == "smoke" and payload["seed"] == 3


def test_record_refuses_unknown_types(tmp_path):
    run = runtime.setup("smoke", results_path=str(tmp_path / "r.json"), offline=True, verbose=False)
    with pytest.raises(TypeError, match="cannot record"):
        run.record({"model": object()})


def test_import_has_no_side_effects(monkeypatch):
    import importlib

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    importlib.reload(runtime)
    assert "HF_HUB_OFFLINE" not in runtime.os.environ


def test_cache_dir_follows_course_cache_dir(tmp_path, monkeypatch):
    from course_lib.runtime import resolve_cache_dir

    monkeypatch.delenv("COURSE_CACHE_DIR", raising=False)
    assert resolve_cache_dir(tmp_path) == tmp_path.resolve() / "cache"
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert resolve_cache_dir(tmp_path) == (tmp_path / "elsewhere").resolve()
    run = runtime.setup("smoke", data_dir=str(tmp_path), offline=True, verbose=False)
    assert run.cache_dir == (tmp_path / "elsewhere").resolve()
