"""Find a system Chromium for the browser tests (Playwright never downloads one here).

``python tests/browser/chromium_finder.py`` prints where the browser tests will find
Chromium, or that they will be skipped and why; ``make test`` calls it.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

#: Names of a Chromium executable on the PATH, in order of preference.
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Environment variable naming a Chromium executable explicitly.
ENV_VAR = "COURSE_CHROMIUM"


def find_chromium() -> tuple[Path | None, str]:
    """The Chromium executable to drive, or None with the reason none is usable."""
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        path = Path(explicit)
        if path.is_file() and os.access(path, os.X_OK):
            return path, f"{ENV_VAR}={path}"
        return None, f"{ENV_VAR}={explicit} is not an executable file"
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return Path(found), f"found {found} on the PATH"
    return None, (
        f"no Chromium on the PATH (looked for {', '.join(CANDIDATES)}); "
        f"install one (Debian/Ubuntu: apt-get install chromium) or set {ENV_VAR}"
    )


def playwright_missing() -> str | None:
    """Why the Playwright package cannot be used, or None when it imports."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"the playwright package is not installed ({error}); run `make setup`"
    return None


def skip_reason() -> str | None:
    """Why the browser tests must be skipped here, or None when they can run."""
    missing = playwright_missing()
    if missing:
        return missing
    path, why = find_chromium()
    return None if path else why


def main() -> int:
    """Print whether the browser tests run (and with which Chromium) or are skipped (and why)."""
    reason = skip_reason()
    if reason:
        print(f"browser tests: SKIPPED -- {reason}")
    else:
        print(f"browser tests: will run with Chromium: {find_chromium()[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
