"""The IEMOCAP emotion-recognition-in-conversation recipe: one configuration, trained and evaluated.

This module is the single place where the lessons on the IEMOCAP paper train
"one configuration of the paper's model": a text embedder, an audio embedder,
a fusion method and a window of previous turns, with or without class weights.

Typical use in a notebook::

    from course_lib.recipes.erc import ERCConfig, compare, load_erc_data, train_erc

    data = load_erc_data(run)                        # corpus, split, vocabulary, lazy features
    config = ERCConfig(text="bilstm_glove", audio="mfcc", fusion="concat", conv_length=2)
    result = train_erc(config, data, seed=42, device=run.device)
    result.valid["weighted_f1"], result.per_class_f1, result.confusion

    comparison = compare({"concat": config, "add": config.replace(fusion="add")}, data, seeds=(42, 77))
    comparison.best()                                # chosen on validation
    comparison.claim(femia.CLAIMS["add_similar_to_concat"], "add", "concat")

    paper = ERCConfig.paper(run.smoke)               # the paper's own configuration

Choices of :class:`ERCConfig`:

* ``text``: None, ``"bilstm_random"`` (random embeddings + BiLSTM),
  ``"bilstm_glove"`` (GloVe 6B-50d initialisation, fine-tuned),
  ``"bilstm_glove_frozen"`` (GloVe kept fixed) or ``"minilm"`` (frozen
  MiniLM-L6 sentence embeddings, mean-pooled and cached, + a projection).
* ``audio``: None, ``"mfcc"``, ``"logmel"``, ``"mel"`` (the un-logged power
  Mel spectrogram, the paper's MEL), ``"chroma"``, ``"mfcc+logmel+chroma"``
  (concatenated per frame), ``"stats"`` (five prosody-like frame statistics:
  energy, spectral centroid and flux, zero-crossing rate, envelope -- too
  coarse to spell out words, a baseline for what the voice alone carries) --
  frame features read by Conv1D + BiLSTM (any other ``+`` combination works
  too) -- or ``"whisper"`` (the Whisper tiny.en
  encoder, mean-pooled over the cropped turn, + a projection; the offline
  stand-in for the paper's frozen wav2vec 2.0).
* ``fusion``: a name of the fusion registry (``concat``, ``add``,
  ``cross_attention`` -- the course's token variant --,
  ``paper_cross_attention`` -- the paper's window-level audio->text attention
  --, ``late``, ``hybrid``); ignored for one modality.
* ``conv_length``: turns per window. Every length uses the same
  :class:`~course_lib.models.conversation.ConversationalModel` (forward LSTM
  over the window and residual skip; with 1 the LSTM reads the turn alone), so
  comparing lengths measures the context and nothing else.
* ``crop_seconds``: audio is read from the start of each turn up to this
  duration (the paper compares 1, 2, 3 and 4 s); shorter turns keep their own
  length and are padded and masked in batches.

Data handling (:func:`load_erc_data`): the IEMOCAP loader keeps the six classes
(other labels are masked, their turns still serve as context), the paper's
session split (1-3 train, 4 validation, 5 test), the word vocabulary is built on
the training split only, and features are computed lazily per modality and
cached on disk with :func:`course_lib.features.cache.extract` (frame features
are cached once per kind, uncropped, and cropped in memory, so every crop
length reuses them). Frame features and Whisper vectors are standardised with
statistics of the training split.

Model selection (early stopping, learning-rate schedule, restored epoch) only
looks at the validation split; the test split is evaluated once at the end.

Sizes: the defaults of :class:`ERCConfig` follow the paper's recipe (Adam 1e-3,
two-layer BiLSTMs); ``ERCConfig.sized(run.smoke, ...)`` applies
:data:`SMOKE_SIZES` (smaller layers, learning rate 3e-3) in smoke mode so that
a run on the tiny corpus takes seconds on a CPU. :meth:`ERCConfig.paper` is the
configuration of the paper's best model (:data:`course_lib.papers.femia.CONFIGURATION`).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from course_lib import metrics as course_metrics
from course_lib.data import iemocap
from course_lib.data.datasets import ConversationWindowDataset, WindowRunSampler
from course_lib.data.records import IEMOCAP_CLASSES, Dialogue, Utterance
from course_lib.data.synthetic.corpora import dataset_dir
from course_lib.recipes.base import Comparison, RecipeConfig
from course_lib.recipes.references import ReferenceSlot, load_or_compare
from course_lib.runtime import resolve_cache_dir

__all__ = [
    "AUDIO_CHOICES",
    "FRAME_FEATURES",
    "SMOKE_SIZES",
    "TEXT_CHOICES",
    "ERCConfig",
    "ERCData",
    "ERCResult",
    "build_model",
    "compare",
    "load_erc_data",
    "results_table",
    "train_erc",
    "widget_train_fn",
]

#: Text embedder choices (None: no text).
TEXT_CHOICES: tuple[str | None, ...] = (
    None,
    "bilstm_random",
    "bilstm_glove",
    "bilstm_glove_frozen",
    "minilm",
)
#: Audio embedder choices (None: no audio).
AUDIO_CHOICES: tuple[str | None, ...] = (
    None,
    "mfcc",
    "logmel",
    "mel",
    "chroma",
    "mfcc+logmel+chroma",
    "stats",
    "whisper",
)
#: Frame-feature name -> kind of :class:`course_lib.features.audio.AudioFeatures`.
FRAME_FEATURES: dict[str, str] = {
    "mfcc": "mfcc",
    "logmel": "logmel",
    "mel": "mel",
    "chroma": "chroma",
    "stats": "stats",
}

#: Smaller models and shorter training for smoke runs (tiny corpora on a CPU); see :meth:`ERCConfig.sized`.
SMOKE_SIZES: dict[str, Any] = {
    "hidden_size": 32,
    "num_layers": 1,
    "conv_channels": (32, 32),
    "embed_dim": 64,
    "dense_size": 64,
    "max_epochs": 40,
    "patience": 6,
    "lr": 3e-3,
}


def _check_audio(choice: Any, what: str) -> str:
    """``choice`` if it is ``"whisper"`` or a ``+``-joined set of distinct frame features."""
    parts = choice.split("+") if isinstance(choice, str) else [None]
    if choice != "whisper" and (any(p not in FRAME_FEATURES for p in parts) or len(set(parts)) != len(parts)):
        raise ValueError(
            f"unknown {what} {choice!r}; choose from {AUDIO_CHOICES[1:]} "
            f"(or another '+' combination of {tuple(FRAME_FEATURES)})"
        )
    return choice


_HOP_SECONDS = 0.01  # frame hop of the frequency features (160 samples at 16 kHz)
_SAMPLE_RATE = 16_000


# ----------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class ERCConfig(RecipeConfig):
    """One configuration of the paper's model and of its training.

    Attributes:
        text: Text embedder, one of :data:`TEXT_CHOICES`.
        audio: Audio embedder, one of :data:`AUDIO_CHOICES`.
        fusion: Fusion registry name; ignored when only one modality is used.
        conv_length: Turns per window (1 = the turn alone; the paper compares 1-4).
        class_weights: Weight the cross-entropy by inverse class frequency.
        crop_seconds: Audio kept from the start of each turn (the paper compares 1-4 s).
        max_epochs: Upper bound on training epochs.
        patience: Epochs without validation improvement before stopping.
        batch_size: Windows (or turns) per batch.
        run_length: Training batches are drawn as runs of this many
            consecutive windows of a dialogue, the runs shuffled every epoch
            (1 = every window drawn on its own, a plain shuffle).
            Windows of one run share context turns and the model embeds each
            turn once per batch: at conv_length 3 the default 8 embeds 1.51
            turns per training window instead of 2.88. On the full generated
            corpus (text BiLSTM, conv_length 3, seeds 42 and 77) it halved the
            training time (about 170 s against 359 s per seed) for a validation
            weighted F1 of .459 against .470 -- about one seed's spread.
        lr: Adam learning rate.
        hidden_size: LSTM units per direction of the text and audio BiLSTMs.
        num_layers: Stacked layers of those BiLSTMs.
        conv_channels: Channels of each Conv1D block of the audio embedder.
        audio_pool: Max-pooling stride after each Conv1D block (shortens the
            frame sequence the audio BiLSTM reads): with 4, 2 s of 10 ms frames
            become 13 BiLSTM steps, and an epoch costs about a third of the CPU
            time it costs with 2 (6.8 against 19.1 CPU seconds on the full corpus).
        embed_dim: Output size of the projection embedders (MiniLM, Whisper)
            and of the add / cross-attention fusions.
        dense_size: Units of the Dense + ReLU layer before the output.
        dropout: Dropout in the embedders and before the output layer.
        max_tokens: Transcripts are cut to this many tokens.
    """

    SMOKE_SIZES: ClassVar[dict[str, Any]] = SMOKE_SIZES

    text: str | None = "bilstm_glove"
    audio: str | None = "mfcc"
    fusion: str = "concat"
    conv_length: int = 1
    class_weights: bool = False
    crop_seconds: float = 3.0
    max_epochs: int = 30
    patience: int = 5
    batch_size: int = 32
    run_length: int = 8
    lr: float = 1e-3
    hidden_size: int = 64
    num_layers: int = 2
    conv_channels: tuple[int, ...] = (64, 64)
    audio_pool: int = 4
    embed_dim: int = 128
    dense_size: int = 128
    dropout: float = 0.1
    max_tokens: int = 60

    def __post_init__(self) -> None:
        if self.text not in TEXT_CHOICES:
            raise ValueError(f"unknown text embedder {self.text!r}; choose from {TEXT_CHOICES}")
        if self.audio is not None:
            _check_audio(self.audio, "audio embedder")
        if self.text is None and self.audio is None:
            raise ValueError("a configuration needs at least one modality (text or audio)")
        if self.multimodal:
            from course_lib.models.registry import available

            if self.fusion not in available("fusion"):
                raise ValueError(f"unknown fusion {self.fusion!r}; choose from {available('fusion')}")
        if not isinstance(self.conv_length, (int, np.integer)) or self.conv_length < 1:
            raise ValueError(f"conv_length must be an integer >= 1, got {self.conv_length!r}")
        if not self.crop_seconds > 0:
            raise ValueError(f"crop_seconds must be positive, got {self.crop_seconds!r}")
        for name in (
            "max_epochs",
            "patience",
            "batch_size",
            "run_length",
            "hidden_size",
            "num_layers",
            "embed_dim",
            "dense_size",
            "max_tokens",
            "audio_pool",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")
        object.__setattr__(self, "conv_channels", tuple(int(c) for c in self.conv_channels))

    @property
    def modalities(self) -> tuple[str, ...]:
        """The modalities used, in the fixed order (``"text"``, ``"audio"``)."""
        return tuple(m for m, choice in (("text", self.text), ("audio", self.audio)) if choice is not None)

    @property
    def multimodal(self) -> bool:
        """Whether both text and audio are used (so ``fusion`` matters)."""
        return self.text is not None and self.audio is not None

    @property
    def name(self) -> str:
        """A short label for tables, e.g. ``"bilstm_glove + mfcc | concat | n=2 | weights"``."""
        parts = [" + ".join(c for c in (self.text, self.audio) if c is not None)]
        if self.multimodal:
            parts.append(self.fusion)
        parts.append(f"n={self.conv_length}")
        if self.class_weights:
            parts.append("weights")
        if self.audio is not None:
            parts.append(f"{self.crop_seconds:g}s")
        return " | ".join(parts)

    @classmethod
    def paper(cls, smoke: bool = False, **fields: Any) -> ERCConfig:
        """The paper's best model: random-init BiLSTM text, frozen speech encoder on the first 2 s,
        add fusion, class weights, conv_length 3 (explicit ``fields`` win).

        Offline the speech encoder is Whisper tiny.en, standing in for wav2vec 2.0.
        """
        paper = {
            "text": "bilstm_random",
            "audio": "whisper",
            "fusion": "add",
            "conv_length": 3,
            "class_weights": True,
            "crop_seconds": 2.0,
        }
        return cls.sized(smoke, **{**paper, **fields})


# ----------------------------------------------------------------------------- data


def _frames_for(crop_seconds: float) -> int:
    """Frames of the frequency features for ``crop_seconds`` of audio (centred STFT)."""
    return 1 + round(crop_seconds * _SAMPLE_RATE) // round(_HOP_SECONDS * _SAMPLE_RATE)


@dataclass
class ERCData:
    """An IEMOCAP-format corpus prepared for :func:`train_erc`.

    Attributes:
        corpus_dir: The folder that was loaded.
        dialogues: Every dialogue, turns in order (masked labels are None).
        splits: ``{"train", "valid", "test"}`` -> dialogues (session split).
        classes: Class names; a label is its index here.
        vocab: Word vocabulary built on the training split.
        cache_dir: Root of the feature cache.
        report: What the loader read, masked and skipped.
        progress: Show progress bars while computing features.
        runs_dir: Folder of the run store (:mod:`course_lib.recipes.store`);
            None: runs are not stored.
        trained_by: The notebook training runs from here (named in the store).
    """

    corpus_dir: Path
    dialogues: list[Dialogue]
    splits: dict[str, list[Dialogue]]
    classes: tuple[str, ...]
    vocab: Any
    cache_dir: Path
    report: iemocap.LoadReport
    progress: bool = False
    runs_dir: Path | None = None
    trained_by: str = ""
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False)
    _glove: Any = field(default=None, repr=False)

    # -- views -----------------------------------------------------------------

    def fingerprint(self) -> dict[str, Any] | None:
        """What identifies a generated corpus (generator version, preset, seed, parameters); None for real data.

        Generation is deterministic, so equal fingerprints mean byte-identical corpora.
        """
        from course_lib.data.synthetic.corpora import read_corpus_record

        record = read_corpus_record(self.corpus_dir.parent)
        if not record or "iemocap" not in record.get("corpora", {}):
            return None
        keys = ("generator_version", "preset", "seed")
        return {**{k: record.get(k) for k in keys}, "params": record["corpora"]["iemocap"].get("params")}

    def run_store(self, device: str | torch.device = "cpu") -> Any:
        """The :class:`course_lib.recipes.store.RunStore` of runs on this corpus and device type
        (None when runs are not stored, or the corpus has no fingerprint: real data)."""
        import hashlib

        from course_lib.recipes.store import RunStore
        from course_lib.runtime import pick_device

        corpus = self.fingerprint() if self.runs_dir is not None else None
        if corpus is None:
            return None
        splits = {name: [d.id for d in part] for name, part in self.splits.items()}
        layout = json.dumps(
            {"splits": splits, "classes": self.classes, "vocab": len(self.vocab)}, sort_keys=True
        )
        context = {
            "recipe": "erc",
            "corpus": corpus,
            "layout": hashlib.sha256(layout.encode()).hexdigest()[:16],
            "device": pick_device(str(device)).type,
        }
        return RunStore(self.runs_dir, context, trained_by=self.trained_by)

    @property
    def utterances(self) -> list[Utterance]:
        """Every turn of every dialogue, in corpus order."""
        return iemocap.utterances(self.dialogues)

    def turn(self, utterance_id: str) -> Utterance:
        """The turn with this id.

        Raises:
            KeyError: naming the id when no turn has it.
        """
        if "_turns" not in self._memo:
            self._memo["_turns"] = {u.id: u for u in self.utterances}
        try:
            return self._memo["_turns"][utterance_id]
        except KeyError:
            raise KeyError(f"no turn {utterance_id!r} in {self.corpus_dir}") from None

    def labelled(self, split: str) -> list[Utterance]:
        """The turns of ``split`` that carry one of :attr:`classes`."""
        return [u for u in iemocap.utterances(self.splits[split]) if u.label in self.classes]

    def class_counts(self) -> dict[str, dict[str, int]]:
        """``{split: {class: turns}}`` of the labelled turns."""
        out = {}
        for split in self.splits:
            counts = Counter(u.label for u in self.labelled(split))
            out[split] = {c: int(counts.get(c, 0)) for c in self.classes}
        return out

    def describe(self):
        """Labelled turns per split and class as a pandas table (plus a total column)."""
        import pandas as pd

        table = pd.DataFrame(self.class_counts()).T[list(self.classes)]
        table["total"] = table.sum(axis=1)
        return table

    def window_table(self, split: str = "test", conv_length: int = 4, index: int | None = None) -> Any:
        """One conversation window of ``split`` as a table: slot, real turn or padding, speaker, label, text.

        Args:
            split: ``"train"``, ``"valid"`` or ``"test"``.
            conv_length: Window size.
            index: Which labelled turn's window (default: the first whose window is full, past the 5th).
        """
        import pandas as pd

        dataset = ConversationWindowDataset(self.splits[split], {}, conv_length, self.classes)
        if index is None:
            index = next(
                (i for i, (_, ctx) in enumerate(dataset.windows) if len(ctx) == conv_length and i >= 5), 0
            )
        current, context = dataset.windows[index]
        slots = [None] * (conv_length - len(context)) + [self.turn(dataset.turn_ids[c]) for c in context]
        speaker = self.turn(dataset.turn_ids[current]).speaker
        rows = [
            {
                "real turn": turn is not None,
                "same speaker as current": turn is not None and turn.speaker == speaker,
                "speaker": turn.speaker if turn else "",
                "label": (turn.label or "(not scored)") if turn else "",
                "text": turn.text if turn else "(padding)",
            }
            for turn in slots
        ]
        return pd.DataFrame(rows).rename_axis("slot")

    def context_of(self, turn_id: str, n: int = 2) -> list[str]:
        """The ``n`` turns before ``turn_id`` in its dialogue as ``"speaker (label): text"`` lines."""
        turn = self.turn(turn_id)
        dialogue = next(d for d in self.dialogues if d.id == turn.dialogue_id)
        position = [u.id for u in dialogue.utterances].index(turn_id)
        before = dialogue.utterances[max(0, position - n) : position]
        return [f"{u.speaker} ({u.label or 'not scored'}): {u.text}" for u in before]

    def context_groups(self, split: str = "test") -> dict[str, str]:
        """Labelled turn id -> ``"first scored turn"``, ``"emotion continues"`` or ``"emotion changes"``.

        The group compares a turn's label with the previous scored turn's in its dialogue.
        """
        groups = {}
        for dialogue in self.splits[split]:
            previous = None
            for turn in dialogue.utterances:
                if turn.label in self.classes:
                    same = "emotion continues" if turn.label == previous else "emotion changes"
                    groups[turn.id] = "first scored turn" if previous is None else same
                    previous = turn.label
        return groups

    def word_probe(self, choices: Sequence[str] = ("whisper", "stats"), crop_seconds: float = 3.0) -> Any:
        """How well each audio feature set decodes what the *words* say: a linear probe of transcript polarity.

        The target is :func:`course_lib.features.text.lexicon_polarity` of each
        labelled turn with a non-zero polarity; the features are the turn's audio
        features pooled over time (mean and std of frames). A logistic regression
        is trained on the training turns (regularisation chosen on validation) and
        scored on the test turns. An audio feature set far above the majority
        share reads the words, so "audio-only" results built on it are partly text.

        Returns:
            A pandas table per feature set: turns, test accuracy, majority share.
        """
        import pandas as pd

        from course_lib.data.diagnostics.linear import fit_linear_probe
        from course_lib.features.text import lexicon_polarity

        polar = {
            split: [(u, lexicon_polarity(u.text)) for u in self.labelled(split)]
            for split in ("train", "valid", "test")
        }
        polar = {split: [(u, p) for u, p in pairs if p != 0] for split, pairs in polar.items()}
        targets = {split: [p for _, p in pairs] for split, pairs in polar.items()}
        rows = {}
        for choice in choices:
            features = self.audio_features(choice, crop_seconds)
            pooled = {
                split: _pooled([features[u.id].numpy() for u, _ in pairs]) for split, pairs in polar.items()
            }
            fit = fit_linear_probe(
                pooled["train"],
                targets["train"],
                pooled["valid"],
                targets["valid"],
                pooled["test"],
                targets["test"],
            )
            majority = max(targets["test"].count(-1), targets["test"].count(1)) / max(len(targets["test"]), 1)
            rows[choice] = {
                "train turns": len(targets["train"]),
                "test turns": len(targets["test"]),
                "test accuracy": fit["test"]["accuracy"],
                "majority share": majority,
            }
        return pd.DataFrame(rows).T

    def glove(self):
        """GloVe rows for :attr:`vocab` (a :class:`course_lib.features.text.GloveResult`), computed once."""
        if self._glove is None:
            from course_lib.features.text import glove_matrix

            self._glove = glove_matrix(self.vocab, seed=0)
        return self._glove

    # -- features ----------------------------------------------------------------

    def text_features(self, choice: str, max_tokens: int = 60) -> dict[str, torch.Tensor]:
        """``{utterance id: features}`` of every turn for a text choice.

        BiLSTM choices give token ids ``(L,)`` padded with 0 to the longest
        transcript (at most ``max_tokens``); ``"minilm"`` gives cached
        sentence vectors ``(384,)``.
        """
        if choice not in TEXT_CHOICES or choice is None:
            raise ValueError(f"unknown text choice {choice!r}; choose from {TEXT_CHOICES[1:]}")
        if choice == "minilm":
            return self._memoised(("text", "minilm"), self._minilm)
        return self._memoised(("text", "tokens", max_tokens), lambda: self._tokens(max_tokens))

    def audio_features(self, choice: str, crop_seconds: float = 3.0) -> dict[str, torch.Tensor]:
        """``{utterance id: features}`` of every turn for an audio choice and crop length.

        Frame choices give standardised frames ``(T_i, F)`` with
        ``T_i <= 1 + 100 * crop_seconds``; ``"whisper"`` gives a standardised
        mean-pooled encoder vector ``(384,)`` of the cropped turn.
        """
        _check_audio(choice, "audio choice")
        if not crop_seconds > 0:
            raise ValueError(f"crop_seconds must be positive, got {crop_seconds!r}")
        if choice == "whisper":
            return self._memoised(("audio", "whisper", crop_seconds), lambda: self._whisper(crop_seconds))
        kinds = choice.split("+")
        return self._memoised(("audio", choice, crop_seconds), lambda: self._frames(kinds, crop_seconds))

    def features_for(self, config: ERCConfig) -> dict[str, dict[str, torch.Tensor]]:
        """The ``{modality: {utterance id: tensor}}`` features a configuration needs."""
        out = {}
        if config.text is not None:
            out["text"] = self.text_features(config.text, config.max_tokens)
        if config.audio is not None:
            out["audio"] = self.audio_features(config.audio, config.crop_seconds)
        return out

    def _memoised(self, key: Any, compute: Callable[[], dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def _train_ids(self) -> set[str]:
        return {u.id for u in iemocap.utterances(self.splits["train"])}

    def _tokens(self, max_tokens: int) -> dict[str, torch.Tensor]:
        turns = self.utterances
        encoded = [self.vocab.encode(u.text)[:max_tokens] for u in turns]
        width = max(len(e) for e in encoded)
        out = {}
        for turn, ids in zip(turns, encoded):
            row = torch.zeros(width, dtype=torch.long)
            row[: len(ids)] = torch.tensor(ids, dtype=torch.long)
            out[turn.id] = row
        return out

    def _minilm(self) -> dict[str, torch.Tensor]:
        from course_lib.features.cache import extract
        from course_lib.features.text import TextEmbeddings, TextEncoder

        turns = self.utterances
        features = extract(turns, TextEmbeddings(TextEncoder()), self.cache_dir, progress=self.progress)
        return {u.id: torch.from_numpy(np.array(features[i], dtype=np.float32)) for i, u in enumerate(turns)}

    def _standardise(self, values: dict[str, np.ndarray], key: Any = None) -> dict[str, torch.Tensor]:
        """Scale every feature dimension with the mean and std of the training turns (frames).

        The ``(mean, std)`` used are kept under ``key`` (see :meth:`audio_scale`).
        """
        train = self._train_ids()
        stacked = np.concatenate([np.atleast_2d(v) for k, v in values.items() if k in train])
        mean = stacked.mean(axis=0)
        std = stacked.std(axis=0)
        std[std < 1e-6] = 1.0
        self._memo[("scale", key)] = (mean.astype(np.float32), std.astype(np.float32))
        return {k: torch.from_numpy(((v - mean) / std).astype(np.float32)) for k, v in values.items()}

    def audio_scale(self, choice: str, crop_seconds: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
        """The training-split ``(mean, std)`` that standardise an audio choice's features.

        Shape:
            each ``(F,)``
        """
        self.audio_features(choice, crop_seconds)
        return self._memo[("scale", ("audio", choice, crop_seconds))]

    def _frames(self, kinds: Sequence[str], crop_seconds: float) -> dict[str, torch.Tensor]:
        from course_lib.features.audio import AudioFeatures
        from course_lib.features.cache import extract

        turns = self.utterances
        keep = _frames_for(crop_seconds)
        sets = []
        for kind in kinds:
            extractor = AudioFeatures(kind=FRAME_FEATURES[kind], backend="torchaudio")
            sets.append(extract(turns, extractor, self.cache_dir, progress=self.progress))
        values = {}
        for i, turn in enumerate(turns):
            parts = [np.asarray(s[i][:keep], dtype=np.float32) for s in sets]
            frames = min(p.shape[0] for p in parts)
            values[turn.id] = np.concatenate([p[:frames] for p in parts], axis=1)
        return self._standardise(values, ("audio", "+".join(kinds), crop_seconds))

    def _whisper(self, crop_seconds: float) -> dict[str, torch.Tensor]:
        from course_lib.features.cache import extract
        from course_lib.features.encoders import SpeechEmbeddings, load_speech_encoder

        turns = self.utterances
        extractor = SpeechEmbeddings(load_speech_encoder(), pooling="mean", max_seconds=crop_seconds)
        features = extract(turns, extractor, self.cache_dir, progress=self.progress)
        return self._standardise(
            {u.id: np.asarray(features[i], dtype=np.float32) for i, u in enumerate(turns)},
            ("audio", "whisper", crop_seconds),
        )


def _pooled(values: list[np.ndarray]) -> np.ndarray:
    """Vectors stacked as they are; frame matrices ``(T_i, F)`` as mean and std over time. Shape: ``(N, D)``."""
    from course_lib.features.encoders import pool_frames

    return np.stack(values) if values[0].ndim == 1 else pool_frames(values, "meanstd")


def _run_corpus(run: Any, progress: bool) -> Path:
    """The real IEMOCAP when the run's data folder holds it, else the generated corpus (made if missing)."""
    return dataset_dir(run, "iemocap", progress=progress)


