"""Recipe of lesson 08: Self-MM with generated unimodal labels, SVM and CNN baselines, the SVM modality
ablation and a text-guided two-stage fusion (CMU-MOSEI-like corpus).

The protocol (the taught paper's, with the course's changes stated):

1. :func:`load_selfmm_data` -- the word-aligned file
   (:func:`course_lib.features.sequences.load_sequences`) with frozen MiniLM
   token states as text (the CPU stand-in for fine-tuned BERT: the models
   take their mask-aware mean, the CNN the tokens), audio and vision
   standardised on training frames; with ``text_tail`` also the cached states
   entering MiniLM's last layer, whose trainable copy then fine-tunes inside
   Self-MM at ``text_lr`` (:class:`course_lib.features.tails.TextTail`); the generator's ground truth (each
   clip's true text, voice and face sentiment and its modality conflict) when
   the corpus has one.
2. :func:`train` -- one neural model (``model`` of :class:`SelfMMConfig`):
   ``"selfmm"`` (multi-task with ULGM labels), ``"m_only"`` (the same network,
   multimodal task only), ``"true_labels"`` (the sub-tasks learn the corpus's
   own unimodal labels, the upper bound), ``"text_guided"`` (the paper's own
   model) or ``"ef_cnn"`` (the CNN baseline); L1, Adam with MMSA's per-part
   learning rates, early stopping on the validation MAE (MMSA's ``KeyEval``).
3. :func:`train_svr` / :func:`svr_ablation` -- the SVM baseline: an RBF SVR
   on pooled ``[text; audio; vision]`` (text mean, audio and vision mean and
   std), standardised on training clips, C chosen on validation; every one of
   the 7 modality subsets for the paper's Table 2.
4. :func:`label_agreement` / :func:`label_movement` / :func:`explain_update`
   -- how the generated labels relate to the generator's true unimodal
   sentiments, which clips move, and one update with the numbers plugged in.
5. :func:`sweep_table` -- Tables 3-5: one factor at a time around the chosen
   point, over seeds, chosen on validation; :func:`suggest_config` and
   :func:`objective` are the same search for an Optuna study.
6. :func:`paper_claims` -- the paper's claims and the course's questions as
   claim records with paired bootstrap intervals over test clips.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from torch import nn

from course_lib import metrics
from course_lib.data.records import Sample
from course_lib.features.sequences import SequenceData, SequenceDataset, load_sequences
from course_lib.models import registry
from course_lib.models.selfmm import ULGM, UNIMODAL
from course_lib.papers import compare
from course_lib.papers import luo as paper
from course_lib.recipes.base import Comparison, RecipeConfig, compare_configs, summarize
from course_lib.recipes.mult import PretrainResult
from course_lib.runtime import torch_threads
from course_lib.training.fewshot import cached_predictions
from course_lib.training.sweep import SweepRecipe
from course_lib.training.trainer import Trainer

__all__ = [
    "AXES",
    "MODELS",
    "SWEEP",
    "RunResult",
    "SelfMMConfig",
    "SelfMMData",
    "explain_update",
    "label_agreement",
    "label_movement",
    "load_selfmm_data",
    "objective",
    "paper_claims",
    "suggest_config",
    "svr_ablation",
    "sweep_table",
    "table6",
    "train",
    "train_svr",
]

#: Neural models of the lesson (``SelfMMConfig.model``).
MODELS: tuple[str, ...] = ("selfmm", "m_only", "true_labels", "text_guided", "ef_cnn")
_SELFMM_FAMILY = ("selfmm", "m_only", "true_labels")
#: Modality letters of the paper's subsets -> the course's modality names.
_LETTERS = {"t": "text", "a": "audio", "v": "vision"}
#: The figures of the paper's tables, with the course's two binary conventions.
FIGURES: tuple[str, ...] = ("mae", "corr", "acc2_has0", "f1_has0", "acc2_non0", "f1_non0")


@dataclass(frozen=True)
class SelfMMConfig(RecipeConfig):
    """Configuration of lesson 08 (defaults: MMSA's MOSEI Self-MM; :meth:`text_guided` the paper's own model).

    Attributes:
        model: One of :data:`MODELS`.
        corpus, file: The corpus folder and the pickle read (the aligned file: never 500 raw frames on a CPU).
        text_out, audio_hidden, audio_out, vision_hidden, vision_out, fusion_dim, post_text,
            post_audio, post_vision, fusion_dropout, dropout: Self-MM's sizes (MMSA MOSEI).
        H, exclude_zero: ULGM's label bound and positive-centre rule.
        dim, hidden, heads: The text-guided model's width, transformer feed-forward width and heads.
        channels: The CNN's channels.
        epochs, patience, batch_size: Training (MMSA: early stop 8, batch 32).
        lr, text_lr, audio_lr, vision_lr, weight_decay: Learning rates of the other parts, the
            trainable text layers, the audio and vision sub-networks (MMSA MOSEI: 1e-3, BERT 5e-5,
            5e-3, 1e-4) and the weight decay of the other parts (MMSA: 0.01).
        grad_clip: Max gradient norm (None: none, as MMSA).
        threads: Torch CPU threads while training.
        text_tail: Self-MM family only: fine-tune a copy of MiniLM's last layer (in the ``text``
            group, at ``text_lr``) over the cached states entering it, instead of frozen tokens.
    """

    model: str = "selfmm"
    corpus: str = "MOSEI"
    file: str = "aligned_50.pkl"
    text_out: int = 128
    audio_hidden: int = 16
    audio_out: int = 16
    vision_hidden: int = 32
    vision_out: int = 32
    fusion_dim: int = 128
    post_text: int = 32
    post_audio: int = 16
    post_vision: int = 32
    fusion_dropout: float = 0.1
    dropout: float = 0.0
    H: float = 3.0
    exclude_zero: bool = True
    dim: int = 128
    hidden: int = 128
    heads: int = 4
    channels: int = 128
    epochs: int = 20
    patience: int = 6
    batch_size: int = 32
    lr: float = 1e-3
    text_lr: float = 1e-3
    audio_lr: float = 5e-3
    vision_lr: float = 1e-4
    weight_decay: float = 0.01
    grad_clip: float | None = None
    threads: int | None = 1
    text_tail: bool = False

    SMOKE_SIZES: ClassVar[dict[str, Any]] = {
        "epochs": 4,
        "patience": 4,
        "dim": 32,
        "hidden": 32,
        "channels": 32,
    }

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, got {self.model!r}")
        if self.text_tail and self.model not in _SELFMM_FAMILY:
            raise ValueError(f"text_tail applies to {_SELFMM_FAMILY}, not to {self.model!r}")

    def text_guided(self, **fields: Any) -> SelfMMConfig:
        """The paper's own model at its chosen point: batch 64, lr 2e-4, hidden 128 (Tables 3-5)."""
        return self.replace(
            **{"model": "text_guided", "batch_size": 64, "lr": 2e-4, "text_lr": 2e-4, **fields}
        )


