"""Sequence features of an MMSA pickle (CMU-MOSI, CMU-MOSEI) in one call, for the sequence-model lessons.

:func:`load_sequences` reads ``aligned_50.pkl`` or ``unaligned_50.pkl`` and
returns a :class:`SequenceData`: every clip's ``text``, ``audio`` and
``vision`` as ``(T, D)`` float32 arrays holding only the clip's real steps,
plus the clips themselves (:class:`~course_lib.data.records.Sample`) per split.

Text, from the token ids of ``text_bert`` and the raw transcript:

* ``"glove"`` -- one GloVe 6B 50-d vector per word piece: the transcript is
  re-tokenised word by word with the MiniLM tokenizer, so each word-piece
  position gets the vector of the word it belongs to (a word GloVe lacks gets
  zeros); the closest offline stand-in for the GloVe word features of CMU-MOSI;
* ``"minilm_tokens"`` -- frozen MiniLM-L6 token states (384-d) per word piece;
* ``"minilm_pooled"`` -- their mask-aware mean, one step ``(1, 384)``.

[CLS] and [SEP] are dropped. On request (``extra_text``), the states that
enter MiniLM's last layer (``"minilm_pretail"``, see
:mod:`course_lib.features.tails`) come under their own key ``text_pretail``:
they keep [CLS] and [SEP], which the last layer's attention sees, so they are
two rows longer than ``text`` and never replace it. In the aligned file the audio and vision rows sit
at the same token positions, so the three modalities of a clip have the same
length; in the unaligned file audio (100 frames/s) and vision (30 frames/s)
keep their own frames, optionally averaged to ``pool_hz`` frames per second.

Audio and vision are standardised per feature with the mean and standard
deviation of the **training split's** real frames (:attr:`SequenceData.stats`),
never with statistics that have seen validation or test clips. Text features are
cached on disk through :func:`course_lib.features.cache.extract` (the MiniLM
states are the only costly step); audio and vision need only numpy.

:meth:`SequenceData.dataset` turns clips into a torch dataset whose items carry
an integer ``index`` (the position in that dataset) and a ``user`` id, and whose
``collate`` pads every modality and adds ``<modality>_lengths`` and
``<modality>_mask`` (True on real steps).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from course_lib.data import mmsa
from course_lib.data.datasets import FeatureDataset
from course_lib.data.records import Sample

__all__ = [
    "EXTRA_TEXT_KINDS",
    "FRAME_RATES",
    "TEXT_KINDS",
    "SequenceData",
    "SequenceDataset",
    "TextSequences",
    "load_sequences",
    "pool_frames_to",
    "standardise",
    "word_piece_spans",
    "word_pieces",
]

TEXT_KINDS = ("glove", "minilm_tokens", "minilm_pooled")
#: Text kinds loaded beside ``text`` on request, each under its own key (rows include [CLS] and [SEP]).
EXTRA_TEXT_KINDS: dict[str, str] = {"minilm_pretail": "text_pretail"}
MODALITIES = ("text", "audio", "vision")
#: Frames per second of the unaligned MMSA features (COVAREP 100 Hz, Facet 30 Hz in the generated corpus).
FRAME_RATES: dict[str, float] = {"audio": 100.0, "vision": 30.0}


def word_piece_spans(text_bert: np.ndarray) -> tuple[int, int]:
    """``(start, stop)`` of the word pieces in a ``text_bert`` row set: [CLS] and [SEP] left out.

    At least one position is kept (an empty transcript keeps its [SEP] slot,
    whose aligned features are zeros), so every sequence has a real step.

    Shape:
        text_bert ``(3, L)``: ids, mask, segment ids.
    """
    n_tokens = int(np.asarray(text_bert)[1].sum())
    return 1, max(2, n_tokens - 1)


def word_pieces(sample: Sample) -> list[str]:
    """The clip's word pieces, one per text step (the MiniLM vocabulary; [CLS] and [SEP] left out)."""
    from transformers import AutoTokenizer

    from course_lib.features import assets

    tokenizer = AutoTokenizer.from_pretrained(str(assets.minilm_dir()))
    start, stop = word_piece_spans(sample.text_bert)
    return tokenizer.convert_ids_to_tokens([int(i) for i in sample.text_bert[0][start:stop]])


def pool_frames_to(frames: np.ndarray, rate: float, target_hz: float) -> np.ndarray:
    """Average consecutive frames so that ``rate`` frames per second become ``target_hz``.

    The last window may be shorter; a clip keeps at least one frame.

    Shape:
        ``(T, D)`` -> ``(ceil(T / w), D)`` with ``w = round(rate / target_hz)``.
    """
    if target_hz <= 0 or rate <= 0:
        raise ValueError(f"rates must be positive, got rate={rate}, target_hz={target_hz}")
    width = max(1, round(rate / target_hz))
    if width == 1 or len(frames) == 0:
        return frames
    starts = np.arange(0, len(frames), width)
    sums = np.add.reduceat(frames, starts, axis=0)
    counts = np.diff(np.append(starts, len(frames)))[:, None]
    return (sums / counts).astype(np.float32)


