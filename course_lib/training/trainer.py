"""A small, readable training loop with the papers' recipe built in.

:class:`Trainer` trains any ``nn.Module`` whose ``forward`` takes a batch dict
(``{"text": ..., "audio": ..., "label": ...}``) and returns logits ``(B, C)``
(classification) or scores ``(B,)`` / ``(B, 1)`` (regression). The defaults
follow the conversational emotion paper: Adam with learning rate 1e-3,
``ReduceLROnPlateau`` (factor 0.4) and early stopping, both watching the
validation weighted F1, then the best epoch's weights are restored. Model
selection only ever looks at the validation loader; evaluate the test split
once, after :meth:`Trainer.fit`.

Method names follow d2l / PyTorch Lightning (``fit``, ``training_step``,
``validation_step``, ``configure_optimizers``) so learners can move on to
Lightning without surprises.

Beyond the papers' default recipe (used by the sequence-model lessons):

* ``param_groups`` -- parameter groups with their own learning rates (e.g. a
  pre-trained base at 1e-4 and a user adapter at 1e-3);
* ``objective(outputs, batch) -> loss`` or ``(loss, logs)`` -- a loss that sees
  the model's whole output (a tensor or a dict) and the whole batch, e.g.
  knowledge distillation against cached teacher predictions looked up by the
  batch's integer ``index``; the logs are averaged per epoch into
  :attr:`Trainer.history` as ``train_<name>``;
* ``hooks`` -- objects with any of ``on_epoch_start(trainer, epoch)``,
  ``on_train_batch_end(trainer, batch, outputs, loss)`` and
  ``on_epoch_end(trainer, epoch, record)``;
* models may return a dict; its ``prediction_key`` entry is the prediction;
* ``fit(model, train_loader, None)`` trains exactly ``max_epochs`` epochs
  without validation and keeps the last weights (a fixed few-shot update,
  where no validation data exist).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_model, save_model
from torch import nn
from tqdm.auto import tqdm

from course_lib import metrics as course_metrics
from course_lib.runtime import pick_device, seed_everything
from course_lib.training.losses import class_weights as inverse_frequency_weights
from course_lib.training.losses import default_loss

Batch = Mapping[str, Any]
#: ``objective(outputs, batch) -> loss`` or ``(loss, {name: float})``.
Objective = Callable[[Any, Batch], "torch.Tensor | tuple[torch.Tensor, Mapping[str, float]]"]
#: Parameter groups: a list of ``{"params": [...], "lr": ...}`` dicts, or a function of the model giving one.
ParamGroups = Sequence[Mapping[str, Any]] | Callable[[nn.Module], Sequence[Mapping[str, Any]]]
HOOK_NAMES = ("on_epoch_start", "on_train_batch_end", "on_epoch_end")


def move_batch(batch: Batch, device: torch.device | str) -> dict[str, Any]:
    """Copy a batch dict with every tensor moved to ``device`` (other values kept as they are)."""
    return {key: value.to(device) if torch.is_tensor(value) else value for key, value in batch.items()}


def save_checkpoint(
    model: nn.Module, path: str | os.PathLike, metadata: Mapping[str, Any] | None = None
) -> Path:
    """Write a model's weights to a safetensors file.

    Args:
        model: The model to save.
        path: Target file (parents are created).
        metadata: Small extra facts (epoch, score, config); values are stored
            as strings.

    Returns:
        The path written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text_metadata = {str(key): str(value) for key, value in (metadata or {}).items()}
    save_model(model, str(target), metadata=text_metadata)
    return target


def load_checkpoint(
    model: nn.Module, path: str | os.PathLike, device: torch.device | str = "cpu", strict: bool = True
) -> dict[str, str]:
    """Load safetensors weights written by :func:`save_checkpoint` into ``model``.

    Returns:
        The metadata stored with the weights.

    Raises:
        FileNotFoundError: when ``path`` does not exist.
    """
    source = Path(path)
    if not source.is_file():
        raise FileNotFoundError(f"no checkpoint at {source}")
    load_model(model, str(source), strict=strict, device=str(device))
    with safe_open(str(source), framework="pt") as handle:
        return dict(handle.metadata() or {})


