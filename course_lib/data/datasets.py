"""Torch datasets and collate functions for the three corpora.

Features are computed elsewhere (:mod:`course_lib.features`); these datasets
only pair them with labels and batch them. Per-record features are given as a
mapping ``modality -> features`` where ``features`` is either a mapping
``record id -> tensor`` or a sequence of tensors aligned with the records
(numpy arrays are accepted and converted)::

    features = {"text": {"Ses01F_impro01_F000": torch.randn(384), ...},
                "audio": {"Ses01F_impro01_F000": torch.randn(120, 40), ...}}
    dataset = utterance_dataset(dialogues, features)
    loader = DataLoader(dataset, batch_size=16, collate_fn=dataset.collate)

Items and batches are dicts keyed by modality (``"text"``, ``"audio"``,
``"vision"``, ``"image"``) plus ``"label"``, ``"id"`` (a list of str in
batches) and, where relevant, ``"speaker"``. A modality is a *sequence* when its
per-record tensors are at least 2-D with time first, ``(T, D)``: batches pad it
to the longest ``T`` and add ``"<modality>_lengths"`` ``(B,)`` and
``"<modality>_mask"`` ``(B, T)`` (True on real frames). Pooled vectors ``(D,)``
are simply stacked. ``"image"`` tensors ``(C, H, W)`` are never treated as
sequences.

Also here: :class:`ConversationWindowDataset` (the current turn and the
``conv_length - 1`` previous turns of its dialogue, front-padded with a mask)
and :func:`kshot_split` (a within-speaker support/query split for the
personalisation lesson).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from course_lib.data.records import IEMOCAP_CLASSES, MVSA_CLASSES, Dialogue, Post, Sample, Utterance

__all__ = [
    "MODALITIES",
    "ConversationWindowDataset",
    "FeatureDataset",
    "WindowRunSampler",
    "kshot_split",
    "pad_collate",
    "post_dataset",
    "sample_dataset",
    "utterance_dataset",
]

#: Modality keys in the fixed order models iterate them.
MODALITIES: tuple[str, ...] = ("text", "audio", "vision", "image")
_NEVER_SEQUENCE = ("image",)

Features = Mapping[str, "Mapping[str, Any] | Sequence[Any]"]
R = TypeVar("R")


def _tensor(value: Any) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value
    array = np.asarray(value)
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    return torch.from_numpy(np.ascontiguousarray(array))


def _lookup(features: Features, ids: Sequence[str]) -> dict[str, list[torch.Tensor]]:
    """Per-modality tensors aligned with ``ids``.

    Raises:
        KeyError: naming the modality and record id when a feature is missing.
        ValueError: when an aligned sequence has the wrong length.
    """
    table: dict[str, list[torch.Tensor]] = {}
    ordered = [m for m in MODALITIES if m in features] + sorted(m for m in features if m not in MODALITIES)
    for modality in ordered:
        values = features[modality]
        if isinstance(values, Mapping):
            missing = [i for i in ids if i not in values]
            if missing:
                raise KeyError(f"no {modality!r} features for {len(missing)} records, e.g. {missing[:3]}")
            table[modality] = [_tensor(values[i]) for i in ids]
        else:
            if len(values) != len(ids):
                raise ValueError(f"{modality!r} features: {len(values)} entries for {len(ids)} records")
            table[modality] = [_tensor(v) for v in values]
    return table


def _sequence_keys(table: Mapping[str, list[torch.Tensor]]) -> tuple[str, ...]:
    return tuple(
        key for key, values in table.items() if key not in _NEVER_SEQUENCE and values and values[0].dim() >= 2
    )


def _pad_stack(values: Sequence[torch.Tensor]) -> torch.Tensor:
    """Zero-pad tensors of equal rank to their common largest shape and stack them."""
    shape = [max(v.shape[d] for v in values) for d in range(values[0].dim())]
    out = values[0].new_zeros((len(values), *shape))
    for index, value in enumerate(values):
        out[(index, *(slice(0, n) for n in value.shape))] = value
    return out


def pad_collate(batch: Sequence[Mapping[str, Any]], sequence_keys: Sequence[str] = ()) -> dict[str, Any]:
    """Collate dict items into a dict batch.

    Tensors of equal shape are stacked. Keys in ``sequence_keys`` are
    zero-padded to the longest item and, unless the items already carry
    ``"<key>_lengths"``, get ``"<key>_lengths"`` ``(B,)`` (sizes along the first
    dimension) and ``"<key>_mask"`` ``(B, T)``. Non-tensor values (ids) are
    gathered in lists.

    Args:
        batch: Items with the same keys.
        sequence_keys: Keys padded along their first dimension (time).

    Returns:
        The batch; e.g. ``"audio"`` of shape ``(B, T, D)``.

    Raises:
        ValueError: when items have different keys, or tensors outside
            ``sequence_keys`` differ in shape.
    """
    if not batch:
        raise ValueError("cannot collate an empty batch")
    keys = list(batch[0])
    out: dict[str, Any] = {}
    for key in keys:
        try:
            values = [item[key] for item in batch]
        except KeyError:
            raise ValueError(f"batch items have different keys (missing {key!r})") from None
        if not isinstance(values[0], torch.Tensor):
            out[key] = list(values)
            continue
        if len({v.dim() for v in values}) != 1:
            raise ValueError(f"{key!r} tensors have different ranks")
        if len({tuple(v.shape) for v in values}) == 1:
            out[key] = torch.stack(values)
        elif key in sequence_keys:
            out[key] = _pad_stack(values)
        else:
            raise ValueError(
                f"{key!r} tensors differ in shape {sorted({tuple(v.shape) for v in values})}; "
                "list it in sequence_keys to pad it"
            )
        if key in sequence_keys and f"{key}_lengths" not in batch[0]:
            lengths = torch.tensor([v.shape[0] for v in values], dtype=torch.long)
            out[f"{key}_lengths"] = lengths
            out[f"{key}_mask"] = torch.arange(out[key].shape[1])[None, :] < lengths[:, None]
    return out


class FeatureDataset(Dataset):
    """Records with per-modality features and a label.

    Args:
        ids: Record ids.
        features: ``modality -> {id: tensor}`` or ``modality -> [tensor per record]``.
        labels: One label per record: class indices (long) or scores (float).
        speakers: Optional speaker/group index per record (item key ``"speaker"``).
        sequence_keys: Modalities padded as sequences; default: those whose
            tensors are at least 2-D (``"image"`` excluded).

    Items: ``{"id": str, <modality>: Tensor, "label": Tensor[, "speaker": Tensor]}``.
    """

    def __init__(
        self,
        ids: Sequence[str],
        features: Features,
        labels: Sequence[int] | Sequence[float] | np.ndarray | torch.Tensor,
        speakers: Sequence[int] | None = None,
        sequence_keys: Sequence[str] | None = None,
    ) -> None:
        self.ids = list(ids)
        if len(labels) != len(self.ids):
            raise ValueError(f"{len(labels)} labels for {len(self.ids)} records")
        if speakers is not None and len(speakers) != len(self.ids):
            raise ValueError(f"{len(speakers)} speakers for {len(self.ids)} records")
        self.features = _lookup(features, self.ids)
        self.labels = _tensor(labels)
        self.speakers = None if speakers is None else torch.as_tensor(list(speakers), dtype=torch.long)
        self.sequence_keys = (
            tuple(sequence_keys) if sequence_keys is not None else _sequence_keys(self.features)
        )

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int) -> dict[str, Any]:
        item: dict[str, Any] = {"id": self.ids[index]}
        for modality, values in self.features.items():
            item[modality] = values[index]
        item["label"] = self.labels[index]
        if self.speakers is not None:
            item["speaker"] = self.speakers[index]
        return item

    @property
    def collate(self) -> Callable[[Sequence[Mapping[str, Any]]], dict[str, Any]]:
        """``collate_fn`` for a DataLoader: :func:`pad_collate` with this dataset's sequence keys."""
        return partial(pad_collate, sequence_keys=self.sequence_keys)


