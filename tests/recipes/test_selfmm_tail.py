"""Lesson 08's option: Self-MM fine-tuning a copy of MiniLM's last layer over cached pre-tail states."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.features.sequences import load_sequences
from course_lib.models.selfmm import tail_tokens
from course_lib.recipes import selfmm as recipe

TINY = {"epochs": 2, "patience": 2, "text_out": 8, "fusion_dim": 8}


@pytest.fixture(scope="module")
def corpus(small_mmsa, tmp_path_factory):
    root = tmp_path_factory.mktemp("selfmm_tail")
    (root / "MOSEI").mkdir()
    (root / "MOSEI" / "aligned_50.pkl").write_bytes(small_mmsa.read_bytes())
    return root


@pytest.fixture(scope="module")
def plain(corpus):
    return recipe.load_selfmm_data(corpus, recipe.SelfMMConfig(**TINY))


@pytest.fixture(scope="module")
def tuned(plain):
    return plain.with_text_tail()


def test_pretail_states_come_beside_the_aligned_text(plain, tuned):
    assert "text_pretail" not in plain.sequences.features, "loaded only when asked"
    assert plain.with_text_tail() is tuned and tuned.with_text_tail() is tuned
    features = tuned.sequences.features
    for clip, text in features["text"].items():
        assert len(text) == len(features["audio"][clip]) == len(features["vision"][clip])
        pretail = len(features["text_pretail"][clip])
        assert pretail == len(text) + 2 or (pretail == 2 and len(text) == 1)  # an empty transcript
    with pytest.raises(ValueError, match="extra_text"):
        load_sequences(tuned.sequences.path, "minilm_tokens", extra_text=("glove",))


def test_tail_before_training_reproduces_the_frozen_tokens(tuned):
    dataset = tuned.dataset("train")
    batch = dataset.collate([dataset[i] for i in range(len(dataset))])
    with torch.no_grad():
        tokens, lengths = tail_tokens(recipe.text_tail().eval(), batch)
    for row, (clip, n) in enumerate(zip(dataset.ids, lengths.tolist())):
        frozen = tuned.sequences.features["text"][clip]
        assert n == len(frozen)
        assert tokens[row, :n].numpy() == pytest.approx(frozen, abs=1e-4)


def test_tail_trains_in_the_text_group_at_text_lr(tuned):
    config = recipe.SelfMMConfig(**TINY, text_tail=True, text_lr=2e-4)
    model = recipe.build_model(config, tuned.sequences.dims)
    tail = {id(p) for p in model.text_tail.parameters()}
    groups = recipe.param_groups(config)(model)
    (text_group,) = [g for g in groups if tail & {id(p) for p in g["params"]}]
    assert tail <= {id(p) for p in text_group["params"]} and text_group["lr"] == 2e-4
    dataset = tuned.dataset("train")
    batch = dataset.collate([dataset[i] for i in range(8)])
    model(batch)["prediction"].sum().backward()
    assert all(p.grad is not None and float(p.grad.abs().sum()) > 0 for p in model.text_tail.parameters())
    result = recipe.train(config, tuned, seed=3)
    start = recipe.text_tail().state_dict()
    moved = [k for k, v in result.model.text_tail.state_dict().items() if not torch.equal(v, start[k])]
    assert moved and np.isfinite(result.test["mae"]) and len(result.history) == 2


def test_train_loads_the_pretail_states_when_a_config_asks(corpus):
    config = recipe.SelfMMConfig(**{**TINY, "epochs": 1}, text_tail=True, model="m_only")
    data = recipe.load_selfmm_data(corpus, recipe.SelfMMConfig(**TINY))
    result = recipe.train(config, data, seed=1)
    assert result.model.text_tail is not None and data._with_tail is not None
    with pytest.raises(ValueError, match="text_tail"):
        recipe.SelfMMConfig(model="text_guided", text_tail=True)


def test_frozen_default_ignores_the_pretail_states(plain, tuned):
    config = recipe.SelfMMConfig(**TINY)
    assert not config.text_tail
    first, second = recipe.train(config, plain, seed=3), recipe.train(config, tuned, seed=3)
    assert first.model.text_tail is None
    assert np.array_equal(first.y_pred, second.y_pred)


def test_bench_prints_seconds_per_epoch_of_both_runs(small_mmsa, tmp_path, monkeypatch, capsys):
    import argparse

    from course_lib.recipes import selfmm_bench

    (tmp_path / "corpora" / "tiny" / "MOSEI").mkdir(parents=True)
    (tmp_path / "corpora" / "tiny" / "MOSEI" / "aligned_50.pkl").write_bytes(small_mmsa.read_bytes())
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    parser = argparse.ArgumentParser()
    selfmm_bench.add_arguments(parser)
    assert selfmm_bench.run(parser.parse_args(["--preset", "tiny", "--epochs", "1"])) == 0
    out = capsys.readouterr().out
    assert "frozen tokens:" in out and "text tail, text_lr 0.001:" in out and out.count("s/epoch") == 2
