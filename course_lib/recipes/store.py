"""The run store: a finished training run is kept, so the same run is never trained twice.

Lessons share configurations: lesson 03's "text only" row is lesson 01's
"BiLSTM + weights", its "audio only" row is lesson 02's speech-encoder row,
lesson 04 trains the paper's models again at ``conv_length`` 3, lesson 05
studies lesson 04's one-turn models. A run depends on nothing but its
configuration, its seed, the corpus and the course's code (training is seeded
and deterministic on a CPU), so a run already trained can stand in for training
it again. The store keeps, per run, under ``<cache>/runs/``:

* ``<key>.json`` -- the result (metrics, learning curve, test predictions; the
  recipe's ``to_record()``), the configuration, the seed, and which notebook
  trained it when;
* ``<key>.safetensors`` -- the trained weights (safetensors: no pickle is ever
  read back).

The key hashes the recipe, the configuration, the seed, the corpus fingerprint
(generator version, preset, seed, parameters), the device type, the torch
version and a hash of the course package's source: editing any ``course_lib``
file, or another corpus, gives new keys, and the old runs are simply not used.
Real datasets have no fingerprint, so their runs are not stored.

``COURSE_RUN_STORE=off`` turns the store off (every run trains); deleting
``<cache>/runs/`` empties it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from course_lib.fsutil import private_temp_name, write_json_atomically

__all__ = ["ENV", "RunStore", "StoreFileError", "source_fingerprint", "store_enabled"]

ENV = "COURSE_RUN_STORE"
FORMAT = 1
PACKAGE_DIR = Path(__file__).resolve().parents[1]


class StoreFileError(ValueError):
    """A stored run that cannot be read."""


def store_enabled(value: str | None = None) -> bool:
    """Whether runs are stored: ``value``, else ``$COURSE_RUN_STORE``; on unless ``off``/``0``/``false``/``no``.

    Raises:
        ValueError: for a value that is neither on nor off.
    """
    text = (value if value is not None else os.environ.get(ENV, "")).strip().lower()
    if text in ("", "on", "1", "true", "yes"):
        return True
    if text in ("off", "0", "false", "no"):
        return False
    raise ValueError(f"{ENV} must be 'on' or 'off', got {text!r}")


@functools.lru_cache(maxsize=1)
def source_fingerprint(package_dir: Path = PACKAGE_DIR) -> str:
    """A hash of every ``.py`` file of the course package (relative path and bytes), in path order."""
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*.py")):
        digest.update(path.relative_to(package_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class RunStore:
    """Finished runs of one recipe on one corpus, in one folder.

    Attributes:
        folder: Where the runs are kept (``<cache>/runs``).
        context: What besides configuration and seed decides a run (recipe,
            corpus fingerprint, device type, ...), JSON-able; the source hash
            and torch version are added.
        trained_by: Who trains the runs stored from here (a notebook's name), for messages.
    """

    folder: Path
    context: Mapping[str, Any]
    trained_by: str = ""
    _full_context: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        import torch

        full = {**self.context, "source": source_fingerprint(), "torch": torch.__version__}
        object.__setattr__(self, "_full_context", full)
        object.__setattr__(self, "folder", Path(self.folder))

    def key(self, config: Any, seed: int) -> str:
        """The run's key: a hash of the context, the configuration's type and fields, and the seed."""
        material = {
            **self._full_context,
            "config_type": f"{type(config).__module__}.{type(config).__qualname__}",
            "config": config.as_dict(),
            "seed": int(seed),
        }
        text = json.dumps(material, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def _paths(self, config: Any, seed: int) -> tuple[Path, Path]:
        key = self.key(config, seed)
        return self.folder / f"{key}.json", self.folder / f"{key}.safetensors"

    def load(
        self, config: Any, seed: int, from_record: Callable[..., Any]
    ) -> tuple[Any, dict[str, Any]] | None:
        """The stored result of ``(config, seed)`` and its provenance, or None when it was never stored.

        Args:
            config: The configuration (needs ``as_dict()``).
            seed: The seed.
            from_record: ``from_record(record, config=..., test_ids=..., y_true=...)`` -> a result.

        Returns:
            ``(result, {"trained_by", "created", "seconds"})``; the result carries no model
            (see :meth:`load_weights`).

        Raises:
            StoreFileError: naming the file when it exists but cannot be read.
        """
        from course_lib.recipes.references import decode_labels

        path, _ = self._paths(config, seed)
        if not path.is_file():
            return None
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            if payload.get("format") != FORMAT:
                raise ValueError(f"format {payload.get('format')!r}, expected {FORMAT}")
            result = from_record(
                payload["record"],
                config=config,
                test_ids=list(payload["test_ids"]),
                y_true=decode_labels(payload["y_true"]),
            )
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            raise StoreFileError(
                f"{path}: not a readable stored run ({error!r}); delete it to train the run again"
            ) from error
        about = {k: payload.get(k) for k in ("trained_by", "created")}
        about["seconds"] = float(payload["record"].get("seconds", 0.0))
        return result, about

    def save(self, config: Any, seed: int, result: Any, model: Any = None) -> Path:
        """Store a finished run (``result.to_record()``, its test items, and ``model``'s weights if given)."""
        from course_lib.recipes.references import encode_labels

        path, weights = self._paths(config, seed)
        self.folder.mkdir(parents=True, exist_ok=True)
        if model is not None:
            from safetensors.torch import save_model

            tmp = private_temp_name(weights)
            save_model(model, str(tmp))
            os.replace(tmp, weights)
        payload = {
            "format": FORMAT,
            "record": result.to_record(),
            "test_ids": list(result.test_ids),
            "y_true": encode_labels(result.y_true),
            "config": config.as_dict(),
            "seed": int(seed),
            "context": self._full_context,
            "trained_by": self.trained_by,
            "created": time.strftime("%Y-%m-%d %H:%M"),
            "weights": weights.name if model is not None else None,
        }
        write_json_atomically(path, payload)
        return path

    def load_weights(self, config: Any, seed: int, model: Any) -> bool:
        """Fill ``model`` with the stored weights of ``(config, seed)``; False when none are stored.

        Raises:
            StoreFileError: naming the file when the weights do not fit the model.
        """
        from safetensors.torch import load_model

        _, weights = self._paths(config, seed)
        if not weights.is_file():
            return False
        try:
            load_model(model, str(weights))
        except (OSError, RuntimeError, ValueError) as error:
            raise StoreFileError(f"{weights}: stored weights do not fit the model ({error})") from error
        return True