def load_erc_data(
    source: Any,
    cache_dir: str | os.PathLike | None = None,
    classes: Sequence[str] = IEMOCAP_CLASSES,
    train_sessions: Sequence[int] = (1, 2, 3),
    valid_sessions: Sequence[int] = (4,),
    test_sessions: Sequence[int] = (5,),
    min_freq: int = 1,
    progress: bool = False,
    store_runs: bool | None = None,
) -> ERCData:
    """Load an IEMOCAP-format corpus, split it by session and build the training vocabulary.

    Args:
        source: A :class:`course_lib.runtime.RunConfig` -- the real IEMOCAP
            when its data folder holds ``IEMOCAP_full_release``, else the
            generated corpus of its preset (made if missing); its
            ``cache_dir`` is used -- or a folder holding
            ``IEMOCAP_full_release`` (or that folder itself).
        cache_dir: Feature cache root; default ``run.cache_dir`` for a run,
            else :func:`course_lib.runtime.resolve_cache_dir`.
        classes: Labels kept; other labels are masked (their turns remain context).
        train_sessions, valid_sessions, test_sessions: The session split
            (the paper's default: 1-3 / 4 / 5).
        min_freq: Minimum training frequency of a vocabulary word.
        progress: Show progress bars when generating and computing features.
        store_runs: Keep finished runs in ``<cache>/runs`` and reuse them
            (:mod:`course_lib.recipes.store`). Default: on for a run
            configuration unless ``COURSE_RUN_STORE=off``; off for a folder.

    Returns:
        An :class:`ERCData`; features are computed on first use.

    Raises:
        ValueError: when a split has no labelled turn.
    """
    from course_lib.features.text import build_vocabulary
    from course_lib.recipes.store import store_enabled

    is_run = hasattr(source, "corpora_dir") and hasattr(source, "preset")
    if is_run:
        corpus_dir = _run_corpus(source, progress)
        cache = Path(cache_dir) if cache_dir else Path(source.cache_dir)
    else:
        corpus_dir = Path(source).expanduser()
        cache = Path(cache_dir) if cache_dir else resolve_cache_dir()
    if store_runs is None:
        store_runs = is_run and store_enabled()
    report = iemocap.LoadReport()
    dialogues = iemocap.load(corpus_dir, classes=tuple(classes), report=report)
    splits = iemocap.split_sessions(dialogues, train_sessions, valid_sessions, test_sessions)
    for name, part in splits.items():
        if not any(u.label in classes for u in iemocap.utterances(part)):
            raise ValueError(
                f"{corpus_dir}: the {name} split (sessions "
                f"{ {'train': train_sessions, 'valid': valid_sessions, 'test': test_sessions}[name] }) "
                "has no labelled turn"
            )
    vocab = build_vocabulary((u.text for u in iemocap.utterances(splits["train"])), min_freq=min_freq)
    return ERCData(
        corpus_dir=corpus_dir,
        dialogues=dialogues,
        splits=splits,
        classes=tuple(classes),
        vocab=vocab,
        cache_dir=cache,
        report=report,
        progress=progress,
        runs_dir=cache / "runs" if store_runs else None,
        trained_by=str(getattr(source, "name", "") or "") if is_run else "",
    )


