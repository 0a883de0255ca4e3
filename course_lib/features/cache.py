"""A disk cache for features: compute once per (corpus, extractor configuration), then reload.

``extract(records, extractor, cache_dir)`` returns a :class:`FeatureSet`. The
entry lives in ``<cache_dir>/<extractor.name>/<key>/`` where ``key`` is a
SHA-256 of

* the extractor's name and ``config_dict()`` (everything that changes its
  output: model, parameters, pooling, crop, a version number), and
* the identities of the inputs, in order. The default ``identity="stat"``
  uses each record's fields plus, for every file it points to, the path, size
  and modification time (cheap; regenerating or touching a file recomputes).
  ``identity="content"`` hashes the files' bytes instead (slower; survives
  copies and moves of the corpus).

Writing is streamed: records are processed ``chunk_size`` at a time and each
chunk is saved as a ``.npy`` file before the next one is computed, so memory
stays bounded whatever the corpus size. Everything is written into a hidden
temporary folder that is renamed into place only once complete (with
``meta.json`` written last): an interrupted run leaves no entry, and its
leftovers are removed by the next run. One process writes an entry at a time
(an inter-process lock per key): others asking for the same features wait and
then read the finished entry. An entry that cannot be read (a damaged file) is
recomputed once, with a warning. Arrays are read back memory-mapped with
``allow_pickle=False``; nothing is pickled.

An extractor is any object with ``name`` (str), ``variable_length`` (bool),
``config_dict() -> dict`` (JSON-able) and ``__call__(records) -> list of
arrays`` (one float array per record). See ``AudioFeatures``,
``SpeechEmbeddings``, ``ImageEmbeddings`` and ``TextEmbeddings``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from course_lib.fsutil import ReadOnlyError, file_lock, private_temp_name, remove_stale

FORMAT_VERSION = 1


class CacheError(RuntimeError):
    """A cache entry that cannot be used (inconsistent files or shapes)."""


class CacheShapeError(CacheError):
    """Cached features whose shape differs from the one asked for."""


# --------------------------------------------------------------------------- identities and keys


def _file_identity(path: Path, identity: str) -> str:
    if not path.exists():
        return f"missing:{path}"
    if identity == "content":
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return f"sha256:{digest.hexdigest()}"
    stat = path.stat()
    return f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def _value_identity(value: Any, identity: str) -> str:
    if isinstance(value, Path):
        return _file_identity(value, identity)
    if isinstance(value, np.ndarray):
        return f"array:{value.dtype}:{value.shape}:{hashlib.sha256(value.tobytes()).hexdigest()}"
    return repr(value)


def record_identity(record: Any, identity: str = "stat") -> str:
    """A string that changes whenever the record or the files it points to change.

    Dataclass records contribute every field (``Path`` fields by file identity,
    arrays by content hash); a path contributes its file identity; anything
    else its ``repr``.

    Args:
        record: An ``Utterance``, ``Post``, path, string...
        identity: ``"stat"`` (path, size, mtime) or ``"content"`` (SHA-256 of bytes).
    """
    if identity not in ("stat", "content"):
        raise ValueError(f"identity must be 'stat' or 'content', got {identity!r}")
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        parts = [
            f"{f.name}={_value_identity(getattr(record, f.name), identity)}"
            for f in dataclasses.fields(record)
        ]
        return f"{type(record).__name__}(" + ",".join(parts) + ")"
    if isinstance(record, (str, os.PathLike)) and Path(record).is_file():
        return _file_identity(Path(record), identity)
    return _value_identity(record, identity)


def record_id(record: Any, position: int) -> str:
    """The record's ``id`` attribute, else its file name, else its position."""
    if hasattr(record, "id"):
        return str(record.id)
    if isinstance(record, (str, os.PathLike)):
        return str(record)
    return str(position)


