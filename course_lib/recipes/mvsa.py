"""Recipe of lesson 07: text + image sentiment on MVSA, unimodal models and three fusions.

The protocol (Alfano's, :mod:`course_lib.papers.alfano`, with the course's changes stated):

1. :func:`load_data` -- the cleaned MVSA-Single posts (:func:`course_lib.data.mvsa.load`),
   a stratified 8:1:1 split as in CLMLF (:func:`course_lib.data.mvsa.split_posts`,
   fixed by ``split_seed`` so every training seed sees the same test posts), and
   frozen features cached on disk: MiniLM token states (their mask-aware mean is
   the text vector) and EfficientNet-Lite0 region features at 128 px (a 4x4
   grid; their mean is the 1280-d image vector, the shape of MobileNetV2's).
2. :func:`train` -- one model (:data:`course_lib.models.mvsa.MODELS`) trained on
   the frozen features with Adam and early stopping on **validation weighted
   F1**; the result holds validation and test predictions.
   :func:`finetune_encoders` -- the paper's first step, on a CPU budget: each
   encoder's last block (MiniLM's last layer, EfficientNet-Lite0's last block
   and head) is fine-tuned alone on its own classifier over cached pre-tail
   features, then frozen; the tuned tails recompute every split's features,
   on which the same fusions train.
3. :func:`suggest_config` / :func:`objective` -- the search space over an
   optuna-like ``trial`` and one trial's training, scored on validation only
   (:func:`score_test` scores the winner's test split once, afterwards).
4. :func:`save_predictor` / :func:`load_predictor` -- a trained model with its
   preprocessing as ``config.json`` + ``model.safetensors``, and
   :meth:`PostPredictor.predict_post` for a new (text, image) pair.
5. :func:`region_mass` -- how much of the region attention falls on the
   generator's drawn shapes, against chance.
"""

from __future__ import annotations

import copy
import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from course_lib import metrics
from course_lib.data import mvsa
from course_lib.data.records import MVSA_CLASSES, Post
from course_lib.models.mvsa import MODELS, RegionAttentionFusion, TailClassifier, build_mvsa_model
from course_lib.recipes.base import RecipeConfig, flatten_metrics
from course_lib.runtime import torch_threads
from course_lib.training.trainer import Trainer

__all__ = [
    "FORMAT",
    "MVSAConfig",
    "MVSAData",
    "MVSAResult",
    "PostPredictor",
    "PredictorError",
    "TailTuning",
    "TunedFeatures",
    "build_model",
    "finetune_encoders",
    "grid_cells",
    "load_data",
    "load_predictor",
    "load_pretail",
    "objective",
    "region_mass",
    "save_predictor",
    "score_test",
    "suggest_config",
    "train",
    "tune_tail",
    "tuned_data",
    "tuned_row",
]

SPLITS = ("train", "valid", "test")
#: Side in pixels of the generated images (and of the region grid's input).
IMAGE_SIZE = 128
#: Version of the saved predictor's ``config.json``.
FORMAT = 1


@dataclass(frozen=True)
class MVSAConfig(RecipeConfig):
    """One lesson-07 model and its training.

    Attributes:
        model: One of :data:`course_lib.models.mvsa.MODELS`.
        variant: ``"single"`` (MVSA-Single) or ``"multiple"``.
        hidden: Hidden width of the FFN classifier (0: a linear probe).
        dropout: Dropout in the classifier (and the attention blocks).
        embed_dim: Text projection and attention width (128 in the paper).
        num_heads: Attention heads.
        lr: Adam learning rate.
        weight_decay: Adam weight decay.
        batch_size: Training batch size.
        max_epochs: Upper bound on epochs (early stopping on validation weighted F1).
        patience: Epochs without improvement before stopping.
        class_weights: Weight the loss by inverse class frequency.
        split_seed: Seed of the 8:1:1 split (fixed across training seeds).
        image_size: EfficientNet-Lite0 input side (128: a 4x4 region grid).
        text_max_length: Tokens kept per tweet.
        threads: Torch CPU threads while training (1: small models train faster alone).
    """

    model: str = "concat"
    variant: str = "single"
    hidden: int = 128
    dropout: float = 0.2
    embed_dim: int = 128
    num_heads: int = 4
    lr: float = 1e-3
    weight_decay: float = 1e-4
    batch_size: int = 32
    max_epochs: int = 20
    patience: int = 4
    class_weights: bool = False
    split_seed: int = 0
    image_size: int = IMAGE_SIZE
    text_max_length: int = 64
    threads: int | None = 1

    SMOKE_SIZES: ClassVar[dict[str, Any]] = {"max_epochs": 8, "patience": 3}

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, got {self.model!r}")
        if self.variant not in mvsa.VARIANTS:
            raise ValueError(f"variant must be one of {sorted(mvsa.VARIANTS)}, got {self.variant!r}")
        if self.embed_dim % self.num_heads:
            raise ValueError(f"embed_dim {self.embed_dim} is not divisible by num_heads {self.num_heads}")


# ----------------------------------------------------------------------------- data


