"""Safe file-system steps shared by the corpus generator and the feature cache.

* :func:`file_lock` -- an exclusive inter-process lock on a lock file
  (``fcntl.flock``; released by the kernel when a process dies, so a killed
  run never leaves a lock behind);
* :func:`is_writable` -- whether a folder (or the nearest existing parent) can
  be written, without writing anything;
* :func:`private_temp_name` / :func:`remove_stale` -- temporary siblings named
  after the process that owns them, and their removal once that process is gone;
* :func:`write_json_atomically` -- write-then-rename, so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: errno values that mean "this place cannot be written".
READ_ONLY_ERRNOS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


class ReadOnlyError(OSError):
    """A folder that has to be written cannot be (read-only mount, no permission)."""


def is_writable(folder: Path) -> bool:
    """Whether ``folder`` (or its nearest existing parent, if it does not exist yet) is writable."""
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return os.access(folder, os.W_OK | os.X_OK)


@contextlib.contextmanager
def file_lock(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (created if needed) for the ``with`` block.

    Where ``fcntl`` does not exist (Windows), no lock is taken.

    Raises:
        ReadOnlyError: when the lock file cannot be created because its folder is read-only.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    lock_path = Path(lock_path)
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a")  # noqa: SIM115 -- closed in finally
    except OSError as error:
        if error.errno in READ_ONLY_ERRNOS:
            raise ReadOnlyError(
                error.errno, f"{lock_path.parent} is not writable ({error.strerror})"
            ) from error
        raise
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def private_temp_name(target: Path, kind: str = "tmp") -> Path:
    """A hidden sibling of ``target`` owned by this process: ``.<name>.<kind>-<pid>-<random>``."""
    target = Path(target)
    return target.parent / f".{target.name}.{kind}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale(target: Path, kinds: tuple[str, ...] = ("tmp", "old")) -> list[Path]:
    """Delete the temporary siblings of ``target`` left by processes that are gone.

    Returns:
        The removed paths.
    """
    target = Path(target)
    removed = []
    for kind in kinds:
        for leftover in target.parent.glob(f".{target.name}.{kind}-*"):
            pid_text = leftover.name.rsplit(f".{kind}-", 1)[1].split("-")[0]
            if pid_text.isdigit() and _pid_alive(int(pid_text)):
                continue
            shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(
                missing_ok=True
            )
            removed.append(leftover)
    return removed


def write_json_atomically(path: Path, payload: Any) -> None:
    """Write ``payload`` as indented, key-sorted JSON to ``path`` through a temporary file."""
    path = Path(path)
    tmp = private_temp_name(path)
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
