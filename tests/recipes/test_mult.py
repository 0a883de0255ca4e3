"""The lesson-06 recipe end to end on a small MMSA pickle: pre-training, personalisation, claims."""

from __future__ import annotations

import pytest

from course_lib.course import check_claims
from course_lib.recipes import mult as recipe

TINY = {
    "dim": 8,
    "heads": 2,
    "layers": 1,
    "memory_layers": 1,
    "adapter_hidden": 16,
    "epochs": 2,
    "patience": 2,
    "n_users": 2,
    "k": 2,
    "draws": 2,
    "steps": 3,
    "lstm_hidden": 8,
}


@pytest.fixture(scope="module")
def setting(small_mmsa):
    config = recipe.PersonalisationConfig(**TINY)
    data = recipe.load_personalisation_data(small_mmsa.parent.parent, config)
    return config, data


def test_protocol_keeps_target_users_out_of_pretraining(setting):
    _, data = setting
    assert data.targets == ["te1", "te2"]
    seen = {s.video_id for s in data.pretrain_train + data.pretrain_valid}
    assert not seen & set(data.targets)
    assert set(data.user_index) == {"tr1", "tr2", "tr3"} and 0 not in data.user_index.values()
    assert list(data.validation_users) == ["va1"]
    assert data.bias == {}  # no ground truth beside this pickle


def test_pretrain_personalise_and_claims(setting):
    config, data = setting
    first = recipe.train(config, data, seed=3)
    again = recipe.train(config, data, seed=3)
    assert (first.y_pred == again.y_pred).all()  # same seed, same CPU predictions
    assert len(first.test_ids) == 17 and "val_mae" in first.summary()
    result = recipe.personalise(config, data, first.model, seed=3)
    assert result.methods == list(recipe.METHODS) and result.users == ["te1", "te2"]
    per_user = recipe.per_user_record(result)
    assert set(per_user["te1"]) == set(recipe.METHODS)
    assert set(per_user["te1"]["fs_ua_kd"]) == {"mae", "corr", "acc7", "f1", "acc2"}
    assert set(recipe.mean_record(result)) == set(recipe.METHODS)
    claims = recipe.paper_claims(result, bias={"te1": 0.5, "te2": -0.5}, control=result, n_resamples=50)
    assert not check_claims(claims)
    assert len(claims) == 8
    table = recipe.beside_paper_table(result)
    assert table.loc[("FS-UA-KD", "paper (Table 3)"), "mae"] == 0.89


def test_lambda_curve_uses_validation_users_only(setting):
    config, data = setting
    model = recipe.train(config.replace(epochs=1), data, seed=0).model
    table, result = recipe.lambda_curve(config, data, model, seed=0, lams=(0.0, 1.0))
    assert list(table.index) == ["baseline", "0", "1"]
    assert result.users == ["va1"]


def test_baselines_train_through_the_same_recipe(setting):
    config, data = setting
    for name in ("text_lstm", "ef_lstm"):
        assert recipe.train(config.replace(model=name), data, seed=0).y_pred.shape == (17,)
    with pytest.raises(ValueError, match="model must be"):
        recipe.PersonalisationConfig(model="lstm")


def test_missing_corpus_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="aligned_50.pkl"):
        recipe.load_personalisation_data(tmp_path, recipe.PersonalisationConfig())