def cache_key(records: Sequence[Any], extractor: Any, identity: str = "stat") -> str:
    """SHA-256 of the extractor's name and configuration and of the inputs' identities."""
    digest = hashlib.sha256()
    config = {"name": extractor.name, "config": extractor.config_dict(), "format": FORMAT_VERSION}
    digest.update(json.dumps(config, sort_keys=True, default=str).encode())
    for record in records:
        digest.update(b"\x00" + record_identity(record, identity).encode())
    return digest.hexdigest()


# --------------------------------------------------------------------------- the stored feature set


class FeatureSet:
    """Features of one cache entry, memory-mapped from disk.

    ``features[i]`` is the array of record ``i`` (``(T_i, ...)`` for
    variable-length extractors, the fixed item shape otherwise);
    ``features.stack()`` returns ``(N, ...)`` for fixed shapes.

    Attributes:
        path: The entry folder.
        ids: Record ids, in input order (skipped records excluded).
        skipped: Record id -> error message, for records that failed.
        item_shape: Shape of one item (None marks the variable time axis).
        hit: Whether this call reused an existing entry.
        seconds: Time spent by the call that returned this object.
    """

    def __init__(self, path: Path, hit: bool = True, seconds: float = 0.0) -> None:
        self.path = Path(path)
        try:
            self.meta = json.loads((self.path / "meta.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise CacheError(f"{self.path}: unreadable cache entry ({error})") from error
        self.ids: list[str] = self.meta["ids"]
        self.skipped: dict[str, str] = self.meta.get("skipped", {})
        self.item_shape = tuple(self.meta["item_shape"])
        self.variable = bool(self.meta["variable_length"])
        self.hit, self.seconds = hit, seconds
        self._chunks = [self._open(i, n) for i, n in enumerate(self.meta["chunk_items"])]
        self._where = [(c, j) for c, n in enumerate(self.meta["chunk_items"]) for j in range(n)]
        if len(self._where) != len(self.ids):
            raise CacheError(f"{self.path}: {len(self._where)} stored items for {len(self.ids)} ids")

    def _open(self, index: int, n_items: int) -> tuple[np.ndarray, np.ndarray]:
        file = self.path / f"chunk_{index:05d}.npy"
        try:
            values = np.load(file, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as error:
            raise CacheError(f"{file}: unreadable ({error})") from error
        stored = (None, *values.shape[1:]) if self.variable else values.shape[1:]
        if tuple(stored) != self.item_shape:
            raise CacheError(f"{file}: items of shape {stored}, meta.json says {self.item_shape}")
        lengths = np.asarray(self.meta["lengths"][index] if self.variable else [1] * n_items)
        if self.variable and int(lengths.sum()) != values.shape[0]:
            raise CacheError(f"{file}: {values.shape[0]} rows, lengths sum to {int(lengths.sum())}")
        if not self.variable and values.shape[0] != n_items:
            raise CacheError(f"{file}: {values.shape[0]} items, expected {n_items}")
        return values, np.concatenate([[0], np.cumsum(lengths)])

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> np.ndarray:
        chunk, j = self._where[i]
        values, offsets = self._chunks[chunk]
        return values[offsets[j] : offsets[j + 1]] if self.variable else values[j]

    def __iter__(self) -> Iterator[np.ndarray]:
        return (self[i] for i in range(len(self)))

    @property
    def lengths(self) -> np.ndarray:
        """Frames per item (all 1 for fixed-shape items)."""
        if not self.variable:
            return np.ones(len(self), dtype=np.int64)
        return np.concatenate([np.asarray(x, dtype=np.int64) for x in self.meta["lengths"]] or [[]])

    def stack(self) -> np.ndarray:
        """All items as one array (fixed-shape extractors only).

        Shape:
            ``(N, *item_shape)``
        """
        if self.variable:
            raise CacheError("variable-length features cannot be stacked; index them or pad them")
        if not self._chunks:
            return np.zeros((0, *self.item_shape), dtype=np.float32)
        return np.concatenate([np.asarray(values) for values, _ in self._chunks])

    def as_dict(self) -> dict[str, np.ndarray]:
        """Record id -> features (memory-mapped views)."""
        return {rid: self[i] for i, rid in enumerate(self.ids)}


# --------------------------------------------------------------------------- writing


def _item_shape(item: np.ndarray, variable: bool) -> tuple:
    return (None, *item.shape[1:]) if variable else tuple(item.shape)


def _compute_chunk(
    chunk: Sequence[Any], ids: list[str], extractor: Any, on_error: str
) -> tuple[list[str], list[np.ndarray], dict[str, str]]:
    try:
        items = list(extractor(chunk))
        if len(items) != len(chunk):
            raise CacheError(f"{extractor.name} returned {len(items)} items for {len(chunk)} records")
        return ids, items, {}
    except Exception as error:
        if on_error == "raise" or isinstance(error, CacheError):
            raise
    kept_ids, kept, skipped = [], [], {}
    for rid, record in zip(ids, chunk):  # find the failing records one by one
        try:
            kept.append(extractor([record])[0])
            kept_ids.append(rid)
        except Exception as error:  # noqa: BLE001 -- every failure is reported in `skipped`
            skipped[rid] = f"{type(error).__name__}: {error}"
    return kept_ids, kept, skipped


def _write_entry(
    tmp: Path, records: Sequence[Any], extractor: Any, chunk_size: int, on_error: str, progress: bool
) -> dict[str, Any]:
    from tqdm.auto import tqdm

    variable = bool(extractor.variable_length)
    meta: dict[str, Any] = {
        "name": extractor.name,
        "config": extractor.config_dict(),
        "format": FORMAT_VERSION,
        "variable_length": variable,
        "ids": [],
        "chunk_items": [],
        "lengths": [],
        "skipped": {},
        "item_shape": None,
    }
    all_ids = [record_id(r, i) for i, r in enumerate(records)]
    with tqdm(total=len(records), desc=f"features {extractor.name}", disable=not progress) as bar:
        for start in range(0, len(records), chunk_size):
            ids, items, skipped = _compute_chunk(
                records[start : start + chunk_size], all_ids[start : start + chunk_size], extractor, on_error
            )
            meta["skipped"].update(skipped)
            bar.update(len(ids) + len(skipped))
            if not items:
                continue
            items = [np.asarray(item, dtype=np.float32) for item in items]
            shapes = {_item_shape(item, variable) for item in items}
            if meta["item_shape"] is not None:
                shapes.add(tuple(meta["item_shape"]))
            if len(shapes) != 1:
                raise CacheShapeError(
                    f"{extractor.name} returned items of different shapes {sorted(map(str, shapes))}"
                )
            meta["item_shape"] = list(shapes.pop())
            values = np.concatenate(items) if variable else np.stack(items)
            np.save(tmp / f"chunk_{len(meta['chunk_items']):05d}.npy", values, allow_pickle=False)
            meta["chunk_items"].append(len(items))
            meta["lengths"].append([len(item) for item in items] if variable else [])
            meta["ids"].extend(ids)
    if meta["item_shape"] is None:
        meta["item_shape"] = []
    (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return meta


def _check_expected(features: FeatureSet, expected_shape: Sequence[int | None] | None) -> None:
    if expected_shape is None or not len(features):
        return
    expected = tuple(expected_shape)
    if expected != features.item_shape:
        raise CacheShapeError(
            f"{features.path}: cached items have shape {features.item_shape}, but {expected} was asked for; "
            "the extractor or its configuration changed without changing its cache key -- "
            "recompute with force=True"
        )


def extract(
    records: Sequence[Any],
    extractor: Any,
    cache_dir: str | Path,
    chunk_size: int = 256,
    force: bool = False,
    expected_shape: Sequence[int | None] | None = None,
    identity: str = "stat",
    on_error: str = "raise",
    progress: bool = True,
) -> FeatureSet:
    """Compute features of ``records`` once and cache them on disk; reload them afterwards.

    Args:
        records: Records (``Utterance``, ``Post``...), paths or strings, in a fixed order.
        extractor: See the module docstring.
        cache_dir: Root of the cache (``run.cache_dir`` in notebooks).
        chunk_size: Records per computation step and per stored file.
        force: Recompute and replace an existing entry (an unreadable entry is
            recomputed without it, with a warning).
        expected_shape: Item shape the caller expects, ``None`` for the time
            axis of variable-length items, e.g. ``(None, 64)`` or ``(384,)``;
            a mismatch raises :class:`CacheShapeError`.
        identity: ``"stat"`` or ``"content"`` (see the module docstring).
        on_error: ``"raise"`` stops at the first failing record; ``"skip"``
            leaves failing records out, lists them in ``FeatureSet.skipped``
            and warns with their number.
        progress: Show a tqdm progress bar while computing.

    Raises:
        CacheShapeError: when the stored items differ from ``expected_shape``.
        CacheError: when the cache folder cannot be written.
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    started = time.perf_counter()
    records = list(records)
    final = Path(cache_dir) / extractor.name / cache_key(records, extractor, identity)[:24]
    features = None if force else _reuse(final, started)
    if features is None:
        features = _compute_locked(final, records, extractor, chunk_size, on_error, progress, force, started)
    _check_expected(features, expected_shape)
    return features


def _reuse(final: Path, started: float) -> FeatureSet | None:
    """The finished entry at ``final``; None when there is none or it is unreadable (with a warning)."""
    if not final.exists():
        return None
    try:
        return FeatureSet(final, hit=True, seconds=time.perf_counter() - started)
    except CacheError as error:
        warnings.warn(f"{error}; recomputing this cache entry", UserWarning, stacklevel=3)
        return None


def _compute_locked(
    final: Path,
    records: list[Any],
    extractor: Any,
    chunk_size: int,
    on_error: str,
    progress: bool,
    force: bool,
    started: float,
) -> FeatureSet:
    """Compute and store the entry under the key's lock: one writer per entry, others wait and reuse it."""
    lock = final.parent / f".{final.name}.lock"
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        with file_lock(lock):
            done = None if force else _reuse(final, started)  # another process may have finished it
            if done is not None:
                return done
            meta = _write_and_swap(final, records, extractor, chunk_size, on_error, progress)
    except ReadOnlyError as error:
        raise CacheError(
            f"cannot write features to {final.parent}: {error.strerror}; "
            "set the COURSE_CACHE_DIR environment variable to a writable folder"
        ) from error
    except PermissionError as error:
        raise CacheError(
            f"cannot write features to {final.parent} ({error.strerror}); "
            "set the COURSE_CACHE_DIR environment variable to a writable folder"
        ) from error
    if meta["skipped"]:
        warnings.warn(
            f"{extractor.name}: skipped {len(meta['skipped'])} of {len(records)} records "
            f"(see FeatureSet.skipped)",
            UserWarning,
            stacklevel=3,
        )
    return FeatureSet(final, hit=False, seconds=time.perf_counter() - started)


def _write_and_swap(
    final: Path, records: list[Any], extractor: Any, chunk_size: int, on_error: str, progress: bool
) -> dict[str, Any]:
    """Write the entry into a private temporary folder, then rename it over ``final``."""
    remove_stale(final)
    tmp = private_temp_name(final)
    tmp.mkdir()
    try:
        meta = _write_entry(tmp, records, extractor, chunk_size, on_error, progress)
        if final.exists():  # a forced or unreadable entry: move it aside, then swap
            trash = private_temp_name(final, "old")
            final.rename(trash)
            shutil.rmtree(trash, ignore_errors=True)
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return meta