# ----------------------------------------------------------------------------- data


@dataclass
class SelfMMData:
    """Features, splits and the generator's ground truth of the lesson.

    Attributes:
        sequences: Every clip's features (text: MiniLM token states).
        truth: ``{clip id: segment record}`` of ``ground_truth.json`` (``y_T``, ``y_A``,
            ``y_V``, ``y_M``, ``conflict``...); empty on real data.
        cache_dir: Where text features are cached (used when the pre-tail states are loaded later).
    """

    sequences: SequenceData
    truth: dict[str, dict[str, Any]] = field(default_factory=dict)
    cache_dir: Path | None = None
    _with_tail: SelfMMData | None = field(default=None, init=False, repr=False, compare=False)

    def with_text_tail(self) -> SelfMMData:
        """This data plus the states entering MiniLM's last layer (``text_pretail``), loaded once.

        Returns:
            Itself when it holds them already, else a copy that does (kept for the next call).
        """
        if "text_pretail" in self.sequences.features:
            return self
        if self._with_tail is None:
            sequences = self.sequences.with_extra_text("minilm_pretail", self.cache_dir)
            self._with_tail = SelfMMData(sequences, self.truth, self.cache_dir)
        return self._with_tail

    def samples(self, split: str) -> list[Sample]:
        """The clips of one split."""
        return self.sequences.samples(split)

    def dataset(self, clips: Sequence[Sample] | str) -> SequenceDataset:
        """Clips (or a split by name) as a dataset whose items carry their ``index``."""
        return self.sequences.dataset(clips)

    @property
    def has_unimodal_labels(self) -> bool:
        """Whether every training clip has the corpus's own unimodal labels (CH-SIMS style)."""
        return all(s.unimodal_labels for s in self.samples("train"))


def _read_truth(pickle_path: Path) -> dict[str, dict[str, Any]]:
    path = pickle_path.parent / "ground_truth.json"
    if not path.is_file():
        return {}
    try:
        return {s["id"]: s for s in json.loads(path.read_text(encoding="utf-8"))["segments"]}
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: not a ground-truth file with segments and their ids") from error


