"""Recipe of lesson 09: modality translation for sentiment (Seq2Seq2Sentiment, MCTN) on CMU-MOSI.

* :class:`TranslationConfig` -- one model: a translation ``source -> target``
  (modalities as letters, ``"TA"`` is concat(T, A)), optionally hierarchical
  (``via``), or an LSTM baseline over the ``source`` modalities; features
  standardised or raw; two-phase (the slides) or joint (MCTN) training;
* :func:`load_translation_data` -- word-aligned sequence features, truncated to
  ``max_len`` steps, standardised and raw;
* :func:`train` -- trains one configuration and scores it on the test split:
  binary and 7-class P/R/F1, the translation's MSE beside the training-mean
  frame's, and the predictions with one modality missing;
* :func:`paper_claims` -- the slides' claims and the course's questions as
  claim records (paired bootstrap over test clips).

Training. Two-phase: phase 1 fits the encoder-decoder(s) on the translation
MSE (free-running validation MSE selects the epoch); phase 2 fits the
regression head with MAE on the encoder's states, the encoder fine-tuned
along (``freeze_encoder=True`` keeps it fixed: the encoder then holds only
what helped the translation), the epoch chosen on validation MAE. Joint: ``0.1 * MSE + MAE`` (MCTN), selected on
validation MAE. Both use Adam (the slides: SGD) and MSE for the translation
(the slides: "cross-entropy", which does not apply to continuous features).
The hierarchical model's two translations are fitted together in phase 1
(the slides fit them one after the other).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from torch import nn

from course_lib import metrics
from course_lib.features.sequences import SequenceData, SequenceDataset, load_sequences
from course_lib.models.baselines import EarlyFusionLSTM
from course_lib.models.seq2seq import TranslationRegressor, translation_objective
from course_lib.papers import compare, compare_values
from course_lib.papers import pham as paper
from course_lib.recipes.base import Comparison, RecipeConfig
from course_lib.runtime import torch_threads
from course_lib.training.trainer import Trainer, move_batch

__all__ = [
    "BIMODAL",
    "MODALITIES",
    "TRIMODAL",
    "TRIMODAL_REPRESENTATIVE",
    "TranslationConfig",
    "TranslationData",
    "TranslationResult",
    "baseline_configs",
    "beside_paper",
    "load_translation_data",
    "paper_claims",
    "prediction_spread",
    "prf_record",
    "prf_table",
    "train",
    "trimodal_configs",
    "variant_scores",
]

MODALITIES: dict[str, str] = {"T": "text", "A": "audio", "V": "vision"}
#: The six bimodal directions of the slides, as ``(source, target)``.
BIMODAL: tuple[tuple[str, str], ...] = (
    ("T", "V"),
    ("T", "A"),
    ("A", "T"),
    ("A", "V"),
    ("V", "T"),
    ("V", "A"),
)
#: Every trimodal translation of the slides: their row name -> ``(source, target, via)``.
TRIMODAL: dict[str, tuple[str, str, str]] = {
    "embed(T,V) -> A": ("T", "A", "V"),
    "embed(T,A) -> V": ("T", "V", "A"),
    "embed(A,V) -> T": ("A", "T", "V"),
    "embed(A,T) -> V": ("A", "V", "T"),
    "embed(V,T) -> A": ("V", "A", "T"),
    "embed(V,A) -> T": ("V", "T", "A"),
    "concat(T,V) -> A": ("TV", "A", ""),
    "concat(A,T) -> V": ("AT", "V", ""),
    "concat(V,A) -> T": ("VA", "T", ""),
    "T -> concat(A,V)": ("T", "AV", ""),
    "A -> concat(T,V)": ("A", "TV", ""),
    "concat(T,A) -> concat(T,V)": ("TA", "TV", ""),
    "concat(T,V) -> concat(T,A)": ("TV", "TA", ""),
}
#: The trimodal variants the lesson trains (the rest: an exercise).
TRIMODAL_REPRESENTATIVE: tuple[str, ...] = (
    "concat(T,V) -> A",
    "T -> concat(A,V)",
    "embed(T,A) -> V",
    "concat(A,T) -> V",
    "concat(T,V) -> concat(T,A)",
)


def _modalities(letters: str) -> tuple[str, ...]:
    unknown = [c for c in letters if c not in MODALITIES]
    if unknown or not letters:
        raise ValueError(f"modalities are letters among {list(MODALITIES)}, got {letters!r}")
    return tuple(MODALITIES[c] for c in letters)


def _side(letters: str, plus: bool = False) -> str:
    if len(letters) == 1:
        return letters
    return f"concat({('+' if plus else ',').join(letters)})"


@dataclass(frozen=True)
class TranslationConfig(RecipeConfig):
    """One model of lesson 09 (full-mode defaults fit the CPU budget; MCTN's sizes).

    Attributes:
        model: ``"seq2seq"`` (translation) or ``"lstm"`` (unimodal / concatenation baseline over ``source``).
        source, target, via: Modality letters (``"T"``, ``"A"``, ``"V"``); several letters are
            concatenated per step; ``via`` makes the hierarchical ``embed(source, via) -> target``.
        standardise: Audio and vision standardised with training statistics (False: raw units).
        train_mode: ``"two_phase"`` (the slides) or ``"joint"`` (MCTN).
        freeze_encoder: Two-phase only: keep the translator fixed while fitting the head (default: the
            head and the phase-1 encoder are trained together in phase 2).
        cycle: MCTN's cycle loss (translate back to the source).
        teacher_forcing: Probability of feeding the true previous frame while training.
        hidden, head_hidden: Translator and regression-LSTM units (MCTN: 32).
        lstm_hidden: Units of the baselines' LSTM.
        max_len: Steps kept per clip (word pieces).
        epochs: Phase-1 (or joint) epochs; regression_epochs: phase-2 epochs.
        patience, batch_size, lr, grad_clip: Training.
        optimizer: ``"adam"`` (the course) or ``"sgd"`` (the slides; momentum 0.9).
        translation_weight, cycle_weight: Weights of the MSE terms in the joint loss.
        corpus, file, text: The corpus folder, the word-aligned pickle and the text features.
        threads: Torch CPU threads while training (1: fastest for these small models).
    """

    model: str = "seq2seq"
    source: str = "T"
    target: str = "A"
    via: str = ""
    standardise: bool = True
    train_mode: str = "two_phase"
    freeze_encoder: bool = False
    cycle: bool = False
    teacher_forcing: float = 0.5
    hidden: int = 32
    head_hidden: int = 32
    lstm_hidden: int = 32
    max_len: int = 32
    epochs: int = 10
    regression_epochs: int = 10
    patience: int = 3
    batch_size: int = 32
    lr: float = 1e-3
    grad_clip: float = 1.0
    optimizer: str = "adam"
    translation_weight: float = 0.1
    cycle_weight: float = 0.1
    corpus: str = "MOSI"
    file: str = "aligned_50.pkl"
    text: str = "glove"
    threads: int | None = 1

    SMOKE_SIZES: ClassVar[dict[str, Any]] = {
        "hidden": 16,
        "head_hidden": 16,
        "lstm_hidden": 16,
        "max_len": 16,
        "epochs": 2,
        "regression_epochs": 2,
        "patience": 2,
    }

    def __post_init__(self) -> None:
        if self.model not in ("seq2seq", "lstm"):
            raise ValueError(f"model must be 'seq2seq' or 'lstm', got {self.model!r}")
        if self.train_mode not in ("two_phase", "joint"):
            raise ValueError(f"train_mode must be 'two_phase' or 'joint', got {self.train_mode!r}")
        _modalities(self.source)
        if self.model == "seq2seq":
            _modalities(self.target)
            if self.via:
                _modalities(self.via)

    @property
    def name(self) -> str:
        """The slides' row name: ``T -> A``, ``concat(T,V) -> A``, ``embed(T,A) -> V``, ``concat(T+A)``."""
        if self.model == "lstm":
            return _side(self.source, plus=True)
        if self.via:
            return f"embed({self.source},{self.via}) -> {self.target}"
        return f"{_side(self.source)} -> {_side(self.target)}"

    @property
    def modalities(self) -> tuple[str, ...]:
        """Every modality the model reads while training."""
        letters = self.source + (self.target + self.via if self.model == "seq2seq" else "")
        return tuple(dict.fromkeys(_modalities(letters)))


#: Learning rate of the SGD rows (momentum 0.9; the slides give neither).
SGD_LR = 1e-2


def baseline_configs(config: TranslationConfig, sgd: Sequence[str] = ("TA",)) -> dict[str, TranslationConfig]:
    """The slides' unimodal and concatenation LSTMs, standardised and raw (``" (raw)"``).

    Text alone has no raw variant: GloVe vectors are not standardised in either case.
    The modalities in ``sgd`` are also trained with the slides' SGD (``" (SGD)"``,
    ``" (raw, SGD)"``; learning rate :data:`SGD_LR`, momentum 0.9).
    """
    rows = {}
    for letters in ("T", "A", "V", "TA", "TV", "AV", "TVA"):
        base = config.replace(model="lstm", source=letters, target="", via="")
        rows[base.name] = base
        if letters != "T":
            rows[f"{base.name} (raw)"] = base.replace(standardise=False)
        if letters in sgd:
            slides = base.replace(optimizer="sgd", lr=SGD_LR)
            rows[f"{base.name} (SGD)"] = slides
            rows[f"{base.name} (raw, SGD)"] = slides.replace(standardise=False)
    return rows


def trimodal_configs(
    config: TranslationConfig, names: Sequence[str] | None = None
) -> dict[str, TranslationConfig]:
    """Configurations of trimodal translations by the slides' row names (default: all of :data:`TRIMODAL`).

    Raises:
        KeyError: naming the known rows for an unknown one.
    """
    chosen = list(TRIMODAL) if names is None else list(names)
    unknown = [name for name in chosen if name not in TRIMODAL]
    if unknown:
        raise KeyError(f"unknown trimodal rows {unknown}; known: {list(TRIMODAL)}")
    return {
        name: config.replace(source=TRIMODAL[name][0], target=TRIMODAL[name][1], via=TRIMODAL[name][2])
        for name in chosen
    }


# ----------------------------------------------------------------------------- data


@dataclass
class TranslationData:
    """Word-aligned features, truncated, in two versions.

    Attributes:
        standardised: Audio and vision standardised with training statistics.
        raw: The same clips with audio and vision in raw units.
    """

    standardised: SequenceData
    raw: SequenceData

    def of(self, config: TranslationConfig) -> SequenceData:
        """The version a configuration trains on."""
        return self.standardised if config.standardise else self.raw

    @property
    def dims(self) -> dict[str, int]:
        """Features per step of each modality."""
        return self.standardised.dims


def load_translation_data(
    corpora_dir: str | Path, config: TranslationConfig, cache_dir: str | Path | None = None
) -> TranslationData:
    """Read ``<corpora_dir>/<corpus>/<file>`` (word-aligned) and keep ``config.max_len`` steps per clip.

    Raises:
        FileNotFoundError: naming the missing pickle.
        ValueError: when the file is not word-aligned.
    """
    path = Path(corpora_dir) / config.corpus / config.file
    if not path.is_file():
        raise FileNotFoundError(
            f"no MMSA pickle at {path} (generate the corpora with `python -m course_lib data make`)"
        )
    sequences = load_sequences(path, config.text, cache_dir=cache_dir)
    if not sequences.aligned:
        raise ValueError(f"{path}: translation needs the word-aligned file (aligned_50.pkl)")
    short = sequences.truncated(config.max_len)
    return TranslationData(short, short.unstandardised())


# ----------------------------------------------------------------------------- models and training


def build_model(config: TranslationConfig, dims: Mapping[str, int]) -> nn.Module:
    """A :class:`TranslationRegressor` or, for ``model="lstm"``, an LSTM over the source modalities."""
    if config.model == "lstm":
        return EarlyFusionLSTM(dims, config.lstm_hidden, dropout=0.0, modalities=_modalities(config.source))
    return TranslationRegressor(
        dims,
        source=_modalities(config.source),
        target=_modalities(config.target),
        via=_modalities(config.via) if config.via else None,
        hidden=config.hidden,
        head_hidden=config.head_hidden,
        teacher_forcing=config.teacher_forcing,
        cycle=config.cycle,
    )


@dataclass
class TranslationResult:
    """One trained model and its test figures (a ``train`` result of :func:`compare_configs`).

    Attributes:
        seed, model, history: The run.
        val, test: :func:`course_lib.metrics.regression_metrics` of the valid and test splits.
        test_ids, y_true, y_pred: The test clips, labels and predictions.
        missing: ``{modality: test predictions with that modality zeroed}`` (standardised runs).
        translation_mse, mean_mse: Per test clip: MSE of the free-running translation and of the
            training-mean frame, on the target's real steps and columns (translations only).
        seconds: Training wall time.
    """

    seed: int
    model: nn.Module
    history: list[dict[str, float]]
    val: dict[str, float]
    test: dict[str, float]
    test_ids: list[str]
    y_true: np.ndarray
    y_pred: np.ndarray
    missing: dict[str, np.ndarray] = field(default_factory=dict)
    translation_mse: np.ndarray | None = None
    mean_mse: np.ndarray | None = None
    seconds: float = 0.0

    def summary(self) -> dict[str, float]:
        """``val_<figure>``, ``test_<figure>``, the translation MSEs and the training time."""
        out = {
            **{f"val_{k}": v for k, v in self.val.items()},
            **{f"test_{k}": v for k, v in self.test.items()},
        }
        if self.translation_mse is not None:
            out["test_translation_mse"] = float(self.translation_mse.mean())
            out["test_mean_frame_mse"] = float(self.mean_mse.mean())
        for modality, predictions in self.missing.items():
            figures = metrics.regression_metrics(self.y_true, predictions)
            out.update({f"missing_{modality}_{k}": figures[k] for k in ("f1_has0", "f1_7", "mae")})
        out["seconds"] = self.seconds
        return out


def _trainer(config: TranslationConfig, seed: int, device: Any, epochs: int, **options: Any) -> Trainer:
    settings = {
        "max_epochs": epochs,
        "lr": config.lr,
        "patience": config.patience,
        "lr_patience": max(1, config.patience // 2),
        "monitor": "mae",
        "mode": "min",
        "task": "regression",
        "grad_clip": config.grad_clip,
        "optimizer": config.optimizer,
        "device": device,
        "seed": seed,
        "progress": False,
    }
    return Trainer(**{**settings, **options})


def _fit(config: TranslationConfig, dims: Mapping[str, int], train_loader, valid_loader, seed, device):
    factory = partial(build_model, config, dims)
    if config.model == "lstm" or config.train_mode == "joint":
        objective = (
            None
            if config.model == "lstm"
            else translation_objective(config.translation_weight, config.cycle_weight, 1.0)
        )
        trainer = _trainer(config, seed, device, config.epochs, objective=objective)
        history = trainer.fit(factory, train_loader, valid_loader)
        return trainer.model, history
    phase1 = _trainer(
        config,
        seed,
        device,
        config.epochs,
        monitor="loss",
        objective=translation_objective(1.0, 1.0, 0.0),
        param_groups=lambda m: [{"params": m.translator_parameters()}],
    )
    history = [{**h, "phase": 1} for h in phase1.fit(factory, train_loader, valid_loader)]
    model = phase1.model
    model.decode = False
    if config.freeze_encoder:
        for p in model.translator_parameters():
            p.requires_grad_(False)
    phase2 = _trainer(config, seed, device, config.regression_epochs)
    history += [{**h, "phase": 2} for h in phase2.fit(model, train_loader, valid_loader)]
    model = phase2.model
    model.decode = True
    for p in model.parameters():
        p.requires_grad_(True)
    return model, history


@torch.no_grad()
def predict(
    model: nn.Module, dataset: SequenceDataset, device: Any = "cpu", zero: Sequence[str] = ()
) -> np.ndarray:
    """Predictions for every clip, in dataset order, with the modalities in ``zero`` replaced by zeros.

    Zeros are the training mean of a standardised modality: the modality "missing".

    Shape:
        ``(len(dataset),)``.
    """
    model.eval().to(device)
    out = []
    for batch in dataset.loader(64):
        batch = {**batch, **{m: torch.zeros_like(batch[m]) for m in zero}}
        out.append(model(move_batch(batch, device))["prediction"].reshape(-1).float().cpu())
    return torch.cat(out).numpy()


@torch.no_grad()
def translation_errors(
    model: TranslationRegressor, dataset: SequenceDataset, train: SequenceDataset, device: Any = "cpu"
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Per clip: MSE of the free-running translation and of the training-mean frame, plus one example.

    Both on the target's real steps and real columns (not the cycle's zero padding).

    Returns:
        ``(model_mse (N,), mean_mse (N,), example)``; ``example`` holds the first clip's
        ``source`` ``(T, Ds)``, ``target`` and ``translation`` ``(T, Dt)``.
    """
    columns = model.target_dim
    target_names = model.target
    frames = [
        torch.cat([torch.as_tensor(train.features[m][k]) for m in target_names], -1)
        for k in range(len(train))
    ]
    mean_frame = torch.cat(frames).double().mean(0).numpy()
    model.eval().to(device)
    errors, baseline, example = [], [], {}
    for batch in dataset.loader(64):
        outputs = model(move_batch(batch, device))
        translation = outputs["translation"][..., :columns].cpu().numpy()
        target = outputs["translation_target"][..., :columns].cpu().numpy()
        mask = outputs["mask"].cpu().numpy()
        for i in range(len(mask)):
            real = mask[i]
            errors.append(float(((translation[i][real] - target[i][real]) ** 2).mean()))
            baseline.append(float(((mean_frame - target[i][real]) ** 2).mean()))
            if not example:
                source = torch.cat([batch[m][i] for m in model.source], dim=-1).numpy()
                example = {
                    "source": source[real],
                    "target": target[i][real],
                    "translation": translation[i][real],
                }
    return np.array(errors), np.array(baseline), example


def train(
    config: TranslationConfig, data: TranslationData, seed: int, device: Any = "cpu"
) -> TranslationResult:
    """Train one configuration and score it on the test split (see :class:`TranslationResult`)."""
    with torch_threads(config.threads):
        return _train(config, data, seed, device)


def _train(config: TranslationConfig, data: TranslationData, seed: int, device: Any) -> TranslationResult:
    sequences = data.of(config)
    train_set, valid_set, test_set = (sequences.dataset(s) for s in ("train", "valid", "test"))
    started = time.perf_counter()
    model, history = _fit(
        config,
        sequences.dims,
        train_set.loader(config.batch_size, shuffle=True, seed=seed),
        valid_set.loader(64),
        seed,
        device,
    )
    seconds = time.perf_counter() - started
    y_true = np.array([s.label for s in test_set.samples], dtype=np.float32)
    y_pred = predict(model, test_set, device)
    y_val = np.array([s.label for s in valid_set.samples], dtype=np.float32)
    result = TranslationResult(
        seed=seed,
        model=model,
        history=history,
        val=metrics.regression_metrics(y_val, predict(model, valid_set, device)),
        test=metrics.regression_metrics(y_true, y_pred),
        test_ids=list(test_set.ids),
        y_true=y_true,
        y_pred=y_pred,
        seconds=seconds,
    )
    if config.standardise:
        for modality in ("audio", "vision", "text"):
            result.missing[modality] = predict(model, test_set, device, zero=(modality,))
    if config.model == "seq2seq":
        result.translation_mse, result.mean_mse, _ = translation_errors(model, test_set, train_set, device)
    return result


def variant_scores(
    config: TranslationConfig, data: TranslationData, name: str, seed: int, device: Any = "cpu"
) -> dict[str, dict[str, float]]:
    """Train one trimodal variant (by the slides' row name): ``{"valid": {P/R/F1}, "test": {...}}`` (widget)."""
    result = train(trimodal_configs(config, [name])[name], data, seed, device)
    return {
        "valid": {col: result.val[ours] for col, ours in PRF_COLUMNS.items()},
        "test": {col: result.test[ours] for col, ours in PRF_COLUMNS.items()},
    }


# ----------------------------------------------------------------------------- tables and claims

#: Figures of the slides' tables, our names in :func:`course_lib.metrics.regression_metrics`.
PRF_COLUMNS: dict[str, str] = {
    "precision_2": "precision_has0",
    "recall_2": "recall_has0",
    "f1_2": "f1_has0",
    "precision_7": "precision_7",
    "recall_7": "recall_7",
    "f1_7": "f1_7",
}


def prf_table(comparison: Comparison, split: str = "test", rows: Sequence[str] | None = None) -> pd.DataFrame:
    """Binary (has0) and 7-class weighted P/R/F1 per row, ``mean ± std`` over seeds."""
    names = list(rows) if rows is not None else list(comparison.summaries)
    prefix = "val" if split == "valid" else split
    table = {}
    for name in names:
        summary = comparison.summaries[name]
        table[name] = {
            col: f"{summary['mean'][f'{prefix}_{ours}']:.2f} ± {summary['std'][f'{prefix}_{ours}']:.2f}"
            for col, ours in PRF_COLUMNS.items()
        }
    return pd.DataFrame.from_dict(table, orient="index")


def prf_record(comparison: Comparison, rows: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    """``{row: {precision_2, ..., f1_7}}`` test means over seeds, plus the translation MSEs where there are."""
    names = list(rows) if rows is not None else list(comparison.summaries)
    record = {}
    for name in names:
        mean = comparison.summaries[name]["mean"]
        record[name] = {col: mean[f"test_{ours}"] for col, ours in PRF_COLUMNS.items()}
        if "test_translation_mse" in mean:
            record[name]["translation_mse"] = mean["test_translation_mse"]
            record[name]["mean_frame_mse"] = mean["test_mean_frame_mse"]
    return record


def beside_paper(comparison: Comparison, table: Any, rows: Sequence[str] | None = None) -> pd.DataFrame:
    """Our test P/R/F1 (mean over seeds) under the slides' row of the same name, where it has one."""
    names = list(rows) if rows is not None else list(comparison.summaries)
    records, index = [], []
    for name in names:
        paper_row = name.split(" (")[0]
        if paper_row in table.rows:
            records.append(table.row(paper_row))
            index.append((name, f"slides ({table.source})"))
        mean = comparison.summaries[name]["mean"]
        records.append({col: mean[f"test_{ours}"] for col, ours in PRF_COLUMNS.items()})
        index.append((name, "ours"))
    return pd.DataFrame(records, index=pd.MultiIndex.from_tuples(index, names=["model", "source"]))


def prediction_spread(comparison: Comparison, rows: Sequence[str] | None = None) -> pd.DataFrame:
    """How far each row is from predicting one value: std of its test predictions, share of its commonest
    7-class prediction, and the share of the commonest 7-class label (means over seeds)."""
    names = list(rows) if rows is not None else list(comparison.runs)
    table = {}
    for name in names:
        y_true, preds, _ = comparison.test_predictions(name)
        classes = metrics.sentiment_classes(preds, "7")
        table[name] = {
            "prediction std": float(np.mean(preds.std(axis=1))),
            "commonest predicted class": float(
                np.mean([np.bincount(row).max() / len(row) for row in classes])
            ),
            "commonest true class": float(
                np.bincount(metrics.sentiment_classes(y_true, "7")).max() / len(y_true)
            ),
        }
    return pd.DataFrame.from_dict(table, orient="index")


def missing_modality_table(comparison: Comparison, rows: Mapping[str, str]) -> pd.DataFrame:
    """Test binary and 7-class F1 with every modality, and with one missing (zeroed), per row.

    Args:
        comparison: The runs.
        rows: ``{row: modality that goes missing}``.
    """
    table = {}
    for name, modality in rows.items():
        mean = comparison.summaries[name]["mean"]
        table[name] = {
            "missing": modality,
            "f1_2 (all)": mean["test_f1_has0"],
            "f1_2 (missing)": mean[f"missing_{modality}_f1_has0"],
            "f1_7 (all)": mean["test_f1_7"],
            "f1_7 (missing)": mean[f"missing_{modality}_f1_7"],
        }
    return pd.DataFrame.from_dict(table, orient="index")


def _missing_predictions(comparison: Comparison, name: str, modality: str) -> np.ndarray:
    return np.stack([r.missing[modality] for r in comparison.runs[name]])


def _f1_claim(claim, y_true, pred_a, pred_b, task: str, n_resamples: int) -> dict[str, Any]:
    """A claim on the weighted F1 of the binary or 7-class task (bootstrap fast path on class indices)."""
    classes = partial(metrics.sentiment_classes, task=task)
    return compare(
        claim,
        classes(y_true),
        classes(pred_a),
        classes(pred_b),
        metric="weighted_f1",
        n_resamples=n_resamples,
    )


def paper_claims(comparison: Comparison, n_resamples: int = 1000) -> list[dict[str, Any]]:
    """The slides' claims and the course's questions that the comparison's rows allow.

    F1 claims compare the weighted F1 (binary ``has0`` or 7-class) of two rows'
    test predictions, means over seeds, with a paired bootstrap over test clips.
    Rows needed (a claim is skipped when one is absent): ``T -> A``, ``A -> T``,
    ``concat(T+A)``, ``concat(T+A) (raw)``, ``concat(T+V+A)``, ``T -> concat(A,V)``,
    ``embed(T,A) -> V``, ``concat(A,T) -> V``.
    """
    have = set(comparison.runs)
    claims = []

    def add(claim, a, b, task="binary", note=None):
        if a in have and b in have:
            y_true, pred_a, ids = comparison.test_predictions(a)
            _, pred_b, ids_b = comparison.test_predictions(b)
            if ids != ids_b:
                raise ValueError(f"{a!r} and {b!r} were evaluated on different test items")
            record = _f1_claim(claim, y_true, pred_a, pred_b, task, n_resamples)
            if note:
                record["claim"] = f"{record['claim']} ({note})"
            claims.append({**record, "a": a, "b": b})

    c, q = paper.CLAIMS, paper.COURSE_QUESTIONS
    add(c["seq2seq_beats_concat"], "T -> A", "concat(T+A)", note="standardised concat")
    add(q["seq2seq_beats_raw_concat"], "T -> A", "concat(T+A) (raw)")
    add(c["seq2seq_beats_concat_7"], "T -> A", "concat(T+A)", task="7", note="standardised concat")
    add(q["concat_fails_unstandardised"], "concat(T+A) (raw)", "concat(T+A)", note="Adam")
    add(
        q["concat_fails_unstandardised"],
        "concat(T+A) (raw, SGD)",
        "concat(T+A) (SGD)",
        note="SGD, as in the slides",
    )
    add(c["text_source_better"], "T -> A", "A -> T")
    add(c["trimodal_concat_strongest"], "concat(T+V+A)", "T -> concat(A,V)")
    add(c["hierarchical_no_help"], "embed(T,A) -> V", "concat(A,T) -> V")
    if {"T -> A", "concat(T+A)"} <= have:
        y_true = comparison.runs["T -> A"][0].y_true
        a = _missing_predictions(comparison, "T -> A", "audio")
        b = _missing_predictions(comparison, "concat(T+A)", "audio")
        record = _f1_claim(q["robust_to_missing_target"], y_true, a, b, "binary", n_resamples)
        claims.append({**record, "a": "T -> A, audio zeroed", "b": "concat(T+A), audio zeroed"})
        times_a = [r.seconds for r in comparison.runs["T -> A"]]
        times_b = [r.seconds for r in comparison.runs["concat(T+A)"]]
        record = compare_values(c["slower_training"], times_a, times_b, n_resamples=n_resamples)
        claims.append({**record, "a": "T -> A", "b": "concat(T+A)", "unit": "seed (seconds)"})
    if "T -> A" in have:
        runs = comparison.runs["T -> A"]
        model_mse = np.mean([r.translation_mse for r in runs], axis=0)
        record = compare_values(q["translation_learns"], model_mse, runs[0].mean_mse, n_resamples=n_resamples)
        claims.append({**record, "a": "T -> A translation", "b": "training-mean frame", "unit": "test clip"})
    return claims