def _index(values: Sequence[Hashable]) -> tuple[list[Hashable], list[int]]:
    names = sorted(set(values))
    position = {name: i for i, name in enumerate(names)}
    return names, [position[v] for v in values]


def _flatten(records: Sequence[Dialogue] | Sequence[Utterance]) -> list[Utterance]:
    flat: list[Utterance] = []
    for record in records:
        flat.extend(record.utterances if isinstance(record, Dialogue) else [record])
    return flat


def utterance_dataset(
    records: Sequence[Dialogue] | Sequence[Utterance],
    features: Features,
    classes: Sequence[str] = IEMOCAP_CLASSES,
) -> FeatureDataset:
    """Labelled IEMOCAP turns (masked turns, ``label=None``, are left out).

    Args:
        records: Dialogues or utterances.
        features: ``modality -> {utterance id: tensor}``.
        classes: Class order; ``label`` is the index in it.

    Returns:
        A :class:`FeatureDataset` with ``speaker`` indices; its ``speaker_names``
        attribute lists the speakers and ``left_out`` counts the masked turns.
    """
    turns = _flatten(records)
    kept = [u for u in turns if u.label is not None and u.label in classes]
    names, speakers = _index([u.speaker for u in kept])
    dataset = FeatureDataset(
        [u.id for u in kept],
        features,
        torch.tensor([classes.index(u.label) for u in kept], dtype=torch.long),
        speakers=speakers,
    )
    dataset.speaker_names = names
    dataset.left_out = len(turns) - len(kept)
    return dataset