# ----------------------------------------------------------------------------- model


def build_model(
    config: ERCConfig, data: ERCData, features: Mapping[str, Mapping[str, torch.Tensor]]
) -> nn.Module:
    """The (untrained) model of a configuration.

    Args:
        config: The configuration.
        data: The prepared corpus (vocabulary, GloVe rows).
        features: The features of :meth:`ERCData.features_for` (for input sizes).
    """
    from course_lib.models.conversation import ConversationalModel
    from course_lib.models.registry import build

    embedders: dict[str, nn.Module] = {}
    bilstm = {"hidden_size": config.hidden_size, "num_layers": config.num_layers, "dropout": config.dropout}
    if config.text == "bilstm_random":
        embedders["text"] = build("text", "bilstm", vocab_size=len(data.vocab), embedding_dim=50, **bilstm)
    elif config.text in ("bilstm_glove", "bilstm_glove_frozen"):
        embedders["text"] = build(
            "text",
            "bilstm",
            embeddings=data.glove().matrix,
            freeze=config.text == "bilstm_glove_frozen",
            **bilstm,
        )
    elif config.text == "minilm":
        dim = next(iter(features["text"].values())).shape[-1]
        embedders["text"] = build(
            "text", "pooled", input_dim=dim, dim=config.embed_dim, dropout=config.dropout
        )
    if config.audio == "whisper":
        dim = next(iter(features["audio"].values())).shape[-1]
        embedders["audio"] = build(
            "audio", "deep", input_dim=dim, dim=config.embed_dim, dropout=config.dropout
        )
    elif config.audio is not None:
        dim = next(iter(features["audio"].values())).shape[-1]
        embedders["audio"] = build(
            "audio",
            "simple",
            input_dim=dim,
            conv_channels=config.conv_channels,
            pool=config.audio_pool,
            **bilstm,
        )
    fusion = None
    if config.multimodal:
        fusion = build(
            "fusion",
            config.fusion,
            input_dims={m: e.output_dim for m, e in embedders.items()},
            num_classes=len(data.classes),
            dim=config.embed_dim,
        )
    return ConversationalModel(
        embedders, fusion, num_classes=len(data.classes), dense_size=config.dense_size, dropout=config.dropout
    )