@dataclass
class MVSAData:
    """Posts, labels and frozen features of each split.

    Attributes:
        posts: ``{split: [Post]}``.
        labels: ``{split: class indices (N,)}`` in :data:`MVSA_CLASSES` order.
        text: ``{split: (N, 384)}`` mask-aware mean of the token states.
        image: ``{split: (N, 1280)}`` mean of the region features.
        tokens: ``{split: (N, L, 384)}`` token states, zero-padded.
        tokens_mask: ``{split: (N, L)}`` True on real tokens.
        regions: ``{split: (N, R, 1280)}`` region features (R = 16 at 128 px).
        report: What the loader kept and dropped.
        truth: The generator's ground truth by post id (None for real data).
        seconds: Feature extraction time (0 when read from the cache).
    """

    posts: dict[str, list[Post]]
    labels: dict[str, np.ndarray]
    text: dict[str, np.ndarray]
    image: dict[str, np.ndarray]
    tokens: dict[str, np.ndarray]
    tokens_mask: dict[str, np.ndarray]
    regions: dict[str, np.ndarray]
    report: mvsa.MVSAReport
    truth: dict[str, dict[str, str]] | None = None
    seconds: float = 0.0
    classes: tuple[str, ...] = MVSA_CLASSES

    def batch(self, split: str, index: Sequence[int] | None = None) -> dict[str, torch.Tensor]:
        """All (or some) items of a split as one batch dict.

        Tokens are cut to the batch's longest post (padding is masked anyway, and
        shorter batches train faster).

        Shape:
            text ``(N, 384)``, image ``(N, 1280)``, tokens ``(N, L, 384)``,
            tokens_mask ``(N, L)``, regions ``(N, R, 1280)``, label ``(N,)``
        """
        pick = slice(None) if index is None else np.asarray(index)
        mask = self.tokens_mask[split][pick]
        width = max(1, int(mask.sum(1).max())) if len(mask) else mask.shape[1]  # the batch's longest post
        return {
            "text": torch.from_numpy(self.text[split][pick]),
            "image": torch.from_numpy(self.image[split][pick]),
            "tokens": torch.from_numpy(np.ascontiguousarray(self.tokens[split][pick][:, :width])),
            "tokens_mask": torch.from_numpy(np.ascontiguousarray(mask[:, :width])),
            "regions": torch.from_numpy(self.regions[split][pick]),
            "label": torch.from_numpy(self.labels[split][pick]),
        }

    def loader(self, split: str, batch_size: int = 32, shuffle: bool = False, seed: int = 0) -> list[dict]:
        """The split in batches (a shuffled order drawn from ``seed`` when ``shuffle``).

        Returns a list, so a training loop can iterate it again each epoch;
        :func:`train` draws a new order per epoch through :class:`_Shuffled`.
        """
        n = len(self.labels[split])
        order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
        return [self.batch(split, order[i : i + batch_size]) for i in range(0, n, batch_size)]

    def counts(self) -> dict[str, dict[str, int]]:
        """Posts per class in each split."""
        return {
            split: {c: int((self.labels[split] == i).sum()) for i, c in enumerate(self.classes)}
            for split in SPLITS
        }