def load_selfmm_data(
    corpora_dir: str | Path, config: SelfMMConfig, cache_dir: str | Path | None = None
) -> SelfMMData:
    """Load the corpus's aligned sequences (MiniLM tokens) and its ground truth.

    The states entering MiniLM's last layer are loaded too when ``config.text_tail``
    (otherwise :func:`train` loads them the first time a configuration asks).

    Raises:
        FileNotFoundError: naming the missing pickle.
    """
    path = Path(corpora_dir) / config.corpus / config.file
    if not path.is_file():
        raise FileNotFoundError(
            f"no MMSA pickle at {path} (generate the corpora with `python -m course_lib data make --preset tiny|full`)"
        )
    extra = ("minilm_pretail",) if config.text_tail else ()
    sequences = load_sequences(path, "minilm_tokens", None, cache_dir, extra_text=extra)
    return SelfMMData(sequences, _read_truth(path), None if cache_dir is None else Path(cache_dir))


# ----------------------------------------------------------------------------- neural models


@dataclass
class RunResult(PretrainResult):
    """One run's model and scores (see :class:`course_lib.recipes.mult.PretrainResult`).

    Attributes:
        ulgm: The label module of a Self-MM run (labels, banks, history), else None.
        name: The model's name.
    """

    ulgm: ULGM | None = None
    name: str = ""


@cache
def _pretrained_tail() -> nn.Module:
    from course_lib.features.tails import TextTail
    from course_lib.features.text import TextEncoder

    return TextTail(TextEncoder())


def text_tail() -> nn.Module:
    """A fresh trainable copy of MiniLM's last layer (the encoder is read once per process)."""
    return copy.deepcopy(_pretrained_tail())


def build_model(config: SelfMMConfig, dims: Mapping[str, int]) -> nn.Module:
    """The configured network for these feature sizes."""
    if config.model in _SELFMM_FAMILY:
        return registry.build(
            "msa",
            "selfmm",
            input_dims=dims,
            text_out=config.text_out,
            audio_hidden=config.audio_hidden,
            audio_out=config.audio_out,
            vision_hidden=config.vision_hidden,
            vision_out=config.vision_out,
            fusion_dim=config.fusion_dim,
            post_dims={"T": config.post_text, "A": config.post_audio, "V": config.post_vision},
            fusion_dropout=config.fusion_dropout,
            dropout=config.dropout,
            text_tail=text_tail() if config.text_tail else None,
        )
    if config.model == "text_guided":
        return registry.build(
            "msa", "text_guided", input_dims=dims, dim=config.dim, hidden=config.hidden, heads=config.heads
        )
    return registry.build("msa", "ef_cnn", input_dims=dims, channels=config.channels)


def param_groups(config: SelfMMConfig):
    """MMSA's groups: text layers (with the text tail), audio and vision sub-networks at their own rates,
    the rest with weight decay."""
    rates = {"text": config.text_lr, "audio": config.audio_lr, "vision": config.vision_lr}

    def groups(model: nn.Module) -> list[dict[str, Any]]:
        chosen: dict[str, list[nn.Parameter]] = {name: [] for name in (*rates, "other")}
        for name, parameter in model.named_parameters():
            part = "text" if name.startswith("text_tail.") else name.split(".")[0]
            own = part in rates and (config.model in _SELFMM_FAMILY or part == "text")
            chosen[part if own else "other"].append(parameter)
        out = [{"params": chosen[p], "lr": rates[p], "weight_decay": 0.0} for p in rates if chosen[p]]
        return [*out, {"params": chosen["other"], "lr": config.lr, "weight_decay": config.weight_decay}]

    return groups


def make_ulgm(config: SelfMMConfig, data: SelfMMData, feature_dims: Mapping[str, int]) -> ULGM | None:
    """The label module of a Self-MM-family run, sized from the training split (None for other models)."""
    if config.model not in _SELFMM_FAMILY:
        return None
    train_clips = data.samples("train")
    labels = [s.label for s in train_clips]
    common = {"H": config.H, "exclude_zero": config.exclude_zero}
    if config.model == "m_only":
        return ULGM(labels, feature_dims, update=False, tasks=("M",), **common)
    if config.model == "true_labels":
        if not data.has_unimodal_labels:
            raise ValueError("the 'true_labels' run needs a corpus with regression_labels_T/A/V")
        fixed = {s: [c.unimodal_labels[s] for c in train_clips] for s in UNIMODAL}
        return ULGM(labels, feature_dims, fixed=fixed, **common)
    return ULGM(labels, feature_dims, **common)


def _predict(model: nn.Module, dataset: SequenceDataset, device: Any) -> np.ndarray:
    return cached_predictions(model, dataset, device=device).numpy()