def _dataset(config: ERCConfig, data: ERCData, split: str, features: Mapping[str, Any]):
    dataset = ConversationWindowDataset(data.splits[split], features, config.conv_length, data.classes)
    return dataset, [dataset.turn_ids[current] for current, _ in dataset.windows]


# ----------------------------------------------------------------------------- training


@dataclass
class ERCResult:
    """Everything one training run produced.

    Attributes:
        config: The configuration trained.
        seed: Its seed.
        valid: Validation metrics of the restored (best) epoch: ``loss``,
            ``accuracy``, ``weighted_f1``, ``macro_f1``, ``f1_<class>``.
        test: The same metrics on the test split (evaluated once).
        per_class_f1: ``{class: test F1}``.
        confusion: Test confusion matrix (rows: true class), counts.
        test_ids: Test turn ids, in the order of ``y_true`` / ``y_pred``.
        y_true: True test class indices.
        y_pred: Predicted test class indices.
        history: One dict per epoch (see :class:`course_lib.training.Trainer`).
        best_epoch: The restored epoch.
        classes: Class names.
        seconds: Wall time of the run (features excluded when already cached).
        n_parameters: Trainable parameters of the model.
        model: The trained model (in eval mode); None for a result loaded from
            the shipped reference results (see :func:`trained_model`).
    """

    config: ERCConfig
    seed: int
    valid: dict[str, float]
    test: dict[str, float]
    per_class_f1: dict[str, float]
    confusion: np.ndarray
    test_ids: list[str]
    y_true: np.ndarray
    y_pred: np.ndarray
    history: list[dict[str, float]]
    best_epoch: int
    classes: tuple[str, ...]
    seconds: float
    n_parameters: int
    model: nn.Module | None = field(repr=False)

    def to_record(self) -> dict[str, Any]:
        """The result as JSON-able values, without the model, the configuration and the test items
        (see :mod:`course_lib.recipes.references`); the learning curve is rounded to 6 decimals."""
        from course_lib.recipes.references import encode_labels

        def rounded(values: Mapping[str, Any]) -> dict[str, Any]:
            return {
                k: v if isinstance(v, (int, np.integer)) else round(float(v), 6) for k, v in values.items()
            }

        return {
            "seed": self.seed,
            "valid": {k: float(v) for k, v in self.valid.items()},
            "test": {k: float(v) for k, v in self.test.items()},
            "y_pred": encode_labels(self.y_pred),
            "history": [rounded(epoch) for epoch in self.history],
            "best_epoch": self.best_epoch,
            "classes": list(self.classes),
            "seconds": self.seconds,
            "n_parameters": self.n_parameters,
        }

    @classmethod
    def from_record(
        cls, record: Mapping[str, Any], config: ERCConfig, test_ids: list[str], y_true: np.ndarray
    ) -> ERCResult:
        """A result rebuilt from :meth:`to_record` (its ``model`` is None: weights are not stored)."""
        from course_lib.recipes.references import decode_labels

        classes = tuple(record["classes"])
        y_pred = decode_labels(record["y_pred"])
        if len(y_pred) != len(y_true) or len(test_ids) != len(y_true):
            raise ValueError(f"{len(y_pred)} predictions for {len(y_true)} test items")
        return cls(
            config=config,
            seed=int(record["seed"]),
            valid=dict(record["valid"]),
            test=dict(record["test"]),
            per_class_f1=course_metrics.per_class_f1(y_true, y_pred, classes),
            confusion=course_metrics.confusion_matrix(y_true, y_pred, len(classes)),
            test_ids=test_ids,
            y_true=y_true,
            y_pred=y_pred,
            history=list(record["history"]),
            best_epoch=int(record["best_epoch"]),
            classes=classes,
            seconds=float(record["seconds"]),
            n_parameters=int(record["n_parameters"]),
            model=None,
        )

    def summary(self) -> dict[str, float]:
        """Flat numeric results: ``val_<metric>``, ``test_<metric>``, ``best_epoch``, ``epochs``, ``seconds``."""
        out: dict[str, float] = {f"val_{k}": float(v) for k, v in self.valid.items()}
        out.update({f"test_{k}": float(v) for k, v in self.test.items()})
        out.update({"best_epoch": self.best_epoch, "epochs": len(self.history), "seconds": self.seconds})
        return out

    def predictions(self):
        """Test predictions as a pandas table: ``id``, ``true``, ``pred`` (class names) and ``correct``."""
        import pandas as pd

        names = np.asarray(self.classes)
        return pd.DataFrame(
            {
                "id": self.test_ids,
                "true": names[self.y_true],
                "pred": names[self.y_pred],
                "correct": self.y_true == self.y_pred,
            }
        )

    def predicted(self, turn_id: str) -> str:
        """The class predicted for a test turn.

        Raises:
            KeyError: when ``turn_id`` is not a test turn.
        """
        if turn_id not in self.test_ids:
            raise KeyError(f"{turn_id!r} is not a test turn of this run")
        return str(self.classes[int(self.y_pred[self.test_ids.index(turn_id)])])

    def misclassified(self, prefer: Sequence[tuple[str, str]] = ()) -> list[tuple[str, str, str]]:
        """Wrong test predictions ``(turn id, true, predicted)``, those within a ``prefer`` pair first."""
        names = np.asarray(self.classes)
        wrong = [
            (turn_id, str(names[t]), str(names[p]))
            for turn_id, t, p in zip(self.test_ids, self.y_true, self.y_pred)
            if t != p
        ]
        pairs = {frozenset(pair) for pair in prefer}
        return sorted(wrong, key=lambda item: frozenset(item[1:]) not in pairs)  # stable: keeps test order

    def accuracy_by(self, groups: Mapping[str, str]) -> Any:
        """Test accuracy and turn count per group (``groups``: turn id -> group name), as a pandas table."""
        import pandas as pd

        frame = pd.DataFrame(
            {"group": [groups[i] for i in self.test_ids], "correct": self.y_true == self.y_pred}
        )
        return frame.groupby("group")["correct"].agg(accuracy="mean", turns="size")

    def scores(self) -> dict[str, dict[str, float]]:
        """``{"valid": {class: F1, "weighted": F1}, "test": {...}}`` (the widget's format)."""
        return {
            split: {
                **{c: float(metrics[f"f1_{c}"]) for c in self.classes},
                "weighted": float(metrics["weighted_f1"]),
            }
            for split, metrics in (("valid", self.valid), ("test", self.test))
        }