def _pad_tokens(items: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    length = max(len(x) for x in items)
    tokens = np.zeros((len(items), length, items[0].shape[-1]), dtype=np.float32)
    mask = np.zeros((len(items), length), dtype=bool)
    for i, item in enumerate(items):
        tokens[i, : len(item)], mask[i, : len(item)] = item, True
    return tokens, mask


class _Lazy:
    """An encoder loaded on first use: cache keys need only the listed attributes, a cache hit no model."""

    def __init__(self, factory: Any, **known: Any) -> None:
        self.__dict__.update(known, _factory=factory, _loaded=None)

    def __getattr__(self, name: str) -> Any:
        if self.__dict__["_loaded"] is None:
            self.__dict__["_loaded"] = self.__dict__["_factory"]()
        return getattr(self.__dict__["_loaded"], name)


def _encoders(config: MVSAConfig, device: Any) -> tuple[Any, Any]:
    """The frozen text encoder and image backbone, each loaded on first use."""
    from course_lib.features.encoders import load_image_backbone
    from course_lib.features.text import TextEncoder

    encoder = _Lazy(
        lambda: TextEncoder(device=device, max_length=config.text_max_length),
        label="all-MiniLM-L6-v2",
        max_length=config.text_max_length,
    )
    backbone = _Lazy(
        lambda: load_image_backbone(device=device, image_size=config.image_size), image_size=config.image_size
    )
    return encoder, backbone


def _extract_pair(posts: list[Post], text: Any, image: Any, cache_dir: Path | str) -> tuple[dict, float]:
    """Cached text and image features of ``posts`` (seconds 0 when both came from the cache)."""
    from course_lib.features.cache import extract

    started = time.perf_counter()
    tokens = extract(posts, text, cache_dir, progress=False)
    regions = extract(posts, image, cache_dir, progress=False)
    seconds = 0.0 if tokens.hit and regions.hit else time.perf_counter() - started
    return {"tokens": list(tokens), "regions": regions.stack()}, seconds


def _features(
    posts: list[Post], config: MVSAConfig, cache_dir: Path | str, device: Any
) -> tuple[dict, float]:
    from course_lib.features.encoders import ImageRegions
    from course_lib.features.text import TokenStates

    encoder, backbone = _encoders(config, device)
    return _extract_pair(posts, TokenStates(encoder), ImageRegions(backbone), cache_dir)


def _by_split(feats: dict, sizes: Sequence[int]) -> dict[str, dict[str, np.ndarray]]:
    """Per-post token lists and stacked regions cut into the splits, padded, with their means.

    Returns:
        ``{"text", "image", "tokens", "mask", "regions"}``, each ``{split: array}``.
    """
    data: dict[str, dict[str, np.ndarray]] = {k: {} for k in ("text", "image", "tokens", "mask", "regions")}
    start = 0
    for split, size in zip(SPLITS, sizes):
        token_items = feats["tokens"][start : start + size]
        data["tokens"][split], data["mask"][split] = _pad_tokens(token_items)
        data["text"][split] = np.stack([t.mean(0) for t in token_items]).astype(np.float32)
        data["regions"][split] = np.ascontiguousarray(
            feats["regions"][start : start + size], dtype=np.float32
        )
        data["image"][split] = data["regions"][split].mean(1)
        start += size
    return data


def load_data(
    corpora_dir: Path | str, config: MVSAConfig, cache_dir: Path | str, device: Any = "cpu"
) -> MVSAData:
    """Load, split and featurise the cleaned MVSA posts (features cached in ``cache_dir``).

    Args:
        corpora_dir: Folder holding ``MVSA_Single/`` (and ``MVSA/``), generated or real.
        config: Variant, split seed and feature settings.
        cache_dir: Feature cache root (``run.cache_dir``).
        device: Device of the frozen encoders.
    """
    report = mvsa.MVSAReport()
    posts = mvsa.load(corpora_dir, config.variant, report=report)
    parts = dict(zip(SPLITS, mvsa.split_posts(posts, (0.8, 0.1, 0.1), config.split_seed)))
    ordered = [post for split in SPLITS for post in parts[split]]
    feats, seconds = _features(ordered, config, cache_dir, device)
    data = _by_split(feats, [len(parts[split]) for split in SPLITS])
    labels = {s: np.array([MVSA_CLASSES.index(p.label) for p in parts[s]], dtype=np.int64) for s in SPLITS}
    return MVSAData(
        parts,
        labels,
        data["text"],
        data["image"],
        data["tokens"],
        data["mask"],
        data["regions"],
        report,
        mvsa.read_ground_truth(corpora_dir, config.variant),
        round(seconds, 2),
    )


# ----------------------------------------------------------------------------- training


class _Shuffled:
    """Training batches in a new seeded order each epoch."""

    def __init__(self, data: MVSAData, batch_size: int, seed: int) -> None:
        self.data, self.batch_size, self.seed, self.epoch = data, batch_size, seed, 0

    def __iter__(self):
        self.epoch += 1
        return iter(
            self.data.loader("train", self.batch_size, shuffle=True, seed=self.seed * 1000 + self.epoch)
        )


def build_model(config: MVSAConfig, data: MVSAData | None = None) -> nn.Module:
    """The configured model (feature widths from ``data`` when given)."""
    text_dim = data.text["train"].shape[1] if data is not None else 384
    image_dim = data.image["train"].shape[1] if data is not None else 1280
    return build_mvsa_model(
        config.model,
        text_dim,
        image_dim,
        config.hidden or None,
        config.dropout,
        config.embed_dim,
        config.num_heads,
    )


@dataclass
class MVSAResult:
    """One trained model and its predictions.

    Attributes:
        seed: Training seed.
        config: The configuration.
        model: The trained model (best validation epoch, on the CPU).
        history: Per-epoch logs of the Trainer.
        val_pred: Validation predictions ``(N_val,)``.
        y_val: Validation labels.
        test_ids: Test post ids (None until :func:`score_test`).
        y_true: Test labels.
        y_pred: Test predictions.
        seconds: Training time.
    """

    seed: int
    config: MVSAConfig
    model: nn.Module
    history: list[dict[str, float]]
    val_pred: np.ndarray
    y_val: np.ndarray
    test_ids: list[str] | None = None
    y_true: np.ndarray | None = None
    y_pred: np.ndarray | None = None
    seconds: float = 0.0
    classes: tuple[str, ...] = MVSA_CLASSES

    @property
    def val_weighted_f1(self) -> float:
        """Validation weighted F1, the selection metric."""
        return metrics.weighted_f1(self.y_val, self.val_pred, self.classes)

    def metrics(self, split: str = "test") -> dict[str, float]:
        """Accuracy, weighted and macro F1 and per-class F1 of ``"valid"`` or ``"test"``."""
        if split == "valid":
            return metrics.classification_metrics(self.y_val, self.val_pred, self.classes)
        if self.y_pred is None:
            raise RuntimeError("the test split was not scored; call score_test(result, data)")
        return metrics.classification_metrics(self.y_true, self.y_pred, self.classes)

    def summary(self) -> dict[str, float]:
        """Flat figures with ``val_`` and ``test_`` prefixes, plus ``seconds`` and ``epochs``."""
        out = flatten_metrics(self.metrics("valid"), "val_")
        if self.y_pred is not None:
            out.update(flatten_metrics(self.metrics("test"), "test_"))
        return {**out, "seconds": self.seconds, "epochs": float(len(self.history))}


def _trainer(config: MVSAConfig, seed: int, device: Any, **options: Any) -> Trainer:
    """The course's Trainer with ``config``'s settings (``options`` passed on to it)."""
    return Trainer(
        max_epochs=config.max_epochs,
        lr=config.lr,
        weight_decay=config.weight_decay,
        patience=config.patience,
        labels=MVSA_CLASSES,
        class_weights=True if config.class_weights else None,
        device=device,
        seed=seed,
        progress=False,
        **options,
    )


def _predict(model: nn.Module, data: MVSAData, split: str, device: Any = "cpu") -> np.ndarray:
    model.eval()
    with torch.no_grad():
        outs = [
            model({k: v.to(device) for k, v in b.items()}).argmax(-1).cpu() for b in data.loader(split, 256)
        ]
    return torch.cat(outs).numpy()


def train(
    config: MVSAConfig, data: MVSAData, seed: int, device: Any = "cpu", with_test: bool = True
) -> MVSAResult:
    """Train one model on the frozen features, choosing its epoch on validation weighted F1.

    Args:
        config: Model and training settings.
        data: From :func:`load_data`.
        seed: Seeds the weights and the batch order.
        device: Training device.
        with_test: Also predict the test split (False in a search: :func:`score_test` later).
    """
    started = time.perf_counter()
    trainer = _trainer(config, seed, device)
    with torch_threads(config.threads):
        trainer.fit(
            lambda: build_model(config, data),
            _Shuffled(data, config.batch_size, seed),
            data.loader("valid", 256),
        )
        model = trainer.model.cpu().eval()
        val_pred = _predict(model, data, "valid")
    result = MVSAResult(seed, config, model, trainer.history, val_pred, data.labels["valid"].copy())
    result.seconds = round(time.perf_counter() - started, 2)
    return score_test(result, data) if with_test else result


def score_test(result: MVSAResult, data: MVSAData) -> MVSAResult:
    """Predict the test split with a trained model (once, after every choice was made)."""
    result.test_ids = [p.id for p in data.posts["test"]]
    result.y_true = data.labels["test"].copy()
    result.y_pred = _predict(result.model, data, "test")
    return result


# ----------------------------------------------------------------------------- fine-tuning first


@dataclass(frozen=True)
class TailTuning(RecipeConfig):
    """How each encoder's last block is fine-tuned alone before the fusion trains (the paper's order).

    The head's width, dropout, weight decay and class weights are those of the
    :class:`MVSAConfig` the tuning is given.

    Attributes:
        tail_lr: Adam learning rate of the encoder's last block (pretrained weights: small steps).
        head_lr: Adam learning rate of the stand-alone classifier's head.
        max_epochs: Upper bound on epochs (the epoch is chosen on validation weighted F1).
        patience: Epochs without improvement before stopping.
        batch_size: Training batch size.
        threads: Torch CPU threads while tuning (None: unchanged).
    """

    tail_lr: float = 1e-4
    head_lr: float = 1e-3
    max_epochs: int = 4
    patience: int = 2
    batch_size: int = 32
    threads: int | None = None

    SMOKE_SIZES: ClassVar[dict[str, Any]] = {"max_epochs": 1, "patience": 1}


@dataclass
class TunedFeatures:
    """The lesson's data with fine-tuned features, the stand-alone tuned models and their cost.

    Attributes:
        data: :class:`MVSAData` whose ``tokens``/``text`` come from the tuned text tail and
            ``regions``/``image`` from the tuned image tail (posts, labels and masks unchanged).
        classifiers: ``{"text", "image"}``: each stand-alone tuned model
            (:class:`~course_lib.models.mvsa.TailClassifier`), scored on validation and test.
        seconds: ``{"extract"}`` pre-tail features (0 from the cache), ``{"tune_text",
            "tune_image"}`` fine-tuning each (the encoder's loading included), ``{"features"}``
            running the tuned tails over every split.
    """

    data: MVSAData
    classifiers: dict[str, MVSAResult]
    seconds: dict[str, float]

    def scores(self) -> dict[str, dict[str, float]]:
        """Validation and test weighted F1 and epochs run of each stand-alone tuned model."""
        return {
            modality: {
                "val_weighted_f1": result.val_weighted_f1,
                "test_weighted_f1": result.metrics("test")["weighted_f1"],
                "epochs": float(len(result.history)),
            }
            for modality, result in self.classifiers.items()
        }


def load_pretail(
    data: MVSAData, config: MVSAConfig, cache_dir: Path | str, device: Any = "cpu"
) -> tuple[MVSAData, Any, Any]:
    """What enters each encoder's last block, for the posts of ``data`` (cached like the frozen features).

    Returns:
        ``(pre-tail data, text encoder, image backbone)``; the data holds ``tokens``
        ``(N, L, 384)`` entering MiniLM's last layer (the mask of ``data``), ``regions``
        ``(N, 16, 192)`` entering EfficientNet-Lite0's last block, ``text``/``image``
        their means, and ``seconds`` of the extraction (0 from the cache).
    """
    from course_lib.features.tails import PreTailImageMaps, PreTailTokenStates

    encoder, backbone = _encoders(config, device)
    ordered = [post for split in SPLITS for post in data.posts[split]]
    text, image = PreTailTokenStates(encoder), PreTailImageMaps(backbone)
    feats, seconds = _extract_pair(ordered, text, image, cache_dir)
    cut = _by_split(feats, [len(data.posts[split]) for split in SPLITS])
    for split in SPLITS:
        if not np.array_equal(cut["mask"][split], data.tokens_mask[split]):
            raise ValueError(
                f"{split}: the pre-tail tokens differ from the frozen ones (another max_length?)"
            )
    pre = replace(data, text=cut["text"], image=cut["image"], tokens=cut["tokens"], regions=cut["regions"])
    pre.seconds = round(seconds, 2)
    return pre, encoder, backbone


def _tail_model(tail: nn.Module, modality: str, config: MVSAConfig) -> TailClassifier:
    """A fresh copy of the pretrained tail under a new stand-alone head."""
    width = tail.dim if modality == "text" else tail.out_dim
    head_model = build_mvsa_model(modality, width, width, config.hidden or None, config.dropout)
    return TailClassifier(copy.deepcopy(tail), head_model)


def tune_tail(
    tail: nn.Module,
    modality: str,
    pre: MVSAData,
    config: MVSAConfig,
    tuning: TailTuning,
    seed: int,
    device: Any = "cpu",
) -> MVSAResult:
    """Fine-tune one encoder's tail with a stand-alone head, choosing the epoch on validation weighted F1.

    Args:
        tail: :class:`~course_lib.features.tails.TextTail` or ``ImageTail`` (copied, not changed).
        modality: ``"text"`` or ``"image"``.
        pre: From :func:`load_pretail`.
        config: Head sizes, weight decay and class weights.
        tuning: Learning rates and epochs.
        seed: Seeds the head, dropout and the batch order.
        device: Training device.

    Returns:
        The result (model: the :class:`~course_lib.models.mvsa.TailClassifier` of the best
        validation epoch, on the CPU), with validation and test predictions.
    """
    started = time.perf_counter()
    trainer = _trainer(
        config.replace(max_epochs=tuning.max_epochs, lr=tuning.head_lr, patience=tuning.patience),
        seed,
        device,
        param_groups=lambda model: [
            {"params": list(model.tail.parameters()), "lr": tuning.tail_lr},
            {"params": list(model.classifier.parameters())},
        ],
    )
    trainer.fit(
        lambda: _tail_model(tail, modality, config),
        _Shuffled(pre, tuning.batch_size, seed),
        pre.loader("valid", 256),
    )
    model = trainer.model.cpu().eval()
    result = MVSAResult(
        seed,
        config.replace(model=modality),
        model,
        trainer.history,
        _predict(model, pre, "valid"),
        pre.labels["valid"].copy(),
    )
    result.seconds = round(time.perf_counter() - started, 2)
    return score_test(result, pre)


def _positions(model: TailClassifier, pre: MVSAData, split: str) -> np.ndarray:
    """The tuned tail's output over a split: ``(N, L, 384)`` tokens or ``(N, R, 1280)`` regions."""
    model.eval()
    with torch.no_grad():
        outs = [model.positions(batch) for batch in pre.loader(split, 256)]
    if (
        model.classifier.modality == "text"
    ):  # batches are cut to their longest post: pad back to the split's width
        width = pre.tokens[split].shape[1]
        outs = [nn.functional.pad(out, (0, 0, 0, width - out.shape[1])) for out in outs]
    return torch.cat(outs).numpy()


def tuned_data(data: MVSAData, pre: MVSAData, text: TailClassifier, image: TailClassifier) -> MVSAData:
    """``data`` with every split's features recomputed by the tuned tails (pooled as the frozen ones).

    Shape:
        tokens ``(N, L, 384)``, text ``(N, 384)``, regions ``(N, 16, 1280)``, image ``(N, 1280)``
    """
    tokens = {split: _positions(text, pre, split) for split in SPLITS}
    regions = {split: _positions(image, pre, split) for split in SPLITS}
    pooled = {
        split: text.pool(
            torch.from_numpy(tokens[split]), {"tokens_mask": torch.from_numpy(data.tokens_mask[split])}
        )
        for split in SPLITS
    }
    return replace(
        data,
        tokens=tokens,
        text={split: pooled[split].numpy() for split in SPLITS},
        regions=regions,
        image={split: regions[split].mean(1) for split in SPLITS},
    )


def finetune_encoders(
    config: MVSAConfig,
    data: MVSAData,
    cache_dir: Path | str,
    seed: int,
    tuning: TailTuning | None = None,
    device: Any = "cpu",
) -> TunedFeatures:
    """The paper's first step: fine-tune each encoder alone on its own classifier, then freeze it.

    The text model's last layer (with a mask-aware mean and the text head) and
    EfficientNet-Lite0's last block and head (with a region mean and the image
    head) train on the cached pre-tail features (:func:`load_pretail`); each
    epoch is chosen on validation weighted F1. The tuned tails then compute
    new features for every split, on which any fusion trains with :func:`train`.

    Args:
        config: Feature settings and the heads' sizes.
        data: From :func:`load_data` (its posts, splits and masks are kept).
        cache_dir: Feature cache root (``run.cache_dir``).
        seed: Training seed of both stand-alone models.
        tuning: Learning rates and epochs (default :class:`TailTuning`).
        device: Device of the encoders and of the tuning.
    """
    from course_lib.features.tails import ImageTail, TextTail

    tuning = tuning or TailTuning()
    pre, encoder, backbone = load_pretail(data, config, cache_dir, device)
    with torch_threads(tuning.threads):
        text = tune_tail(TextTail(encoder), "text", pre, config, tuning, seed, device)
        image = tune_tail(ImageTail(backbone), "image", pre, config, tuning, seed, device)
        started = time.perf_counter()
        tuned = tuned_data(data, pre, text.model, image.model)
    seconds = {
        "extract": pre.seconds,
        "tune_text": text.seconds,
        "tune_image": image.seconds,
        "features": round(time.perf_counter() - started, 2),
    }
    return TunedFeatures(tuned, {"text": text, "image": image}, seconds)


# ----------------------------------------------------------------------------- search


def suggest_config(trial: Any, base: MVSAConfig) -> MVSAConfig:
    """The search space: a configuration drawn through an optuna-like ``trial``.

    Learning rate and weight decay (log scale), classifier width, dropout,
    attention heads and batch size -- the settings the paper names as future
    work. The model kind and sizes not listed stay those of ``base``.
    """
    return base.replace(
        lr=trial.suggest_float("lr", 1e-4, 1e-2, log=True),
        weight_decay=trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True),
        hidden=trial.suggest_categorical("hidden", [0, 64, 128, 256]),
        dropout=trial.suggest_float("dropout", 0.0, 0.5),
        num_heads=trial.suggest_categorical("num_heads", [1, 2, 4, 8]),
        batch_size=trial.suggest_categorical("batch_size", [16, 32, 64]),
    )