def train(config: SelfMMConfig, data: SelfMMData, seed: int, device: Any = "cpu") -> RunResult:
    """Train one model on the training split, early stopping on the validation MAE."""
    with torch_threads(config.threads):
        return _train(config, data, seed, device)


def _train(config: SelfMMConfig, data: SelfMMData, seed: int, device: Any) -> RunResult:
    if config.text_tail:
        data = data.with_text_tail()
    dims = data.sequences.dims
    torch.manual_seed(seed)
    probe = build_model(config, dims)
    ulgm = make_ulgm(config, data, getattr(probe, "feature_dims", {}))
    trainer = Trainer(
        max_epochs=config.epochs,
        patience=config.patience,
        lr=config.lr,
        lr_patience=max(1, config.patience // 2),
        lr_factor=0.5,
        monitor="mae",
        mode="min",
        task="regression",
        grad_clip=config.grad_clip,
        device=device,
        seed=seed,
        progress=False,
        param_groups=param_groups(config),
        objective=None if ulgm is None else ulgm.objective,
        hooks=() if ulgm is None else (ulgm,),
    )
    train_loader = data.dataset("train").loader(config.batch_size, shuffle=True, seed=seed)
    valid_set, test_set = data.dataset("valid"), data.dataset("test")
    history = trainer.fit(partial(build_model, config, dims), train_loader, valid_set.loader(64))
    model = trainer.model.eval()
    y_true = np.array([s.label for s in test_set.samples], dtype=np.float32)
    y_pred = _predict(model, test_set, device)
    val = metrics.mosi_table([s.label for s in valid_set.samples], _predict(model, valid_set, device))
    return RunResult(
        seed,
        model,
        history,
        val,
        metrics.mosi_table(y_true, y_pred),
        list(test_set.ids),
        y_true,
        y_pred,
        ulgm=ulgm,
        name=config.model,
    )


# ----------------------------------------------------------------------------- SVR


def pooled_features(data: SelfMMData, split: str, modalities: Sequence[str]) -> np.ndarray:
    """Per clip: text mean, audio and vision mean and std over the real steps, for the chosen modalities.

    Shape:
        ``(N, D)`` with ``D = 384`` for text + ``2 * 74`` for audio + ``2 * 35`` for vision (as chosen).
    """
    rows = []
    for clip in data.samples(split):
        parts = []
        for modality in modalities:
            steps = data.sequences.features[modality][clip.id]
            parts.append(steps.mean(0))
            if modality != "text":
                parts.append(steps.std(0))
        rows.append(np.concatenate(parts))
    return np.asarray(rows, dtype=np.float64)


def train_svr(
    data: SelfMMData,
    modalities: Sequence[str] = ("text", "audio", "vision"),
    cs: Sequence[float] = (0.1, 1.0, 10.0),
    seed: int = 0,
) -> RunResult:
    """RBF SVR on pooled features, standardised on training clips, C chosen on the validation MAE.

    The SVR is deterministic: ``seed`` only labels the result.
    """
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVR

    x = {split: pooled_features(data, split, modalities) for split in ("train", "valid", "test")}
    y = {split: np.array([s.label for s in data.samples(split)]) for split in x}
    fitted = {}
    for c in cs:
        model = make_pipeline(StandardScaler(), SVR(kernel="rbf", C=c)).fit(x["train"], y["train"])
        fitted[c] = (metrics.mae(y["valid"], model.predict(x["valid"])), model)
    best_c = min(cs, key=lambda c: fitted[c][0])  # validation MAE
    model = fitted[best_c][1]
    y_pred = model.predict(x["test"]).astype(np.float32)
    history = [{"C": c, "val_mae": fitted[c][0]} for c in cs]
    return RunResult(
        seed,
        model,
        history,
        metrics.mosi_table(y["valid"], model.predict(x["valid"])),
        metrics.mosi_table(y["test"], y_pred),
        [s.id for s in data.samples("test")],
        y["test"].astype(np.float32),
        y_pred,
        name="svr",
    )


def svr_ablation(data: SelfMMData, cs: Sequence[float] = (0.1, 1.0, 10.0)) -> dict[str, RunResult]:
    """The SVR on each of the paper's 7 modality subsets (``"t"``, ..., ``"t+a+v"``), Table 2."""
    return {subset: train_svr(data, [_LETTERS[m] for m in subset.split("+")], cs) for subset in paper.SUBSETS}


def ablation_table(results: Mapping[str, RunResult], split: str = "test") -> pd.DataFrame:
    """Our figures per subset beside the paper's Table 2 (``split``: ``"valid"`` or ``"test"``)."""
    rows = {}
    for subset, result in results.items():
        ours = result.val if split == "valid" else result.test
        rows[(subset, "paper (Table 2)")] = _paper_figures(paper.ABLATION_TABLE.row(subset))
        rows[(subset, "ours")] = {k: ours[k] for k in FIGURES}
    return _indexed(rows, ["subset", "source"])


def _paper_figures(row: Mapping[str, float | None]) -> dict[str, float | None]:
    """A paper row under the course's columns: its unnamed binary convention shown under both."""
    return {
        "mae": row["mae"],
        "corr": row["corr"],
        "acc2_has0": row["acc2"],
        "f1_has0": row["f1"],
        "acc2_non0": row["acc2"],
        "f1_non0": row["f1"],
    }


def _indexed(rows: Mapping[tuple[str, str], Mapping[str, Any]], names: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index = pd.MultiIndex.from_tuples(frame.index, names=names)
    return frame


# ----------------------------------------------------------------------------- Table 6


def with_svr(comparison: Comparison, svr: RunResult, name: str = "SVM") -> Comparison:
    """The neural comparison with the (deterministic) SVR added as one more row."""
    runs = {**comparison.runs, name: [svr]}
    summaries = {**comparison.summaries, name: summarize({svr.seed: svr.summary()})}
    return Comparison(runs, summaries, {**comparison.seconds, name: 0.0})


def table6(comparison: Comparison, rows: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Mean ± std over seeds of our test figures, under the paper's Table 6 rows where it has one.

    Args:
        comparison: Our runs (rows named as the keys of ``rows``).
        rows: Our row -> the paper's row (default :data:`course_lib.papers.luo.MODEL_ROWS`).
    """
    rows = dict(paper.MODEL_ROWS if rows is None else rows)
    out = {}
    for name in comparison.runs:
        if name in rows:
            out[(name, f"paper ({rows[name]})")] = {
                k: (f"{v:.3f}" if v is not None else "")
                for k, v in _paper_figures(paper.COMPARISON_TABLE.row(rows[name])).items()
            }
        summary = comparison.summaries[name]
        out[(name, f"ours (test, {len(summary['seeds'])} seed(s))")] = {
            k: _mean_std(summary, f"test_{k}") for k in FIGURES
        }
    return _indexed(out, ["model", "source"])


def _mean_std(summary: Mapping[str, Any], key: str) -> str:
    mean, std = summary["mean"].get(key, float("nan")), summary["std"].get(key, float("nan"))
    return f"{mean:.3f}" if len(summary["seeds"]) == 1 else f"{mean:.3f} ± {std:.3f}"


def table6_record(comparison: Comparison) -> dict[str, dict[str, float]]:
    """``{row: {figure: mean over seeds, figure_std: ..., "seeds": n}}`` of the test split; F1 and Acc2 named by convention."""
    record = {}
    for name, summary in comparison.summaries.items():
        row: dict[str, float] = {"seeds": len(summary["seeds"])}
        for k in FIGURES:
            row[k] = summary["mean"].get(f"test_{k}", float("nan"))
            row[f"{k}_std"] = summary["std"].get(f"test_{k}", float("nan"))
        record[name] = row
    return record


# ----------------------------------------------------------------------------- the generated labels


def _train_truth(data: SelfMMData) -> pd.DataFrame:
    ids = [s.id for s in data.samples("train")]
    missing = [i for i in ids if i not in data.truth]
    if missing:
        raise ValueError(f"no ground truth for {len(missing)} training clips, e.g. {missing[0]!r}")
    rows = [data.truth[i] for i in ids]
    return pd.DataFrame(
        {
            **{f"true_{s}": [r[f"y_{s}"] for r in rows] for s in UNIMODAL},
            "conflict": [(r.get("conflict") or {}).get("modality", "") for r in rows],
        },
        index=ids,
    )


def label_agreement(ulgm: ULGM, data: SelfMMData) -> pd.DataFrame:
    """Correlation of the final generated labels, and of ``y_s = y_m``, with the true unimodal sentiments.

    Returns:
        One row per modality T, A, V: ``generated``, ``y_m (baseline)``, their difference and
        the number of training clips.
    """
    truth = _train_truth(data)
    y_m = ulgm.labels["M"].numpy()
    rows = {}
    for s in UNIMODAL:
        true = truth[f"true_{s}"].to_numpy()
        generated = metrics.pearson(true, ulgm.labels[s].numpy())
        baseline = metrics.pearson(true, y_m)
        rows[s] = {
            "generated": generated,
            "y_m (baseline)": baseline,
            "gain": generated - baseline,
            "n": len(true),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def label_movement(ulgm: ULGM, data: SelfMMData) -> pd.DataFrame:
    """Mean ``|y_s - y_m|`` after training, for clips whose modality ``s`` conflicts and for the others.

    Returns:
        One row per modality A, V (the generator's conflicts are in voice or face):
        ``conflict``, ``no conflict`` and how many clips each.
    """
    truth = _train_truth(data)
    y_m = ulgm.labels["M"].numpy()
    rows = {}
    for s in ("A", "V"):
        moved = np.abs(ulgm.labels[s].numpy() - y_m)
        chosen = (truth["conflict"] == s).to_numpy()
        rows[s] = {
            "conflict": float(moved[chosen].mean()) if chosen.any() else float("nan"),
            "no conflict": float(moved[~chosen].mean()),
            "n conflict": int(chosen.sum()),
            "n other": int((~chosen).sum()),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def movers(ulgm: ULGM, data: SelfMMData, top: int = 5) -> pd.DataFrame:
    """The training clips whose generated labels moved furthest from ``y_m`` (summed over T, A, V)."""
    ids = [s.id for s in data.samples("train")]
    frame = pd.DataFrame({f"y_{s}": ulgm.labels[s].numpy() for s in ("M", *UNIMODAL)}, index=ids)
    frame["moved"] = sum(np.abs(frame[f"y_{s}"] - frame["y_M"]) for s in UNIMODAL)
    if data.truth:  # real data has no ground truth: the generated labels only
        frame = frame.join(_train_truth(data))
    return frame.sort_values("moved", ascending=False).head(top)


def explain_update(ulgm: ULGM, index: int, task: str = "A") -> dict[str, float]:
    """One label update with the run's numbers: the clip's bank features, the centres, δ, α, ŷ_s, momentum.

    Uses the bank and centres as training left them and ``n`` the last epoch.

    Returns:
        ``{"y_m", "y_s", "D_p_M", "D_n_M", "delta_M", "D_p_s", "D_n_s", "delta_s", "alpha",
        "proposed", "n", "updated"}``.
    """
    features = {t: ulgm.bank[t][index : index + 1] for t in ("M", task)}
    out: dict[str, float] = {"y_m": float(ulgm.labels["M"][index]), "y_s": float(ulgm.labels[task][index])}
    for t, suffix in (("M", "M"), (task, "s")):
        pos, neg = ulgm.centres[t]["pos"], ulgm.centres[t]["neg"]
        if pos is None or neg is None:
            raise ValueError(f"the {t} centres are undefined: no clip on one side")
        out[f"D_p_{suffix}"] = float(torch.linalg.vector_norm(features[t][0] - pos))
        out[f"D_n_{suffix}"] = float(torch.linalg.vector_norm(features[t][0] - neg))
        out[f"delta_{suffix}"] = float(ulgm.relative_distance(t, features[t])[0])
    out["alpha"] = out["delta_s"] / (out["delta_M"] + 1e-8)
    proposed = ulgm.new_labels(
        torch.tensor([out["y_m"]]), torch.tensor([out["delta_s"]]), torch.tensor([out["delta_M"]])
    )
    out["proposed"] = float(proposed[0])
    n = float(max(ulgm.epoch, 2))
    out["n"] = n
    out["updated"] = (n - 1) / (n + 1) * out["y_s"] + 2 / (n + 1) * out["proposed"]
    return out


# ----------------------------------------------------------------------------- sweeps (Tables 3-5)

#: Tables 3-5 of the paper as axes of the text-guided model: axis -> {row label: config changes}.
#: The paper's "lr / BERT lr" becomes "lr / text lr" (the text-guided model keeps MiniLM frozen; its trainable MLP takes
#: the second rate), the same pattern of changes: lr halved, then the text rate raised 2.5 times.
AXES: dict[str, dict[str, dict[str, Any]]] = {
    "batch": {str(b): {"batch_size": b} for b in (128, 64, 32, 16)},
    "lr": {
        "1e-4/1e-4": {"lr": 1e-4, "text_lr": 1e-4},
        "2e-4/2e-4": {"lr": 2e-4, "text_lr": 2e-4},
        "2e-4/5e-4": {"lr": 2e-4, "text_lr": 5e-4},
    },
    "hidden": {str(h): {"hidden": h} for h in (256, 128, 64)},
}
_PAPER_SWEEP_TABLES = {"batch": paper.BATCH_TABLE, "lr": paper.LR_TABLE, "hidden": paper.HIDDEN_TABLE}


def sweep_table(
    base: SelfMMConfig,
    data: SelfMMData,
    axis: str,
    seeds: Sequence[int],
    values: Sequence[str] | None = None,
    jobs: int | str | None = 1,
    device: Any = "cpu",
    known: dict[tuple[SelfMMConfig, int], RunResult] | None = None,
) -> tuple[pd.DataFrame, Comparison]:
    """One of Tables 3-5: the text-guided model at each value of one axis, over seeds.

    Args:
        base: The chosen point the axis varies around.
        data: The lesson's data.
        axis: A key of :data:`AXES`.
        seeds: Training seeds of every value.
        values: The axis's values to run (default: all).
        jobs, device: See :func:`course_lib.recipes.base.compare_configs`.
        known: Runs already trained, ``{(config, seed): result}`` (e.g. the chosen point,
            shared by the three tables); runs trained here are added to it.

    Returns:
        ``(table, comparison)``: per value, our validation and test MAE and Corr as mean ± std
        over seeds and the paper's figures; ``chosen`` marks the value with the best mean
        validation MAE (the test split plays no part in it).
    """
    if axis not in AXES:
        raise KeyError(f"unknown sweep {axis!r}; sweeps: {list(AXES)}")
    known = {} if known is None else known
    chosen_values = list(values) if values is not None else list(AXES[axis])
    configs = {v: base.replace(**AXES[axis][v]) for v in chosen_values}
    missing = {v: c for v, c in configs.items() if any((c, s) not in known for s in seeds)}
    if missing:
        fresh = compare_configs(
            missing, lambda c, s: train(c, data, s, device), seeds, jobs=jobs, device=device
        )
        for value, results in fresh.runs.items():
            known.update({(configs[value], r.seed): r for r in results})
    runs = {v: [known[(c, s)] for s in seeds] for v, c in configs.items()}
    summaries = {v: summarize({r.seed: r.summary() for r in rs}) for v, rs in runs.items()}
    comparison = Comparison(runs, summaries, {v: 0.0 for v in runs})
    best = min(chosen_values, key=lambda v: comparison.mean(v, "mae", "valid"))
    paper_rows = list(_PAPER_SWEEP_TABLES[axis].rows)
    rows = {}
    for value in chosen_values:
        summary = comparison.summaries[value]
        paper_row = _PAPER_SWEEP_TABLES[axis].row(paper_rows[list(AXES[axis]).index(value)])
        rows[value] = {
            "val MAE": _mean_std(summary, "val_mae"),
            "test MAE": _mean_std(summary, "test_mae"),
            "test Corr": _mean_std(summary, "test_corr"),
            "paper MAE": paper_row["mae"],
            "paper Corr": paper_row["corr"],
            "chosen (validation)": "*" if value == best else "",
            "vs chosen (validation)": _versus(comparison.summaries[best], summary, len(seeds)),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = axis
    return frame, comparison


def _versus(chosen: Mapping[str, Any], other: Mapping[str, Any], seeds: int) -> str:
    """How far a value's mean validation MAE is from the chosen one's, against twice their seed spread."""
    gap = other["mean"]["val_mae"] - chosen["mean"]["val_mae"]
    if gap == 0:
        return ""
    if seeds < 2:
        return f"{gap:+.3f} (one seed: noise unknown)"
    noise = 2 * float(np.hypot(chosen["std"]["val_mae"], other["std"]["val_mae"]))
    return f"{gap:+.3f} ({'inside' if abs(gap) <= noise else 'outside'} seed noise {noise:.3f})"


def sweep_record(comparison: Comparison) -> dict[str, dict[str, float]]:
    """``{value: {val_mae, val_mae_std, test_mae, test_mae_std, test_corr}}`` of a sweep."""
    return {
        value: {
            "val_mae": s["mean"]["val_mae"],
            "val_mae_std": s["std"]["val_mae"],
            "test_mae": s["mean"]["test_mae"],
            "test_mae_std": s["std"]["test_mae"],
            "test_corr": s["mean"]["test_corr"],
        }
        for value, s in comparison.summaries.items()
    }


def suggest_config(trial: Any, base: SelfMMConfig) -> SelfMMConfig:
    """A configuration drawn by an Optuna-like ``trial`` over the axes of Tables 3-5.

    Uses ``trial.suggest_categorical`` for the batch size and hidden size (the paper's grids)
    and ``trial.suggest_float(..., log=True)`` for the two learning rates.
    """
    return base.replace(
        batch_size=int(trial.suggest_categorical("batch_size", [16, 32, 64, 128])),
        lr=float(trial.suggest_float("lr", 5e-5, 1e-3, log=True)),
        text_lr=float(trial.suggest_float("text_lr", 5e-5, 1e-3, log=True)),
        hidden=int(trial.suggest_categorical("hidden", [64, 128, 256])),
    )


def objective(config: SelfMMConfig, data: SelfMMData, seed: int, device: Any = "cpu") -> float:
    """The validation MAE of one trained configuration (to minimise); the test split is not scored."""
    with torch_threads(config.threads):
        result = _train(config, data, seed, device)
    return float(result.val["mae"])


def _sweep_space(trial: Any, smoke: bool) -> SelfMMConfig:
    return suggest_config(trial, SelfMMConfig.sized(smoke).text_guided())


def _sweep_load(smoke: bool) -> SelfMMData:
    from course_lib.runtime import resolve_cache_dir, resolve_data_dir

    corpora = resolve_data_dir() / "corpora" / ("tiny" if smoke else "full")
    return load_selfmm_data(corpora, SelfMMConfig(), resolve_cache_dir())


#: ``python -m course_lib sweep selfmm --study NAME --trials N``: the text-guided model's batch size,
#: learning rates and hidden size (Tables 3-5 searched jointly), minimising the validation MAE.
SWEEP = SweepRecipe(
    name="selfmm",
    space=_sweep_space,
    load=_sweep_load,
    train=train,
    metric="mae",
    direction="minimize",
    description="lesson 08: text-guided fusion on MOSEI, batch size, lr / text lr and hidden size",
)


# ----------------------------------------------------------------------------- claims


def _abs_error(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """MAE without input checks, for the bootstrap's thousands of resamples (the runs' predictions were
    checked when their metrics were computed; :func:`course_lib.metrics.mae` costs ~1 ms a call)."""
    return float(np.mean(np.abs(y_true - y_pred)))


def paper_claims(
    comparison: Comparison,
    ablation: Mapping[str, RunResult] | None = None,
    ulgm: ULGM | None = None,
    data: SelfMMData | None = None,
    n_resamples: int = 1000,
) -> list[dict[str, Any]]:
    """The paper's claims and the course's questions as claim records (MAE differences on test clips).

    Args:
        comparison: Runs named ``Self-MM``, ``M only``, ``SVM``, ``CNN``, ``text-guided`` and
            optionally ``true labels``; claims whose rows are missing are skipped.
        ablation: :func:`svr_ablation` (Table 2 claims).
        ulgm: A Self-MM run's label module, with ``data`` holding the ground truth (label claims).
        n_resamples: Bootstrap resamples.
    """
    pairs = [
        ("selfmm_beats_svm", "Self-MM", "SVM"),
        ("selfmm_beats_cnn", "Self-MM", "CNN"),
        ("ours_beats_svm", "text-guided", "SVM"),
        ("ours_beats_cnn", "text-guided", "CNN"),
        ("selfmm_beats_ours", "Self-MM", "text-guided"),
        ("multitask_beats_single", "Self-MM", "M only"),
    ]
    records = [
        comparison.claim(paper.CLAIMS[key], a, b, metric=_abs_error, n_resamples=n_resamples)
        for key, a, b in pairs
        if a in comparison.runs and b in comparison.runs
    ]
    if "true labels" in comparison.runs and "Self-MM" in comparison.runs:
        records.append(
            comparison.claim(
                paper.COURSE_QUESTIONS["true_labels_upper_bound"],
                "true labels",
                "Self-MM",
                metric=_abs_error,
                n_resamples=n_resamples,
            )
        )
    if ablation:
        for key, a, b in (
            ("all_modalities_best", "t+a+v", "t"),
            ("text_strongest", "t", "v"),
            ("vision_beats_audio", "v", "a"),
        ):
            record = compare(
                paper.CLAIMS[key],
                ablation[a].y_true,
                ablation[a].y_pred,
                ablation[b].y_pred,
                metric=_abs_error,
                n_resamples=n_resamples,
            )
            records.append({**record, "a": f"SVR {a}", "b": f"SVR {b}"})
    if ulgm is not None and data is not None and data.truth:
        truth = _train_truth(data)
        for s in UNIMODAL:
            record = compare(
                paper.COURSE_QUESTIONS["generated_labels_track_truth"],
                truth[f"true_{s}"].to_numpy(),
                ulgm.labels[s].numpy(),
                ulgm.labels["M"].numpy(),
                metric=metrics.pearson,
                n_resamples=n_resamples,
            )
            record["claim"] = f"{record['claim']} [modality {s}]"
            records.append({**record, "a": f"generated y_{s}", "b": "y_m", "unit": "training clip"})
    return records
