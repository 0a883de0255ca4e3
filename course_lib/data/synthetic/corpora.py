"""Generate the course's three embedded corpora in their real on-disk formats, safely.

``make_corpora(out_dir, preset, seed)`` writes, under ``out_dir``:

* ``IEMOCAP_full_release/`` and ``iemocap_ground_truth.csv`` — the IEMOCAP-like
  conversational corpus (:mod:`course_lib.data.synthetic.iemocap_gen`);
* ``MOSI/`` (and possibly ``MOSEI/``) MMSA pickles (:mod:`.mmsa_gen`);
* ``MVSA_Single/`` and ``MVSA/`` (:mod:`.mvsa_gen`);
* ``corpus_manifest.tsv`` — every generated file with its size and SHA-256;
* ``corpus.json`` — preset, seed, generator version, each corpus's summary and
  the file count, byte count and tree hash (the manifest's SHA-256).

``corpus.json`` is the marker through which the course *owns* a folder. The
generator never deletes what it did not write:

* a folder that is neither empty nor a generated corpus (a real dataset, a
  learner's notes) is refused with :class:`CorpusFolderError`, naming what is there;
* a file inside a generated corpus that its manifest does not list counts as
  foreign too, and is never removed.

Generation writes everything into a hidden temporary sibling of ``out_dir``,
under an inter-process lock, and renames it into place only once complete; the
old corpus is removed after the swap. An interrupted run leaves no corpus
behind (its leftovers are removed by the next run), and two runs started
together generate once. :func:`ensure_corpora` checks the recorded files
(names and sizes; :func:`check_folder` with ``content=True`` also re-hashes
them) and regenerates a damaged or outdated generated corpus. The same preset
and seed give byte-identical files.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from course_lib.fsutil import (
    ReadOnlyError,
    file_lock,
    is_writable,
    private_temp_name,
    remove_stale,
    write_json_atomically,
)

#: Size presets: ``tiny`` for tests and smoke runs, ``full`` for real curves.
PRESETS: tuple[str, ...] = ("tiny", "full")

#: Bumped whenever generated files change for a given preset and seed.
GENERATOR_VERSION = "2"

CORPUS_FILE = "corpus.json"
MANIFEST_FILE = "corpus_manifest.tsv"

#: What ``make_corpora`` does with a folder that already holds a generated corpus.
REPLACE_POLICIES: tuple[str, ...] = ("never", "stale", "always")

#: Corpus name -> (writer module, writer function, paths it writes under out_dir).
CORPORA: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "iemocap": (
        "course_lib.data.synthetic.iemocap_gen",
        "write_iemocap_corpus",
        ("IEMOCAP_full_release", "iemocap_ground_truth.csv"),
    ),
    "mmsa": ("course_lib.data.synthetic.mmsa_gen", "write_mmsa_corpus", ("MOSI", "MOSEI", "MOSI_nobias")),
    "mvsa": ("course_lib.data.synthetic.mvsa_gen", "write_mvsa_corpus", ("MVSA_Single", "MVSA")),
}


#: Control corpora generated on request -> the corpus whose writer makes them
#: (``variants=`` of that writer): ``nobias`` is MOSI without speaker bias (``MOSI_nobias/``).
VARIANTS: dict[str, str] = {"nobias": "mmsa"}


class CorpusFolderError(ValueError):
    """A folder the generator must not write into (foreign files, another corpus, read-only)."""


# --------------------------------------------------------------------------- the manifest


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files_below(folder: Path) -> list[str]:
    """Relative POSIX paths of every file below ``folder`` but the marker and manifest, sorted."""
    found = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()]
    return sorted(f for f in found if f not in (CORPUS_FILE, MANIFEST_FILE))


def _write_manifest(folder: Path) -> dict[str, Any]:
    """Write ``corpus_manifest.tsv`` for every file below ``folder``; return its summary."""
    lines, total = [], 0
    for relative in _files_below(folder):
        size = (folder / relative).stat().st_size
        total += size
        lines.append(f"{relative}\t{size}\t{_file_sha256(folder / relative)}\n")
    text = "".join(lines)
    (folder / MANIFEST_FILE).write_text(text, encoding="utf-8", newline="\n")
    return {"count": len(lines), "bytes": total, "tree_sha256": hashlib.sha256(text.encode()).hexdigest()}


def _read_manifest(folder: Path) -> dict[str, tuple[int, str]] | None:
    """Relative path -> (size, sha256) from the manifest, or None without a readable one."""
    try:
        text = (folder / MANIFEST_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    entries = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        entries[parts[0]] = (int(parts[1]), parts[2])
    return entries


# --------------------------------------------------------------------------- what a folder holds


def read_corpus_record(out_dir: Path | str) -> dict[str, Any] | None:
    """The parsed ``corpus.json`` of a generated corpus folder, or None."""
    path = Path(out_dir) / CORPUS_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return record if isinstance(record, dict) and "generator_version" in record else None


@dataclass
class FolderCheck:
    """What :func:`check_folder` found in a corpus folder.

    Attributes:
        path: The folder.
        record: Its ``corpus.json`` (None: not a generated corpus, or nothing there).
        foreign: Entries the generator did not write (never deleted).
        damaged: Generated files that are missing, resized or (content check) altered.
    """

    path: Path
    record: dict[str, Any] | None = None
    foreign: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing there (or the folder does not exist)."""
        return self.record is None and not self.foreign

    @property
    def intact(self) -> bool:
        """A generated corpus with every recorded file in place and nothing foreign."""
        return self.record is not None and not self.foreign and not self.damaged

    def holds(self, preset: str, seed: int, names: Sequence[str], variants: Sequence[str] = ()) -> bool:
        """Whether it is an intact generation of these corpora (and variants) with this preset, seed and version."""
        record = self.record or {}
        return (
            self.intact
            and record.get("preset") == preset
            and record.get("seed") == seed
            and record.get("generator_version") == GENERATOR_VERSION
            and set(names) <= set(record.get("corpora", {}))
            and set(variants) <= set(record.get("variants", []))
        )

    def describe(self) -> str:
        """One sentence for an error message."""
        if self.record is None:
            return f"{self.path} is not empty and holds no generated corpus: {_listing(self.foreign)}"
        record = self.record
        what = (
            f"{self.path} holds a generated corpus (preset {record.get('preset')}, seed {record.get('seed')}, "
            f"generator version {record.get('generator_version')})"
        )
        if self.foreign:
            what += f" with files it did not generate: {_listing(self.foreign)}"
        return what