def standardise(
    train: Sequence[np.ndarray], *others: Sequence[np.ndarray]
) -> tuple[tuple[np.ndarray, np.ndarray], list[list[np.ndarray]]]:
    """Standardise frames with the mean and std of the training frames (a constant feature keeps std 1).

    Returns:
        ``((mean, std), [train, *others] standardised)``.

    Shape:
        each item ``(T, D)``; mean and std ``(D,)``.
    """
    stacked = np.concatenate([np.asarray(x, dtype=np.float64) for x in train])
    mean, std = stacked.mean(0), stacked.std(0)
    std = np.where(std > 1e-8, std, 1.0)
    out = [[((x - mean) / std).astype(np.float32) for x in group] for group in (train, *others)]
    return (mean.astype(np.float32), std.astype(np.float32)), out


# --------------------------------------------------------------------------- text


def _word_vectors(words: Sequence[str]) -> dict[str, np.ndarray]:
    """GloVe vector of each distinct word: mean of its GloVe tokens' vectors, zeros when none is known."""
    from course_lib.features import assets
    from course_lib.features.text import glove_index, tokenize

    vectors = np.load(assets.glove_files()[0], mmap_mode="r")
    index = glove_index()
    out = {}
    for word in dict.fromkeys(words):
        rows = [index[t] for t in tokenize(word, punctuation=False) if t in index]
        out[word] = (
            np.asarray(vectors[sorted(rows)], dtype=np.float32).mean(0)
            if rows
            else np.zeros(vectors.shape[1], np.float32)
        )
    return out


@dataclass
class TextSequences:
    """A cacheable extractor (see :mod:`course_lib.features.cache`): text steps per word piece of MMSA clips.

    Attributes:
        kind: One of :data:`TEXT_KINDS` or :data:`EXTRA_TEXT_KINDS`.
        batch_size: Transcripts per MiniLM forward pass.
    """

    kind: str = "glove"
    batch_size: int = 64
    variable_length = True

    def __post_init__(self) -> None:
        if self.kind not in (*TEXT_KINDS, *EXTRA_TEXT_KINDS):
            raise ValueError(f"text must be one of {TEXT_KINDS + tuple(EXTRA_TEXT_KINDS)}, got {self.kind!r}")

    @property
    def name(self) -> str:
        """Cache folder name."""
        return f"mmsa-text-{self.kind}"

    def config_dict(self) -> dict[str, Any]:
        """Everything that changes the output."""
        return {"kind": self.kind, "encoder": "all-MiniLM-L6-v2", "glove": "6B.50d", "version": 1}

    def __call__(self, records: Sequence[Sample]) -> list[np.ndarray]:
        """``(T, D)`` float32 per clip, ``T`` its word pieces (1 for ``minilm_pooled``, ``T + 2`` for ``minilm_pretail``)."""
        if self.kind == "glove":
            return self._glove(records)
        return self._minilm(records)

    def _glove(self, records: Sequence[Sample]) -> list[np.ndarray]:
        from transformers import AutoTokenizer

        from course_lib.features import assets

        tokenizer = AutoTokenizer.from_pretrained(str(assets.minilm_dir()))
        words = [r.raw_text.split() for r in records]
        table = _word_vectors([w for ws in words for w in ws])
        dim = len(next(iter(table.values()))) if table else 50
        out = []
        for record, clip_words in zip(records, words):
            start, stop = word_piece_spans(record.text_bert)
            length = len(record.text_bert[0])
            word_ids = (
                tokenizer(clip_words, is_split_into_words=True, truncation=True, max_length=length).word_ids()
                if clip_words
                else []
            )
            rows = []
            for position in range(start, stop):
                word = word_ids[position] if position < len(word_ids) else None
                rows.append(table[clip_words[word]] if word is not None else np.zeros(dim, np.float32))
            out.append(np.stack(rows).astype(np.float32))
        return out

    def _minilm(self, records: Sequence[Sample]) -> list[np.ndarray]:
        from course_lib.features.text import TextEncoder

        encoder = TextEncoder(max_length=len(records[0].text_bert[0]) if records else 128)
        if self.kind == "minilm_pretail":
            from course_lib.features.tails import PreTailTokenStates

            return PreTailTokenStates(encoder, self.batch_size)([r.raw_text for r in records])
        out = []
        for begin in range(0, len(records), self.batch_size):
            chunk = records[begin : begin + self.batch_size]
            states, mask = encoder.token_states([r.raw_text for r in chunk])
            for row, valid in zip(states.float().numpy(), mask.numpy()):
                steps = row[1 : max(2, int(valid.sum()) - 1)]
                out.append(steps.mean(0, keepdims=True) if self.kind == "minilm_pooled" else steps)
        return [np.ascontiguousarray(x, dtype=np.float32) for x in out]


