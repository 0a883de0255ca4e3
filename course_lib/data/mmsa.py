"""Loader for MMSA pickles (CMU-MOSI, CMU-MOSEI, CH-SIMS): ``aligned_50.pkl``, ``unaligned_50.pkl``.

The file is a pickled dict ``{"train": {...}, "valid": {...}, "test": {...}}``.
Each split holds (N segments):

=======================  ==========================================================  ========
key                      content                                                     required
=======================  ==========================================================  ========
raw_text                 N transcripts (list or array of str)                        yes
text_bert                ``(N, 3, L)`` rows input ids, input mask, segment ids        yes
audio                    float ``(N, Ta, da)`` frame features                        yes
vision                   float ``(N, Tv, dv)`` frame features                        yes
id                       N ids ``"video_id$_$clip_id"``                              yes
regression_labels        N sentiment scores in [-3, 3] (SIMS: [-1, 1])                yes
text                     float ``(N, L, 768)`` BERT token features                   no
audio_lengths            N valid audio frames per segment (unaligned files)          no
vision_lengths           N valid vision frames per segment (unaligned files)         no
annotations              N of ``"Negative"``/``"Neutral"``/``"Positive"``            no
classification_labels    N of 0/1/2 (deprecated in MMSA)                             no
regression_labels_T/A/V  N unimodal scores (CH-SIMS)                                 no
=======================  ==========================================================  ========

The course's models read ``text_bert`` (token ids for the MiniLM/BERT encoder);
``text`` is kept when present but not needed, and the generated corpus omits it.

Safety: a pickle can run arbitrary code when loaded, so the file is read with a
restricted unpickler (:class:`SafeUnpickler`) that admits only the numpy
callables which rebuild arrays and scalars, plus ``_codecs.encode`` (protocol 2
bytes). Any other global is refused with :class:`UnsafePickleError` naming the
file and the global, before anything is called.

Cleaning: as MMSA does, ``-inf``, ``inf`` and NaN values in ``audio``,
``vision`` and ``text`` are set to 0; :class:`MMSAReport` counts them per split
and key. With ``audio_lengths``/``vision_lengths``, a :class:`Sample` holds only
the valid (leading) frames, as MMSA's packed sequences use them.

Consistency: an id repeated within or across splits and an annotation that
contradicts the sign of its regression label (:func:`annotation_of`) are
counted in :class:`MMSAReport` (with a few examples) and logged as a warning;
with ``strict=True`` the first one raises :class:`MMSAFormatError` instead.

Any other problem (not a pickle, missing split or key, wrong rank, lengths that
disagree, labels that are not finite or outside [-3, 3], annotations other than
``Negative``/``Neutral``/``Positive``) raises :class:`MMSAFormatError` naming
the file, split and key (and entry).
"""

from __future__ import annotations

import io
import logging
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from course_lib.data.records import Sample

__all__ = [
    "ALLOWED_GLOBALS",
    "ANNOTATIONS",
    "FEATURE_KEYS",
    "LABEL_RANGE",
    "SPLITS",
    "UNIMODAL",
    "MMSAError",
    "MMSAFormatError",
    "MMSAReport",
    "SafeUnpickler",
    "UnsafePickleError",
    "annotation_of",
    "load",
    "load_arrays",
    "read_pickle",
]

LOG = logging.getLogger(__name__)

SPLITS: tuple[str, ...] = ("train", "valid", "test")
#: Suffixes of the optional unimodal label keys ``regression_labels_T/A/V``.
UNIMODAL: tuple[str, ...] = ("T", "A", "V")
#: Float feature arrays whose non-finite values are set to 0: key -> rank.
FEATURE_KEYS: dict[str, int] = {"audio": 3, "vision": 3, "text": 3}
_REQUIRED = ("raw_text", "text_bert", "audio", "vision", "id", "regression_labels")
_STRING_KEYS = ("raw_text", "id", "annotations")
_LABEL_KEYS = ("regression_labels", "regression_labels_T", "regression_labels_A", "regression_labels_V")
LABEL_RANGE = (-3.0, 3.0)
ANNOTATIONS = ("Negative", "Neutral", "Positive")
_VECTOR_KEYS = (
    "regression_labels",
    "classification_labels",
    "audio_lengths",
    "vision_lengths",
    "regression_labels_T",
    "regression_labels_A",
    "regression_labels_V",
)

#: ``(module, name)`` pairs the restricted unpickler admits. ``numpy.core`` is
#: the numpy 1.x spelling of ``numpy._core`` found in older files.
ALLOWED_GLOBALS: frozenset[tuple[str, str]] = frozenset(
    [
        (prefix + ".multiarray", name)
        for prefix in ("numpy.core", "numpy._core")
        for name in ("_reconstruct", "scalar")
    ]
    + [(prefix + ".numeric", "_frombuffer") for prefix in ("numpy.core", "numpy._core")]
    + [("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")]
)