def _listing(names: Sequence[str], most: int = 5) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def check_folder(out_dir: Path | str, content: bool = False) -> FolderCheck:
    """Inspect a corpus folder: generated or not, foreign files, damaged files.

    A folder with a ``corpus.json`` marker but no manifest (made by generator
    version 1) counts as generated when every top-level entry is one a writer
    produces.

    Args:
        out_dir: The folder (it need not exist).
        content: Also re-hash every generated file against the manifest (slower).
    """
    out = Path(out_dir).expanduser()
    check = FolderCheck(out)
    if not out.is_dir():
        if out.exists():
            check.foreign = [out.name]
        return check
    check.record = read_corpus_record(out)
    if check.record is None:
        check.foreign = sorted(p.name for p in out.iterdir())
        return check
    manifest = _read_manifest(out)
    if manifest is None:
        known = {path for _, _, paths in CORPORA.values() for path in paths} | {CORPUS_FILE, MANIFEST_FILE}
        check.foreign = sorted(p.name for p in out.iterdir() if p.name not in known)
        check.damaged = [MANIFEST_FILE]
        return check
    present = _files_below(out)
    check.foreign = [relative for relative in present if relative not in manifest]
    present_set = set(present)
    for relative, (size, sha256) in manifest.items():
        path = out / relative
        missing_or_resized = relative not in present_set or path.stat().st_size != size
        if missing_or_resized or (content and _file_sha256(path) != sha256):
            check.damaged.append(relative)
    return check


# --------------------------------------------------------------------------- generation


def _without_timings(value: Any) -> Any:
    """Drop ``seconds`` entries so that ``corpus.json`` is identical for the same seed."""
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, (list, tuple)):
        return [_without_timings(v) for v in value]
    return value