# --------------------------------------------------------------------------- frames


def _frames(sample: Sample, modality: str, aligned: bool, pool_hz: float | None) -> np.ndarray:
    frames = np.asarray(getattr(sample, modality), dtype=np.float32)
    if aligned:
        start, stop = word_piece_spans(sample.text_bert)
        return frames[start:stop]
    if len(frames) == 0:
        frames = np.zeros((1, frames.shape[-1]), np.float32)
    return pool_frames_to(frames, FRAME_RATES[modality], pool_hz) if pool_hz else frames


# --------------------------------------------------------------------------- the data


class SequenceDataset(FeatureDataset):
    """Clips as dict items with padding-aware collation.

    Items: ``{"id", "text", "audio", "vision", "label", "index", "user"}``;
    ``index`` is the item's position in this dataset (to look up per-item
    values such as a teacher's cached predictions), ``user`` the id given by
    the ``users`` mapping (0 for a user it lacks: the generic user).

    Shape:
        text ``(T, Dt)``, audio ``(Ta, Da)``, vision ``(Tv, Dv)``; after
        :attr:`collate`: ``(B, T, D)`` plus ``<m>_lengths`` ``(B,)`` and ``<m>_mask`` ``(B, T)``.
    """

    def __init__(
        self,
        samples: Sequence[Sample],
        features: Mapping[str, Mapping[str, np.ndarray]],
        users: Mapping[Hashable, int] | None = None,
    ) -> None:
        super().__init__(
            [s.id for s in samples],
            features,
            np.array([s.label for s in samples], dtype=np.float32),
            speakers=[int((users or {}).get(s.video_id, 0)) for s in samples],
            sequence_keys=tuple(features),
        )
        self.samples = list(samples)

    def __getitem__(self, index: int) -> dict[str, Any]:
        item = super().__getitem__(index)
        item["user"] = item.pop("speaker")
        item["index"] = torch.tensor(index, dtype=torch.long)
        return item

    def loader(
        self, batch_size: int = 32, shuffle: bool = False, seed: int = 0
    ) -> torch.utils.data.DataLoader:
        """A DataLoader over this dataset (shuffled with its own seeded generator when ``shuffle``)."""
        generator = torch.Generator().manual_seed(seed) if shuffle else None
        return torch.utils.data.DataLoader(
            self, batch_size=batch_size, shuffle=shuffle, collate_fn=self.collate, generator=generator
        )


@dataclass
class SequenceData:
    """Clips of an MMSA corpus and their sequence features (see the module docstring).

    Attributes:
        path: The pickle read.
        splits: ``{"train": [Sample], "valid": [...], "test": [...]}``.
        features: ``{modality: {clip id: (T, D) float32}}`` over all splits.
        stats: ``{modality: (mean, std)}`` of the training frames used to standardise audio and vision.
        text: The text kind.
        aligned: Whether the modalities share the word-piece time axis.
    """

    path: Path
    splits: dict[str, list[Sample]]
    features: dict[str, dict[str, np.ndarray]]
    stats: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    text: str = "glove"
    aligned: bool = True

    @property
    def dims(self) -> dict[str, int]:
        """Features per step of each modality."""
        return {m: int(next(iter(v.values())).shape[-1]) for m, v in self.features.items()}

    def samples(self, split: str) -> list[Sample]:
        """The clips of one split."""
        if split not in self.splits:
            raise KeyError(f"no split {split!r}; splits: {list(self.splits)}")
        return self.splits[split]

    def dataset(
        self, samples: Sequence[Sample] | str, users: Mapping[Hashable, int] | None = None
    ) -> SequenceDataset:
        """A :class:`SequenceDataset` of some clips (or of a split, by name)."""
        chosen = self.samples(samples) if isinstance(samples, str) else list(samples)
        return SequenceDataset(chosen, self.features, users)

    def with_extra_text(
        self, kind: str, cache_dir: str | Path | None = None, progress: bool = False
    ) -> SequenceData:
        """A copy that also holds one kind of :data:`EXTRA_TEXT_KINDS` (itself when it already does).

        Shape:
            ``features["text_pretail"]``: ``(T + 2, 384)`` per clip for ``"minilm_pretail"``.
        """
        if kind not in EXTRA_TEXT_KINDS:
            raise ValueError(f"extra text must be one of {tuple(EXTRA_TEXT_KINDS)}, got {kind!r}")
        if EXTRA_TEXT_KINDS[kind] in self.features:
            return self
        every = [s for split in self.splits.values() for s in split]
        extra = {EXTRA_TEXT_KINDS[kind]: _text_steps(every, kind, cache_dir, progress)}
        return dataclasses.replace(self, features={**self.features, **extra})

    def truncated(self, max_len: int) -> SequenceData:
        """A copy keeping at most the first ``max_len`` steps of every clip (the seq2seq lesson's T).

        Shape:
            each feature ``(T, D)`` -> ``(min(T, max_len), D)``.
        """
        if max_len < 1:
            raise ValueError(f"max_len must be at least 1, got {max_len}")
        features = {m: {i: x[:max_len] for i, x in v.items()} for m, v in self.features.items()}
        return dataclasses.replace(self, features=features)

    def unstandardised(self) -> SequenceData:
        """A copy whose audio and vision are back in their raw units (``x * std + mean``), stats emptied.

        Raw units (f0 in Hz next to energies in dB) are what an LSTM sees when
        nobody standardises; lesson 09 trains its baselines on both.
        """
        features = dict(self.features)
        for modality, (mean, std) in self.stats.items():
            features[modality] = {
                i: (x * std + mean).astype(np.float32) for i, x in self.features[modality].items()
            }
        return dataclasses.replace(self, features=features, stats={})


