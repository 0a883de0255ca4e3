"""Fixtures of the browser tests: a JupyterLab server with a temporary configuration and Chromium.

The server listens on 127.0.0.1 on a free port with token authentication.
Its configuration, user settings, workspaces and runtime folders are
temporary, so a learner's saved layout is never restored into a test (and a
test never writes into the learner's settings). Notebooks are copied into a
temporary root folder before Lab opens them: running them there leaves the
committed notebooks without outputs.

The kernels inherit the server's environment: smoke mode, hub offline, the
checkout on ``PYTHONPATH``, and **no** ``MPLBACKEND`` (a headless backend such
as ``Agg`` would turn every chart into the text ``<Figure size ...>``). The run
store is off (``COURSE_RUN_STORE=off``): the notebooks run here must leave no
runs behind, or the notebook smoke runs that follow would load them instead of
training.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from chromium_finder import find_chromium, skip_reason

from course_lib.runtime import repo_root

#: Seconds JupyterLab may take to answer its status API after starting.
SERVER_START_TIMEOUT = 90.0

#: User settings written into the temporary settings folder (JSON per plugin).
LAB_SETTINGS: dict[str, dict] = {
    # Every cell stays in the DOM (no virtual scrolling), so the test sees every prompt; the
    # notebook's kernel starts without asking.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none", "autoStartDefaultKernel": True},
    # Never write the copies back while the test runs.
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    # No question about fetching news (it would need the network).
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}


@dataclass
class Lab:
    """A running JupyterLab server.

    Attributes:
        url: Base URL, e.g. ``http://127.0.0.1:8931``.
        token: The authentication token.
        root: The server's root folder (where the notebooks are copied to).
        log: The file receiving the server's output.
    """

    url: str
    token: str
    root: Path
    log: Path

    def notebook_url(self, name: str) -> str:
        """URL opening ``name`` (relative to :attr:`root`) in Lab with a fresh workspace."""
        return f"{self.url}/lab/tree/{name}?reset&token={self.token}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def kernel_environment(root: Path, home: Path) -> dict[str, str]:
    """The server's (and so the kernels') environment: smoke mode, offline, no run store, temporary Jupyter folders."""
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    pythonpath = [str(repo_root())] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env.update(
        COURSE_SMOKE="1",
        COURSE_RUN_STORE="off",
        HF_HUB_OFFLINE="1",
        PYTHONPATH=os.pathsep.join(pythonpath),
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        IPYTHONDIR=str(home / "ipython"),
    )
    return env


def write_settings(settings_dir: Path) -> None:
    """Write :data:`LAB_SETTINGS` as Lab user settings files."""
    for plugin, values in LAB_SETTINGS.items():
        path = settings_dir / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


def wait_until_up(url: str, token: str, process: subprocess.Popen, log: Path) -> None:
    """Poll the server's status API until it answers (fails with the server log when it does not)."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        with (
            contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError),
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as answer,
        ):
            if answer.status == 200:
                return
        time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {SERVER_START_TIMEOUT:.0f} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    """Stop the server (and its kernels, in the same process group)."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, 15)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 9)
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """The system Chromium; skips the test (saying why) when there is none or no Playwright."""
    reason = skip_reason()
    if reason:
        pytest.skip(f"browser tests skipped: {reason}")
    path, _ = find_chromium()
    assert path is not None
    return path


@pytest.fixture(scope="session")
def lab(chromium_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A JupyterLab server on 127.0.0.1 with temporary configuration, settings and workspaces."""
    home = tmp_path_factory.mktemp("lab")
    root = home / "root"
    root.mkdir()
    write_settings(home / "settings")
    port, token = free_port(), secrets.token_hex(24)
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={home / 'settings'}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = home / "jupyterlab.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=root,
            env=kernel_environment(root, home),
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, token, process, log)
        yield Lab(url=url, token=token, root=root, log=log)
    finally:
        stop(process)


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[object]:
    """A headless Chromium driven by Playwright (the system's executable; nothing downloaded)."""
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(chromium_path), headless=True, args=args)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """``build/browser/``, where the tests keep their screenshots (CI artifacts)."""
    folder = repo_root() / "build" / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
