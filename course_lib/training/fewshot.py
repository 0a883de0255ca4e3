"""Few-shot personalisation: fine-tune on a user's k support clips, evaluate on the user's other clips.

* :func:`finetune` -- a fixed number of full-batch steps with the one
  :class:`~course_lib.training.trainer.Trainer` (there is no validation data
  in a 5-shot user, so nothing is selected on the query clips), optional
  parameter groups with their own learning rates, and optional knowledge
  distillation from a frozen teacher whose predictions on the support clips
  are computed once (:func:`cached_predictions`);
* :func:`distillation_objective` -- ``(1 - λ) |ŷ - y_old| + λ |ŷ - y|``, the
  personalisation paper's loss (λ = 0.6), ``y_old`` the teacher's prediction;
* :func:`evaluate_users` -- several k-shot draws per user, every adaptation
  method on the same draws, as a :class:`FewShotResult`: a tidy table of
  query predictions per (user, draw, method), metrics per (user, draw),
  per user (mean over draws) and the paper's mean over users.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from course_lib import metrics
from course_lib.data.users import kshot_draws
from course_lib.training.trainer import Trainer, move_batch

__all__ = [
    "PAPER_METRICS",
    "FewShotResult",
    "cached_predictions",
    "distillation_objective",
    "evaluate_users",
    "finetune",
]

#: The personalisation paper's columns and the course's figures behind them (F1 and Acc2 with
#: zero labels left out, the MulT code's ``exclude_zero=True``; the ``has0`` figures are kept too).
PAPER_METRICS: dict[str, str] = {
    "mae": "mae",
    "corr": "corr",
    "acc7": "acc7",
    "f1": "f1_non0",
    "acc2": "acc2_non0",
    "f1_has0": "f1_has0",
    "acc2_has0": "acc2_has0",
}


def _loader(dataset: Dataset, batch_size: int, shuffle: bool = False, seed: int = 0) -> DataLoader:
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    collate = getattr(dataset, "collate", None)
    return DataLoader(
        dataset, batch_size=batch_size, shuffle=shuffle, collate_fn=collate, generator=generator
    )


@torch.no_grad()
def cached_predictions(
    model: nn.Module,
    dataset: Dataset,
    batch_size: int = 64,
    device: str | torch.device = "cpu",
    prediction_key: str = "prediction",
) -> torch.Tensor:
    """A model's predictions for every item of ``dataset``, in dataset order (eval mode, no gradients).

    Shape:
        ``(len(dataset),)`` float32 on the CPU.
    """
    was_training = model.training
    model.eval().to(device)
    out = []
    try:
        for batch in _loader(dataset, batch_size):
            result = model(move_batch(batch, device))
            prediction = result[prediction_key] if isinstance(result, Mapping) else result
            out.append(prediction.reshape(-1).float().cpu())
    finally:
        model.train(was_training)
    return torch.cat(out) if out else torch.zeros(0)


def distillation_objective(
    teacher_predictions: torch.Tensor,
    lam: float = 0.6,
    prediction_key: str = "prediction",
    target_key: str = "label",
) -> Callable[[Any, Mapping[str, Any]], tuple[torch.Tensor, dict[str, float]]]:
    """The knowledge-distillation loss ``(1 - lam) * L1(ŷ, y_old) + lam * L1(ŷ, y)``.

    ``y_old`` is looked up in ``teacher_predictions`` by the batch's integer
    ``index``. ``lam = 1`` is plain fine-tuning, ``lam = 0`` only imitates the teacher.

    Args:
        teacher_predictions: The frozen teacher's prediction per dataset item. Shape: ``(N,)``.
        lam: Weight of the label term (0.6 in the paper).
        prediction_key: Entry of the model's output dict with ``ŷ``.
        target_key: Batch key with the labels.

    Returns:
        ``objective(outputs, batch) -> (loss, {"l1_label", "l1_teacher"})`` for the Trainer.
    """
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"lam must lie in [0, 1], got {lam}")
    teacher = teacher_predictions.detach().float().reshape(-1)

    def objective(outputs: Any, batch: Mapping[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        if "index" not in batch:
            raise KeyError("distillation needs batches with an integer 'index' (e.g. a SequenceDataset)")
        prediction = outputs[prediction_key] if isinstance(outputs, Mapping) else outputs
        prediction = prediction.reshape(-1)
        y_old = teacher.to(prediction.device)[batch["index"].long()]
        to_label = (prediction - batch[target_key].float().reshape(-1)).abs().mean()
        to_teacher = (prediction - y_old).abs().mean()
        loss = (1.0 - lam) * to_teacher + lam * to_label
        return loss, {"l1_label": float(to_label.detach()), "l1_teacher": float(to_teacher.detach())}

    return objective


def finetune(
    model: nn.Module,
    support: Dataset,
    steps: int = 30,
    param_groups: Callable[[nn.Module], Sequence[Mapping[str, Any]]] | None = None,
    teacher: nn.Module | None = None,
    lam: float = 0.6,
    lr: float = 1e-4,
    batch_size: int | None = None,
    grad_clip: float | None = 0.8,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> nn.Module:
    """Fine-tune a copy of ``model`` on a user's support clips for a fixed number of steps.

    Args:
        model: The pre-trained model (left unchanged).
        support: The support clips; items need an integer ``index`` (their
            position) when ``teacher`` is given.
        steps: Training epochs over the support set; with the default full
            batch, one optimiser step each.
        param_groups: ``model -> groups`` (e.g. ``lambda m: m.param_groups(1e-4, 1e-3)``),
            called on the copy; None trains every parameter at ``lr``.
        teacher: A frozen model giving ``y_old`` (usually ``model`` itself);
            its predictions on the support clips are computed once.
        lam: Weight of the label term of the distillation loss.
        lr: Learning rate of parameters outside ``param_groups``.
        batch_size: Support clips per step (None: all of them).
        grad_clip: Max gradient norm.
        seed: Seed of the update (dropout, batch order).
        device: Torch device.

    Returns:
        The fine-tuned copy.
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    student = copy.deepcopy(model)
    objective = None
    if teacher is not None:
        objective = distillation_objective(cached_predictions(teacher, support, device=device), lam)
    size = batch_size or len(support)
    trainer = Trainer(
        max_epochs=steps,
        lr=lr,
        task="regression",
        grad_clip=grad_clip,
        device=device,
        seed=seed,
        progress=False,
        param_groups=param_groups,
        objective=objective,
    )
    trainer.fit(student, _loader(support, size, shuffle=batch_size is not None, seed=seed), None)
    return trainer.model