def _validate(
    preset: str, only: Sequence[str] | None, replace: str = "always", variants: Sequence[str] = ()
) -> list[str]:
    """The corpus names to generate; ValueError for an unknown preset, corpus, variant or policy."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {PRESETS}")
    if replace not in REPLACE_POLICIES:
        raise ValueError(f"replace must be one of {REPLACE_POLICIES}, got {replace!r}")
    names = list(CORPORA) if only is None else list(dict.fromkeys(only))
    unknown = [n for n in names if n not in CORPORA]
    if unknown or not names:
        raise ValueError(f"unknown corpora {unknown}; choose among {list(CORPORA)}")
    for variant in variants:
        if variant not in VARIANTS:
            raise ValueError(f"unknown variant {variant!r}; choose among {sorted(VARIANTS)}")
        if VARIANTS[variant] not in names:
            raise ValueError(
                f"variant {variant!r} belongs to the {VARIANTS[variant]!r} corpus, which is not generated"
            )
    return names


def _generate_into(
    folder: Path, names: Sequence[str], preset: str, seed: int, progress: bool, variants: Sequence[str]
) -> dict:
    """Run the writers into an empty ``folder`` and write the manifest and ``corpus.json`` last."""
    summaries: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    for name in names:
        module_name, function_name, _ = CORPORA[name]
        writer = getattr(importlib.import_module(module_name), function_name)
        own = {"variants": tuple(v for v in variants if VARIANTS[v] == name)}
        started = time.perf_counter()
        summary = writer(folder, preset, seed, progress=progress, **(own if own["variants"] else {}))
        summaries[name] = _without_timings(summary)
        seconds[name] = round(time.perf_counter() - started, 2)
    record = {
        "preset": preset,
        "seed": seed,
        "generator_version": GENERATOR_VERSION,
        "corpora": summaries,
        "variants": sorted(variants),
        "files": _write_manifest(folder),
    }
    write_json_atomically(folder / CORPUS_FILE, record)
    return {**record, "seconds": seconds}


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Rename the finished ``tmp`` to ``out``; an existing ``out`` is moved aside, then removed."""
    if not out.exists():
        os.rename(tmp, out)
        return
    old = private_temp_name(out, "old")
    os.rename(out, old)
    os.rename(tmp, out)
    shutil.rmtree(old, ignore_errors=True)


def _lock_path(out: Path) -> Path:
    return out.parent / f".{out.name}.lock"


def make_corpora(
    out_dir: Path | str,
    preset: str = "tiny",
    seed: int = 0,
    progress: bool = True,
    only: Sequence[str] | None = None,
    replace: str = "always",
    variants: Sequence[str] = (),
) -> dict[str, Any]:
    """Write the embedded corpora into ``out_dir`` (empty, missing, or a generated corpus).

    Args:
        out_dir: Destination folder (created if needed).
        preset: ``"tiny"`` or ``"full"``.
        seed: Seed of every random draw.
        progress: Show progress bars.
        only: Subset of ``"iemocap"``, ``"mmsa"``, ``"mvsa"`` (default: all three);
            the folder then holds only these.
        replace: When ``out_dir`` already holds a generated corpus: ``"always"``
            regenerate it; ``"stale"`` keep it when it is an intact generation
            of the same preset, seed and corpora, else regenerate; ``"never"``
            keep such an identical one, regenerate a damaged one of the same
            preset and seed, and refuse any other.
        variants: Control corpora to add (:data:`VARIANTS`), e.g. ``("nobias",)``.

    Returns:
        The content of ``corpus.json`` plus ``"seconds"`` (generation time per
        corpus) and ``"generated"`` (False when the existing corpus was kept).

    Raises:
        ValueError: for an unknown preset, corpus name or policy.
        CorpusFolderError: when ``out_dir`` holds anything the generator did not
            write, another generated corpus (with ``replace="never"``), or cannot be written.
    """
    variants = sorted(dict.fromkeys(variants))
    names = _validate(preset, only, replace, variants)
    out = Path(out_dir).expanduser().absolute()
    if replace != "always":  # an identical corpus is kept without the lock: read-only folders work
        check = check_folder(out)
        if check.holds(preset, seed, names, variants):
            return {**check.record, "seconds": {}, "generated": False}
    try:
        with file_lock(_lock_path(out)):
            return _make_locked(out, names, preset, seed, progress, replace, variants)
    except ReadOnlyError as error:
        raise CorpusFolderError(
            f"cannot generate corpora in {out}: {error.strerror}; choose a writable folder "
            "(--out, or the COURSE_DATA_DIR environment variable)"
        ) from error