def example_batch(
    config: ERCConfig, data: ERCData, split: str = "train", batch_size: int = 4, seed: int = 0
) -> tuple[nn.Module, dict[str, Any]]:
    """An untrained model of ``config`` and the first ``batch_size`` windows of ``split``, to look inside.

    Shape:
        batch: ``text`` ``(B, n, L)`` token ids or ``(B, n, D)`` vectors, ``audio``
        ``(B, n, T, F)`` frames or ``(B, n, D)`` vectors, ``mask`` ``(B, n)``, ``label`` ``(B,)``.
    """
    from course_lib.runtime import seed_everything

    features = data.features_for(config)
    dataset, _ = _dataset(config, data, split, features)
    batch = next(iter(DataLoader(dataset, batch_size=batch_size, collate_fn=dataset.collate)))
    seed_everything(seed)
    return build_model(config, data, features), batch


def train_erc(
    config: ERCConfig,
    data: ERCData,
    seed: int = 42,
    device: str | torch.device = "cpu",
    progress: bool = False,
    num_threads: int | None = 1,
) -> ERCResult:
    """Train one configuration, select its epoch on validation and evaluate the test split once.

    The same seed, data and device give the same result (weights, shuffling
    and dropout are seeded).

    Args:
        config: What to train.
        data: From :func:`load_erc_data`.
        seed: Seed of the weights, the batch order and dropout.
        device: Torch device (``"auto"`` picks one).
        progress: Show tqdm progress bars.
        num_threads: Torch CPU threads during the run, restored afterwards. The
            default 1 is the fastest for these small recurrent models on a
            shared CPU (several threads mostly wait for each other); None
            leaves the setting unchanged.
    """
    from course_lib.training.trainer import Trainer

    started = time.perf_counter()
    previous_threads = torch.get_num_threads()
    if num_threads:
        torch.set_num_threads(num_threads)
    try:
        features = data.features_for(config)
        loaders = {}
        ids: dict[str, list[str]] = {}
        for split in ("train", "valid", "test"):
            dataset, ids[split] = _dataset(config, data, split, features)
            if split == "train":
                generator = torch.Generator().manual_seed(seed)
                batches = WindowRunSampler(dataset, config.batch_size, config.run_length, generator)
                loaders[split] = DataLoader(dataset, batch_sampler=batches, collate_fn=dataset.collate)
            else:
                loaders[split] = DataLoader(dataset, batch_size=config.batch_size, collate_fn=dataset.collate)
        trainer = Trainer(
            max_epochs=config.max_epochs,
            lr=config.lr,
            patience=config.patience,
            labels=data.classes,
            class_weights=True if config.class_weights else None,
            device=device,
            seed=seed,
            progress=progress,
        )
        history = trainer.fit(lambda: build_model(config, data, features), loaders["train"], loaders["valid"])
        model = trainer.model
        valid = trainer.evaluate(loaders["valid"])
        test = {k: float(v) for k, v in trainer.evaluate(loaders["test"]).items()}
        y_pred, y_true = trainer.predict(loaders["test"], return_targets=True)
        y_pred, y_true = np.asarray(y_pred, dtype=np.int64), np.asarray(y_true, dtype=np.int64)
    finally:
        if num_threads:
            torch.set_num_threads(previous_threads)
    model.eval()
    return ERCResult(
        config=config,
        seed=seed,
        valid={k: float(v) for k, v in valid.items()},
        test=test,
        per_class_f1=course_metrics.per_class_f1(y_true, y_pred, data.classes),
        confusion=course_metrics.confusion_matrix(y_true, y_pred, len(data.classes)),
        test_ids=ids["test"],
        y_true=y_true,
        y_pred=y_pred,
        history=history,
        best_epoch=int(trainer.best_epoch),
        classes=data.classes,
        seconds=round(time.perf_counter() - started, 3),
        n_parameters=sum(p.numel() for p in model.parameters() if p.requires_grad),
        model=model,
    )


