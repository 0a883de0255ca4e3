"""The Trainer on tiny synthetic problems: learning, restore, determinism, checkpoints."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from course_lib.runtime import seed_everything
from course_lib.training.losses import class_weights
from course_lib.training.trainer import Trainer, load_checkpoint, move_batch, save_checkpoint

LABELS = ("x", "y", "z")


class Blobs(Dataset):
    """Three well separated Gaussian blobs in 6-d, as dict samples."""

    def __init__(self, n: int, seed: int, counts: tuple[int, ...] | None = None, regression: bool = False):
        generator = torch.Generator().manual_seed(seed)
        if counts is None:
            labels = torch.arange(n) % 3
        else:
            labels = torch.cat([torch.full((c,), i) for i, c in enumerate(counts)])
        centres = torch.eye(3, 6) * 4.0
        self.features = centres[labels] + torch.randn(len(labels), 6, generator=generator)
        self.labels = labels
        self.targets = self.features[:, 0] - self.features[:, 1] if regression else labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {"features": self.features[index], "label": self.targets[index]}


class Mlp(nn.Module):
    def __init__(self, out: int = 3):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, out))

    def forward(self, batch):
        return self.net(batch["features"])


def _loaders(seed: int = 0, **kwargs):
    train = DataLoader(Blobs(90, seed, **kwargs), batch_size=16, shuffle=True)
    val = DataLoader(Blobs(45, seed + 1, **kwargs), batch_size=32)
    return train, val


def _fit(seed: int = 3, **options):
    torch.manual_seed(seed)
    model = Mlp()
    train, val = _loaders()
    trainer = Trainer(labels=LABELS, progress=False, seed=seed, **options)
    history = trainer.fit(model, train, val)
    return trainer, model, history, val


def test_learns_separable_problem_and_restores_best_epoch():
    trainer, _, history, val = _fit(max_epochs=15, patience=3, lr=1e-2)
    best = max(row["val_weighted_f1"] for row in history)
    assert best >= 0.9
    assert trainer.best_score == pytest.approx(best)
    assert history[trainer.best_epoch - 1]["val_weighted_f1"] == pytest.approx(best)
    assert trainer.evaluate(val)["weighted_f1"] == pytest.approx(best)
    assert {"epoch", "train_loss", "lr", "val_loss", "val_accuracy", "val_f1_x"} <= set(history[0])
    assert history[-1]["train_loss"] < history[0]["train_loss"]


class Recording(Trainer):
    """A trainer whose validation scores follow a script, recording weights per epoch."""

    def __init__(self, scores, **options):
        scripted = iter(scores)
        super().__init__(metrics_fn=lambda t, p: {"score": next(scripted)}, monitor="score", **options)
        self.snapshots = []

    def evaluate(self, loader, model=None):
        self.snapshots.append({k: v.clone() for k, v in self.model.state_dict().items()})
        return super().evaluate(loader, model)


def test_early_stopping_restores_best_weights_and_saves_checkpoint(tmp_path):
    torch.manual_seed(0)
    model = Mlp()
    trainer = Recording(
        [0.1, 0.5, 0.3, 0.2, 0.9], patience=2, progress=False, checkpoint_path=tmp_path / "b.st"
    )
    history = trainer.fit(model, *_loaders())
    assert len(history) == 4 and trainer.best_epoch == 2
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, trainer.snapshots[1][key])
    assert not torch.equal(model.net[0].weight, trainer.snapshots[3]["net.0.weight"])
    fresh = Mlp()
    metadata = load_checkpoint(fresh, tmp_path / "b.st")
    assert metadata["epoch"] == "2" and float(metadata["score"]) == pytest.approx(0.5)
    torch.testing.assert_close(fresh.net[0].weight, model.net[0].weight)


def test_reduce_lr_on_plateau_factor():
    torch.manual_seed(0)
    scores = [0.5, 0.4, 0.4, 0.4, 0.4, 0.4]
    trainer = Recording(scores, patience=10, lr_patience=1, max_epochs=6, progress=False)
    history = trainer.fit(Mlp(), *_loaders())
    # the lr is recorded at the start of each epoch; after two bad epochs (patience 1) it is
    # multiplied by 0.4, and the count of bad epochs starts again
    expected = [1e-3, 1e-3, 1e-3, 4e-4, 4e-4, 1.6e-4]
    assert [row["lr"] for row in history] == pytest.approx(expected)


def test_same_seed_gives_identical_history():
    _, _, first, _ = _fit(seed=11, max_epochs=4)
    _, _, second, _ = _fit(seed=11, max_epochs=4)
    assert first == second
    _, _, other, _ = _fit(seed=12, max_epochs=4)
    assert other != first


class NoisyMlp(Mlp):
    """The MLP with input dropout, so training also depends on seeded dropout masks."""

    def __init__(self):
        super().__init__()
        self.dropout = nn.Dropout(0.3)

    def forward(self, batch):
        return self.net(self.dropout(batch["features"]))


def _draw(count: int) -> None:
    """Unrelated random draws from every generator, as other notebook cells make."""
    random.random()
    np.random.rand(count)
    torch.rand(count)


def _fit_factory(seed: int, draws: int):
    """Fit a NoisyMlp built by the trainer after ``draws`` unrelated draws: initial weights, trainer, metrics."""
    _draw(draws)
    initial = {}

    def build() -> nn.Module:
        model = NoisyMlp()
        initial.update({key: value.clone() for key, value in model.state_dict().items()})
        return model

    train, val = _loaders()
    trainer = Trainer(labels=LABELS, progress=False, seed=seed, max_epochs=3, lr=1e-2)
    trainer.fit(build, train, val)
    return initial, trainer, trainer.evaluate(val)


def _same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[key], b[key]) for key in a)


def test_model_factory_gives_identical_weights_and_metrics_after_different_draws():
    first_initial, first, first_metrics = _fit_factory(seed=5, draws=3)
    second_initial, second, second_metrics = _fit_factory(seed=5, draws=1000)
    assert _same_weights(first_initial, second_initial)
    assert _same_weights(first.model.state_dict(), second.model.state_dict())
    assert first.history == second.history and first_metrics == second_metrics
    other_initial, _, _ = _fit_factory(seed=6, draws=3)
    assert not _same_weights(first_initial, other_initial)


def test_model_factory_trains_like_a_model_built_right_after_seeding():
    train, val = _loaders()
    _draw(7)
    seed_everything(5)
    built = Trainer(labels=LABELS, progress=False, seed=5, max_epochs=3, lr=1e-2)
    built.fit(NoisyMlp(), train, val)
    _, from_factory, _ = _fit_factory(seed=5, draws=7)
    assert built.history == from_factory.history
    assert _same_weights(built.model.state_dict(), from_factory.model.state_dict())


def test_prebuilt_model_keeps_the_weights_it_was_given():
    torch.manual_seed(0)
    model = Mlp()
    given = {key: value.clone() for key, value in model.state_dict().items()}
    trainer = Trainer(labels=LABELS, progress=False, seed=123, max_epochs=1, lr=0.0)
    trainer.fit(model, *_loaders())
    assert trainer.model is model and _same_weights(model.state_dict(), given)


def test_model_factory_must_return_a_module():
    with pytest.raises(TypeError, match="returned dict, not an nn.Module"):
        Trainer(progress=False, seed=0).fit(dict, *_loaders())


def test_class_weights_from_training_labels():
    torch.manual_seed(0)
    train = DataLoader(Blobs(0, 0, counts=(30, 10, 5)), batch_size=8, shuffle=True)
    val = DataLoader(Blobs(0, 1, counts=(6, 6, 6)), batch_size=8)
    trainer = Trainer(labels=LABELS, class_weights=True, max_epochs=1, progress=False)
    trainer.fit(Mlp(), train, val)
    expected = class_weights(train.dataset.labels, 3)
    torch.testing.assert_close(trainer.class_weight_tensor, expected)
    torch.testing.assert_close(trainer.loss_fn.weight, expected)
    with pytest.raises(ValueError, match="labels"):
        Trainer(class_weights=True, progress=False).fit(Mlp(), train, val)


def test_gradient_clipping_limits_updates():
    def change(grad_clip):
        torch.manual_seed(0)
        model = Mlp()
        before = model.net[0].weight.detach().clone()
        Trainer(max_epochs=1, grad_clip=grad_clip, progress=False, lr=0.1, seed=0).fit(model, *_loaders())
        return (model.net[0].weight.detach() - before).abs().max().item()

    assert change(1e-12) < 1e-4 < change(None)


def test_regression_task_monitors_mae():
    torch.manual_seed(0)
    train = DataLoader(Blobs(120, 0, regression=True), batch_size=16, shuffle=True)
    val = DataLoader(Blobs(40, 1, regression=True), batch_size=40)
    trainer = Trainer(task="regression", monitor="mae", mode="min", max_epochs=20, lr=1e-2, progress=False)
    history = trainer.fit(Mlp(out=1), train, val)
    assert "val_acc7" in history[0] and "val_corr" in history[0]
    assert trainer.best_score == min(row["val_mae"] for row in history)
    assert trainer.best_score < 0.5 * history[0]["val_mae"]
    predictions = trainer.predict(val)
    assert predictions.shape == (40,)


def test_predict_returns_class_ids_with_targets():
    trainer, _, _, val = _fit(max_epochs=3, lr=1e-2)
    predictions, targets = trainer.predict(val, return_targets=True)
    assert predictions.shape == targets.shape == (45,)
    assert set(predictions.tolist()) <= {0, 1, 2}


def test_bad_configuration_and_batches_fail_clearly():
    with pytest.raises(ValueError, match="mode"):
        Trainer(mode="best")
    trainer = Trainer(monitor="nope", max_epochs=1, progress=False)
    with pytest.raises(KeyError, match="nope"):
        trainer.fit(Mlp(), *_loaders())
    trainer = Trainer(target_key="target", max_epochs=1, progress=False)
    with pytest.raises(KeyError, match="target"):
        trainer.fit(Mlp(), *_loaders())


def test_move_batch_and_checkpoint_round_trip(tmp_path):
    batch = move_batch({"a": torch.ones(2), "ids": ["u1", "u2"]}, "cpu")
    assert batch["ids"] == ["u1", "u2"] and batch["a"].device.type == "cpu"
    model = Mlp()
    path = save_checkpoint(model, tmp_path / "sub" / "m.safetensors", {"note": 1})
    other = Mlp()
    assert load_checkpoint(other, path) == {"note": "1"}
    for key, value in model.state_dict().items():
        torch.testing.assert_close(other.state_dict()[key], value)
    with pytest.raises(FileNotFoundError):
        load_checkpoint(other, tmp_path / "missing.safetensors")


# ----------------------------------------------------------------------------- extensions


class DictMlp(Mlp):
    def forward(self, batch):
        return {"prediction": self.net(batch["features"]).squeeze(-1), "extra": batch["features"]}


def _regression_loaders():
    train = DataLoader(Blobs(60, 0, regression=True), batch_size=16, shuffle=True)
    val = DataLoader(Blobs(30, 1, regression=True), batch_size=32)
    return train, val


class Counter:
    def __init__(self):
        self.calls = {"on_epoch_start": 0, "on_train_batch_end": 0, "on_epoch_end": 0}

    def on_epoch_start(self, trainer, epoch):
        self.calls["on_epoch_start"] += 1

    def on_train_batch_end(self, trainer, batch, outputs, loss):
        assert "extra" in outputs and loss.dim() == 0
        self.calls["on_train_batch_end"] += 1

    def on_epoch_end(self, trainer, epoch, record):
        assert record["epoch"] == epoch
        self.calls["on_epoch_end"] += 1


def test_objective_sees_dict_outputs_and_batch_and_logs_are_averaged():
    seen = []

    def objective(outputs, batch):
        seen.append(sorted(batch))
        loss = (outputs["prediction"] - batch["label"]).abs().mean()
        return loss, {"half": 0.5}

    counter = Counter()
    train, val = _regression_loaders()
    trainer = Trainer(
        task="regression",
        monitor="mae",
        mode="min",
        max_epochs=3,
        patience=3,
        objective=objective,
        hooks=[counter],
        progress=False,
        seed=0,
    )
    history = trainer.fit(lambda: DictMlp(out=1), train, val)
    assert seen[0] == ["features", "label"]
    assert all(record["train_half"] == pytest.approx(0.5) for record in history)
    assert counter.calls == {"on_epoch_start": 3, "on_train_batch_end": 3 * 4, "on_epoch_end": 3}
    assert trainer.predict(val).shape == (30,)


def test_param_groups_keep_their_learning_rates():
    torch.manual_seed(0)
    model = DictMlp(out=1)
    first, second = model.net[0], model.net[2]
    frozen = first.weight.detach().clone()
    groups = lambda m: [{"params": m.net[0].parameters(), "lr": 0.0}, {"params": m.net[2].parameters()}]
    train, _ = _regression_loaders()
    trainer = Trainer(task="regression", lr=0.05, max_epochs=2, param_groups=groups, progress=False)
    trainer.fit(model, train, None)
    assert [g["lr"] for g in trainer.optimizer.param_groups] == [0.0, 0.05]
    assert torch.equal(first.weight, frozen) and second.weight.grad is not None


def test_fit_without_validation_trains_exactly_max_epochs():
    train, _ = _regression_loaders()
    trainer = Trainer(task="regression", max_epochs=4, patience=1, progress=False, seed=0)
    history = trainer.fit(lambda: DictMlp(out=1), train, None)
    assert [r["epoch"] for r in history] == [1, 2, 3, 4] and trainer.best_epoch == 4
    assert all("val_loss" not in r for r in history)
    with pytest.raises(ValueError, match="no 'params'"):
        Trainer(task="regression", param_groups=[{"lr": 1.0}], progress=False).fit(
            DictMlp(out=1), train, None
        )


def test_sgd_with_momentum_instead_of_adam():
    model = nn.Linear(3, 2)
    optimizer = Trainer(optimizer="sgd", momentum=0.5, lr=0.1).configure_optimizers(model)
    assert isinstance(optimizer, torch.optim.SGD) and optimizer.param_groups[0]["momentum"] == 0.5
    assert isinstance(Trainer().configure_optimizers(model), torch.optim.Adam)
    with pytest.raises(ValueError, match="optimizer"):
        Trainer(optimizer="rmsprop")
