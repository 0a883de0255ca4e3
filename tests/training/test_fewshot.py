"""Few-shot fine-tuning: the distillation loss by hand, fixed-step updates, per-(user, draw) evaluation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn
from torch.utils.data import Dataset

from course_lib.training.fewshot import (
    FewShotResult,
    cached_predictions,
    distillation_objective,
    evaluate_users,
    finetune,
)


class Clip:
    def __init__(self, user: str, number: int, x: float, label: float) -> None:
        self.id, self.video_id, self.x, self.label = f"{user}$_${number}", user, x, label


class Clips(Dataset):
    def __init__(self, clips) -> None:
        self.clips = list(clips)

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, index: int) -> dict:
        clip = self.clips[index]
        return {
            "x": torch.tensor([clip.x], dtype=torch.float32),
            "label": torch.tensor(clip.label, dtype=torch.float32),
            "index": torch.tensor(index),
        }


class Offset(nn.Module):
    """``ŷ = w x + b`` with the bias as a separate 'adapter' group."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.tensor(1.0))
        self.bias = nn.Parameter(torch.tensor(0.0))

    def forward(self, batch):
        return {"prediction": self.weight * batch["x"].reshape(-1) + self.bias}

    def param_groups(self, base_lr, adapter_lr):
        return [{"params": [self.weight], "lr": base_lr}, {"params": [self.bias], "lr": adapter_lr}]


def test_distillation_loss_by_hand():
    teacher = torch.tensor([0.5, -1.0, 2.0])
    objective = distillation_objective(teacher, lam=0.6)
    outputs = {"prediction": torch.tensor([1.0, 0.0])}
    batch = {"label": torch.tensor([2.0, -2.0]), "index": torch.tensor([2, 1])}
    loss, logs = objective(outputs, batch)
    # teacher terms |1 - 2| and |0 - (-1)| -> 1.0; label terms |1 - 2| and |0 + 2| -> 1.5
    assert logs == pytest.approx({"l1_teacher": 1.0, "l1_label": 1.5})
    assert float(loss) == pytest.approx(0.4 * 1.0 + 0.6 * 1.5)
    with pytest.raises(ValueError):
        distillation_objective(teacher, lam=1.5)
    with pytest.raises(KeyError, match="index"):
        objective(outputs, {"label": batch["label"]})


def test_finetune_moves_a_copy_and_lam_one_is_plain_l1():
    model = Offset()
    support = Clips([Clip("u", i, float(i), float(i) + 2.0) for i in range(5)])
    options = {"steps": 20, "grad_clip": None, "param_groups": lambda m: m.param_groups(0.0, 0.1)}
    plain = finetune(model, support, **options)
    assert model.bias.item() == 0.0 and model.weight.item() == 1.0  # the pre-trained model is untouched
    assert plain.bias.item() > 1.0
    same = finetune(model, support, teacher=model, lam=1.0, **options)
    assert same.bias.item() == pytest.approx(plain.bias.item())
    held = finetune(model, support, teacher=model, lam=0.3, **options)
    # with λ < 0.5 the weighted L1 is smallest at the teacher's predictions: the update stays there
    assert abs(held.bias.item()) < 0.1 < plain.bias.item()


def test_finetune_param_groups_have_their_own_learning_rates():
    model = Offset()
    support = Clips([Clip("u", i, float(i), float(i) + 2.0) for i in range(5)])
    tuned = finetune(model, support, steps=5, param_groups=lambda m: m.param_groups(0.0, 0.1))
    assert tuned.weight.item() == 1.0 and tuned.bias.item() != 0.0


def test_cached_predictions_follow_dataset_order():
    dataset = Clips([Clip("u", i, float(i), 0.0) for i in range(7)])
    assert cached_predictions(Offset(), dataset, batch_size=3).tolist() == [float(i) for i in range(7)]


def _users():
    return {
        u: [Clip(u, i, float(i), float(i) + shift) for i in range(9)]
        for u, shift in (("a", 2.0), ("b", -1.0))
    }


def test_evaluate_users_draws_are_deterministic_and_disjoint_from_queries():
    users = _users()
    methods = {
        "baseline": None,
        "tuned": lambda m, s: finetune(m, s, steps=15, param_groups=lambda x: x.param_groups(0.0, 0.2)),
    }
    first = evaluate_users(Offset(), users, Clips, methods, k=3, n_draws=2, seed=4)
    second = evaluate_users(Offset(), users, Clips, methods, k=3, n_draws=2, seed=4)
    pd.testing.assert_frame_equal(first.predictions, second.predictions)
    for (user, _draw, _method), group in first.predictions.groupby(["user", "draw", "method"]):
        assert len(group) == 6 and set(group["id"]) <= {c.id for c in users[user]}
    query_sets = first.predictions.groupby(["user", "draw"])["id"].apply(frozenset)
    assert query_sets.loc[("a", 0)] != query_sets.loc[("a", 1)]  # two different draws
    table = first.table()
    assert len(table) == 2 * 2 * 2 and set(table.columns) >= {"mae", "corr", "acc7", "f1", "acc2", "n"}
    mean = first.mean()
    assert list(mean.index) == ["baseline", "tuned"]
    assert mean.loc["tuned", "mae"] < mean.loc["baseline", "mae"]  # each user's offset is learnt
    offsets = first.offsets("tuned")
    assert offsets["a"] > 0 > offsets["b"]


def test_fewshot_result_tables_by_hand():
    rows = []
    for user, errors in (("a", (1.0, 3.0)), ("b", (2.0, 2.0))):
        for draw, error in enumerate(errors):
            for i, label in enumerate((-1.0, 1.0, 2.0)):
                rows.append(
                    {
                        "user": user,
                        "draw": draw,
                        "method": "m",
                        "id": f"{user}{i}",
                        "y_true": label,
                        "y_pred": label + error,
                    }
                )
    result = FewShotResult(pd.DataFrame(rows), k=1)
    per_user = result.per_user()
    assert per_user.loc[("a", "m"), "mae"] == pytest.approx(2.0)
    assert result.per_user(spread=True).loc[("a", "m"), "mae"] == pytest.approx(1.0)
    assert result.mean().loc["m", "mae"] == pytest.approx(2.0)
    assert np.isclose(result.pooled().loc["m", "mae"], 2.0)
