"""Recipe of lesson 06: MulT with user adapter tokens, pre-trained without the target users,
personalised with 5-shot fine-tuning, with and without knowledge distillation (CMU-MOSI).

The protocol (the personalisation paper's, with the course's changes stated):

1. :func:`load_personalisation_data` -- sequence features of the corpus
   (:func:`course_lib.features.sequences.load_sequences`); the target users
   are the ``n_users`` test-split users with the most clips
   (:func:`course_lib.data.users.target_users`). The paper pre-trains once per
   target user on every other user; the course pre-trains **once** on the
   train split (users disjoint from every target) and stops early on the valid
   split, so each target user is still unseen in pre-training.
2. :func:`train` -- pre-train a model (MulT with user tokens, or a baseline)
   with L1, Adam and early stopping on validation MAE. Training users get
   their own token, every other user the generic one. The result's test
   predictions cover the whole test split (for model comparisons).
3. :func:`personalise` -- for each target user, ``draws`` random k-shot
   splits; on each, the baseline (no fine-tuning), FS-UA (fine-tuned, plain
   L1) and FS-UA-KD (fine-tuned with distillation) predict the user's query
   clips (:func:`course_lib.training.fewshot.evaluate_users`).
4. :func:`lambda_curve` -- λ (and any fine-tuning setting) is chosen by
   simulating 5-shot personalisation on the **validation users**, never on a
   target user's query clips.
5. :func:`paper_claims` -- the paper's claims and the course's questions as
   claim records with paired bootstrap intervals over (user, draw) units.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from torch import nn

from course_lib import metrics
from course_lib.data.records import Sample
from course_lib.data.users import clips_per_user, leave_users_out, target_users
from course_lib.features.sequences import SequenceData, SequenceDataset, load_sequences
from course_lib.models import registry
from course_lib.models.mult import user_ids
from course_lib.papers import compare, compare_values
from course_lib.papers import lu as paper
from course_lib.recipes.base import RecipeConfig
from course_lib.runtime import torch_threads
from course_lib.training.fewshot import FewShotResult, cached_predictions, evaluate_users, finetune
from course_lib.training.trainer import Trainer

__all__ = [
    "METHODS",
    "PersonalisationConfig",
    "PersonalisationData",
    "PretrainResult",
    "adapt_user",
    "lambda_curve",
    "load_personalisation_data",
    "mean_record",
    "paper_claims",
    "per_user_record",
    "personalise",
    "train",
]

#: The three rows of the paper's Table 3, in the course's names.
METHODS: tuple[str, ...] = ("baseline", "fs_ua", "fs_ua_kd")


@dataclass(frozen=True)
class PersonalisationConfig(RecipeConfig):
    """Configuration of lesson 06 (full-mode defaults follow the CPU budget; the paper's size is ``paper()``).

    Attributes:
        model: ``"mult"``, ``"text_lstm"`` or ``"ef_lstm"`` (registry kind ``"msa"``).
        corpus: Corpus folder (``"MOSI"``; ``"MOSI_nobias"`` is the control without speaker bias).
        file: ``aligned_50.pkl`` or ``unaligned_50.pkl``.
        text: Text features (see :data:`course_lib.features.sequences.TEXT_KINDS`).
        pool_hz: Unaligned files: frames per second after pooling.
        dim, heads, layers, memory_layers, kernel_size, dropout, embed_dropout, causal:
            MulT's size (d = 30 as in the paper; 2 + 2 layers and 5 heads for a CPU).
        user_tokens, adapter_hidden, user_dropout: The user adapter.
        lstm_hidden: Units of the baselines' LSTM.
        epochs, patience, batch_size, lr, grad_clip: Pre-training.
        n_users: Target users; k: support clips per draw; draws: draws per user.
        steps, base_lr, adapter_lr, lam: Fine-tuning (full-batch steps, the paper's learning rates and λ).
        threads: Torch CPU threads while training (1: these small models run fastest on one; None: unchanged).
    """

    model: str = "mult"
    corpus: str = "MOSI"
    file: str = "aligned_50.pkl"
    text: str = "glove"
    pool_hz: float | None = None
    dim: int = 30
    heads: int = 5
    layers: int = 2
    memory_layers: int = 2
    kernel_size: int = 3
    dropout: float = 0.1
    embed_dropout: float = 0.25
    causal: bool = False
    user_tokens: bool = True
    adapter_hidden: int = 512
    user_dropout: float = 0.2
    lstm_hidden: int = 64
    epochs: int = 12
    patience: int = 3
    batch_size: int = 32
    lr: float = 1e-3
    grad_clip: float = 0.8
    n_users: int = 10
    k: int = 5
    draws: int = 5
    steps: int = 30
    base_lr: float = 1e-4
    adapter_lr: float = 1e-3
    lam: float = 0.6
    threads: int | None = 1

    SMOKE_SIZES: ClassVar[dict[str, Any]] = {
        "dim": 16,
        "heads": 2,
        "layers": 1,
        "memory_layers": 1,
        "lstm_hidden": 32,
        "epochs": 4,
        "patience": 2,
        "n_users": 4,
        "draws": 2,
        "steps": 10,
    }

    def __post_init__(self) -> None:
        if self.model not in ("mult", "text_lstm", "ef_lstm"):
            raise ValueError(f"model must be 'mult', 'text_lstm' or 'ef_lstm', got {self.model!r}")
        if not 0.0 <= self.lam <= 1.0:
            raise ValueError(f"lam must lie in [0, 1], got {self.lam}")

    @classmethod
    def paper(cls, **fields: Any) -> PersonalisationConfig:
        """The paper's size (5 layers, 10 heads, 40 epochs): a GPU configuration, about 40 min per CPU pre-training."""
        return cls(**{"layers": 5, "memory_layers": 5, "heads": 10, "epochs": 40, "patience": 40, **fields})


# ----------------------------------------------------------------------------- data


@dataclass
class PersonalisationData:
    """Features, users and splits of the personalisation protocol.

    Attributes:
        sequences: Every clip's features.
        targets: The target users (test split, most clips first).
        pretrain_train, pretrain_valid: Pre-training clips (no target user).
        held_out: ``{target user: clips}``.
        validation_users: ``{valid-split user: clips}`` for choosing λ and steps.
        user_index: Training users -> token ids 1..n (0: generic user).
        bias: ``{user: true speaker bias}`` from the generator's ground truth (empty on real data).
    """

    sequences: SequenceData
    targets: list[Hashable]
    pretrain_train: list[Sample]
    pretrain_valid: list[Sample]
    held_out: dict[Hashable, list[Sample]]
    validation_users: dict[Hashable, list[Sample]]
    user_index: dict[Hashable, int]
    bias: dict[Hashable, float]

    def dataset(self, clips: Sequence[Sample] | str) -> SequenceDataset:
        """Clips (or a split by name) as a dataset with the pre-training users' token ids."""
        return self.sequences.dataset(clips, self.user_index)


def _true_bias(pickle_path: Path) -> dict[Hashable, float]:
    truth = pickle_path.parent / "ground_truth.json"
    if not truth.is_file():
        return {}
    try:
        speakers = json.loads(truth.read_text(encoding="utf-8"))["speakers"]
        return {s["video_id"]: float(s["bias"]) for s in speakers}
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise ValueError(f"{truth}: not a ground-truth file with speakers' video_id and bias") from error


def load_personalisation_data(
    corpora_dir: str | Path, config: PersonalisationConfig, cache_dir: str | Path | None = None
) -> PersonalisationData:
    """Load a corpus and lay out the protocol's users (see the module docstring).

    Args:
        corpora_dir: Folder holding ``<corpus>/<file>`` (``run.corpora_dir``).
        config: Corpus, file, text features, ``n_users`` and ``k``.
        cache_dir: Feature cache (``run.cache_dir``).

    Raises:
        FileNotFoundError: naming the missing pickle.
        ValueError: when too few users have ``k + 3`` clips.
    """
    path = Path(corpora_dir) / config.corpus / config.file
    if not path.is_file():
        raise FileNotFoundError(
            f"no MMSA pickle at {path} (generate the corpora with "
            "`python -m course_lib data make --preset tiny|full --variant nobias`)"
        )
    sequences = load_sequences(path, config.text, config.pool_hz, cache_dir)
    splits = sequences.splits
    min_clips = config.k + 3
    targets = target_users(splits["test"], config.n_users, min_clips=min_clips)
    train_clips, valid_clips, held_out = leave_users_out(splits, targets)
    counts = clips_per_user(splits["valid"])
    validation = {
        u: [s for s in splits["valid"] if s.video_id == u] for u, n in counts.items() if n >= min_clips
    }
    return PersonalisationData(
        sequences=sequences,
        targets=targets,
        pretrain_train=train_clips,
        pretrain_valid=valid_clips,
        held_out=held_out,
        validation_users=validation,
        user_index=user_ids(s.video_id for s in train_clips),
        bias=_true_bias(path),
    )


# ----------------------------------------------------------------------------- pre-training


@dataclass
class PretrainResult:
    """A pre-trained model and its scores (the ``train`` result of :func:`course_lib.recipes.base.compare_configs`).

    Attributes:
        seed: The seed.
        model: The trained model (best validation epoch).
        history: The Trainer's history.
        val, test: :func:`course_lib.metrics.mosi_table` of the valid and test splits.
        test_ids, y_true, y_pred: The test split's clips, labels and predictions.
    """

    seed: int
    model: nn.Module
    history: list[dict[str, float]]
    val: dict[str, float]
    test: dict[str, float]
    test_ids: list[str]
    y_true: np.ndarray
    y_pred: np.ndarray

    def summary(self) -> dict[str, float]:
        """``val_<figure>`` and ``test_<figure>`` of every figure."""
        return {
            **{f"val_{k}": v for k, v in self.val.items()},
            **{f"test_{k}": v for k, v in self.test.items()},
        }


def build_model(config: PersonalisationConfig, data: PersonalisationData) -> nn.Module:
    """The configured model for this corpus's feature sizes and number of training users."""
    dims = data.sequences.dims
    if config.model != "mult":
        return registry.build(
            "msa", config.model, input_dims=dims, hidden=config.lstm_hidden, dropout=config.dropout
        )
    return registry.build(
        "msa",
        "mult",
        input_dims=dims,
        dim=config.dim,
        num_heads=config.heads,
        layers=config.layers,
        memory_layers=config.memory_layers,
        kernel_size=config.kernel_size,
        dropout=config.dropout,
        embed_dropout=config.embed_dropout,
        causal=config.causal,
        n_users=len(data.user_index),
        user_tokens=config.user_tokens,
        adapter_hidden=config.adapter_hidden,
        user_dropout=config.user_dropout,
    )


def _predict(model: nn.Module, dataset: SequenceDataset, device: Any) -> np.ndarray:
    return cached_predictions(model, dataset, device=device).numpy()


def train(
    config: PersonalisationConfig, data: PersonalisationData, seed: int, device: Any = "cpu"
) -> PretrainResult:
    """Pre-train one model on the training users, early stopping on validation MAE."""
    with torch_threads(config.threads):
        return _train(config, data, seed, device)


def _train(
    config: PersonalisationConfig, data: PersonalisationData, seed: int, device: Any
) -> PretrainResult:
    trainer = Trainer(
        max_epochs=config.epochs,
        lr=config.lr,
        patience=config.patience,
        lr_factor=0.1,
        lr_patience=max(1, config.patience // 2),
        monitor="mae",
        mode="min",
        task="regression",
        grad_clip=config.grad_clip,
        device=device,
        seed=seed,
        progress=False,
    )
    train_loader = data.dataset(data.pretrain_train).loader(config.batch_size, shuffle=True, seed=seed)
    valid_set = data.dataset(data.pretrain_valid)
    history = trainer.fit(partial(build_model, config, data), train_loader, valid_set.loader(64))
    model = trainer.model.eval()
    test_set = data.dataset("test")
    y_pred = _predict(model, test_set, device)
    y_true = np.array([s.label for s in test_set.samples], dtype=np.float32)
    val = metrics.mosi_table([s.label for s in valid_set.samples], _predict(model, valid_set, device))
    return PretrainResult(
        seed, model, history, val, metrics.mosi_table(y_true, y_pred), list(test_set.ids), y_true, y_pred
    )


# ----------------------------------------------------------------------------- personalisation


def _param_groups(config: PersonalisationConfig):
    def groups(model: nn.Module) -> list[dict[str, Any]]:
        if hasattr(model, "param_groups"):
            return model.param_groups(config.base_lr, config.adapter_lr)
        return [{"params": list(model.parameters()), "lr": config.base_lr}]

    return groups


def fewshot_methods(
    config: PersonalisationConfig,
    seed: int,
    lams: Mapping[str, float | None] | None = None,
    device: Any = "cpu",
) -> dict[str, Any]:
    """``{name: adapt}`` for :func:`course_lib.training.fewshot.evaluate_users`.

    Args:
        config: Steps, learning rates and the default λ.
        seed: Seed of every fine-tuning run.
        lams: ``{name: λ}``; ``None`` as λ fine-tunes without distillation.
            Default: the baseline, FS-UA and FS-UA-KD at ``config.lam``.
        device: Torch device.
    """
    lams = {"fs_ua": None, "fs_ua_kd": config.lam} if lams is None else lams
    methods: dict[str, Any] = {"baseline": None} if "baseline" not in lams else {}
    for name, lam in lams.items():
        methods[name] = partial(_adapt, config=config, lam=lam, seed=seed, device=device)
    return methods


def _adapt(
    model: nn.Module,
    support: SequenceDataset,
    config: PersonalisationConfig,
    lam: float | None,
    seed: int,
    device: Any,
) -> nn.Module:
    return finetune(
        model,
        support,
        steps=config.steps,
        param_groups=_param_groups(config),
        teacher=None if lam is None else model,
        lam=1.0 if lam is None else lam,
        grad_clip=config.grad_clip,
        seed=seed,
        device=device,
    )


def personalise(
    config: PersonalisationConfig,
    data: PersonalisationData,
    model: nn.Module,
    seed: int,
    users: Mapping[Hashable, Sequence[Sample]] | None = None,
    lams: Mapping[str, float | None] | None = None,
    device: Any = "cpu",
) -> FewShotResult:
    """The baseline, FS-UA and FS-UA-KD on ``draws`` k-shot draws of each target user (or of ``users``)."""
    with torch_threads(config.threads):
        return evaluate_users(
            model,
            data.held_out if users is None else users,
            data.dataset,
            fewshot_methods(config, seed, lams, device),
            k=config.k,
            n_draws=config.draws,
            seed=seed,
            device=device,
        )


def lambda_curve(
    config: PersonalisationConfig,
    data: PersonalisationData,
    model: nn.Module,
    seed: int,
    lams: Sequence[float] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
    draws: int = 1,
    max_users: int | None = None,
    device: Any = "cpu",
) -> tuple[pd.DataFrame, FewShotResult]:
    """Mean over the **validation users** of each figure after fine-tuning with each λ (and without).

    Args:
        config: Fine-tuning settings (``k``, ``steps``, learning rates).
        data: The protocol's data.
        model: The pre-trained model.
        seed: Seed of the draws and updates.
        lams: The λ values.
        draws: Draws per validation user.
        max_users: Use only this many validation users, those with the most clips (None: all).
        device: Torch device.

    Returns:
        ``(table, result)``: one row per λ (``"baseline"`` first: no
        fine-tuning) with the figures of :meth:`FewShotResult.mean`, and the full result.
    """
    if not data.validation_users:
        raise ValueError(f"no validation user has the {config.k + 3} clips a {config.k}-shot draw needs")
    named = {f"{lam:g}": lam for lam in lams}
    ranked = sorted(data.validation_users, key=lambda u: (-len(data.validation_users[u]), str(u)))
    users = {u: data.validation_users[u] for u in ranked[:max_users]}
    result = personalise(
        config.replace(draws=draws), data, model, seed, users=users, lams=named, device=device
    )
    return result.mean(), result


def adapt_user(
    config: PersonalisationConfig,
    data: PersonalisationData,
    model: nn.Module,
    clips: Sequence[Sample],
    k: int,
    distill: bool,
    seed: int = 0,
    device: Any = "cpu",
) -> dict[str, Any]:
    """One user, one k-shot draw: query predictions before and after fine-tuning (for the widget).

    Returns:
        ``{"ids", "y_true", "before", "after", "support_ids"}``.
    """
    from course_lib.data.users import kshot_draws

    support, query = kshot_draws(list(clips), k, 1, seed=seed)[0]
    lam = config.lam if distill else None
    with torch_threads(config.threads):
        adapted = _adapt(model, data.dataset(support), config, lam, seed, device)
    query_set = data.dataset(query)
    return {
        "ids": [c.id for c in query],
        "y_true": np.array([c.label for c in query]),
        "before": _predict(model, query_set, device),
        "after": _predict(adapted, query_set, device),
        "support_ids": [c.id for c in support],
    }


# ----------------------------------------------------------------------------- records and claims

RECORDED: tuple[str, ...] = ("mae", "corr", "acc7", "f1", "acc2")


def _figures(row: Mapping[str, Any]) -> dict[str, float | None]:
    return {name: (None if pd.isna(row[name]) else float(row[name])) for name in RECORDED}


def per_user_record(result: FewShotResult) -> dict[str, dict[str, dict[str, float | None]]]:
    """``{user: {method: {mae, corr, acc7, f1, acc2}}}``, means over draws (F1 and Acc2: ``non0``)."""
    table = result.per_user()
    return {
        str(user): {method: _figures(table.loc[(user, method)]) for method in result.methods}
        for user in result.users
    }


def mean_record(result: FewShotResult) -> dict[str, dict[str, float | None]]:
    """``{method: {mae, corr, acc7, f1, acc2}}`` averaged over users, the paper's Table 3."""
    table = result.mean()
    return {method: _figures(table.loc[method]) for method in result.methods}


def beside_paper_table(result: FewShotResult) -> pd.DataFrame:
    """Our mean over users under the paper's Table 3, method by method."""
    ours = result.mean()
    rows = {}
    for method, paper_row in paper.METHOD_ROWS.items():
        if method in ours.index:
            rows[(paper_row, "paper (Table 3)")] = paper.SUMMARY_TABLE.row(paper_row)
            rows[(paper_row, "ours")] = {c: float(ours.loc[method, c]) for c in paper.COLUMNS}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index = pd.MultiIndex.from_tuples(frame.index, names=["method", "source"])
    return frame


def _paired_claim(result: FewShotResult, key: str, metric: str, a: str, b: str, n_resamples: int) -> dict:
    pairs = result.paired(metric, a, b)
    record = compare_values(paper.CLAIMS[key], pairs[a], pairs[b], n_resamples=n_resamples)
    return {**record, "a": a, "b": b, "unit": "(user, draw)"}


def paper_claims(
    result: FewShotResult,
    bias: Mapping[Hashable, float] | None = None,
    control: FewShotResult | None = None,
    n_resamples: int = 1000,
) -> list[dict[str, Any]]:
    """The paper's claims (and the course's questions) as claim records.

    Paired differences of per-(user, draw) query figures, bootstrapped over
    (user, draw) units; the stability claim compares each user's std over
    draws, bootstrapped over users; the bias claim correlates the offset
    FS-UA-KD learns (mean ``ŷ_FT - ŷ_pre`` on the query clips) with the true
    speaker bias, bootstrapped over users.

    Args:
        result: :func:`personalise` on the target users.
        bias: ``{user: true bias}`` (ground truth); skipped when empty.
        control: :func:`personalise` on the bias-free control corpus; skipped when None.
        n_resamples: Bootstrap resamples.
    """
    claims = [
        _paired_claim(result, "fs_ua_worse_than_baseline", "mae", "fs_ua", "baseline", n_resamples),
        _paired_claim(result, "kd_beats_baseline_mae", "mae", "fs_ua_kd", "baseline", n_resamples),
        _paired_claim(result, "kd_beats_baseline_acc2", "acc2", "fs_ua_kd", "baseline", n_resamples),
        _paired_claim(result, "kd_beats_fs_ua", "mae", "fs_ua_kd", "fs_ua", n_resamples),
        _paired_claim(result, "acc7_drops", "acc7", "fs_ua", "baseline", n_resamples),
    ]
    spread = result.per_user(spread=True)["mae"].unstack("method")
    stability = compare_values(
        paper.CLAIMS["kd_stabilises"], spread["fs_ua_kd"], spread["fs_ua"], n_resamples=n_resamples
    )
    claims.append({**stability, "a": "fs_ua_kd", "b": "fs_ua", "unit": "user"})
    if bias:
        offsets = result.offsets("fs_ua_kd")
        users = [u for u in offsets.index if u in bias]
        record = compare(
            paper.COURSE_QUESTIONS["offset_tracks_bias"],
            np.array([bias[u] for u in users]),
            offsets.loc[users].to_numpy(),
            None,
            metric=metrics.pearson,
            n_resamples=n_resamples,
        )
        claims.append({**record, "a": "fs_ua_kd offset", "b": "true bias", "unit": "user"})
    if control is not None:
        pairs = control.paired("mae", "fs_ua_kd", "baseline")
        record = compare_values(
            paper.COURSE_QUESTIONS["no_gain_without_bias"],
            pairs["fs_ua_kd"],
            pairs["baseline"],
            n_resamples=n_resamples,
        )
        claims.append({**record, "a": "fs_ua_kd", "b": "baseline", "unit": "(user, draw) on MOSI_nobias"})
    return claims