def sample_dataset(
    samples: Sequence[Sample],
    features: Features | None = None,
    modalities: Sequence[str] = ("text_bert", "audio", "vision"),
) -> FeatureDataset:
    """MOSI/MOSEI segments with regression labels in [-3, 3].

    By default the items carry the segment's own arrays: ``"text_bert"``
    ``(3, L)`` token rows (long), ``"audio"`` ``(Ta, da)`` and ``"vision"``
    ``(Tv, dv)`` (padded as sequences). ``features`` adds or replaces
    modalities (e.g. ``"text"`` encoder outputs). ``speaker`` indexes the video.
    """
    own: dict[str, list[Any]] = {}
    for modality in modalities:
        if modality == "text_bert":
            own[modality] = [torch.as_tensor(np.asarray(s.text_bert), dtype=torch.long) for s in samples]
        else:
            own[modality] = [getattr(s, modality) for s in samples]
    merged: dict[str, Any] = {**own, **(features or {})}
    names, speakers = _index([s.video_id for s in samples])
    sequence_keys = tuple(k for k in merged if k not in ("text_bert", *_NEVER_SEQUENCE))
    probe = _lookup(merged, [s.id for s in samples]) if samples else {}
    sequence_keys = tuple(k for k in sequence_keys if probe and probe[k][0].dim() >= 2)
    dataset = FeatureDataset(
        [s.id for s in samples],
        merged,
        torch.tensor([s.label for s in samples], dtype=torch.float32),
        speakers=speakers,
        sequence_keys=sequence_keys,
    )
    dataset.speaker_names = names
    return dataset


def post_dataset(
    posts: Sequence[Post], features: Features, classes: Sequence[str] = MVSA_CLASSES
) -> FeatureDataset:
    """MVSA posts with ``"text"``/``"image"`` features and the cleaned label's index."""
    return FeatureDataset(
        [p.id for p in posts],
        features,
        torch.tensor([classes.index(p.label) for p in posts], dtype=torch.long),
    )