class MMSAError(ValueError):
    """Base class of the MMSA loader's errors."""


class UnsafePickleError(MMSAError):
    """The pickle refers to a global outside :data:`ALLOWED_GLOBALS`."""


class MMSAFormatError(MMSAError):
    """The file is not a valid MMSA pickle (the message names file, split and key)."""


@dataclass
class MMSAReport:
    """Counts of what the loader cleaned or found inconsistent.

    Attributes:
        nonfinite: ``"split/key"`` -> number of non-finite values set to 0.
        samples: split -> number of segments.
        duplicate_ids: split -> segments whose id already appeared (in this
            split or an earlier one); they are kept.
        annotation_mismatches: split -> segments whose annotation contradicts
            the sign of their regression label; they are kept as written.
        examples: A few descriptions of the inconsistencies.
    """

    nonfinite: dict[str, int] = field(default_factory=dict)
    samples: dict[str, int] = field(default_factory=dict)
    duplicate_ids: dict[str, int] = field(default_factory=dict)
    annotation_mismatches: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    max_examples = 10

    @property
    def total_nonfinite(self) -> int:
        """All non-finite values replaced, over splits and keys."""
        return sum(self.nonfinite.values())

    @property
    def inconsistencies(self) -> int:
        """Repeated ids plus contradicting annotations, over splits."""
        return sum(self.duplicate_ids.values()) + sum(self.annotation_mismatches.values())

    def note(self, counts: dict[str, int], split: str, message: str) -> None:
        """Count one inconsistency of ``split``, keeping ``message`` as an example."""
        counts[split] = counts.get(split, 0) + 1
        if len(self.examples) < self.max_examples:
            self.examples.append(message)

    def __str__(self) -> str:
        return (
            f"MMSA: samples {self.samples}; non-finite values set to 0: {self.total_nonfinite}; "
            f"repeated ids: {self.duplicate_ids or 'none'}; "
            f"annotations contradicting labels: {self.annotation_mismatches or 'none'}"
        )


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that only resolves the globals in :data:`ALLOWED_GLOBALS`.

    Args:
        file: Binary file object to read.
        source: File name used in error messages.
    """

    def __init__(self, file: io.BufferedIOBase, source: str = "<pickle>") -> None:
        super().__init__(file)
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        """Resolve an admitted global, refuse anything else."""
        if (module, name) not in ALLOWED_GLOBALS:
            raise UnsafePickleError(
                f"{self.source}: refusing to load global {module}.{name} "
                "(an MMSA pickle needs only numpy arrays, strings, numbers, lists and dicts)"
            )
        if module.startswith("numpy.core."):
            module = "numpy._core." + module.removeprefix("numpy.core.")
        return super().find_class(module, name)

    def persistent_load(self, pid: Any) -> Any:
        """Refuse persistent ids (never used by MMSA files)."""
        raise UnsafePickleError(f"{self.source}: refusing a persistent id in the pickle")


def read_pickle(path: Path | str) -> Any:
    """Unpickle ``path`` with :class:`SafeUnpickler`.

    Raises:
        FileNotFoundError: when the file is missing.
        UnsafePickleError: for a global that is not admitted.
        MMSAFormatError: when the bytes are not a valid pickle.
    """
    path = Path(path)
    data = path.read_bytes()
    try:
        return SafeUnpickler(io.BytesIO(data), str(path)).load()
    except UnsafePickleError:
        raise
    except Exception as error:  # a corrupt pickle can fail in many ways; report them as one
        raise MMSAFormatError(f"{path}: not a readable pickle ({type(error).__name__}: {error})") from error


def annotation_of(score: float) -> str:
    """MMSA's annotation of a sentiment score: Negative (< 0), Neutral (0), Positive (> 0)."""
    return "Negative" if score < 0 else ("Positive" if score > 0 else "Neutral")


def _strings(value: Any, where: str) -> list[str]:
    items = value.tolist() if isinstance(value, np.ndarray) else value
    if isinstance(items, np.ndarray) or not isinstance(items, (list, tuple)):
        raise MMSAFormatError(f"{where}: expected a list of strings, got {type(value).__name__}")
    items = [item.decode("utf-8", "replace") if isinstance(item, bytes) else item for item in items]
    if not all(isinstance(item, str) for item in items):
        raise MMSAFormatError(f"{where}: expected a list of strings")
    return items


