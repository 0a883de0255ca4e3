"""Generate the course's three embedded corpora in their real on-disk formats.

``make_corpora(out_dir, preset, seed)`` writes, under ``out_dir``:

* ``IEMOCAP_full_release/`` and ``iemocap_ground_truth.csv`` — the IEMOCAP-like
  conversational corpus (:mod:`course_lib.data.synthetic.iemocap_gen`);
* ``MOSI/`` (and possibly ``MOSEI/``) MMSA pickles (:mod:`.mmsa_gen`);
* ``MVSA_Single/`` and ``MVSA/`` (:mod:`.mvsa_gen`);
* ``corpus.json`` — preset, seed, generator version and each corpus's summary,
  written **last and atomically**: a folder without it (an interrupted run) is
  never taken as a complete corpus.

The same preset and seed give byte-identical files. :func:`ensure_corpora`
generates only when ``corpus.json`` is missing or was made with another preset,
seed or generator version.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

#: Size presets: ``tiny`` for tests and smoke runs, ``full`` for real curves.
PRESETS: tuple[str, ...] = ("tiny", "full")

#: Bumped whenever generated files change for a given preset and seed.
GENERATOR_VERSION = "2"

CORPUS_FILE = "corpus.json"

#: Corpus name -> (writer module, writer function, paths it writes under out_dir).
CORPORA: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "iemocap": (
        "course_lib.data.synthetic.iemocap_gen",
        "write_iemocap_corpus",
        ("IEMOCAP_full_release", "iemocap_ground_truth.csv"),
    ),
    "mmsa": ("course_lib.data.synthetic.mmsa_gen", "write_mmsa_corpus", ("MOSI", "MOSEI")),
    "mvsa": ("course_lib.data.synthetic.mvsa_gen", "write_mvsa_corpus", ("MVSA_Single", "MVSA")),
}


def _without_timings(value: Any) -> Any:
    """Drop ``seconds`` entries so that ``corpus.json`` is identical for the same seed."""
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, (list, tuple)):
        return [_without_timings(v) for v in value]
    return value


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _write_json_atomically(path: Path, payload: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def make_corpora(
    out_dir: Path | str,
    preset: str = "tiny",
    seed: int = 0,
    progress: bool = True,
    only: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Write the embedded corpora under ``out_dir``.

    Files previously written there by the chosen corpora are removed first (so
    a smaller preset leaves no stale dialogues); nothing else in ``out_dir``
    is touched.

    Args:
        out_dir: Destination folder (created if needed).
        preset: ``"tiny"`` or ``"full"``.
        seed: Seed of every random draw.
        progress: Show progress bars.
        only: Subset of ``"iemocap"``, ``"mmsa"``, ``"mvsa"`` (default: all three).

    Returns:
        The content of ``corpus.json`` plus ``"seconds"``: generation time per corpus.

    Raises:
        ValueError: for an unknown preset or corpus name.
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {PRESETS}")
    names = list(CORPORA) if only is None else list(dict.fromkeys(only))
    unknown = [n for n in names if n not in CORPORA]
    if unknown or not names:
        raise ValueError(f"unknown corpora {unknown}; choose among {list(CORPORA)}")
    out = Path(out_dir).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    _remove(out / CORPUS_FILE)
    summaries: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    for name in names:
        module_name, function_name, paths = CORPORA[name]
        writer = getattr(importlib.import_module(module_name), function_name)
        for relative in paths:
            _remove(out / relative)
        started = time.perf_counter()
        summaries[name] = _without_timings(writer(out, preset, seed, progress=progress))
        seconds[name] = round(time.perf_counter() - started, 2)
    record = {
        "preset": preset,
        "seed": seed,
        "generator_version": GENERATOR_VERSION,
        "corpora": summaries,
    }
    _write_json_atomically(out / CORPUS_FILE, record)
    return {**record, "seconds": seconds}


def read_corpus_record(out_dir: Path | str) -> dict[str, Any] | None:
    """The parsed ``corpus.json`` of a complete corpus folder, or None."""
    path = Path(out_dir) / CORPUS_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def ensure_corpora(
    out_dir: Path | str | None = None,
    preset: str = "tiny",
    seed: int = 0,
    progress: bool = True,
) -> Path:
    """Generate the three corpora unless an identical complete generation is present.

    Args:
        out_dir: Folder; default ``<data dir>/corpora/<preset>`` (see
            :func:`course_lib.runtime.resolve_data_dir`).
        preset: ``"tiny"`` or ``"full"``.
        seed: Seed of the generation.
        progress: Show progress bars when generating.

    Returns:
        The corpus folder.
    """
    if out_dir is None:
        from course_lib.runtime import resolve_data_dir

        out_dir = resolve_data_dir() / "corpora" / preset
    out = Path(out_dir).expanduser()
    wanted = {"preset": preset, "seed": seed, "generator_version": GENERATOR_VERSION}
    with _generation_lock(out):
        record = read_corpus_record(out)
        complete = (
            record is not None
            and all(record.get(key) == value for key, value in wanted.items())
            and set(CORPORA) <= set(record.get("corpora", {}))
        )
        if not complete:
            make_corpora(out, preset=preset, seed=seed, progress=progress)
    return out


@contextlib.contextmanager
def _generation_lock(out: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<out>.lock`` so concurrent runs generate once.

    Two notebooks started together (or two test workers) then wait for one
    generation instead of writing the same files at the same time. Where
    ``fcntl`` does not exist (Windows), no lock is taken.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f".{out.name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


#: Dataset -> its folder name in the real distributions (and in the generated corpora).
DATASET_FOLDERS: dict[str, str] = {
    "iemocap": "IEMOCAP_full_release",
    "mosi": "MOSI",
    "mosei": "MOSEI",
    "mvsa_single": "MVSA_Single",
    "mvsa": "MVSA",
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
    return ensure_corpora(run.corpora_dir, preset=run.preset, progress=progress) / DATASET_FOLDERS[dataset]
