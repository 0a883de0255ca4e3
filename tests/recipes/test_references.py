"""Shipped reference results: saved from a trained comparison, loaded only when they match."""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np
import pytest

from course_lib.recipes.base import RecipeConfig
from course_lib.recipes.references import (
    ReferenceFileError,
    ReferenceSlot,
    decode_labels,
    encode_labels,
    load_or_compare,
    reference,
    reference_mode,
    save_comparison,
)

CORPUS = {"generator_version": "2", "preset": "full", "seed": 0, "params": {"a": 1}}


@dataclass(frozen=True)
class Toy(RecipeConfig):
    SMOKE_SIZES: ClassVar[dict[str, Any]] = {}
    accuracy: float = 0.5


@dataclass
class ToyResult:
    seed: int
    accuracy: float
    y_pred: np.ndarray
    test_ids: list[str]
    y_true: np.ndarray

    def summary(self) -> dict[str, float]:
        return {
            "val_weighted_f1": 1 - self.accuracy,
            "test_weighted_f1": float((self.y_pred == self.y_true).mean()),
        }

    def to_record(self) -> dict[str, Any]:
        return {"seed": self.seed, "accuracy": self.accuracy, "y_pred": encode_labels(self.y_pred)}

    @classmethod
    def from_record(cls, record, config, test_ids, y_true) -> ToyResult:
        return cls(record["seed"], record["accuracy"], decode_labels(record["y_pred"]), test_ids, y_true)