def _numeric(value: Any, where: str, ndim: int) -> np.ndarray:
    try:
        array = np.asarray(value)
    except Exception as error:  # ragged or exotic content
        raise MMSAFormatError(f"{where}: not an array ({error})") from error
    if array.dtype.kind not in "iuf":
        raise MMSAFormatError(f"{where}: expected numbers, got dtype {array.dtype}")
    if ndim == 1 and array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != ndim:
        raise MMSAFormatError(f"{where}: expected {ndim} dimensions, got shape {array.shape}")
    return array


def _check_split(split: Any, where: str, report: MMSAReport, name: str) -> dict[str, Any]:
    if not isinstance(split, dict):
        raise MMSAFormatError(f"{where}: expected a dict of arrays, got {type(split).__name__}")
    missing = [key for key in _REQUIRED if key not in split]
    if missing:
        raise MMSAFormatError(f"{where}: missing key(s) {missing}")
    out: dict[str, Any] = {}
    for key in _STRING_KEYS:
        if key in split:
            out[key] = _strings(split[key], f"{where} key {key!r}")
    for key in _VECTOR_KEYS:
        if key in split:
            out[key] = _numeric(split[key], f"{where} key {key!r}", 1)
    for key, ndim in FEATURE_KEYS.items():
        if key in split:
            array = _numeric(split[key], f"{where} key {key!r}", ndim).astype(np.float32, copy=False)
            if not array.flags.writeable:
                array = array.copy()
            bad = ~np.isfinite(array)
            report.nonfinite[f"{name}/{key}"] = int(bad.sum())
            array[bad] = 0.0
            out[key] = array
    tokens = _numeric(split["text_bert"], f"{where} key 'text_bert'", 3)
    if not (np.isfinite(tokens).all() and (tokens == np.round(tokens)).all()):
        raise MMSAFormatError(f"{where} key 'text_bert': token rows must hold whole numbers")
    out["text_bert"] = tokens.astype(np.int64)
    if out["text_bert"].shape[1] != 3:
        raise MMSAFormatError(
            f"{where} key 'text_bert': expected shape (N, 3, L), got {out['text_bert'].shape}"
        )
    n = len(out["id"])
    for key, value in out.items():
        if len(value) != n:
            raise MMSAFormatError(f"{where} key {key!r}: {len(value)} entries but {n} ids")
    for key in ("audio", "vision"):
        lengths = out.get(f"{key}_lengths")
        if lengths is not None and not (
            np.isfinite(lengths).all()
            and (lengths == np.round(lengths)).all()
            and lengths.min(initial=0) >= 0
            and lengths.max(initial=0) <= out[key].shape[1]
        ):
            raise MMSAFormatError(
                f"{where} key '{key}_lengths': lengths must be whole numbers in [0, {out[key].shape[1]}]"
            )
    _check_labels(out, where)
    report.samples[name] = n
    return out


def _check_labels(split: dict[str, Any], where: str) -> None:
    """Labels finite and in :data:`LABEL_RANGE`, annotations among :data:`ANNOTATIONS`."""
    low, high = LABEL_RANGE
    for key in _LABEL_KEYS:
        labels = split.get(key)
        if labels is None:
            continue
        if not np.isfinite(labels).all():
            raise MMSAFormatError(f"{where} key {key!r}: non-finite labels")
        outside = np.flatnonzero((labels < low) | (labels > high))
        if outside.size:
            i = int(outside[0])
            raise MMSAFormatError(
                f"{where} key {key!r}: {outside.size} label(s) outside [{low:g}, {high:g}], "
                f"first entry {i} (id {split['id'][i]!r}) = {labels[i]:g}"
            )
    unknown = sorted(set(split.get("annotations", [])) - set(ANNOTATIONS))
    if unknown:
        raise MMSAFormatError(
            f"{where} key 'annotations': unknown value(s) {unknown[:3]}; expected {ANNOTATIONS}"
        )


def _check_consistency(
    arrays: dict[str, dict[str, Any]], path: Path, report: MMSAReport, strict: bool
) -> None:
    """Count (or, with ``strict``, raise on) repeated ids and contradicting annotations."""
    seen: dict[str, str] = {}

    def problem(counts: dict[str, int], split: str, message: str) -> None:
        if strict:
            raise MMSAFormatError(message)
        report.note(counts, split, message)

    for name in SPLITS:
        split, where = arrays[name], f"{path} split {name!r}"
        for i, sample_id in enumerate(split["id"]):
            if sample_id in seen:
                problem(
                    report.duplicate_ids,
                    name,
                    f"{where} key 'id' entry {i}: id {sample_id!r} repeats one of split {seen[sample_id]!r}",
                )
            seen.setdefault(sample_id, name)
        for i, annotation in enumerate(split.get("annotations", [])):
            label = float(split["regression_labels"][i])
            if annotation != annotation_of(label):
                problem(
                    report.annotation_mismatches,
                    name,
                    f"{where} key 'annotations' entry {i} (id {split['id'][i]!r}): "
                    f"{annotation!r} contradicts the regression label {label:g}",
                )