def compare(
    configs: Mapping[str, ERCConfig],
    data: ERCData,
    seeds: Sequence[int] = (42, 77),
    device: str | torch.device = "cpu",
    progress: bool = False,
    verbose: bool = False,
    reference: ReferenceSlot | None = None,
    jobs: int | str = "auto",
) -> Comparison:
    """Train several configurations over the same seeds (or load the course's shipped results).

    Args:
        configs: ``{row name: configuration}``.
        data: From :func:`load_erc_data`.
        seeds: One run per seed (the paper averages two).
        device: Torch device.
        progress: Show tqdm progress bars.
        verbose: Print one line per configuration with its time.
        reference: ``course_lib.recipes.references.reference(run, key)``: load
            the shipped full-mode results instead of training when the run asks
            for it and they match (corpus, configurations, seeds), or save them.
        jobs: Runs trained at once on a CPU (``"auto"``: one per core, each on
            one thread; the results do not depend on it).

    Returns:
        A :class:`course_lib.recipes.base.Comparison`: ``summaries`` (mean /
        std of :meth:`ERCResult.summary`, usable by the plots of
        :mod:`course_lib.viz.results`), ``runs`` (the :class:`ERCResult` of every
        seed), ``best()`` on validation and ``claim(...)``.
    """

    def train(config: ERCConfig, seed: int) -> ERCResult:
        return train_erc(config, data, seed=seed, device=device, progress=progress)

    if reference is None or reference.mode != "load":
        for config in configs.values():
            data.features_for(config)  # once, before any parallel run inherits them
    return load_or_compare(
        reference,
        configs,
        train,
        seeds,
        corpus=data.fingerprint(),
        from_record=ERCResult.from_record,
        verbose=verbose,
        store=data.run_store(device),
        jobs=jobs,
        device=device,
    )