class ConversationWindowDataset(Dataset):
    """Each labelled turn with the turns before it in its dialogue.

    An item is the window of the current turn and its ``conv_length - 1``
    predecessors (all turns count as context, labelled or not), oldest first
    and front-padded with zeros when the dialogue has fewer::

        conv_length = 3, third turn of a dialogue:  [t1, t2, t3]
        first turn:                                 [pad, pad, t1]

    Items hold, per modality, ``(n, D)`` for pooled turn features or
    ``(n, T, D)`` for sequences (with ``"<modality>_lengths"`` ``(n,)``, 0 on
    padding); ``"mask"`` ``(n,)`` (True on real turns), ``"turn_index"``
    ``(n,)`` (each slot's turn, -1 on padding: slots with the same index hold
    the same inputs, so a model may embed them once per batch),
    ``"same_speaker"`` ``(n,)`` (context turn spoken by the current speaker),
    ``"label"``, ``"speaker"`` and ``"id"`` (the current turn's).

    Args:
        dialogues: Dialogues with ordered turns.
        features: ``modality -> {utterance id: tensor}`` for every turn.
        conv_length: Window size n (>= 1; 1 means no context).
        classes: Class order of ``label``.

    Shape:
        Batched: ``(B, n, D)`` or ``(B, n, T, D)``, ``mask`` ``(B, n)``.
    """

    def __init__(
        self,
        dialogues: Sequence[Dialogue],
        features: Features,
        conv_length: int,
        classes: Sequence[str] = IEMOCAP_CLASSES,
    ) -> None:
        if conv_length < 1:
            raise ValueError(f"conv_length must be >= 1, got {conv_length}")
        self.conv_length = conv_length
        self.classes = tuple(classes)
        turns = _flatten(dialogues)
        self.turn_ids = [u.id for u in turns]
        self.features = _lookup(features, self.turn_ids)
        self.sequence_keys = _sequence_keys(self.features)
        self.speaker_names, speaker_index = _index([u.speaker for u in turns])
        self.windows: list[tuple[int, list[int]]] = []
        self.window_dialogue: list[int] = []
        self.left_out = 0
        position = 0
        for number, dialogue in enumerate(dialogues):
            indices = list(range(position, position + len(dialogue.utterances)))
            position += len(dialogue.utterances)
            for offset, utterance in enumerate(dialogue.utterances):
                if utterance.label is None or utterance.label not in self.classes:
                    self.left_out += 1
                    continue
                self.windows.append((indices[offset], indices[max(0, offset - conv_length + 1) : offset + 1]))
                self.window_dialogue.append(number)
        self._turns = turns
        self._speaker_index = speaker_index

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, index: int) -> dict[str, Any]:
        current, context = self.windows[index]
        n, pad = self.conv_length, self.conv_length - len(context)
        item: dict[str, Any] = {"id": self.turn_ids[current]}
        for modality, values in self.features.items():
            turns = [values[i] for i in context]
            template = turns[0]
            if modality in self.sequence_keys:
                longest = max(t.shape[0] for t in turns)
                window = template.new_zeros((n, longest, *template.shape[1:]))
                lengths = torch.zeros(n, dtype=torch.long)
                for slot, turn in enumerate(turns, start=pad):
                    window[slot, : turn.shape[0]] = turn
                    lengths[slot] = turn.shape[0]
                item[modality] = window
                item[f"{modality}_lengths"] = lengths
            else:
                window = template.new_zeros((n, *template.shape))
                window[pad:] = torch.stack(turns)
                item[modality] = window
        mask = torch.zeros(n, dtype=torch.bool)
        mask[pad:] = True
        speaker = self._turns[current].speaker
        same = torch.zeros(n, dtype=torch.bool)
        same[pad:] = torch.tensor([self._turns[i].speaker == speaker for i in context])
        turn_index = torch.full((n,), -1, dtype=torch.long)
        turn_index[pad:] = torch.tensor(context, dtype=torch.long)
        item["mask"] = mask
        item["turn_index"] = turn_index
        item["same_speaker"] = same
        item["label"] = torch.tensor(self.classes.index(self._turns[current].label), dtype=torch.long)
        item["speaker"] = torch.tensor(self._speaker_index[current], dtype=torch.long)
        return item

    @property
    def collate(self) -> Callable[[Sequence[Mapping[str, Any]]], dict[str, Any]]:
        """``collate_fn`` padding sequence modalities along their time dimension."""
        return partial(pad_collate, sequence_keys=self.sequence_keys)

    def runs(self, run_length: int) -> list[list[int]]:
        """The windows cut into runs of at most ``run_length`` consecutive windows of one dialogue.

        Consecutive windows share ``conv_length - 1`` context turns, so a batch of
        runs holds fewer distinct turns than a batch of scattered windows.
        """
        if run_length < 1:
            raise ValueError(f"run_length must be >= 1, got {run_length}")
        runs: list[list[int]] = []
        for index, dialogue in enumerate(self.window_dialogue):
            if runs and len(runs[-1]) < run_length and self.window_dialogue[runs[-1][-1]] == dialogue:
                runs[-1].append(index)
            else:
                runs.append([index])
        return runs


