"""The lesson-08 recipe end to end on a small MOSEI-like pickle with unimodal labels and ground truth."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from course_lib.course import check_claims
from course_lib.recipes import selfmm as recipe

TINY = {
    "epochs": 3,
    "patience": 3,
    "dim": 8,
    "hidden": 16,
    "heads": 2,
    "channels": 8,
    "text_out": 8,
    "fusion_dim": 8,
    "post_text": 4,
    "post_audio": 4,
    "post_vision": 4,
}


@pytest.fixture(scope="module")
def corpus(small_mmsa, tmp_path_factory):
    """The small pickle as ``MOSEI/`` with unimodal labels and a ground truth (every 4th clip a voice conflict)."""
    content = pickle.loads(small_mmsa.read_bytes())
    rng = np.random.default_rng(1)
    segments = []
    for split in content.values():
        y = split["regression_labels"]
        true = {"T": y + rng.normal(0, 0.3, len(y)), "A": y.copy(), "V": y + rng.normal(0, 0.5, len(y))}
        for i, clip in enumerate(split["id"]):
            conflict = None
            if i % 4 == 0:
                true["A"][i] = -y[i]
                conflict = {"modality": "A", "value": float(-y[i])}
            segments.append(
                {"id": clip, "conflict": conflict, **{f"y_{m}": float(true[m][i]) for m in "TAV"}}
            )
        for m in "TAV":
            split[f"regression_labels_{m}"] = np.clip(np.round(true[m] * 3) / 3, -3, 3).astype(np.float32)
    root = tmp_path_factory.mktemp("selfmm") / "MOSEI"
    root.mkdir()
    (root / "aligned_50.pkl").write_bytes(pickle.dumps(content, protocol=4))
    (root / "ground_truth.json").write_text(json.dumps({"segments": segments}), encoding="utf-8")
    return root.parent


@pytest.fixture(scope="module")
def setting(corpus):
    config = recipe.SelfMMConfig(**TINY)
    return config, recipe.load_selfmm_data(corpus, config)


def test_data_has_truth_and_unimodal_labels(setting):
    _, data = setting
    assert data.has_unimodal_labels and len(data.truth) == 43
    assert data.sequences.dims["text"] == 384 and data.sequences.aligned


def test_missing_pickle_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="MOSEI/aligned_50.pkl"):
        recipe.load_selfmm_data(tmp_path, recipe.SelfMMConfig())


def test_selfmm_run_is_deterministic_and_its_bank_fits_the_data(setting):
    config, data = setting
    first = recipe.train(config, data, seed=3)
    again = recipe.train(config, data, seed=3)
    assert np.array_equal(first.y_pred, again.y_pred)
    assert first.ulgm.size == len(data.samples("train")) == 18
    assert [epoch for epoch, _ in first.ulgm.history] == list(range(len(first.history) + 1))
    assert first.history[0]["train_w_A"] == 0.0
    assert not np.allclose(first.ulgm.labels["A"].numpy(), first.ulgm.labels["M"].numpy())
    agreement = recipe.label_agreement(first.ulgm, data)
    assert list(agreement.index) == ["T", "A", "V"] and agreement["n"].eq(18).all()
    moved = recipe.label_movement(first.ulgm, data)
    assert moved.loc["A", "n conflict"] == 5 and moved.loc["V", "n conflict"] == 0
    step = recipe.explain_update(first.ulgm, 0, "A")
    n = step["n"]
    assert step["updated"] == pytest.approx((n - 1) / (n + 1) * step["y_s"] + 2 / (n + 1) * step["proposed"])
    assert step["delta_M"] == pytest.approx(
        (step["D_n_M"] - step["D_p_M"]) / (step["D_p_M"] + 1e-8), rel=1e-5
    )
    assert len(recipe.movers(first.ulgm, data, top=3)) == 3


def test_single_task_and_true_label_runs(setting):
    config, data = setting
    single = recipe.train(config.replace(model="m_only"), data, seed=3)
    assert np.array_equal(single.ulgm.labels["A"].numpy(), single.ulgm.labels["M"].numpy())
    assert "train_loss_A" not in single.history[-1]
    upper = recipe.train(config.replace(model="true_labels"), data, seed=3)
    expected = [c.unimodal_labels["V"] for c in data.samples("train")]
    assert upper.ulgm.labels["V"].numpy() == pytest.approx(np.array(expected))


def test_learning_rate_groups_follow_mmsa(setting):
    config, data = setting
    model = recipe.build_model(config, data.sequences.dims)
    groups = recipe.param_groups(config)(model)
    assert [g["lr"] for g in groups] == [config.text_lr, config.audio_lr, config.vision_lr, config.lr]
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))
    guided = config.text_guided()
    groups = recipe.param_groups(guided)(recipe.build_model(guided, data.sequences.dims))
    assert [g["lr"] for g in groups] == [guided.text_lr, guided.lr]


def test_svr_ablation_chooses_c_on_validation(setting):
    _, data = setting
    ablation = recipe.svr_ablation(data, cs=(0.1, 10.0))
    assert list(ablation) == ["t", "a", "v", "t+a", "t+v", "a+v", "t+a+v"]
    run = ablation["t+a+v"]
    chosen = min(run.history, key=lambda h: h["val_mae"])
    assert run.val["mae"] == pytest.approx(chosen["val_mae"])
    assert recipe.pooled_features(data, "train", ["text", "audio", "vision"]).shape == (18, 384 + 10 + 40)
    table = recipe.ablation_table(ablation)
    assert table.loc[("t", "paper (Table 2)"), "mae"] == 0.594


def test_table6_claims_and_sweep(setting):
    from course_lib.recipes.base import compare_configs

    config, data = setting
    configs = {
        "Self-MM": config,
        "M only": config.replace(model="m_only"),
        "text-guided": config.text_guided(),
        "CNN": config.replace(model="ef_cnn"),
    }
    comparison = compare_configs(configs, lambda c, s: recipe.train(c, data, s), seeds=(1, 2))
    comparison = recipe.with_svr(comparison, recipe.train_svr(data, cs=(1.0,)))
    table = recipe.table6(comparison)
    assert table.loc[("SVM", "paper (SVM)"), "mae"] == "0.588"
    record = recipe.table6_record(comparison)
    assert record["SVM"]["seeds"] == 1 and record["Self-MM"]["seeds"] == 2 and "f1_non0" in record["CNN"]
    ablation = recipe.svr_ablation(data, cs=(1.0,))
    ulgm = comparison.runs["Self-MM"][0].ulgm
    claims = recipe.paper_claims(comparison, ablation, ulgm, data, n_resamples=50)
    assert not check_claims(claims)
    assert len(claims) == 6 + 3 + 3
    known = {}
    guided = configs["text-guided"]
    frame, sweep = recipe.sweep_table(guided, data, "hidden", (1,), ["128", "64"], known=known)
    assert list(frame.index) == ["128", "64"] and frame["chosen (validation)"].tolist().count("*") == 1
    assert len(known) == 2
    assert "one seed: noise unknown" in "".join(frame["vs chosen (validation)"])
    _, again = recipe.sweep_table(guided, data, "hidden", (1,), ["64"], known=known)
    assert again.runs["64"][0] is sweep.runs["64"][0], "a known run is not trained again"
    assert set(recipe.sweep_record(sweep)) == {"128", "64"}


class _Trial:
    """An Optuna-like trial answering every question with its first choice or its lower bound."""

    def __init__(self):
        self.asked = []

    def suggest_categorical(self, name, choices):
        self.asked.append(name)
        return choices[0]

    def suggest_float(self, name, low, high, log=False):
        self.asked.append(name)
        return low

    def suggest_int(self, name, low, high, step=1, log=False):
        self.asked.append(name)
        return low


def test_versus_says_when_a_gap_is_inside_the_seed_noise():
    chosen = {"mean": {"val_mae": 0.50}, "std": {"val_mae": 0.01}}
    close = {"mean": {"val_mae": 0.52}, "std": {"val_mae": 0.01}}
    far = {"mean": {"val_mae": 0.60}, "std": {"val_mae": 0.01}}
    assert recipe._versus(chosen, close, 2) == "+0.020 (inside seed noise 0.028)"
    assert recipe._versus(chosen, far, 2).endswith("(outside seed noise 0.028)")
    assert recipe._versus(chosen, chosen, 2) == ""


def test_suggest_config_and_objective(setting):
    config, data = setting
    trial = _Trial()
    drawn = recipe.suggest_config(trial, config.text_guided())
    assert trial.asked == ["batch_size", "lr", "text_lr", "hidden"]
    assert (drawn.batch_size, drawn.lr, drawn.hidden, drawn.model) == (16, 5e-5, 64, "text_guided")
    value = recipe.objective(drawn, data, seed=1)
    assert value == pytest.approx(recipe.train(drawn, data, seed=1).val["mae"])


def test_registered_sweep_runs_a_seeded_study(setting, tmp_path):
    from course_lib.training import sweep

    _, data = setting
    assert sweep.resolve_recipe("selfmm") is recipe.SWEEP
    storage = f"sqlite:///{tmp_path / 'sweeps.db'}"
    result = sweep.run_sweep("selfmm", "l08", trials=2, storage=storage, smoke=True, data=data)
    assert len(result.trials) == 2 and set(result.best_params) == {"batch_size", "lr", "text_lr", "hidden"}
    assert result.best_value == pytest.approx(result.rerun_value) and "test_mae" in result.test
    assert result.best_value == pytest.approx(min(result.trials["value"]))
