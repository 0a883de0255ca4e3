"""The run store: finished runs are kept and taken instead of trained again, weights included."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import numpy as np
import pytest
import torch

from course_lib.recipes.base import RecipeConfig, compare_configs
from course_lib.recipes.store import RunStore, StoreFileError, source_fingerprint, store_enabled


@dataclass(frozen=True)
class Toy(RecipeConfig):
    offset: int = 0


@dataclass
class ToyResult:
    seed: int
    value: float
    test_ids: list[str]
    y_true: np.ndarray
    y_pred: np.ndarray
    model: torch.nn.Module | None = None

    def summary(self) -> dict[str, float]:
        return {"val_score": self.value, "test_score": self.value}

    def to_record(self) -> dict:
        return {"seed": self.seed, "value": self.value, "y_pred": self.y_pred.tolist(), "seconds": 2.5}

    @classmethod
    def from_record(cls, record, config, test_ids, y_true) -> ToyResult:
        return cls(record["seed"], record["value"], test_ids, y_true, np.asarray(record["y_pred"]))


class Counter:
    """A toy training function that counts its calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def __call__(self, config: Toy, seed: int) -> ToyResult:
        self.calls.append((config.offset, seed))
        model = torch.nn.Linear(2, 1)
        torch.nn.init.constant_(model.weight, float(seed + config.offset))
        labels = np.array([0, 1, 2])
        return ToyResult(seed, seed / 100 + config.offset, ["a", "b", "c"], labels, labels, model)


def toy_store(tmp_path, **context) -> RunStore:
    return RunStore(tmp_path / "runs", {"recipe": "toy", **context}, trained_by="01_test")


def test_a_stored_run_is_taken_instead_of_trained_again(tmp_path, capsys):
    train, store = Counter(), toy_store(tmp_path)
    configs = {"zero": Toy(0), "one": Toy(1)}
    first = compare_configs(configs, train, seeds=(1, 2), store=store, from_record=ToyResult.from_record)
    assert len(train.calls) == 4 and len(list((tmp_path / "runs").glob("*.json"))) == 4
    second = compare_configs(configs, train, seeds=(1, 2), store=store, from_record=ToyResult.from_record)
    assert len(train.calls) == 4, "nothing is trained twice"
    assert "taken from the run store (trained by 01_test" in capsys.readouterr().out
    for name in configs:
        assert second.summaries[name]["mean"] == first.summaries[name]["mean"]
        assert [r.y_pred.tolist() for r in second.runs[name]] == [r.y_pred.tolist() for r in first.runs[name]]
        assert all(r.model is None for r in second.runs[name])
    assert second.seconds["zero"] == 5.0, "a stored run counts the time it took when trained"


def test_only_the_missing_runs_are_trained(tmp_path):
    train, store = Counter(), toy_store(tmp_path)
    compare_configs({"zero": Toy(0)}, train, seeds=(1,), store=store, from_record=ToyResult.from_record)
    comparison = compare_configs(
        {"zero": Toy(0), "two": Toy(2)}, train, seeds=(1, 2), store=store, from_record=ToyResult.from_record
    )
    assert train.calls == [(0, 1), (0, 2), (2, 1), (2, 2)]
    assert [r.seed for r in comparison.runs["zero"]] == [1, 2]


def test_keys_depend_on_configuration_seed_and_context(tmp_path):
    store = toy_store(tmp_path)
    assert store.key(Toy(0), 1) == toy_store(tmp_path).key(Toy(0), 1)
    assert len({store.key(Toy(0), 1), store.key(Toy(1), 1), store.key(Toy(0), 2)}) == 3
    assert toy_store(tmp_path, corpus="other").key(Toy(0), 1) != store.key(Toy(0), 1)
    assert source_fingerprint() == source_fingerprint() and len(source_fingerprint()) == 16


def test_weights_round_trip_and_must_fit(tmp_path):
    train, store = Counter(), toy_store(tmp_path)
    compare_configs({"zero": Toy(0)}, train, seeds=(3,), store=store, from_record=ToyResult.from_record)
    model = torch.nn.Linear(2, 1)
    assert store.load_weights(Toy(0), 3, model)
    assert torch.all(model.weight == 3.0)
    assert not store.load_weights(Toy(0), 4, torch.nn.Linear(2, 1)), "no weights stored for that seed"
    with pytest.raises(StoreFileError, match="safetensors"):
        store.load_weights(Toy(0), 3, torch.nn.Linear(3, 1))


def test_a_damaged_stored_run_is_an_error_naming_its_file(tmp_path):
    train, store = Counter(), toy_store(tmp_path)
    compare_configs({"zero": Toy(0)}, train, seeds=(1,), store=store, from_record=ToyResult.from_record)
    path = tmp_path / "runs" / f"{store.key(Toy(0), 1)}.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(StoreFileError, match=path.name):
        store.load(Toy(0), 1, ToyResult.from_record)
    payload = {"format": 99}
    path.write_text(json.dumps(payload), encoding="utf-8")
    with pytest.raises(StoreFileError, match="format 99"):
        store.load(Toy(0), 1, ToyResult.from_record)


def test_a_store_needs_from_record(tmp_path):
    with pytest.raises(ValueError, match="from_record"):
        compare_configs({"zero": Toy(0)}, Counter(), seeds=(1,), store=toy_store(tmp_path))


@pytest.mark.parametrize("value, expected", [("", True), ("on", True), ("off", False), ("0", False)])
def test_store_switch(value, expected):
    assert store_enabled(value) is expected


def test_store_switch_rejects_other_values():
    with pytest.raises(ValueError, match="COURSE_RUN_STORE"):
        store_enabled("maybe")


def test_erc_runs_are_stored_with_their_weights(small_erc_data, tmp_path, monkeypatch):
    from course_lib.recipes import erc

    monkeypatch.setattr(erc.ERCData, "fingerprint", lambda self: {"generator_version": "test"})
    data = dataclasses.replace(small_erc_data, runs_dir=tmp_path / "runs", trained_by="03_test")
    assert small_erc_data.run_store() is None, "a corpus loaded from a folder stores nothing by default"
    chosen = erc.ERCConfig(
        text="bilstm_random", audio=None, conv_length=2, hidden_size=8, num_layers=1, max_epochs=2, patience=1
    )
    trained = erc.compare({"text": chosen}, data, seeds=(5,), jobs=1).runs["text"][0]
    calls = []
    monkeypatch.setattr(erc, "train_erc", lambda *args, **kwargs: calls.append(1))
    stored = erc.compare({"again": chosen}, data, seeds=(5,), jobs=1).runs["again"][0]
    assert not calls and stored.model is None
    assert stored.summary() == trained.summary() and stored.y_pred.tolist() == trained.y_pred.tolist()
    model = erc.trained_model(stored, data)
    assert not calls, "the stored weights are used, nothing is trained"
    for (name, a), b in zip(model.state_dict().items(), trained.model.state_dict().values()):
        assert torch.equal(a, b), name