class WindowRunSampler(Sampler[list[int]]):
    """Training batches drawn as runs of consecutive windows, the runs in a new random order each epoch.

    With ``run_length`` 1 every window is drawn on its own (a plain shuffle).
    With longer runs a batch holds several stretches of dialogue: their windows
    share context turns, which a model embeds once per batch (see
    ``"turn_index"`` of :class:`ConversationWindowDataset`).

    Args:
        dataset: The windows.
        batch_size: Windows per batch (the last batch may be smaller).
        run_length: Consecutive windows per run.
        generator: Seeded generator of the run order; it advances every epoch.
    """

    def __init__(
        self,
        dataset: ConversationWindowDataset,
        batch_size: int,
        run_length: int = 1,
        generator: torch.Generator | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.runs = dataset.runs(run_length)
        self.batch_size = batch_size
        self.generator = generator
        self.size = len(dataset)

    def __iter__(self):
        order = torch.randperm(len(self.runs), generator=self.generator).tolist()
        windows = [window for run in order for window in self.runs[run]]
        for start in range(0, len(windows), self.batch_size):
            yield windows[start : start + self.batch_size]

    def __len__(self) -> int:
        return math.ceil(self.size / self.batch_size)


def _default_group(record: Any) -> Hashable:
    for attribute in ("speaker", "video_id"):
        if hasattr(record, attribute):
            return getattr(record, attribute)
    raise TypeError(f"{type(record).__name__} has no speaker or video_id; pass key=...")


def kshot_split(
    records: Sequence[R],
    k: int,
    seed: int = 0,
    key: Callable[[R], Hashable] | None = None,
) -> tuple[list[R], list[R]]:
    """Within-speaker k-shot split: k support records per speaker, the rest as query.

    For each group (default: ``record.speaker``, else ``record.video_id``),
    ``k`` records drawn at random (seeded) form the support set used to adapt
    a model to that speaker; the group's other records form the query set it
    is evaluated on. Groups with ``k`` records or fewer go entirely to the
    support set. Both lists keep the records' original order.

    Args:
        records: Utterances, samples, or any records.
        k: Support records per group (>= 0).
        seed: Seed of the draw; the same seed gives the same split.
        key: Group of a record.

    Returns:
        ``(support, query)``.
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    key = key or _default_group
    groups: dict[Hashable, list[int]] = {}
    for index, record in enumerate(records):
        groups.setdefault(key(record), []).append(index)
    rng = np.random.default_rng(seed)
    support: set[int] = set()
    for group in sorted(groups, key=repr):
        members = groups[group]
        chosen = rng.permutation(len(members))[:k]
        support.update(members[i] for i in chosen)
    return (
        [r for i, r in enumerate(records) if i in support],
        [r for i, r in enumerate(records) if i not in support],
    )