class Trainer:
    """Fit, evaluate and predict with early stopping on a validation metric.

    Args:
        max_epochs: Upper bound on training epochs.
        lr: Adam learning rate.
        weight_decay: Adam weight decay.
        patience: Epochs without improvement of the monitored metric before
            stopping.
        lr_factor: ``ReduceLROnPlateau`` factor.
        lr_patience: ``ReduceLROnPlateau`` patience (epochs).
        monitor: Validation metric name (a key of :meth:`evaluate`'s dict,
            e.g. ``"weighted_f1"``, ``"loss"``, ``"mae"``).
        mode: ``"max"`` when larger is better, ``"min"`` otherwise.
        task: ``"classification"`` (cross-entropy, argmax predictions) or
            ``"regression"`` (L1, scalar predictions).
        labels: Class names in index order; used by the metrics (default:
            ``"0".."C-1"`` from the model's output size).
        loss_fn: ``loss_fn(outputs, targets) -> scalar``; replaces the
            default loss.
        class_weights: None, a weight per class, or True to compute
            ``w_i = N / (|C| N_i)`` from the training labels (needs ``labels``).
        grad_clip: Max global gradient norm, or None for no clipping.
        device: ``"auto"``, a device string or a ``torch.device``.
        seed: When given, :meth:`fit` seeds every generator before building
            the model (when given a model factory) and again before training.
        progress: Show tqdm progress bars.
        checkpoint_path: When given, the best weights are also saved there.
        target_key: Batch key holding the targets.
        metrics_fn: ``metrics_fn(y_true, y_pred) -> dict``; replaces the
            default metrics of the task.
        min_delta: Minimum change counting as an improvement.
        param_groups: Parameter groups with their own ``lr`` (and
            ``weight_decay``), or a function ``model -> groups``; groups
            without ``lr`` use ``lr``. Frozen parameters are left out.
        objective: ``objective(outputs, batch) -> loss`` or ``(loss, logs)``;
            replaces ``loss_fn`` for training and the validation loss.
        hooks: Objects with any of :data:`HOOK_NAMES` as methods.
        prediction_key: Entry of a dict output holding the prediction.
        optimizer: ``"adam"`` (the default) or ``"sgd"`` (with ``momentum``), e.g. a paper trained with SGD.
        momentum: SGD momentum.

    Attributes:
        model: The trained module (after :meth:`fit`: its best epoch's weights).
        history: One dict per epoch: ``epoch``, ``train_loss``, ``lr`` (the
            learning rate used during the epoch) and
            ``val_<metric>`` for every validation metric.
        best_epoch: The epoch whose weights were restored.
        best_score: Its monitored validation score.
    """

    def __init__(
        self,
        max_epochs: int = 30,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        patience: int = 5,
        lr_factor: float = 0.4,
        lr_patience: int = 2,
        monitor: str = "weighted_f1",
        mode: str = "max",
        task: str = "classification",
        labels: Sequence[str] | None = None,
        loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
        class_weights: Sequence[float] | torch.Tensor | bool | None = None,
        grad_clip: float | None = None,
        device: str | torch.device = "cpu",
        seed: int | None = None,
        progress: bool = True,
        checkpoint_path: str | os.PathLike | None = None,
        target_key: str = "label",
        metrics_fn: Callable[[np.ndarray, np.ndarray], dict[str, float]] | None = None,
        min_delta: float = 0.0,
        param_groups: ParamGroups | None = None,
        objective: Objective | None = None,
        hooks: Sequence[Any] = (),
        prediction_key: str = "prediction",
        optimizer: str = "adam",
        momentum: float = 0.9,
    ) -> None:
        if mode not in ("max", "min"):
            raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
        if task not in ("classification", "regression"):
            raise ValueError(f"task must be 'classification' or 'regression', got {task!r}")
        if optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
        if max_epochs < 1 or patience < 1:
            raise ValueError("max_epochs and patience must be at least 1")
        self.max_epochs = max_epochs
        self.lr = lr
        self.weight_decay = weight_decay
        self.patience = patience
        self.lr_factor = lr_factor
        self.lr_patience = lr_patience
        self.monitor = monitor
        self.mode = mode
        self.task = task
        self.labels = tuple(labels) if labels is not None else None
        self.user_loss_fn = loss_fn
        self.class_weights = class_weights
        self.grad_clip = grad_clip
        self.device = device if isinstance(device, torch.device) else pick_device(device)
        self.seed = seed
        self.progress = progress
        self.checkpoint_path = Path(checkpoint_path) if checkpoint_path else None
        self.target_key = target_key
        self.metrics_fn = metrics_fn
        self.min_delta = min_delta
        self.param_groups = param_groups
        self.objective = objective
        self.hooks = tuple(hooks)
        self.prediction_key = prediction_key
        self.optimizer_name = optimizer
        self.momentum = momentum
        self.model: nn.Module | None = None
        self.loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None
        self.optimizer: torch.optim.Optimizer | None = None
        self.scheduler: torch.optim.lr_scheduler.ReduceLROnPlateau | None = None
        self.history: list[dict[str, float]] = []
        self.best_epoch: int | None = None
        self.best_score: float | None = None
        self.class_weight_tensor: torch.Tensor | None = None
        self.last_epoch_logs: dict[str, float] = {}

    # ------------------------------------------------------------------ set-up

    def _optimizer(self, params: Any) -> torch.optim.Optimizer:
        if self.optimizer_name == "sgd":
            return torch.optim.SGD(params, lr=self.lr, momentum=self.momentum, weight_decay=self.weight_decay)
        return torch.optim.Adam(params, lr=self.lr, weight_decay=self.weight_decay)

    def configure_optimizers(self, model: nn.Module) -> torch.optim.Optimizer:
        """Adam (or SGD) over the trainable parameters (frozen ones are left out), per group when given."""
        if self.param_groups is None:
            params = [p for p in model.parameters() if p.requires_grad]
            if not params:
                raise ValueError("the model has no trainable parameters")
            return self._optimizer(params)
        groups = self.param_groups(model) if callable(self.param_groups) else self.param_groups
        chosen = []
        for number, group in enumerate(groups):
            if "params" not in group:
                raise ValueError(f"parameter group {number} has no 'params'")
            params = [p for p in group["params"] if p.requires_grad]
            if params:
                chosen.append({**group, "params": params})
        if not chosen:
            raise ValueError("the parameter groups hold no trainable parameters")
        return self._optimizer(chosen)

    def _call_hooks(self, name: str, *args: Any) -> None:
        for hook in self.hooks:
            method = getattr(hook, name, None)
            if method is not None:
                method(self, *args)

    def _collect_targets(self, loader: Iterable[Batch]) -> torch.Tensor:
        """Training targets: the dataset's integer ``labels`` array when it has one, else one pass."""
        dataset = getattr(loader, "dataset", None)
        stored = getattr(dataset, "labels", None)
        if stored is not None:
            array = np.asarray(stored)
            if array.dtype.kind in "iu" and array.ndim == 1 and len(array) == len(dataset):
                return torch.as_tensor(array)
        return torch.cat([torch.as_tensor(batch[self.target_key]).reshape(-1) for batch in loader])

    def _resolve_weights(self, train_loader: Iterable[Batch]) -> torch.Tensor | None:
        if self.class_weights is None or self.class_weights is False:
            return None
        if self.class_weights is True:
            if self.labels is None:
                raise ValueError("class_weights=True needs the class names (labels=...)")
            return inverse_frequency_weights(self._collect_targets(train_loader), len(self.labels))
        return torch.as_tensor(self.class_weights, dtype=torch.float32)

    def _make_loss(
        self, train_loader: Iterable[Batch]
    ) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
        if self.user_loss_fn is not None:
            if self.class_weights not in (None, False):
                raise ValueError("pass either loss_fn or class_weights, not both")
            return self.user_loss_fn
        weights = self._resolve_weights(train_loader)
        self.class_weight_tensor = weights
        loss = default_loss(self.task, weights)
        return loss.to(self.device)

    # ------------------------------------------------------------------ steps

    def _targets(self, batch: Batch) -> torch.Tensor:
        if self.target_key not in batch:
            raise KeyError(f"batch has no {self.target_key!r} key (keys: {sorted(batch)})")
        return batch[self.target_key]

    def _shape_outputs(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if self.task == "regression":
            return outputs.reshape(targets.shape)
        return outputs

    def compute_loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """The training loss of one batch.

        Shape:
            outputs ``(B, C)`` logits or ``(B,)`` scores; targets ``(B,)``.
        """
        if self.task == "regression":
            targets = targets.float()
        return self.loss_fn(self._shape_outputs(outputs, targets), targets)

    def prediction(self, outputs: Any) -> torch.Tensor:
        """The prediction tensor of a model output (a tensor, or a dict's ``prediction_key`` entry)."""
        if isinstance(outputs, Mapping):
            if self.prediction_key not in outputs:
                raise KeyError(f"model output has no {self.prediction_key!r} entry (keys: {sorted(outputs)})")
            return outputs[self.prediction_key]
        return outputs

    def _objective_loss(self, outputs: Any, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        result = self.objective(outputs, batch)
        loss, logs = result if isinstance(result, tuple) else (result, {})
        return loss, {str(k): float(v) for k, v in dict(logs).items()}

    def _forward_loss(self, batch: Batch) -> tuple[Any, torch.Tensor, dict[str, float]]:
        """``(outputs, loss, logs)`` of one training batch."""
        outputs = self.model(batch)
        if self.objective is not None:
            loss, logs = self._objective_loss(outputs, batch)
            return outputs, loss, logs
        return outputs, self.compute_loss(self.prediction(outputs), self._targets(batch)), {}

    def training_step(self, batch: Batch, batch_idx: int = 0) -> torch.Tensor:
        """Forward one (device-resident) batch and return its loss."""
        return self._forward_loss(batch)[1]

    def validation_step(
        self, batch: Batch, batch_idx: int = 0
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Forward one batch without gradients: ``(predictions, targets, loss)``."""
        targets = self._targets(batch)
        raw = self.model(batch)
        outputs = self._shape_outputs(self.prediction(raw), targets)
        if self.objective is not None:
            return outputs, targets, self._objective_loss(raw, batch)[0]
        return outputs, targets, self.compute_loss(outputs, targets)

    # ------------------------------------------------------------------ loops

    def _train_epoch(self, loader: Iterable[Batch], epoch: int) -> float:
        self.model.train()
        total, count = 0.0, 0
        log_totals: dict[str, float] = {}
        bar = tqdm(loader, desc=f"epoch {epoch}", leave=False, disable=not self.progress)
        for batch_idx, batch in enumerate(bar):
            batch = move_batch(batch, self.device)
            self.optimizer.zero_grad(set_to_none=True)
            outputs, loss, logs = self._forward_loss(batch)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"non-finite training loss at epoch {epoch}, batch {batch_idx}")
            loss.backward()
            if self.grad_clip is not None:
                nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_clip)
            self.optimizer.step()
            self._call_hooks("on_train_batch_end", batch, outputs, loss.detach())
            size = int(self._targets(batch).shape[0])
            total += float(loss.detach()) * size
            count += size
            for name, value in logs.items():
                log_totals[name] = log_totals.get(name, 0.0) + value * size
        if count == 0:
            raise ValueError("the training loader yielded no batches")
        self.last_epoch_logs = {f"train_{name}": value / count for name, value in log_totals.items()}
        return total / count

    def _run_inference(
        self, loader: Iterable[Batch], model: nn.Module | None = None
    ) -> tuple[np.ndarray, np.ndarray, float]:
        model = model if model is not None else self.model
        if model is None:
            raise RuntimeError("no model: call fit() first or pass model=")
        previous, self.model = self.model, model.to(self.device)
        if self.loss_fn is None:
            self.loss_fn = self.user_loss_fn or default_loss(self.task).to(self.device)
        model.eval()
        outputs, targets, total, count = [], [], 0.0, 0
        try:
            with torch.no_grad():
                for batch_idx, batch in enumerate(loader):
                    batch = move_batch(batch, self.device)
                    out, target, loss = self.validation_step(batch, batch_idx)
                    outputs.append(out.detach().float().cpu())
                    targets.append(target.detach().cpu())
                    total += float(loss) * int(target.shape[0])
                    count += int(target.shape[0])
        finally:
            self.model = previous if previous is not None else model
        if count == 0:
            raise ValueError("the loader yielded no batches")
        return torch.cat(outputs).numpy(), torch.cat(targets).numpy(), total / count

    def _labels_for(self, outputs: np.ndarray) -> tuple[str, ...]:
        if self.labels is not None:
            return self.labels
        return tuple(str(i) for i in range(outputs.shape[-1]))

    def compute_metrics(self, outputs: np.ndarray, targets: np.ndarray) -> dict[str, float]:
        """Metrics of a whole split from its model outputs and targets."""
        predictions = self.decode(outputs)
        if self.metrics_fn is not None:
            return dict(self.metrics_fn(targets, predictions))
        if self.task == "classification":
            return course_metrics.classification_metrics(targets, predictions, self._labels_for(outputs))
        return course_metrics.regression_metrics(targets, predictions)

    def decode(self, outputs: np.ndarray) -> np.ndarray:
        """Model outputs to predictions: argmax class ids, or the scores themselves."""
        if self.task == "classification":
            return outputs.argmax(axis=-1)
        return outputs.reshape(-1)

    def evaluate(self, loader: Iterable[Batch], model: nn.Module | None = None) -> dict[str, float]:
        """Loss and metrics of ``model`` (default: the fitted one) on a loader."""
        outputs, targets, loss = self._run_inference(loader, model)
        result = {"loss": loss}
        result.update(self.compute_metrics(outputs, targets))
        return result

    def predict(
        self, loader: Iterable[Batch], model: nn.Module | None = None, return_targets: bool = False
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Predicted class ids (classification) or scores (regression) for every sample.

        Args:
            loader: Batches with the target key (used for shapes and,
                optionally, returned).
            model: Model to use (default: the fitted one).
            return_targets: Also return the targets, in the same order.
        """
        outputs, targets, _ = self._run_inference(loader, model)
        predictions = self.decode(outputs)
        return (predictions, targets) if return_targets else predictions

    def _improved(self, score: float) -> bool:
        if self.best_score is None or not math.isfinite(self.best_score):
            return math.isfinite(score) or self.best_score is None
        if not math.isfinite(score):
            return False
        if self.mode == "max":
            return score > self.best_score + self.min_delta
        return score < self.best_score - self.min_delta

    def _seeded_model(self, model: nn.Module | Callable[[], nn.Module]) -> nn.Module:
        """Seed every generator (when :attr:`seed` is set) and return the model, built now from a factory.

        The generators are seeded again after a factory has built the model,
        so the training draws (batch order, dropout) are those of a model built
        right after ``seed_everything(seed)``, whatever its number of weights.
        """
        if self.seed is not None:
            seed_everything(self.seed)
        if isinstance(model, nn.Module):
            return model
        built = model()
        if not isinstance(built, nn.Module):
            raise TypeError(f"the model factory returned {type(built).__name__}, not an nn.Module")
        if self.seed is not None:
            seed_everything(self.seed)
        return built

    def _fit_without_validation(self, train_loader: Iterable[Batch]) -> list[dict[str, float]]:
        """Exactly ``max_epochs`` epochs, last weights kept (no validation data to select with)."""
        for epoch in range(1, self.max_epochs + 1):
            self._call_hooks("on_epoch_start", epoch)
            lr = self.optimizer.param_groups[0]["lr"]
            train_loss = self._train_epoch(train_loader, epoch)
            record = {"epoch": epoch, "train_loss": train_loss, "lr": lr, **self.last_epoch_logs}
            self.history.append(record)
            self._call_hooks("on_epoch_end", epoch, record)
        self.best_epoch = self.max_epochs
        return self.history

    def fit(
        self,
        model: nn.Module | Callable[[], nn.Module],
        train_loader: Iterable[Batch],
        val_loader: Iterable[Batch] | None,
    ) -> list[dict[str, float]]:
        """Train a model and restore its best validation epoch.

        For reproducible initial weights, pass a factory (``lambda: MyModel(...)``)
        together with ``seed``: it is called right after seeding, so the same
        seed gives the same weights whatever random draws came before. A module
        passed as is keeps the weights it was built with; build it right after
        :func:`course_lib.runtime.seed_everything` instead.

        Args:
            model: Module whose ``forward(batch)`` returns logits or scores, or
                a function without arguments that builds one. The trained
                module is :attr:`model`.
            train_loader: Training batches (dicts of tensors).
            val_loader: Validation batches; the only split used for model
                selection, learning-rate schedule and early stopping. None:
                train exactly ``max_epochs`` epochs and keep the last weights.

        Returns:
            :attr:`history`, one dict per epoch.
        """
        self.model = self._seeded_model(model).to(self.device)
        self.loss_fn = self._make_loss(train_loader)
        self.optimizer = self.configure_optimizers(self.model)
        self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            self.optimizer, mode=self.mode, factor=self.lr_factor, patience=self.lr_patience
        )
        self.history, self.best_epoch, self.best_score = [], None, None
        if val_loader is None:
            return self._fit_without_validation(train_loader)
        best_state: dict[str, torch.Tensor] | None = None
        stale = 0
        epochs = tqdm(range(1, self.max_epochs + 1), desc="fit", disable=not self.progress)
        for epoch in epochs:
            self._call_hooks("on_epoch_start", epoch)
            lr = self.optimizer.param_groups[0]["lr"]
            train_loss = self._train_epoch(train_loader, epoch)
            val = self.evaluate(val_loader)
            if self.monitor not in val:
                raise KeyError(f"monitored metric {self.monitor!r} not in validation metrics {sorted(val)}")
            score = float(val[self.monitor])
            self.scheduler.step(score)
            record = {"epoch": epoch, "train_loss": train_loss, "lr": lr, **self.last_epoch_logs}
            record.update({f"val_{key}": float(value) for key, value in val.items()})
            self.history.append(record)
            self._call_hooks("on_epoch_end", epoch, record)
            if self._improved(score):
                self.best_epoch, self.best_score, stale = epoch, score, 0
                best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
                if self.checkpoint_path is not None:
                    save_checkpoint(self.model, self.checkpoint_path, {"epoch": epoch, self.monitor: score})
            else:
                stale += 1
            epochs.set_postfix(train_loss=f"{train_loss:.3f}", **{self.monitor: f"{score:.3f}"})
            if stale >= self.patience:
                break
        if best_state is not None:
            self.model.load_state_dict(best_state)
        return self.history
