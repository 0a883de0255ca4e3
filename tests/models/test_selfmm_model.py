"""Self-MM, its label generation module (ULGM), the text-guided fusion and the CNN baseline."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from course_lib.models import registry
from course_lib.models.baselines import EarlyFusionCNN
from course_lib.models.selfmm import ULGM, SelfMM, TextGuidedFusion

DIMS = {"text": 6, "audio": 4, "vision": 3}


def _batch(batch_size: int = 3, steps: int = 5, seed: int = 0) -> dict:
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([steps, 2, 3][:batch_size])
    batch = {m: torch.randn(batch_size, steps, d, generator=generator) for m, d in DIMS.items()}
    for m in DIMS:
        batch[f"{m}_lengths"] = lengths
    batch["label"] = torch.tensor([1.0, -2.0, 0.5][:batch_size])
    batch["index"] = torch.arange(batch_size)
    return batch


def _features(**rows) -> dict[str, torch.Tensor]:
    return {task: torch.tensor(value, dtype=torch.float32) for task, value in rows.items()}


# --------------------------------------------------------------------------- ULGM rules by hand


def _hand_example() -> ULGM:
    """Four clips, 2-d features; centres: M pos (2, 0) neg (0, 2); T pos (2, 1) neg (0, 1)."""
    ulgm = ULGM([2.0, -1.0, 1.0, -2.0], {"M": 2, "T": 2, "A": 2, "V": 2})
    bank = _features(
        M=[[1, 0], [0, 1], [3, 0], [0, 3]],
        T=[[1, 1], [0, 0], [3, 1], [0, 2]],
        A=[[1, 0], [0, 1], [3, 0], [0, 3]],
        V=[[1, 0], [0, 1], [3, 0], [0, 3]],
    )
    ulgm.update_bank(torch.arange(4), bank)
    return ulgm


def test_centres_are_class_means_of_the_bank():
    ulgm = _hand_example()
    assert ulgm.centres["M"]["pos"].tolist() == [2.0, 0.0]  # clips 0 and 2 (y > 0)
    assert ulgm.centres["M"]["neg"].tolist() == [0.0, 2.0]  # clips 1 and 3
    assert ulgm.centres["T"]["pos"].tolist() == [2.0, 1.0]
    assert ulgm.centres["T"]["neg"].tolist() == [0.0, 1.0]


def test_relative_distance_by_hand():
    ulgm = _hand_example()
    # F_m = (2, 1): D_p = |(0, 1)| = 1, D_n = |(2, -1)| = sqrt 5, delta = (sqrt 5 - 1) / 1
    delta_m = ulgm.relative_distance("M", torch.tensor([[2.0, 1.0]]))
    assert delta_m.item() == pytest.approx(math.sqrt(5) - 1, rel=1e-6)
    # F_t = (1, 1): D_p = |(-1, 0)| = 1 = D_n = |(1, 0)|, delta = 0
    assert ulgm.relative_distance("T", torch.tensor([[1.0, 1.0]])).item() == pytest.approx(0.0, abs=1e-7)


def test_momentum_update_by_hand():
    ulgm = _hand_example()
    batch = _features(M=[[2, 1]], T=[[1, 1]], A=[[2, 1]], V=[[2, 1]])
    ulgm.update_labels(torch.tensor([0]), batch, epoch=1)
    assert ulgm.labels["T"][0].item() == 2.0, "no label update in epoch 1"
    ulgm.update_labels(torch.tensor([0]), batch, epoch=2)
    delta_m = math.sqrt(5) - 1  # 1.2360680
    proposed = 0.5 * (2.0 + 0.0 - delta_m)  # alpha = 0: 0.3819660
    assert proposed == pytest.approx(0.381966, abs=1e-6)
    # epoch n = 2: y <- 1/3 y + 2/3 proposed = 2/3 + 0.2546440
    assert ulgm.labels["T"][0].item() == pytest.approx(2 / 3 + 2 / 3 * 0.381966, abs=1e-5)
    assert ulgm.labels["T"][0].item() == pytest.approx(0.921311, abs=1e-5)
    # audio's feature sits where the fusion's does relative to equal centres: delta_a = delta_m, alpha = 1
    assert ulgm.labels["A"][0].item() == pytest.approx(2.0, abs=1e-5)
    assert ulgm.labels["M"].tolist() == [2.0, -1.0, 1.0, -2.0], "the multimodal labels never change"
    assert ulgm.labels["T"][1:].tolist() == [-1.0, 1.0, -2.0], "only the batch's clips move"


def test_labels_are_clamped_to_h():
    ulgm = ULGM([2.0, -1.0, 1.0, -2.0], {"M": 2, "T": 2, "A": 2, "V": 2}, H=1.0)
    proposed = ulgm.new_labels(torch.tensor([2.0]), torch.tensor([5.0]), torch.tensor([1.0]))
    assert proposed.item() == 1.0


def test_epoch_one_weights_are_zero_and_unimodal_heads_get_no_gradient():
    torch.manual_seed(0)
    model = SelfMM(DIMS, text_out=8, fusion_dim=8, post_dims={"T": 4, "A": 4, "V": 4})
    ulgm = ULGM([1.0, -2.0, 0.5], model.feature_dims)
    batch = _batch()
    assert all(w.abs().max().item() == 0.0 for w in ulgm.weights(batch["index"]).values())
    outputs = model(batch)
    loss, logs = ulgm.objective(outputs, batch)
    l1 = torch.mean(torch.abs(outputs["prediction"] - batch["label"]))
    assert loss.item() == pytest.approx(l1.item(), abs=1e-6)
    assert logs["w_T"] == logs["w_A"] == logs["w_V"] == 0.0
    loss.backward()
    for s in ("T", "A", "V"):
        assert model.heads[s].out.weight.grad.abs().max().item() == 0.0
    assert model.fusion.out.weight.grad.abs().max().item() > 0.0


def test_weights_follow_the_label_gap():
    ulgm = ULGM([1.0, -1.0], {"M": 2, "T": 2, "A": 2, "V": 2})
    ulgm.labels["T"][0] = 0.0
    weights = ulgm.weights(torch.tensor([0, 1]))
    assert weights["T"].tolist() == pytest.approx([math.tanh(1.0), 0.0])


# --------------------------------------------------------------------------- no NaN


def test_no_nan_when_a_class_is_absent():
    ulgm = ULGM([1.0, 2.0, 0.0], {"M": 2, "T": 2, "A": 2, "V": 2})  # no negative clip at all
    feats = _features(
        M=[[1, 0], [0, 1], [1, 1]],
        T=[[1, 0], [0, 1], [1, 1]],
        A=[[1, 0], [0, 1], [1, 1]],
        V=[[1, 0], [0, 1], [1, 1]],
    )
    ulgm.update_bank(torch.arange(3), feats)
    assert ulgm.centres["M"]["neg"] is None and ulgm.centres["M"]["pos"] is not None
    ulgm.update_labels(torch.arange(3), feats, epoch=3)
    for task, labels in ulgm.labels.items():
        assert torch.isfinite(labels).all(), task
        assert labels.tolist() == [1.0, 2.0, 0.0], "labels stay put while a centre is undefined"
    assert ulgm.skipped["T"] == 1


def test_centres_use_only_clips_in_the_bank():
    ulgm = ULGM([1.0, -1.0, 2.0, -2.0], {"M": 1, "T": 1, "A": 1, "V": 1})
    ulgm.update_bank(torch.tensor([0]), _features(M=[[4]], T=[[4]], A=[[4]], V=[[4]]))
    assert ulgm.centres["M"]["pos"].tolist() == [4.0]  # clip 2 (positive, not yet seen) is not a zero row
    assert ulgm.centres["M"]["neg"] is None


def test_bank_is_sized_from_the_data():
    labels = np.linspace(-3, 3, 37)
    ulgm = ULGM(labels, {"M": 5, "T": 3, "A": 2, "V": 4})
    assert ulgm.size == 37
    assert {t: tuple(b.shape) for t, b in ulgm.bank.items()} == {
        "M": (37, 5),
        "T": (37, 3),
        "A": (37, 2),
        "V": (37, 4),
    }
    with pytest.raises(ValueError):
        ULGM([], {"M": 1, "T": 1, "A": 1, "V": 1})


def test_fixed_labels_are_used_and_never_updated():
    fixed = {"T": [0.5, -0.5], "A": [1.0, 0.0], "V": [0.0, 0.0]}
    ulgm = ULGM([1.0, -1.0], {"M": 1, "T": 1, "A": 1, "V": 1}, fixed=fixed)
    feats = _features(M=[[1], [-1]], T=[[1], [-1]], A=[[1], [-1]], V=[[1], [-1]])
    ulgm.update_bank(torch.arange(2), feats)
    ulgm.update_labels(torch.arange(2), feats, epoch=5)
    assert ulgm.labels["T"].tolist() == [0.5, -0.5] and not ulgm.update
    with pytest.raises(ValueError):
        ULGM([1.0, -1.0], {"M": 1, "T": 1, "A": 1, "V": 1}, fixed={"T": [1.0], "A": [1.0], "V": [1.0]})


def test_single_task_objective_ignores_the_unimodal_heads():
    torch.manual_seed(0)
    model = SelfMM(DIMS, text_out=8, fusion_dim=8, post_dims={"T": 4, "A": 4, "V": 4})
    ulgm = ULGM([1.0, -2.0, 0.5], model.feature_dims, tasks=("M",))
    ulgm.labels["T"][:] = 3.0  # a large gap: non-zero weights, but T is not a task
    outputs = model(_batch())
    loss, logs = ulgm.objective(outputs, _batch())
    assert set(logs) == {"loss_M"}
    assert loss.item() == pytest.approx(
        torch.mean(torch.abs(outputs["prediction"] - _batch()["label"])).item()
    )


# --------------------------------------------------------------------------- with the Trainer


def test_training_with_the_trainer_generates_labels():
    from course_lib.training.trainer import Trainer

    generator = torch.Generator().manual_seed(1)
    items = 12
    batches = []
    labels = torch.linspace(-2, 2, items)
    for start in range(0, items, 4):
        b = {m: torch.randn(4, 5, d, generator=generator) for m, d in DIMS.items()}
        b.update({f"{m}_lengths": torch.tensor([5, 4, 3, 2]) for m in DIMS})
        b["label"], b["index"] = labels[start : start + 4], torch.arange(start, start + 4)
        batches.append(b)
    model = SelfMM(DIMS, text_out=8, fusion_dim=8, post_dims={"T": 4, "A": 4, "V": 4})
    ulgm = ULGM(labels.numpy(), model.feature_dims)
    trainer = Trainer(
        max_epochs=3,
        task="regression",
        monitor="mae",
        mode="min",
        objective=ulgm.objective,
        hooks=[ulgm],
        progress=False,
        seed=0,
    )
    trainer.fit(model, batches, batches)
    assert [epoch for epoch, _ in ulgm.history] == [0, 1, 2, 3]
    assert np.array_equal(ulgm.history[1][1]["T"], labels.numpy()), "epoch 1 keeps y_s = y_m"
    assert not np.allclose(ulgm.history[2][1]["T"], labels.numpy()), "epoch 2 moves the labels"
    assert all(np.isfinite(ulgm.trajectories(t)).all() for t in ("T", "A", "V"))
    assert ulgm.trajectories("A").shape == (4, items)
    assert trainer.history[0]["train_w_T"] == 0.0 and trainer.history[2]["train_w_T"] > 0.0


# --------------------------------------------------------------------------- shapes


def test_selfmm_shapes_and_padding_invariance():
    torch.manual_seed(0)
    model = SelfMM(DIMS).eval()
    batch = _batch()
    out = model(batch)
    assert out["prediction"].shape == (3,) and out["T"].shape == (3,)
    assert {t: tuple(f.shape) for t, f in out["features"].items()} == {
        "M": (3, 128),
        "T": (3, 32),
        "A": (3, 16),
        "V": (3, 32),
    }
    alone = {k: (v[1:2, :2] if k in DIMS else v[1:2]) for k, v in batch.items()}
    assert model(alone)["prediction"].item() == pytest.approx(out["prediction"][1].item(), abs=1e-5)


@pytest.mark.parametrize("name", ["text_guided", "ef_cnn", "selfmm"])
def test_registry_builds_the_lesson_models(name):
    torch.manual_seed(0)
    model = registry.build("msa", name, input_dims=DIMS).eval()
    batch = _batch()
    assert model(batch)["prediction"].shape == (3,)


def test_text_guided_and_cnn_are_padding_invariant():
    torch.manual_seed(0)
    batch = _batch()
    alone = {k: (v[1:2, :2] if k in DIMS else v[1:2]) for k, v in batch.items()}
    for model in (TextGuidedFusion(DIMS, dim=8, hidden=16, heads=2).eval(), EarlyFusionCNN(DIMS, 8).eval()):
        assert model(alone)["prediction"].item() == pytest.approx(
            model(batch)["prediction"][1].item(), abs=1e-5
        )


def test_text_guided_rejects_an_odd_width():
    with pytest.raises(ValueError):
        TextGuidedFusion(DIMS, dim=9, heads=3)
