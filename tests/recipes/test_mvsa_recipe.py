"""The lesson-07 recipe on a small generated MVSA tree: features, training, search hooks, saved predictor."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from course_lib.course import check_claims
from course_lib.data.synthetic.mvsa_gen import MVSAPreset, write_mvsa_corpus
from course_lib.features.image import ImageDecodeError
from course_lib.papers import alfano, papers
from course_lib.recipes import mvsa as recipe
from course_lib.recipes.base import compare_configs

FAST = {"max_epochs": 2, "patience": 2, "hidden": 16, "embed_dim": 16, "num_heads": 2}


@pytest.fixture(scope="module")
def setting(tmp_path_factory):
    root = tmp_path_factory.mktemp("mvsa")
    params = MVSAPreset(single_posts=70, multiple_posts=10)
    write_mvsa_corpus(root / "corpora", "tiny", seed=3, progress=False, params=params)
    config = recipe.MVSAConfig(**FAST)
    data = recipe.load_data(root / "corpora", config, root / "cache")
    return root, config, data


def test_features_splits_and_ground_truth(setting):
    _, _, data = setting
    ids = [{p.id for p in data.posts[s]} for s in recipe.SPLITS]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    for split in recipe.SPLITS:
        n = len(data.posts[split])
        assert data.text[split].shape == (n, 384) and data.image[split].shape == (n, 1280)
        assert data.regions[split].shape == (n, 16, 1280)
        assert data.tokens[split].shape[:2] == data.tokens_mask[split].shape
        mask = data.tokens_mask[split][:, :, None]
        np.testing.assert_allclose(
            (data.tokens[split] * mask).sum(1) / mask.sum(1), data.text[split], rtol=1e-5, atol=1e-6
        )
        np.testing.assert_allclose(data.regions[split].mean(1), data.image[split], rtol=1e-5, atol=1e-6)
    assert data.truth is not None and all(p.id in data.truth for p in data.posts["test"])
    assert sum(sum(c.values()) for c in data.counts().values()) == data.report.kept


def test_a_batch_is_cut_to_its_longest_post_and_the_region_model_does_not_notice(setting):
    _, config, data = setting
    lengths = data.tokens_mask["valid"].sum(1)
    short = np.argsort(lengths)[:3]
    batch = data.batch("valid", short)
    assert batch["tokens"].shape[1] == int(lengths[short].max()) < data.tokens["valid"].shape[1]
    assert batch["tokens_mask"].all(dim=1).any()  # the longest post fills the batch
    padded = {
        **batch,
        "tokens": torch.from_numpy(data.tokens["valid"][short]),
        "tokens_mask": torch.from_numpy(data.tokens_mask["valid"][short]),
    }
    torch.manual_seed(0)
    model = recipe.build_model(config.replace(model="region_mha"), data).eval()
    with torch.no_grad():
        assert torch.allclose(model(batch), model(padded), atol=1e-5)


def test_training_is_deterministic_and_scores_validation_then_test(setting):
    _, config, data = setting
    first = recipe.train(config.replace(model="region_mha"), data, seed=5)
    again = recipe.train(config.replace(model="region_mha"), data, seed=5)
    assert (first.y_pred == again.y_pred).all() and (first.val_pred == again.val_pred).all()
    summary = first.summary()
    assert {"val_weighted_f1", "test_weighted_f1", "test_f1_neutral", "seconds"} <= set(summary)
    score, trial = recipe.objective(config, data, seed=5)
    assert trial.y_pred is None and "test_weighted_f1" not in trial.summary()
    assert score == pytest.approx(trial.val_weighted_f1)
    with pytest.raises(RuntimeError, match="score_test"):
        trial.metrics("test")
    assert recipe.score_test(trial, data).y_pred.shape == (len(data.posts["test"]),)


class _Trial:
    """Stands in for an optuna trial: the first choice, the low end of each range."""

    def __init__(self):
        self.params = {}

    def suggest_float(self, name, low, high, log=False):
        self.params[name] = low
        return low

    def suggest_categorical(self, name, choices):
        self.params[name] = choices[-1]
        return choices[-1]

    def suggest_int(self, name, low, high, step=1, log=False):
        self.params[name] = low
        return low


def test_search_space_changes_only_the_searched_fields():
    base = recipe.MVSAConfig(model="pooled_mha_residual")
    trial = _Trial()
    config = recipe.suggest_config(trial, base)
    assert config.model == "pooled_mha_residual" and config.lr == 1e-4 and config.num_heads == 8
    assert set(trial.params) == {"lr", "weight_decay", "hidden", "dropout", "num_heads", "batch_size"}


def test_saved_predictor_round_trip_and_predict_post(setting, tmp_path):
    _, config, data = setting
    result = recipe.train(config.replace(model="region_mha"), data, seed=1)
    folder = recipe.save_predictor(result, tmp_path / "model", data)
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]
    predictor = recipe.load_predictor(folder)
    batch = data.batch("test")
    result.model.eval()
    with torch.no_grad():
        torch.testing.assert_close(predictor.model(batch), result.model(batch))
    post = data.posts["test"][0]
    out = predictor.predict_post(post.text, post.image_path)
    assert out["label"] in alfano.CLASSES and abs(sum(out["probabilities"].values()) - 1) < 1e-5
    assert out["region_attention"].shape == (16,)
    cached = predictor.predict_batch(data.batch("test", [0]))
    for c in alfano.CLASSES:  # features computed afresh match the cached ones
        assert out["probabilities"][c] == pytest.approx(cached["probabilities"][c], abs=1e-3)


def test_predict_post_names_a_broken_or_missing_image(setting, tmp_path):
    _, config, data = setting
    predictor = recipe.load_predictor(
        recipe.save_predictor(recipe.train(config, data, seed=1), tmp_path / "m", data)
    )
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(data.posts["train"][0].image_path.read_bytes()[:200])
    with pytest.raises(ImageDecodeError, match="broken.jpg"):
        predictor.predict_post("so happy", broken)
    with pytest.raises(ImageDecodeError, match="missing.jpg"):
        predictor.predict_post("so happy", tmp_path / "missing.jpg")
    with pytest.raises(TypeError, match="string"):
        predictor.predict_post(None, data.posts["train"][0].image_path)


def test_load_predictor_names_a_bad_folder(setting, tmp_path):
    _, config, data = setting
    folder = recipe.save_predictor(recipe.train(config, data, seed=1), tmp_path / "m", data)
    with pytest.raises(recipe.PredictorError, match="config.json"):
        recipe.load_predictor(tmp_path / "nowhere")
    meta = json.loads((folder / "config.json").read_text())
    meta["config"]["hidden"] = 32  # the weights no longer fit
    (folder / "config.json").write_text(json.dumps(meta))
    with pytest.raises(recipe.PredictorError, match="model.safetensors"):
        recipe.load_predictor(folder)
    (folder / "config.json").write_text("{not json")
    with pytest.raises(recipe.PredictorError, match="config.json"):
        recipe.load_predictor(folder)


def test_region_mass_of_uniform_attention_is_chance(setting):
    _, _, data = setting
    posts = data.posts["test"]
    uniform = np.full((len(posts), 16), 1 / 16)
    mass = recipe.region_mass(uniform, posts, data.truth)
    assert len(mass["ids"]) > 0
    np.testing.assert_allclose(mass["mass"], mass["chance"])
    assert recipe.grid_cells(4)[5] == (32, 32, 63, 63)
    focused = np.zeros((1, 16))
    focused[0, 0] = 1.0  # all mass on the top-left cell
    row = {"id": "x", "shapes": json.dumps([["sun", 0, 0, 10, 10]])}
    one = recipe.region_mass(focused, [data.posts["test"][0]], {data.posts["test"][0].id: row})
    assert one["mass"][0] == 1.0 and one["chance"][0] == pytest.approx(1 / 16)


def test_claims_are_well_formed_and_the_paper_is_registered(setting, tuned):
    from course_lib.recipes.base import combine

    _, config, data = setting
    configs = {name: config.replace(model=name) for name in ("text", "image", "concat", "pooled_mha")}
    configs["concat (linear probe)"] = config.replace(hidden=0)
    comparison = compare_configs(configs, lambda c, s: recipe.train(c, data, s), seeds=(1, 2))
    row = recipe.tuned_row("concat")
    on_tuned = compare_configs({row: config}, lambda c, s: recipe.train(c, tuned[0].data, s), seeds=(1, 2))
    comparison = combine(comparison, on_tuned)
    winner = recipe.train(config, data, seed=9)
    claims = recipe.paper_claims(
        comparison, "concat", search=(winner, "concat"), n_resamples=50, tuned=(row, "concat")
    )
    assert not check_claims(claims) and len(claims) == 8
    finetune = next(c for c in claims if (c["a"], c["b"]) == (row, "concat"))
    assert finetune["claim"].startswith(alfano.CLAIMS["finetune_first_helps"].text)
    assert {c["paper_key"] for c in claims} == {"alfano"}
    table = recipe.per_class_table(comparison, ["concat"])
    assert table.iloc[0]["positive"] == 0.81 and table.loc["concat", "weighted_f1"] == pytest.approx(
        comparison.mean("concat", "weighted_f1", "test")
    )
    assert "alfano" in papers()


def test_predict_command_prints_the_label_and_names_a_broken_image(setting, tmp_path, capsys):
    from course_lib.__main__ import main

    _, config, data = setting
    folder = recipe.save_predictor(recipe.train(config, data, seed=1), tmp_path / "mvsa_region_mha", data)
    post = data.posts["test"][0]
    where = ["--models-dir", str(tmp_path)]
    assert main(["predict", "--text", post.text, "--image", str(post.image_path), *where]) == 0
    printed = capsys.readouterr().out
    expected = recipe.load_predictor(folder).predict_post(post.text, post.image_path)
    assert (
        f"prediction: {expected['label']} (p={expected['probabilities'][expected['label']]:.2f})" in printed
    )
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    assert main(["predict", "--text", "hi", "--image", str(empty), *where]) == 2
    assert "empty.jpg" in capsys.readouterr().err
    assert (
        main(
            [
                "predict",
                "--text",
                "hi",
                "--image",
                str(empty),
                "--audio",
                "a.wav",
                *where,
                "--model",
                "mvsa_region_mha",
            ]
        )
        == 2
    )
    assert "not audio" in capsys.readouterr().err


def test_a_small_sweep_and_its_selection_curve(setting, tmp_path):
    import optuna

    from course_lib.training import sweep

    _, _, data = setting
    url = f"sqlite:///{tmp_path / 'sweeps.db'}"
    found = sweep.run_sweep(recipe.SWEEP, "s", 2, storage=url, smoke=True, data=data, score_test=False)
    trials = optuna.load_study(study_name="s", storage=url).trials
    curve, winner = recipe.selection_curve(trials, data, True, 42)
    assert list(curve.index) == [1, 2] and curve["val_weighted_f1"].is_monotonic_increasing
    assert curve["val_weighted_f1"].iloc[-1] == pytest.approx(found.best_value)
    assert winner.val_weighted_f1 == pytest.approx(found.best_value)  # the rerun reproduces the trial
    assert curve["test_weighted_f1"].iloc[-1] == pytest.approx(winner.metrics("test")["weighted_f1"])
    explained = recipe.explain_post({"winner": winner.model}, data.batch("test", [0]))
    assert set(explained["models"]["winner"]) == set(alfano.CLASSES) and explained["attention"] is None


@pytest.fixture(scope="module")
def tuned(setting):
    root, config, data = setting
    tuning = recipe.TailTuning(max_epochs=2, patience=2, tail_lr=1e-3)
    return recipe.finetune_encoders(config, data, root / "cache", seed=4, tuning=tuning), tuning


def test_finetuning_first_changes_the_features_and_keeps_their_shapes(setting, tuned):
    _, _, data = setting
    result, _ = tuned
    new = result.data
    for split in recipe.SPLITS:
        for key in ("text", "image", "tokens", "regions"):
            assert getattr(new, key)[split].shape == getattr(data, key)[split].shape
        assert not np.allclose(new.text[split], data.text[split], atol=1e-3)
        assert not np.allclose(new.image[split], data.image[split], atol=1e-3)
        assert (new.tokens[split][~data.tokens_mask[split]] == 0).all()  # padding stays zero
        assert new.posts[split] is data.posts[split] and (new.labels[split] == data.labels[split]).all()
    assert set(result.seconds) == {"extract", "tune_text", "tune_image", "features"}
    fusion = recipe.train(recipe.MVSAConfig(**FAST, model="region_mha"), new, seed=1)
    assert fusion.y_pred.shape == (len(data.posts["test"]),)


def test_the_pretail_features_reproduce_the_frozen_ones_before_training(setting, tuned):
    from course_lib.features.tails import ImageTail, TextTail
    from course_lib.models.mvsa import TailClassifier, UnimodalClassifier

    root, config, data = setting
    pre, encoder, backbone = recipe.load_pretail(data, config, root / "cache")
    assert pre.seconds == 0.0  # the fixture's run cached them
    assert pre.regions["train"].shape[1:] == (16, 192)
    text = TailClassifier(TextTail(encoder), UnimodalClassifier("text", 384))
    image = TailClassifier(ImageTail(backbone), UnimodalClassifier("image", 1280))
    untouched = recipe.tuned_data(data, pre, text, image)
    np.testing.assert_allclose(untouched.text["valid"], data.text["valid"], atol=1e-4)
    np.testing.assert_allclose(untouched.image["valid"], data.image["valid"], rtol=1e-3, atol=1e-3)
    shortest = np.argsort(data.tokens_mask["valid"].sum(1))[:2]  # a batch cut to its own longest tweet
    with torch.no_grad():
        cut = text.eval().positions(pre.batch("valid", shortest)).numpy()
    full = untouched.tokens["valid"][shortest]
    assert cut.shape[1] == int(data.tokens_mask["valid"][shortest].sum(1).max()) < full.shape[1]
    np.testing.assert_allclose(cut, full[:, : cut.shape[1]], atol=1e-4)
    assert not full[:, cut.shape[1] :].any()  # padding beyond the batch's longest post stays zero


def test_tuned_classifiers_are_chosen_on_validation_and_deterministic(setting, tuned):
    root, config, data = setting
    result, tuning = tuned
    scores = result.scores()
    for modality, classifier in result.classifiers.items():
        best = max(classifier.history, key=lambda row: row["val_weighted_f1"])
        assert scores[modality]["val_weighted_f1"] == pytest.approx(best["val_weighted_f1"])
        assert 0.0 <= scores[modality]["test_weighted_f1"] <= 1.0
    pre, encoder, _ = recipe.load_pretail(data, config, root / "cache")
    from course_lib.features.tails import TextTail

    again = recipe.tune_tail(TextTail(encoder), "text", pre, config, tuning, seed=4)
    first = result.classifiers["text"]
    assert (again.val_pred == first.val_pred).all() and (again.y_pred == first.y_pred).all()
    for name, weight in first.model.state_dict().items():
        torch.testing.assert_close(again.model.state_dict()[name], weight, msg=name)