class Counter:
    """A toy ``train`` that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, config: Toy, seed: int) -> ToyResult:
        self.calls += 1
        rng = np.random.default_rng(seed)
        y_true = np.arange(50) % 4
        y_pred = np.where(rng.random(50) < config.accuracy, y_true, (y_true + 1) % 4)
        return ToyResult(seed, config.accuracy, y_pred, [f"t{i}" for i in range(50)], y_true)


CONFIGS = {"good": Toy(0.9), 2.0: Toy(0.4)}


def _slot(tmp_path, mode: str) -> ReferenceSlot:
    return ReferenceSlot("07_toy", "rows", mode, tmp_path)


def test_labels_round_trip_as_digits_or_lists():
    assert encode_labels([0, 3, 1]) == "031"
    assert encode_labels([0, 12]) == [0, 12]
    for values in ([0, 3, 1], [0, 12], []):
        assert decode_labels(encode_labels(values)).tolist() == values


def test_mode_comes_from_the_run_or_the_environment(monkeypatch):
    monkeypatch.delenv("COURSE_REFERENCE", raising=False)
    assert reference_mode() == "train"
    monkeypatch.setenv("COURSE_REFERENCE", "LOAD")
    assert reference_mode() == "load"
    with pytest.raises(ValueError, match="COURSE_REFERENCE"):
        reference_mode("maybe")
    slot = reference(SimpleNamespace(name="02_audio", reference="save"), "crops")
    assert (slot.notebook, slot.key, slot.mode) == ("02_audio", "crops", "save")
    assert slot.path.name == "02_audio.json" and slot.path.parent.name == "reference"


def test_saved_results_load_without_training_and_keep_every_number(tmp_path, capsys):
    train = Counter()
    saved = load_or_compare(_slot(tmp_path, "save"), CONFIGS, train, (1, 2), CORPUS, ToyResult.from_record)
    assert train.calls == 4 and "saved the results" in capsys.readouterr().out
    payload = json.loads(_slot(tmp_path, "save").path.read_text())
    assert payload["comparisons"]["rows"]["command"].startswith("COURSE_REFERENCE=save python -m course_lib")

    loaded = load_or_compare(_slot(tmp_path, "load"), CONFIGS, train, (1, 2), CORPUS, ToyResult.from_record)
    assert train.calls == 4, "loading must not train"
    assert "loaded the shipped results" in capsys.readouterr().out
    assert list(loaded.runs) == ["good", 2.0], "row names keep their order and type"
    assert loaded.summaries == saved.summaries and loaded.seconds == saved.seconds
    for name in CONFIGS:
        for a, b in zip(saved.runs[name], loaded.runs[name]):
            assert np.array_equal(a.y_pred, b.y_pred) and a.test_ids == b.test_ids
    assert loaded.best() == saved.best() == 2.0


@pytest.mark.parametrize(
    "configs, seeds, corpus, reason",
    [
        ({"good": Toy(0.8), 2.0: Toy(0.4)}, (1, 2), CORPUS, "configurations differ"),
        (CONFIGS, (1, 3), CORPUS, "seeds differ"),
        (CONFIGS, (1, 2), {**CORPUS, "preset": "tiny"}, "corpus differs"),
        (CONFIGS, (1, 2), None, "not the generated full corpus"),
    ],
)
def test_a_mismatch_trains_and_says_why(tmp_path, capsys, configs, seeds, corpus, reason):
    load_or_compare(_slot(tmp_path, "save"), CONFIGS, Counter(), (1, 2), CORPUS, ToyResult.from_record)
    capsys.readouterr()
    train = Counter()
    load_or_compare(_slot(tmp_path, "load"), configs, train, seeds, corpus, ToyResult.from_record)
    assert train.calls == 2 * len(seeds)
    assert reason in capsys.readouterr().out


def test_training_mode_prints_the_shipped_time_as_an_estimate(tmp_path, capsys):
    load_or_compare(_slot(tmp_path, "save"), CONFIGS, Counter(), (1, 2), CORPUS, ToyResult.from_record)
    capsys.readouterr()
    train = Counter()
    load_or_compare(_slot(tmp_path, "train"), CONFIGS, train, (1, 2), CORPUS, ToyResult.from_record)
    assert train.calls == 4 and "these 2 rows x 2 seeds took" in capsys.readouterr().out


def test_no_slot_or_no_file_just_trains(tmp_path):
    train = Counter()
    load_or_compare(None, CONFIGS, train, (1,), CORPUS, ToyResult.from_record)
    load_or_compare(_slot(tmp_path, "load"), CONFIGS, train, (1,), CORPUS, ToyResult.from_record)
    assert train.calls == 4


def test_saving_needs_a_generated_corpus_and_keeps_other_comparisons(tmp_path):
    comparison = load_or_compare(None, CONFIGS, Counter(), (1,), CORPUS, ToyResult.from_record)
    with pytest.raises(ValueError, match="generated corpus"):
        save_comparison(_slot(tmp_path, "save"), comparison, CONFIGS, (1,), None)
    save_comparison(_slot(tmp_path, "save"), comparison, CONFIGS, (1,), CORPUS)
    save_comparison(ReferenceSlot("07_toy", "other", "save", tmp_path), comparison, CONFIGS, (1,), CORPUS)
    assert set(json.loads(_slot(tmp_path, "save").path.read_text())["comparisons"]) == {"rows", "other"}


@pytest.mark.parametrize("text", ["{not json", "[]", '{"format": 99, "comparisons": {}}'])
def test_a_malformed_file_is_an_error_naming_it(tmp_path, text):
    _slot(tmp_path, "load").path.write_text(text)
    with pytest.raises(ReferenceFileError, match="07_toy.json"):
        load_or_compare(_slot(tmp_path, "load"), CONFIGS, Counter(), (1,), CORPUS, ToyResult.from_record)


def test_a_malformed_record_is_an_error_naming_the_file(tmp_path):
    load_or_compare(_slot(tmp_path, "save"), CONFIGS, Counter(), (1,), CORPUS, ToyResult.from_record)
    path = _slot(tmp_path, "save").path
    payload = json.loads(path.read_text())
    del payload["comparisons"]["rows"]["results"]["1"]
    path.write_text(json.dumps(payload))
    with pytest.raises(ReferenceFileError, match="malformed comparison record"):
        load_or_compare(_slot(tmp_path, "load"), CONFIGS, Counter(), (1,), CORPUS, ToyResult.from_record)