def _text_steps(
    clips: Sequence[Sample], kind: str, cache_dir: str | Path | None, progress: bool
) -> dict[str, np.ndarray]:
    """``{clip id: (T, D)}`` of one text kind, through the feature cache when ``cache_dir`` is given."""
    extractor = TextSequences(kind)
    if cache_dir is None:
        steps = extractor(clips)
    else:
        from course_lib.features.cache import extract

        steps = [np.array(x) for x in extract(clips, extractor, cache_dir, progress=progress)]
    return {s.id: x for s, x in zip(clips, steps)}


def load_sequences(
    path: str | Path,
    text: str = "glove",
    pool_hz: float | None = None,
    cache_dir: str | Path | None = None,
    progress: bool = False,
    extra_text: Sequence[str] = (),
) -> SequenceData:
    """Sequence features of every clip of an MMSA pickle, in one call.

    Args:
        path: ``aligned_50.pkl`` or ``unaligned_50.pkl`` (any MMSA pickle).
        text: One of :data:`TEXT_KINDS`.
        pool_hz: Unaligned files only: average audio and vision frames to this
            many per second (e.g. 10); None keeps every frame.
        cache_dir: Where text features are cached (``run.cache_dir``); None
            computes them without caching.
        progress: Show a progress bar while computing text features.
        extra_text: Kinds of :data:`EXTRA_TEXT_KINDS` to load as well, each under its key
            (``"minilm_pretail"`` -> ``features["text_pretail"]``, ``(T + 2, 384)`` per clip).

    Returns:
        The clips and their features, audio and vision standardised with
        training statistics.

    Raises:
        course_lib.data.mmsa.MMSAError: for a file that is not a valid MMSA pickle (its name in the message).
        ValueError: for an unknown ``text`` kind, or ``pool_hz`` with an aligned file.
    """
    path = Path(path)
    if text not in TEXT_KINDS:
        raise ValueError(f"text must be one of {TEXT_KINDS}, got {text!r}")
    unknown = [k for k in extra_text if k not in EXTRA_TEXT_KINDS]
    if unknown:
        raise ValueError(f"extra_text must come from {tuple(EXTRA_TEXT_KINDS)}, got {unknown}")
    splits = mmsa.load(path)
    every = [s for split in splits.values() for s in split]
    aligned = all(len(s.audio) == len(s.text_bert[0]) == len(s.vision) for s in every)
    if aligned and pool_hz:
        raise ValueError(f"{path}: pool_hz applies to unaligned files; this one is aligned to word pieces")
    features: dict[str, dict[str, np.ndarray]] = {"text": _text_steps(every, text, cache_dir, progress)}
    stats = {}
    names = ["train"] + [name for name in splits if name != "train"]
    for modality in ("audio", "vision"):
        frames = [[_frames(s, modality, aligned, pool_hz) for s in splits[name]] for name in names]
        stats[modality], scaled = standardise(*frames)
        features[modality] = {
            s.id: x for name, group in zip(names, scaled) for s, x in zip(splits[name], group)
        }
    for kind in extra_text:
        features[EXTRA_TEXT_KINDS[kind]] = _text_steps(every, kind, cache_dir, progress)
    return SequenceData(path, splits, features, stats, text, aligned)
