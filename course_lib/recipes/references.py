"""Reference results: full-mode comparisons shipped with the course, loaded instead of trained.

Full mode trains every row of a lesson's comparison over two seeds, which takes
minutes per lesson on a laptop CPU. The course ships the outcome of one such run
as small JSON files in ``course_lib/reference/`` (one per notebook): per row and
seed the validation and test metrics, the learning curve and the test
predictions -- never model weights. A lesson reads them instead of training when
the environment variable ``COURSE_REFERENCE`` is ``load`` (or after
``run.reference = "load"`` in its setup cell):

* ``train`` (the default) -- train as usual; when a shipped result exists for the
  same configurations, print how long it took, as an estimate;
* ``load`` -- use the shipped result when it was produced on the same corpus
  (generator version, preset, seed and parameters), with the same
  configurations and seeds; otherwise say why and train;
* ``save`` -- train, then write (or replace) the shipped result. This is how the
  files are made: ``COURSE_REFERENCE=save python -m course_lib course run
  notebooks/NN_name.ipynb --mode full``.

Only JSON is read (never a pickle); a malformed file is an error naming it.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from course_lib.fsutil import write_json_atomically
from course_lib.recipes.base import Comparison, compare_configs, summarize

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "reference"
MODES = ("train", "load", "save")
ENV = "COURSE_REFERENCE"
FORMAT = 1


class ReferenceFileError(ValueError):
    """A reference results file that cannot be read."""


def reference_mode(value: str | None = None) -> str:
    """The reference mode: ``value``, else ``$COURSE_REFERENCE``, else ``"train"``.

    Raises:
        ValueError: for a value outside :data:`MODES`.
    """
    mode = (value if value is not None else os.environ.get(ENV, "") or "train").strip().lower()
    if mode not in MODES:
        raise ValueError(f"{ENV} must be one of {MODES}, got {mode!r}")
    return mode


@dataclass(frozen=True)
class ReferenceSlot:
    """Where one comparison of one notebook is shipped, and what to do with it.

    Attributes:
        notebook: The notebook's name (e.g. ``"02_audio_features"``).
        key: The comparison's name within the notebook.
        mode: One of :data:`MODES`.
        folder: The folder of the reference files.
    """

    notebook: str
    key: str
    mode: str = "train"
    folder: Path = REFERENCE_DIR

    @property
    def path(self) -> Path:
        """The notebook's reference file."""
        return Path(self.folder) / f"{self.notebook}.json"


def reference(run: Any, key: str, folder: Path | None = None) -> ReferenceSlot:
    """The slot of comparison ``key`` in ``run``'s notebook, with the run's reference mode.

    ``run`` is a :class:`course_lib.runtime.RunConfig`; its ``reference``
    attribute (``"train"``, ``"load"`` or ``"save"``) decides what happens.
    """
    mode = reference_mode(getattr(run, "reference", None))
    return ReferenceSlot(run.name, key, mode, Path(folder) if folder else REFERENCE_DIR)


# ----------------------------------------------------------------------------- encoding


def encode_labels(values: Sequence[int] | np.ndarray) -> str | list[int]:
    """Class indices as a compact digit string when every index is below 10, else a list."""
    array = np.asarray(values, dtype=np.int64)
    if array.size and (array.min() < 0 or array.max() > 9):
        return [int(v) for v in array]
    return "".join(str(int(v)) for v in array)


def decode_labels(value: str | Sequence[int]) -> np.ndarray:
    """The inverse of :func:`encode_labels`."""
    if isinstance(value, str):
        return np.fromiter((int(ch) for ch in value), dtype=np.int64, count=len(value))
    return np.asarray(value, dtype=np.int64)


def _read(path: Path) -> dict[str, Any]:
    import json

    if not path.is_file():
        return {"format": FORMAT, "comparisons": {}}
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ReferenceFileError(f"{path}: not a readable reference file ({error})") from error
    if not isinstance(payload, dict) or not isinstance(payload.get("comparisons"), dict):
        raise ReferenceFileError(f"{path}: expected an object with a 'comparisons' object")
    if payload.get("format") != FORMAT:
        raise ReferenceFileError(f"{path}: reference format {payload.get('format')!r}, expected {FORMAT}")
    return payload


def _row_configs(configs: Mapping[Any, Any]) -> list[dict[str, Any]]:
    return [{"name": name, "config": config.as_dict()} for name, config in configs.items()]


def _mismatch(entry: Mapping[str, Any], configs: Mapping[Any, Any], seeds: Sequence[int], corpus: Any) -> str:
    """Why a stored comparison cannot stand in for this one ("" when it can)."""
    if corpus is None:
        return "this corpus is not the generated full corpus the reference results were produced on"
    if entry.get("corpus") != corpus:
        return "the corpus differs from the one the reference results were produced on"
    if entry.get("rows") != _row_configs(configs):
        return "the configurations differ from the shipped ones"
    if entry.get("seeds") != list(seeds):
        return f"the seeds differ (shipped: {entry.get('seeds')})"
    return ""


# ----------------------------------------------------------------------------- load, save