def objective(config: MVSAConfig, data: MVSAData, seed: int, device: Any = "cpu") -> tuple[float, MVSAResult]:
    """Train one trial's configuration: ``(validation weighted F1, result without test scores)``."""
    result = train(config, data, seed, device, with_test=False)
    return result.val_weighted_f1, result


# ----------------------------------------------------------------------------- saved predictor


class PredictorError(ValueError):
    """A saved predictor folder that cannot be used (the message names the file)."""


def save_predictor(result: MVSAResult, folder: Path | str, data: MVSAData | None = None) -> Path:
    """Save a trained model and its preprocessing as ``config.json`` + ``model.safetensors``.

    No pickle: the configuration is JSON (the recipe configuration, the feature
    widths, the encoders and their settings, the class names) and the weights
    are a safetensors file. The frozen encoders come from their packages.

    Returns:
        The folder.
    """
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text_dim = data.text["train"].shape[1] if data is not None else 384
    image_dim = data.image["train"].shape[1] if data is not None else 1280
    meta = {
        "format": FORMAT,
        "kind": "mvsa-post-classifier",
        "config": result.config.as_dict(),
        "text_dim": int(text_dim),
        "image_dim": int(image_dim),
        "classes": list(result.classes),
        "preprocessor": {
            "text_encoder": "all-MiniLM-L6-v2",
            "text_pooling": "mask-aware mean of the last hidden states",
            "text_max_length": result.config.text_max_length,
            "image_backbone": "efficientnet-lite0",
            "image_size": result.config.image_size,
            "image_normalisation": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]},
        },
        "seed": result.seed,
        "val_weighted_f1": result.val_weighted_f1,
    }
    (folder / "config.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    state = {k: v.detach().cpu().contiguous() for k, v in result.model.state_dict().items()}
    save_file(state, str(folder / "model.safetensors"))
    return folder


def _read_config(path: Path) -> dict[str, Any]:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise PredictorError(f"{path}: no such file (a saved predictor folder holds config.json)") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PredictorError(f"{path}: not a JSON predictor configuration ({error})") from error
    if not isinstance(meta, dict) or meta.get("kind") != "mvsa-post-classifier":
        raise PredictorError(f"{path}: not an MVSA predictor configuration")
    if meta.get("format") != FORMAT:
        raise PredictorError(f"{path}: format {meta.get('format')!r}, this version reads {FORMAT}")
    return meta


@dataclass
class PostPredictor:
    """A trained model with its frozen encoders: predicts the sentiment of a new post.

    Attributes:
        config: The recipe configuration the model was trained with.
        model: The classifier.
        classes: Class names in output order.
        device: Where the encoders and the model run.
    """

    config: MVSAConfig
    model: nn.Module
    classes: tuple[str, ...] = MVSA_CLASSES
    device: Any = "cpu"
    _encoders: dict[str, Any] = field(default_factory=dict, repr=False)

    def _text_encoder(self) -> Any:
        if "text" not in self._encoders:
            from course_lib.features.text import TextEncoder

            self._encoders["text"] = TextEncoder(device=self.device, max_length=self.config.text_max_length)
        return self._encoders["text"]

    def _backbone(self) -> Any:
        if "image" not in self._encoders:
            from course_lib.features.encoders import load_image_backbone

            self._encoders["image"] = load_image_backbone(
                device=self.device, image_size=self.config.image_size
            )
        return self._encoders["image"]

    def features(self, text: str, image_path: Path | str) -> dict[str, torch.Tensor]:
        """The batch of one post, as the model saw it in training.

        Raises:
            TypeError: when ``text`` is not a string.
            course_lib.features.image.ImageDecodeError: when the image cannot be
                decoded (the message names the file).
        """
        from course_lib.features.image import load_image

        if not isinstance(text, str):
            raise TypeError(f"text must be a string, got {type(text).__name__}")
        image = load_image(image_path)  # fails first, naming the file, before any model runs
        encoder = self._text_encoder()
        states, mask = encoder.token_states([text])
        backbone = self._backbone()
        with torch.inference_mode():
            regions = backbone.regions(backbone.preprocess([image]).to(self.device)).float().cpu()
        tokens = states.float().cpu()
        mask = mask.bool().cpu()
        return {
            "text": tokens[:, : int(mask.sum())].mean(1),
            "image": regions.mean(1),
            "tokens": tokens,
            "tokens_mask": mask,
            "regions": regions,
        }

    def predict_batch(self, batch: Mapping[str, torch.Tensor]) -> dict[str, Any]:
        """Label, probabilities and (region model) attention per region of a one-post batch."""
        self.model.eval()
        with torch.no_grad():
            probs = torch.softmax(self.model(batch), -1)[0]
        out: dict[str, Any] = {
            "label": self.classes[int(probs.argmax())],
            "probabilities": {c: float(p) for c, p in zip(self.classes, probs)},
        }
        if isinstance(self.model, RegionAttentionFusion):
            out["region_attention"] = self.model.region_attention(batch)[0].numpy()
        return out

    def predict_post(self, text: str, image_path: Path | str) -> dict[str, Any]:
        """Predict one post from its text and image file.

        Returns:
            ``{"label", "probabilities": {class: p}}``, plus ``"region_attention"``
            ``(R,)`` for the region-attention model.

        Raises:
            TypeError: for a text that is not a string.
            course_lib.features.image.ImageDecodeError: for a missing, empty,
                truncated or non-image file (the message names it).
        """
        return self.predict_batch(self.features(text, image_path))


def load_predictor(folder: Path | str, device: Any = "cpu") -> PostPredictor:
    """Load a folder written by :func:`save_predictor`.

    Raises:
        PredictorError: for a missing or malformed ``config.json`` or weights
            that do not fit the configured model (the file is named).
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    folder = Path(folder)
    meta = _read_config(folder / "config.json")
    fields = {k: v for k, v in meta["config"].items()}
    try:
        config = MVSAConfig(**fields)
    except (TypeError, ValueError) as error:
        raise PredictorError(f"{folder / 'config.json'}: bad configuration ({error})") from error
    model = build_mvsa_model(
        config.model,
        int(meta["text_dim"]),
        int(meta["image_dim"]),
        config.hidden or None,
        config.dropout,
        config.embed_dim,
        config.num_heads,
        len(meta["classes"]),
    )
    weights = folder / "model.safetensors"
    try:
        model.load_state_dict(load_file(str(weights)))
    except FileNotFoundError as error:
        raise PredictorError(f"{weights}: no such file") from error
    except (SafetensorError, RuntimeError, OSError) as error:
        raise PredictorError(f"{weights}: weights do not load into the configured model ({error})") from error
    return PostPredictor(config, model.to(device).eval(), tuple(meta["classes"]), device)


# ----------------------------------------------------------------------------- region attention


def grid_cells(side: int, image_size: int = IMAGE_SIZE) -> list[tuple[int, int, int, int]]:
    """Pixel boxes ``(x0, y0, x1, y1)`` of a ``side x side`` region grid, row by row (the regions' order)."""
    step = image_size / side
    return [
        (int(c * step), int(r * step), int((c + 1) * step) - 1, int((r + 1) * step) - 1)
        for r in range(side)
        for c in range(side)
    ]


def _overlaps(cell: tuple[int, int, int, int], box: tuple[int, int, int, int]) -> bool:
    return cell[0] <= box[2] and box[0] <= cell[2] and cell[1] <= box[3] and box[1] <= cell[3]


def region_mass(
    attention: np.ndarray,
    posts: Sequence[Post],
    truth: Mapping[str, Mapping[str, str]],
    image_size: int = IMAGE_SIZE,
) -> dict[str, np.ndarray]:
    """Attention mass on the regions that hold a drawn shape, and the share expected by chance.

    Chance is the share of the regions touching a shape (what uniform attention
    would put there). Posts without shapes in the ground truth are left out.

    Args:
        attention: Attention per region of each post, rows summing to 1. Shape: ``(N, R)``.
        posts: The N posts.
        truth: Ground truth by post id (:func:`course_lib.data.mvsa.read_ground_truth`).
        image_size: Side of the images in pixels.

    Returns:
        ``{"ids", "mass", "chance"}``, arrays over the posts kept.
    """
    side = math.isqrt(attention.shape[1])
    cells = grid_cells(side, image_size)
    ids, mass, chance = [], [], []
    for post, weights in zip(posts, attention):
        row = truth.get(post.id)
        boxes = [box[1:] for box in mvsa.shape_boxes(row)] if row else []
        if not boxes:
            continue
        hit = np.array([any(_overlaps(cell, box) for box in boxes) for cell in cells])
        ids.append(post.id)
        mass.append(float(weights[hit].sum()))
        chance.append(float(hit.mean()))
    return {"ids": np.array(ids), "mass": np.array(mass), "chance": np.array(chance)}


# ----------------------------------------------------------------------------- claims and tables

#: The fusions the lesson compares (the multimodal claims use the best of them on validation).
FUSIONS: tuple[str, ...] = ("concat", "pooled_mha", "pooled_mha_residual", "region_mha")


def tuned_row(fusion: str) -> str:
    """The comparison row of a fusion trained on the fine-tuned features, e.g. ``"concat (tuned first)"``."""
    return f"{fusion} (tuned first)"


def weak_class_gap(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean F1 of negative and neutral minus the F1 of positive (the paper: -0.135)."""
    f1 = metrics.per_class_f1(y_true, y_pred, MVSA_CLASSES)
    return (f1["negative"] + f1["neutral"]) / 2 - f1["positive"]


def per_class_table(comparison: Any, names: Sequence[str]) -> Any:
    """Test F1 per class, weighted F1 and accuracy (means over seeds), with the paper's row on top."""
    import pandas as pd

    from course_lib.papers import alfano

    rows = {f"paper ({alfano.RESULTS_TABLE.source})": {**alfano.RESULTS_TABLE.row("Multimodal (MHA)")}}
    for name in names:
        mean = comparison.summaries[name]["mean"]
        rows[name] = {c: mean[f"test_f1_{c}"] for c in MVSA_CLASSES}
        rows[name].update(accuracy=mean["test_accuracy"], weighted_f1=mean["test_weighted_f1"])
    return pd.DataFrame.from_dict(rows, orient="index")


def paper_claims(
    comparison: Any,
    best_fusion: str,
    mass: Mapping[str, np.ndarray] | None = None,
    search: tuple[MVSAResult, str] | None = None,
    n_resamples: int = 1000,
    tuned: tuple[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The paper's claims and the course's questions as claim records (paired bootstrap over test posts).

    Args:
        comparison: A :class:`~course_lib.recipes.base.Comparison` with rows ``text``, ``image``,
            ``concat``, ``pooled_mha``, ``concat (linear probe)`` and ``best_fusion``.
        best_fusion: The fusion chosen on validation.
        mass: :func:`region_mass` of the region model on the test posts (skipped when None).
        search: ``(winner result with test scores, default row name)`` (skipped when None).
        n_resamples: Bootstrap resamples.
        tuned: ``(row of a fusion on fine-tuned features, row of the same fusion on frozen ones)``,
            both in ``comparison`` (skipped when None).
    """
    from course_lib.papers import alfano, compare, compare_values

    claims, questions = alfano.CLAIMS, alfano.COURSE_QUESTIONS
    note = f"best fusion on validation: {best_fusion}"
    records = [
        comparison.claim(
            claims["multimodal_beats_text"], best_fusion, "text", n_resamples=n_resamples, note=note
        ),
        comparison.claim(
            claims["multimodal_beats_image"], best_fusion, "image", n_resamples=n_resamples, note=note
        ),
        comparison.claim(claims["attention_focuses"], "pooled_mha", "concat", n_resamples=n_resamples),
        comparison.claim(
            claims["neutral_negative_confused"],
            best_fusion,
            metric=weak_class_gap,
            n_resamples=n_resamples,
            note=note,
        ),
        comparison.claim(
            questions["head_capacity_helps"], "concat", "concat (linear probe)", n_resamples=n_resamples
        ),
        comparison.claim(
            questions["pooled_mha_ignores_text"], "pooled_mha", "image", n_resamples=n_resamples
        ),
    ]
    if tuned is not None:
        note = f"the last block of each encoder tuned; fusion chosen on validation: {tuned[1]}"
        records.append(
            comparison.claim(claims["finetune_first_helps"], *tuned, n_resamples=n_resamples, note=note)
        )
    if mass is not None and len(mass["mass"]):
        records.append(compare_values(questions["region_attention_on_shapes"], mass["mass"], mass["chance"]))
    if search is not None:
        winner, default = search
        y_true, default_pred, _ = comparison.test_predictions(default)
        records.append(
            {
                **compare(
                    claims["search_helps"], y_true, winner.y_pred, default_pred, n_resamples=n_resamples
                ),
                "a": "search winner",
                "b": default,
            }
        )
    return records


def region_attention(model: RegionAttentionFusion, data: MVSAData, split: str = "test") -> np.ndarray:
    """Attention per region of every post of a split (tokens' weights averaged over real tokens).

    Shape:
        returns ``(N, R)``, rows summing to 1
    """
    model.eval()
    out = []
    with torch.no_grad():
        for batch in data.loader(split, 256):
            model(batch)
            out.append(model.region_attention(batch).numpy())
    return np.concatenate(out)


def cue_table(comparison: Any, data: MVSAData, names: Sequence[str], split: str = "test") -> Any:
    """Test accuracy per model on the posts grouped by which cue shows the latent (generator ground truth).

    Groups: ``informative_cue`` (``both``, ``text``, ``image``, ``none``) and the
    posts whose text carries no cue at all (``uninformative text``). Accuracy is
    the mean over seeds; ``posts`` counts each group.
    """
    import pandas as pd

    if data.truth is None:
        raise ValueError("no ground truth beside this corpus (real data)")
    rows = [data.truth[p.id] for p in data.posts[split]]
    groups = {
        f"cue: {g}": np.array([r["informative_cue"] == g for r in rows])
        for g in ("both", "text", "image", "none")
    }
    groups["uninformative text"] = np.array([r["text_informative"] == "0" for r in rows])
    table = {}
    for group, member in groups.items():
        if not member.any():
            continue
        table[group] = {"posts": int(member.sum())}
        for name in names:
            y_true, preds, _ = comparison.test_predictions(name)
            table[group][name] = float(np.mean([(p[member] == y_true[member]).mean() for p in preds]))
    return pd.DataFrame.from_dict(table, orient="index")


# ----------------------------------------------------------------------------- the sweep recipe

#: The model the command-line sweep searches (the paper's fusion, with the residual that keeps the text).
SWEEP_MODEL = "pooled_mha_residual"


def sweep_space(trial: Any, smoke: bool) -> MVSAConfig:
    """The search space of ``python -m course_lib sweep mvsa`` (see :func:`suggest_config`)."""
    return suggest_config(trial, MVSAConfig.sized(smoke, model=SWEEP_MODEL))


def sweep_load(smoke: bool) -> MVSAData:
    """The generated corpus of the mode's preset, from the course's data folder.

    Raises:
        FileNotFoundError: when the corpus is not there (``python -m course_lib data make`` writes it).
    """
    from course_lib.runtime import resolve_cache_dir, resolve_data_dir

    corpora = resolve_data_dir() / "corpora" / ("tiny" if smoke else "full")
    try:
        return load_data(corpora, MVSAConfig.sized(smoke), resolve_cache_dir())
    except FileNotFoundError as error:
        preset = "tiny" if smoke else "full"
        raise FileNotFoundError(
            f"{error}; write it with: python -m course_lib data make --preset {preset}"
        ) from error


def _sweep():
    from course_lib.training.sweep import SweepRecipe

    return SweepRecipe(
        "mvsa",
        sweep_space,
        sweep_load,
        lambda config, data, seed: train(config, data, seed),
        metric="weighted_f1",
        description="lesson 07: the residual pooled-MHA fusion on MVSA-Single (validation weighted F1)",
    )


#: The sweep recipe registered as ``mvsa`` (:data:`course_lib.training.sweep.SWEEPS`).
SWEEP = _sweep()


# ----------------------------------------------------------------------------- the lesson's analyses


def explain_post(models: Mapping[str, nn.Module], batch: Mapping[str, torch.Tensor]) -> dict[str, Any]:
    """Every model's class probabilities for a one-post batch, and the region model's attention.

    Args:
        models: ``{name: trained model}`` (e.g. text, image and a fusion).
        batch: One post (``MVSAData.batch(split, [i])`` or :meth:`PostPredictor.features`).

    Returns:
        ``{"models": {name: {class: p}}, "attention": (R,) array or None}``
    """
    out: dict[str, Any] = {"models": {}, "attention": None}
    with torch.no_grad():
        for name, model in models.items():
            probs = torch.softmax(model.eval()(batch), -1)[0]
            out["models"][name] = {c: float(p) for c, p in zip(MVSA_CLASSES, probs)}
            if isinstance(model, RegionAttentionFusion):
                out["attention"] = model.region_attention(batch)[0].numpy()
    return out


def selection_curve(trials: Sequence[Any], data: MVSAData, smoke: bool, seed: int) -> tuple[Any, MVSAResult]:
    """Validation and test weighted F1 of the trial chosen after each number of trials.

    After ``k`` trials the chosen one is the best on validation so far; its
    configuration is trained again (deterministic on a CPU) and scored on test,
    for this analysis only: the gap ``val - test`` shows how much of the
    winner's validation score is selection luck.

    Args:
        trials: The study's finished trials (``study.trials``), in order.
        data: The lesson's data.
        smoke: Smoke-sized configurations (as the sweep used).
        seed: Training seed (as the sweep used).

    Returns:
        ``(table indexed by the number of trials, the final winner's result with test predictions)``
    """
    import optuna
    import pandas as pd

    done = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    rows, tested, best = [], {}, None
    for k, trial in enumerate(done, start=1):
        if best is None or trial.value > best.value:
            best = trial
        if best.number not in tested:
            config = sweep_space(optuna.trial.FixedTrial(best.params), smoke)
            tested[best.number] = train(config, data, seed)
        rows.append(
            {
                "trials": k,
                "chosen_trial": best.number,
                "val_weighted_f1": best.value,
                "test_weighted_f1": tested[best.number].metrics("test")["weighted_f1"],
            }
        )
    if best is None:
        raise ValueError("the study has no finished trial")
    table = pd.DataFrame(rows).set_index("trials")
    table["gap"] = table["val_weighted_f1"] - table["test_weighted_f1"]
    return table, tested[best.number]
