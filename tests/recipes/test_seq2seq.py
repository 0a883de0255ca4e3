"""The lesson-09 recipe on a small MMSA pickle: configurations, both training modes, baselines, claims."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.course import check_claims
from course_lib.recipes import seq2seq as recipe
from course_lib.recipes.base import compare_configs

TINY = {"hidden": 6, "head_hidden": 5, "lstm_hidden": 6, "max_len": 6, "epochs": 2, "regression_epochs": 2}


@pytest.fixture(scope="module")
def setting(small_mmsa):
    config = recipe.TranslationConfig(**TINY)
    return config, recipe.load_translation_data(small_mmsa.parent.parent, config)


def test_names_follow_the_slides():
    config = recipe.TranslationConfig()
    assert config.name == "T -> A"
    assert config.replace(source="TV", target="TA").name == "concat(T,V) -> concat(T,A)"
    assert config.replace(source="T", via="A", target="V").name == "embed(T,A) -> V"
    assert config.replace(model="lstm", source="TVA").name == "concat(T+V+A)"
    assert all(c.name == name for name, c in recipe.trimodal_configs(config).items())
    assert list(recipe.trimodal_configs(config, ["embed(V,A) -> T"])) == ["embed(V,A) -> T"]
    with pytest.raises(KeyError, match="known"):
        recipe.trimodal_configs(config, ["T -> T"])
    baselines = recipe.baseline_configs(config)
    assert "T (raw)" not in baselines and not baselines["concat(T+A) (raw)"].standardise
    assert baselines["concat(T+A) (raw, SGD)"].optimizer == "sgd" and "concat(T+V) (SGD)" not in baselines
    with pytest.raises(ValueError, match="letters"):
        config.replace(source="X")
    with pytest.raises(ValueError, match="train_mode"):
        config.replace(train_mode="phases")


def test_data_is_truncated_and_raw_keeps_units(setting):
    config, data = setting
    assert max(len(x) for x in data.standardised.features["text"].values()) <= config.max_len
    clip = data.standardised.splits["train"][0].id
    assert np.abs(data.raw.features["audio"][clip]).mean() > 1.0  # raw audio sits around 3, not 0


@pytest.mark.parametrize("mode", ["two_phase", "joint"])
def test_training_modes_are_deterministic_and_score_the_translation(setting, mode):
    config, data = setting
    config = config.replace(train_mode=mode, cycle=mode == "joint")
    first = recipe.train(config, data, seed=5)
    again = recipe.train(config, data, seed=5)
    np.testing.assert_array_equal(first.y_pred, again.y_pred)
    summary = first.summary()
    assert {"test_f1_has0", "test_f1_7", "test_precision_7", "test_translation_mse", "seconds"} <= set(
        summary
    )
    assert first.translation_mse.shape == (17,) and np.all(first.mean_mse > 0)
    # the prediction reads only the source: zeroing the target modality changes nothing
    np.testing.assert_allclose(first.missing["audio"], first.y_pred, rtol=1e-5, atol=1e-6)
    assert not np.allclose(first.missing["text"], first.y_pred)
    if mode == "two_phase":
        assert first.history[0]["phase"] == 1 and first.history[-1]["phase"] == 2
        assert all(p.requires_grad for p in first.model.parameters())


def test_two_phase_keeps_the_frozen_translator_of_phase_one(setting):
    config, data = setting
    import torch

    from course_lib.recipes.seq2seq import _fit

    sequences = data.of(config)
    train_loader = sequences.dataset("train").loader(8, shuffle=True, seed=1)
    valid_loader = sequences.dataset("valid").loader(8)
    frozen, _ = _fit(
        config.replace(freeze_encoder=True), sequences.dims, train_loader, valid_loader, 1, "cpu"
    )
    free, _ = _fit(config, sequences.dims, train_loader, valid_loader, 1, "cpu")
    weight = "translator.encoder.lstm.weight_ih_l0"
    # same phase 1 (same seed); phase 2 moves the encoder only when it is not frozen
    assert not torch.equal(frozen.state_dict()[weight], free.state_dict()[weight])


def test_baselines_comparison_tables_and_claims(setting):
    config, data = setting
    configs = {
        "T -> A": config,
        "A -> T": config.replace(source="A", target="T"),
        "concat(T+A)": config.replace(model="lstm", source="TA"),
        "concat(T+A) (raw)": config.replace(model="lstm", source="TA", standardise=False),
    }
    comparison = compare_configs(configs, lambda c, s: recipe.train(c, data, s), seeds=(1, 2))
    table = recipe.prf_table(comparison)
    assert recipe.prf_record(comparison)["T -> A"]["translation_mse"] > 0
    assert list(table.columns) == list(recipe.PRF_COLUMNS) and "±" in table.loc["T -> A", "f1_2"]
    beside = recipe.beside_paper(comparison, recipe.paper.BIMODAL_TABLE)
    assert beside.loc[("concat(T+A) (raw)", "slides (Bimodal table)"), "f1_2"] == 0.53
    missing = recipe.missing_modality_table(comparison, {"T -> A": "audio", "concat(T+A)": "audio"})
    assert missing.loc["T -> A", "f1_2 (all)"] == pytest.approx(missing.loc["T -> A", "f1_2 (missing)"])
    assert "missing_audio_f1_has0" not in comparison.summaries["concat(T+A) (raw)"]["mean"]
    spread = recipe.prediction_spread(comparison, ["concat(T+A)", "concat(T+A) (raw)"])
    assert spread.loc["concat(T+A)", "prediction std"] >= 0
    assert 0 < spread.loc["concat(T+A)", "commonest predicted class"] <= 1
    claims = recipe.paper_claims(comparison, n_resamples=50)
    assert not check_claims(claims)
    assert len(claims) == 8 and all(c["paper_key"] == "pham" for c in claims)