def comparison_entry(
    comparison: Comparison, configs: Mapping[Any, Any], seeds: Sequence[int], corpus: Any, command: str
) -> dict[str, Any]:
    """The JSON record of a trained comparison (results need ``to_record()``)."""
    rows = {}
    for index, (name, runs) in enumerate(comparison.runs.items()):
        y_true, _, ids = comparison.test_predictions(name)
        rows[str(index)] = {
            "test_ids": ids,
            "y_true": encode_labels(y_true),
            "seconds": comparison.seconds[name],
            "seeds": [run.to_record() for run in runs],
        }
    return {
        "rows": _row_configs(configs),
        "seeds": list(seeds),
        "corpus": corpus,
        "results": rows,
        "command": command,
        "created": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "total_seconds": round(sum(comparison.seconds.values()), 1),
    }


def load_comparison(
    entry: Mapping[str, Any], configs: Mapping[Any, Any], from_record: Callable[..., Any], where: Path
) -> Comparison:
    """Rebuild a :class:`Comparison` from its JSON record.

    Args:
        entry: From :func:`comparison_entry`.
        configs: The configurations, in the stored order.
        from_record: ``from_record(record, config=..., test_ids=..., y_true=...)`` -> a result.
        where: The file, for error messages.
    """
    runs, summaries, seconds = {}, {}, {}
    try:
        for index, (name, config) in enumerate(configs.items()):
            row = entry["results"][str(index)]
            y_true = decode_labels(row["y_true"])
            runs[name] = [
                from_record(record, config=config, test_ids=list(row["test_ids"]), y_true=y_true)
                for record in row["seeds"]
            ]
            summaries[name] = summarize({r.seed: r.summary() for r in runs[name]})
            seconds[name] = float(row["seconds"])
    except (KeyError, TypeError, ValueError) as error:
        raise ReferenceFileError(f"{where}: malformed comparison record ({error!r})") from error
    return Comparison(runs, summaries, seconds)


def load_or_compare(
    slot: ReferenceSlot | None,
    configs: Mapping[Any, Any],
    train: Callable[[Any, int], Any],
    seeds: Sequence[int],
    corpus: Any,
    from_record: Callable[..., Any],
    verbose: bool = False,
    store: Any = None,
    **training: Any,
) -> Comparison:
    """Load a shipped comparison or train it, as ``slot.mode`` says (see the module docstring).

    Args:
        slot: Where the comparison is shipped; None always trains.
        configs: ``{row name: configuration}`` (configurations need ``as_dict()``).
        train: ``train(config, seed) -> result`` (results need ``to_record()``).
        seeds: The seeds.
        corpus: A JSON-able fingerprint of the corpus (None for data the
            course did not generate: never loaded).
        from_record: Rebuilds a result (see :func:`load_comparison`).
        verbose: Print times (see :func:`course_lib.recipes.base.compare_configs`).
        store: A :class:`course_lib.recipes.store.RunStore` for the runs that are
            trained (see :func:`course_lib.recipes.base.compare_configs`).
        training: More arguments of :func:`course_lib.recipes.base.compare_configs` (``jobs``, ``device``).
    """
    if store is not None:
        training = {**training, "store": store, "from_record": from_record}
    if slot is None:
        return compare_configs(configs, train, seeds, verbose=verbose, **training)
    stored = _read(slot.path)["comparisons"].get(slot.key)
    if stored is not None:
        reason = _mismatch(stored, configs, seeds, corpus)
        minutes = stored.get("total_seconds", 0) / 60
        if slot.mode == "load" and not reason:
            comparison = load_comparison(stored, configs, from_record, slot.path)
            print(
                f"loaded the shipped results of {slot.key!r} ({len(configs)} rows x {len(seeds)} seeds; "
                f"their training runs add up to {minutes:.0f} min on {stored.get('machine')}, {stored.get('created')}); "
                f"set {ENV}=train to train them here"
            )
            return comparison
        if slot.mode == "load":
            print(f"not loading the shipped results of {slot.key!r}: {reason}; training instead")
        elif stored.get("rows") == _row_configs(configs) and stored.get("seeds") == list(seeds):
            print(
                f"these {len(configs)} rows x {len(seeds)} seeds took {minutes:.0f} min of training runs "
                f"on {stored.get('machine')} (runs at once share the wall time)"
            )
    comparison = compare_configs(configs, train, seeds, verbose=verbose, **training)
    if slot.mode == "save":
        save_comparison(slot, comparison, configs, seeds, corpus)
    return comparison


def save_comparison(
    slot: ReferenceSlot, comparison: Comparison, configs: Mapping[Any, Any], seeds: Sequence[int], corpus: Any
) -> Path:
    """Write (or replace) ``slot``'s comparison in its notebook's reference file."""
    from course_lib.fsutil import file_lock

    if corpus is None:
        raise ValueError(
            "reference results are only shipped for a generated corpus (its fingerprint is None)"
        )
    command = f"{ENV}=save python -m course_lib course run notebooks/{slot.notebook}.ipynb --mode full"
    slot.path.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(slot.path.with_suffix(".lock")):
        payload = _read(slot.path)
        payload["comparisons"][slot.key] = comparison_entry(comparison, configs, seeds, corpus, command)
        write_json_atomically(slot.path, payload)
    print(f"saved the results of {slot.key!r} to {slot.path}")
    return slot.path