def trained_model(result: ERCResult, data: ERCData, device: str | torch.device = "cpu") -> nn.Module:
    """The trained model of a result.

    A result taken from the run store gets its stored weights; a result loaded
    from the shipped references (which carry no weights) is trained again first.
    Training is deterministic on a CPU, so the model trained again is the one
    whose scores were shipped (on another device the scores may differ a little).
    """
    from course_lib.runtime import pick_device

    if result.model is None:
        store = data.run_store(device)
        if store is not None:
            model = build_model(result.config, data, data.features_for(result.config))
            if store.load_weights(result.config, result.seed, model):
                result.model = model.to(pick_device(str(device))).eval()
                return result.model
        print(
            f"the shipped results carry no weights: training {result.config.name} (seed {result.seed}) again"
        )
        result.model = train_erc(result.config, data, seed=result.seed, device=device).model
    return result.model


def modality_reliance(result: ERCResult, data: ERCData, repeats: int = 5, seed: int = 0) -> Any:
    """Test weighted F1 of a trained run intact and with each modality shuffled across the test turns.

    See :func:`course_lib.models.inspect.modality_reliance`; a loaded result is
    trained again first (:func:`trained_model`).
    """
    from course_lib.models.inspect import modality_reliance as reliance

    model = trained_model(result, data).to("cpu")
    features = data.features_for(result.config)
    dataset, _ = _dataset(result.config, data, "test", features)
    batches = DataLoader(dataset, batch_size=result.config.batch_size, collate_fn=dataset.collate)
    return reliance(
        model,
        batches,
        result.config.modalities,
        lambda y_true, y_pred: course_metrics.weighted_f1(y_true, y_pred, data.classes),
        repeats=repeats,
        seed=seed,
    )