Adapt = Callable[[nn.Module, Dataset], nn.Module]


@dataclass
class FewShotResult:
    """Query predictions of every (user, draw, method), and the tables built from them.

    Attributes:
        predictions: One row per query clip and method: ``user``, ``draw``,
            ``method``, ``id``, ``y_true``, ``y_pred``.
        k: Support clips per draw.
    """

    predictions: pd.DataFrame
    k: int

    @property
    def methods(self) -> list[str]:
        """Method names, in the order they were run."""
        return list(dict.fromkeys(self.predictions["method"]))

    @property
    def users(self) -> list[Hashable]:
        """Users, in the order they were run."""
        return list(dict.fromkeys(self.predictions["user"]))

    def table(self) -> pd.DataFrame:
        """Metrics of every (user, draw, method) on its query clips (:data:`PAPER_METRICS` and ``n``)."""
        rows = []
        for (user, draw, method), group in self.predictions.groupby(["user", "draw", "method"], sort=False):
            figures = metrics.mosi_table(group["y_true"].to_numpy(), group["y_pred"].to_numpy())
            named = {name: figures[source] for name, source in PAPER_METRICS.items()}
            rows.append({"user": user, "draw": draw, "method": method, **named, "n": len(group)})
        return pd.DataFrame(rows)

    def per_user(self, spread: bool = False) -> pd.DataFrame:
        """Mean over draws (or, with ``spread``, the std over draws) per (user, method).

        Undefined figures (NaN) of a draw are left out of its user's mean.
        """
        grouped = self.table().drop(columns="draw").groupby(["user", "method"], sort=False)
        return grouped.std(ddof=0) if spread else grouped.mean()

    def mean(self) -> pd.DataFrame:
        """The paper's average: per-user figures (means over draws) averaged over users, per method."""
        return self.per_user().drop(columns="n").groupby(level="method", sort=False).mean()

    def pooled(self) -> pd.DataFrame:
        """Figures over all query clips of all users and draws together, per method."""
        rows = {}
        for method, group in self.predictions.groupby("method", sort=False):
            figures = metrics.mosi_table(group["y_true"].to_numpy(), group["y_pred"].to_numpy())
            rows[method] = {name: figures[source] for name, source in PAPER_METRICS.items()}
        return pd.DataFrame.from_dict(rows, orient="index")

    def paired(self, metric: str, a: str, b: str | None = None) -> pd.DataFrame:
        """One row per (user, draw): ``metric`` of method ``a`` (and ``b``) side by side."""
        table = self.table().pivot_table(index=["user", "draw"], columns="method", values=metric, sort=False)
        return table[[a] if b is None else [a, b]]

    def offsets(self, method: str, reference: str = "baseline") -> pd.Series:
        """Each user's learnt offset: mean of ``ŷ_method - ŷ_reference`` over the query clips and draws."""
        wide = self.predictions.pivot_table(
            index=["user", "draw", "id"], columns="method", values="y_pred", sort=False
        )
        shift = (wide[method] - wide[reference]).groupby(level=["user", "draw"], sort=False).mean()
        return shift.groupby(level="user", sort=False).mean()


def evaluate_users(
    model: nn.Module,
    clips_by_user: Mapping[Hashable, Sequence[Any]],
    make_dataset: Callable[[Sequence[Any]], Dataset],
    methods: Mapping[str, Adapt | None],
    k: int = 5,
    n_draws: int = 5,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> FewShotResult:
    """Adapt ``model`` to each user with each method on the same k-shot draws; predict the query clips.

    Args:
        model: The pre-trained model.
        clips_by_user: ``{user: clips}`` (e.g. from :func:`course_lib.data.users.leave_users_out`);
            clips need ``id`` and ``label``.
        make_dataset: Clips -> dataset (e.g. ``SequenceData.dataset``).
        methods: ``{name: adapt(model, support_dataset) -> model}``; None
            evaluates ``model`` unchanged (the no-fine-tuning baseline).
        k: Support clips per draw.
        n_draws: Draws per user.
        seed: Seed of the draws; user ``i`` draws with ``(seed, i)``.
        device: Torch device for the predictions.

    Returns:
        A :class:`FewShotResult`.
    """
    rows = []
    for number, (user, clips) in enumerate(clips_by_user.items()):
        for draw, (support, query) in enumerate(kshot_draws(list(clips), k, n_draws, seed=(seed, number))):
            support_set, query_set = make_dataset(support), make_dataset(query)
            for name, adapt in methods.items():
                adapted = model if adapt is None else adapt(model, support_set)
                predicted = cached_predictions(adapted, query_set, device=device).numpy()
                rows += [
                    {
                        "user": user,
                        "draw": draw,
                        "method": name,
                        "id": clip.id,
                        "y_true": float(clip.label),
                        "y_pred": float(p),
                    }
                    for clip, p in zip(query, predicted)
                ]
    return FewShotResult(pd.DataFrame(rows), k)