def _make_locked(
    out: Path, names: list[str], preset: str, seed: int, progress: bool, replace: str, variants: list[str]
) -> dict[str, Any]:
    check = check_folder(out)
    if check.foreign:
        raise CorpusFolderError(
            f"{check.describe()}. The generator writes only into an empty folder or over a corpus it "
            "generated, and never deletes files it did not write; choose another folder."
        )
    same = check.record is not None and all(
        check.record.get(k) == v for k, v in (("preset", preset), ("seed", seed))
    )
    if replace != "always" and check.holds(preset, seed, names, variants):
        return {**check.record, "seconds": {}, "generated": False}
    if replace == "never" and check.record is not None and not same:
        raise CorpusFolderError(f"{check.describe()}; pass --force (replace='always') to replace it")
    if not is_writable(out.parent):
        raise CorpusFolderError(f"cannot generate corpora in {out}: {out.parent} is not writable")
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(out)
    tmp = private_temp_name(out)
    tmp.mkdir()
    try:
        result = _generate_into(tmp, names, preset, seed, progress, variants)
        _swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {**result, "generated": True}


def ensure_corpora(
    out_dir: Path | str | None = None,
    preset: str = "tiny",
    seed: int = 0,
    progress: bool = True,
    only: Sequence[str] | None = None,
    variants: Sequence[str] = (),
) -> Path:
    """Generate the corpora unless an intact identical generation is present.

    An intact corpus is returned without taking the lock or writing anything,
    so a complete corpus in a read-only folder works.

    Args:
        out_dir: Folder; default ``<data dir>/corpora/<preset>`` (see
            :func:`course_lib.runtime.resolve_data_dir`).
        preset: ``"tiny"`` or ``"full"``.
        seed: Seed of the generation.
        progress: Show progress bars when generating.
        only: Corpora needed (default: all three).
        variants: Control corpora needed as well (:data:`VARIANTS`); a corpus
            without them is regenerated with them.

    Returns:
        The corpus folder.

    Raises:
        CorpusFolderError: see :func:`make_corpora`.
    """
    if out_dir is None:
        from course_lib.runtime import resolve_data_dir

        out_dir = resolve_data_dir() / "corpora" / preset
    out = Path(out_dir).expanduser().absolute()
    make_corpora(
        out, preset=preset, seed=seed, progress=progress, only=only, replace="stale", variants=variants
    )
    return out


#: Dataset -> its folder name in the real distributions (and in the generated corpora).
DATASET_FOLDERS: dict[str, str] = {
    "iemocap": "IEMOCAP_full_release",
    "mosi": "MOSI",
    "mosei": "MOSEI",
    "mvsa_single": "MVSA_Single",
    "mvsa": "MVSA",
    "mosi_nobias": "MOSI_nobias",
}


def dataset_dir(run: Any, dataset: str, progress: bool = True) -> Path:
    """The folder a lesson reads ``dataset`` from: the real data when present, else the generated one.

    A learner who puts a real dataset under the run's data folder (e.g.
    ``<data>/IEMOCAP_full_release`` or ``<data>/MOSI/aligned_50.pkl``) gets it;
    otherwise the generated corpora of the run's preset are used (and made if
    missing).

    Args:
        run: A :class:`course_lib.runtime.RunConfig` (``data_dir``, ``corpora_dir``, ``preset``).
        dataset: One of :data:`DATASET_FOLDERS`.
        progress: Show progress bars if the corpora have to be generated.

    Raises:
        ValueError: for an unknown dataset name.
    """
    if dataset not in DATASET_FOLDERS:
        raise ValueError(f"unknown dataset {dataset!r}; choose from {sorted(DATASET_FOLDERS)}")
    real = Path(run.data_dir) / DATASET_FOLDERS[dataset]
    if real.is_dir():
        return real
    variants = [v for v in VARIANTS if DATASET_FOLDERS[dataset].endswith(f"_{v}")]
    folder = ensure_corpora(run.corpora_dir, preset=run.preset, progress=progress, variants=variants)
    return folder / DATASET_FOLDERS[dataset]
