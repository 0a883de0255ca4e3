"""Run configuration shared by every notebook: mode, seed, device, folders.

A notebook's setup cell calls :func:`setup` once with the values of its
``parameters`` cell and gets a :class:`RunConfig`; the notebook ends with
``run.record(results)``, which writes the results as JSON for the tests and the
course report. Importing this module has no side effects.
"""

from __future__ import annotations

import json
import math
import os
import platform
import random
import socket
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

MODES = ("auto", "smoke", "full")
_TRUTHY = {"1", "true", "yes", "on"}
HUB_HOST = "huggingface.co"


def repo_root() -> Path:
    """The folder holding the ``course_lib`` package (the course checkout)."""
    return Path(__file__).resolve().parent.parent


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUTHY


def resolve_mode(mode: str = "auto") -> str:
    """Resolve ``"auto"`` to ``"smoke"`` or ``"full"``.

    Smoke mode is chosen when asked for, or in ``"auto"`` when the ``CI`` or
    ``COURSE_SMOKE`` environment variable is set to a true value.

    Raises:
        ValueError: for a mode other than auto, smoke or full.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if mode != "auto":
        return mode
    return "smoke" if (_env_flag("CI") or _env_flag("COURSE_SMOKE")) else "full"


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Seed python, numpy and torch; ask torch for deterministic kernels.

    Args:
        seed: The seed for every generator.
        deterministic: Also switch torch to deterministic algorithms (with a
            warning instead of an error for ops that have none).
    """
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False


@contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """Run a block with ``count`` torch CPU threads (None: unchanged), then restore the previous number.

    Small models (a few hundred thousand weights, short sequences) train
    faster on one thread: their matrix products are too small to share, and
    on a busy machine the threads mostly wait for each other.
    """
    import torch

    previous = torch.get_num_threads()
    if count is not None:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def pick_device(preference: str = "auto") -> torch.device:
    """Pick the compute device: cuda > mps > cpu for ``"auto"``.

    Args:
        preference: ``"auto"``, or a torch device string such as ``"cpu"`` or
            ``"cuda:0"``.

    Raises:
        RuntimeError: when the asked-for accelerator is not available.
    """
    import torch

    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(preference)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {preference!r} asked for, but CUDA is not available")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise RuntimeError(f"device {preference!r} asked for, but MPS is not available")
    return device


def hub_reachable(timeout: float = 1.5) -> bool:
    """Whether the model hub answers a TCP connection within ``timeout`` seconds."""
    try:
        with socket.create_connection((HUB_HOST, 443), timeout=timeout):
            return True
    except OSError:
        return False


def resolve_offline(offline: bool | None = None) -> bool:
    """Decide whether to run with the model hub switched off.

    ``HF_HUB_OFFLINE=1`` in the environment or ``CI`` mean offline; otherwise,
    for ``offline=None``, a short connection test to the hub decides. When the
    answer is offline, ``HF_HUB_OFFLINE=1`` is set so that ``transformers``
    never waits on the network.
    """
    if offline is None:
        offline = _env_flag("HF_HUB_OFFLINE") or _env_flag("CI") or not hub_reachable()
    if offline:
        os.environ["HF_HUB_OFFLINE"] = "1"
    return offline