def results_table(
    comparison: Comparison | Mapping[str, Mapping[str, Any]],
    classes: Sequence[str] = IEMOCAP_CLASSES,
    split: str = "test",
):
    """Per-class F1 and weighted F1 (means over seeds) of a :func:`compare`, as a pandas table.

    Args:
        comparison: A :class:`Comparison` or its ``summaries``.
        classes: Class columns.
        split: ``"valid"`` (the split choices are made on) or ``"test"``.
    """
    import pandas as pd

    summaries = comparison.summaries if isinstance(comparison, Comparison) else comparison
    split = "val" if split == "valid" else split
    rows = {}
    for name, summary in summaries.items():
        mean = summary["mean"]
        row = {c: mean[f"{split}_f1_{c}"] for c in classes}
        row["weighted"] = mean[f"{split}_weighted_f1"]
        std = summary["std"].get(f"{split}_weighted_f1", float("nan"))
        row["weighted_std"] = std
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def widget_train_fn(
    data: ERCData,
    base: ERCConfig,
    seed: int = 42,
    device: str | torch.device = "cpu",
) -> Callable[[Mapping[str, Any]], dict[str, dict[str, float]]]:
    """A ``train_fn`` for :class:`course_lib.widgets.FusionComparison`.

    The widget's configuration ``{"fusion", "class_weights", "conv_length",
    "audio_features"}`` replaces those fields of ``base`` (``audio_features``
    sets ``audio``); the returned function trains it and gives
    ``{"valid": scores, "test": scores}`` (the widget shows the validation
    scores, and the test ones only when the learner reveals them).
    """

    def train_fn(choice: Mapping[str, Any]) -> dict[str, dict[str, float]]:
        changes = {}
        if "fusion" in choice:
            changes["fusion"] = str(choice["fusion"])
        if "class_weights" in choice:
            changes["class_weights"] = bool(choice["class_weights"])
        if "conv_length" in choice:
            changes["conv_length"] = int(choice["conv_length"])
        if "audio_features" in choice:
            changes["audio"] = str(choice["audio_features"])
        return train_erc(base.replace(**changes), data, seed=seed, device=device).scores()

    return train_fn