def load_arrays(
    path: Path | str, report: MMSAReport | None = None, *, strict: bool = False
) -> dict[str, dict[str, Any]]:
    """Read, validate and clean an MMSA pickle; keep the arrays.

    Args:
        path: ``aligned_50.pkl`` or ``unaligned_50.pkl`` (or any MMSA pickle).
        report: Optional :class:`MMSAReport` filled with the counts.
        strict: Raise on repeated ids and annotations contradicting the labels
            instead of counting them in ``report`` with a logged warning.

    Returns:
        ``{split: {key: value}}``: features as float32 arrays (non-finite
        values set to 0), ``text_bert`` as int64, label vectors as arrays, ids,
        texts and annotations as lists of str.
        Shape: ``audio`` ``(N, Ta, da)``, ``vision`` ``(N, Tv, dv)``, ``text_bert`` ``(N, 3, L)``.

    Raises:
        UnsafePickleError: for a pickle referring to a non-admitted global.
        MMSAFormatError: for anything else that is not a valid MMSA pickle
            (and, with ``strict``, for inconsistent ids or annotations).
    """
    path = Path(path)
    report = report if report is not None else MMSAReport()
    content = read_pickle(path)
    if not isinstance(content, dict):
        raise MMSAFormatError(f"{path}: expected a dict of splits, got {type(content).__name__}")
    missing = [name for name in SPLITS if name not in content]
    if missing:
        raise MMSAFormatError(f"{path}: missing split(s) {missing}")
    arrays = {name: _check_split(content[name], f"{path} split {name!r}", report, name) for name in SPLITS}
    before = report.inconsistencies
    _check_consistency(arrays, path, report, strict)
    if report.inconsistencies > before:
        LOG.warning(
            "%s: %d inconsistent segment(s) kept (%s), e.g. %s",
            path,
            report.inconsistencies - before,
            report,
            "; ".join(report.examples[:3]),
        )
    if report.total_nonfinite:
        LOG.info(
            "%s: set %d non-finite feature values to 0 (%s)",
            path,
            report.total_nonfinite,
            {k: v for k, v in report.nonfinite.items() if v},
        )
    return arrays


def _split_id(sample_id: str) -> tuple[str, str]:
    video, sep, clip = sample_id.rpartition("$_$")
    return (video, clip) if sep else (sample_id, "")


def load(
    path: Path | str, report: MMSAReport | None = None, *, strict: bool = False
) -> dict[str, list[Sample]]:
    """Load an MMSA pickle as :class:`Sample` records per split.

    With ``audio_lengths``/``vision_lengths`` (unaligned files), each sample's
    features are cut to their valid leading frames. With
    ``regression_labels_T/A/V`` (CH-SIMS, or a generated corpus written with
    unimodal labels), each sample's ``unimodal_labels`` holds them.

    Args:
        path: The pickle.
        report: Optional :class:`MMSAReport` filled with the counts.
        strict: Raise on repeated ids and contradicting annotations (see :func:`load_arrays`).

    Returns:
        ``{"train": [...], "valid": [...], "test": [...]}``.

    Raises:
        UnsafePickleError: for a pickle referring to a non-admitted global.
        MMSAFormatError: for anything else that is not a valid MMSA pickle.
    """
    arrays = load_arrays(path, report, strict=strict)
    out: dict[str, list[Sample]] = {}
    for name in SPLITS:
        split = arrays[name]
        samples = []
        for i, sample_id in enumerate(split["id"]):
            video, clip = _split_id(sample_id)
            audio, vision = split["audio"][i], split["vision"][i]
            if "audio_lengths" in split:
                audio = audio[: int(split["audio_lengths"][i])]
            if "vision_lengths" in split:
                vision = vision[: int(split["vision_lengths"][i])]
            label = float(split["regression_labels"][i])
            annotation = split["annotations"][i] if "annotations" in split else annotation_of(label)
            unimodal = {
                m: float(split[f"regression_labels_{m}"][i])
                for m in UNIMODAL
                if f"regression_labels_{m}" in split
            }
            samples.append(
                Sample(
                    id=sample_id,
                    video_id=video,
                    clip_id=clip,
                    raw_text=split["raw_text"][i],
                    text_bert=split["text_bert"][i],
                    audio=audio,
                    vision=vision,
                    label=label,
                    annotation=annotation,
                    split=name,
                    unimodal_labels=unimodal or None,
                )
            )
        out[name] = samples
    return out