def _jsonable(value: Any) -> Any:
    """Convert numpy/torch scalars and arrays, paths and tuples to JSON types."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if hasattr(value, "tolist") and hasattr(value, "dtype"):  # torch tensors
        return _jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot record a value of type {type(value).__name__}: {value!r}")


@dataclass
class RunConfig:
    """What a notebook run needs to know about its environment.

    Attributes:
        name: Notebook (or script) name, used for the default results file.
        mode: ``"smoke"`` (fast, tiny corpora) or ``"full"``.
        seed: Seed used for every generator.
        device: The torch device to compute on.
        offline: Whether the model hub is switched off.
        data_dir: Root of corpora, caches and downloaded models.
        results_path: Where :meth:`record` writes JSON.
        reference: What full-mode comparisons do with the course's shipped
            results: ``"train"``, ``"load"`` or ``"save"`` (default from
            ``$COURSE_REFERENCE``; see :mod:`course_lib.recipes.references`).
    """

    name: str
    mode: str
    seed: int
    device: Any
    offline: bool
    data_dir: Path
    results_path: Path
    reference: str = field(default_factory=lambda: os.environ.get("COURSE_REFERENCE", "") or "train")
    started: float = field(default_factory=time.perf_counter)

    @property
    def smoke(self) -> bool:
        """True in smoke mode."""
        return self.mode == "smoke"

    @property
    def preset(self) -> str:
        """Corpus size preset: ``"tiny"`` in smoke mode, ``"full"`` otherwise."""
        return "tiny" if self.smoke else "full"

    @property
    def corpora_dir(self) -> Path:
        """Folder of the generated corpora for this run's preset."""
        return self.data_dir / "corpora" / self.preset

    @property
    def cache_dir(self) -> Path:
        """Folder for cached features (see :func:`resolve_cache_dir`)."""
        return resolve_cache_dir(self.data_dir)

    @property
    def models_dir(self) -> Path:
        """Folder for trained checkpoints and downloaded model copies."""
        return self.data_dir / "models"

    def pick(self, smoke: Any, full: Any) -> Any:
        """Return ``smoke`` in smoke mode and ``full`` otherwise."""
        return smoke if self.smoke else full

    def summary(self) -> str:
        """One short human-readable paragraph describing the run."""
        import torch

        return (
            f"{self.name}: mode={self.mode} seed={self.seed} device={self.device} "
            f"offline={self.offline}\n"
            f"  data: {self.data_dir}\n"
            f"  python {platform.python_version()}, torch {torch.__version__}, "
            f"{torch.get_num_threads()} CPU threads"
        )

    def record(self, results: Mapping[str, Any]) -> Path:
        """Write the notebook's results as JSON to :attr:`results_path`.

        Args:
            results: Metric names to values (numbers, strings, lists, dicts;
                numpy and torch values are converted).

        Returns:
            The path written.
        """
        payload = {
            "notebook": self.name,
            "mode": self.mode,
            "seed": self.seed,
            "device": str(self.device),
            "elapsed_s": round(time.perf_counter() - self.started, 3),
            "results": _jsonable(results),
        }
        self.results_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.results_path.with_suffix(self.results_path.suffix + ".tmp")
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True), encoding="utf-8")
        tmp.replace(self.results_path)
        return self.results_path


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The data folder: the argument, else ``COURSE_DATA_DIR``, else ``<repo>/data``."""
    chosen = data_dir or os.environ.get("COURSE_DATA_DIR") or repo_root() / "data"
    return Path(chosen).expanduser().resolve()


def user_cache_dir() -> Path:
    """The per-user fallback for what cannot be written under a read-only data folder."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "course_lib"


def _writable_or_fallback(preferred: Path, name: str) -> Path:
    """``preferred`` when it can be written, else ``<user cache>/<name>``."""
    from course_lib.fsutil import is_writable

    return preferred if is_writable(preferred) else user_cache_dir() / name


def resolve_cache_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The feature cache: ``COURSE_CACHE_DIR``, else ``<data dir>/cache``.

    When the data folder is read-only (a shared course install, a mounted
    dataset), the default falls back to ``~/.cache/course_lib/cache`` (or
    ``$XDG_CACHE_HOME/course_lib/cache``).
    """
    chosen = os.environ.get("COURSE_CACHE_DIR")
    if chosen:
        return Path(chosen).expanduser().resolve()
    return _writable_or_fallback(resolve_data_dir(data_dir) / "cache", "cache")


def setup(
    mode: str = "auto",
    seed: int = 42,
    device: str = "auto",
    data_dir: str | os.PathLike | None = None,
    results_path: str | os.PathLike | None = None,
    name: str = "notebook",
    offline: bool | None = None,
    verbose: bool = True,
) -> RunConfig:
    """Resolve a notebook's parameters into a :class:`RunConfig`.

    Args:
        mode: ``"auto"``, ``"smoke"`` or ``"full"`` (see :func:`resolve_mode`).
        seed: Seed for python, numpy and torch.
        device: ``"auto"`` or a torch device string.
        data_dir: Data folder; empty means ``COURSE_DATA_DIR`` or ``<repo>/data``.
        results_path: JSON file for :meth:`RunConfig.record`; empty means
            ``<data_dir>/results/<name>.json`` (or, for a read-only data
            folder, ``~/.cache/course_lib/results/<name>.json``).
        name: The notebook's name.
        offline: Force the hub off (True) or on (False); None detects it.
        verbose: Print the run summary.
    """
    resolved_mode = resolve_mode(mode)
    seed_everything(seed)
    data = resolve_data_dir(data_dir or None)
    results = (
        Path(results_path)
        if results_path
        else _writable_or_fallback(data / "results", "results") / f"{name}.json"
    )
    run = RunConfig(
        name=name,
        mode=resolved_mode,
        seed=seed,
        device=pick_device(device),
        offline=resolve_offline(offline),
        data_dir=data,
        results_path=results.expanduser().resolve(),
    )
    if verbose:
        print(run.summary())
    return run
