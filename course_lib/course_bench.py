"""Course timing benchmark: run the notebooks and print each one's wall time and peak memory.

``python -m course_lib bench course [--mode smoke|full] [NOTEBOOK ...]`` executes
the notebooks one after the other with the course runner (the same runs as
``make course``: a fresh kernel per notebook, executed copies and a report in
``--out``) and prints a table: notebook, status, wall time, the kernel's CPU
time and peak resident memory, and the machine it ran on with its load average
before and after (other programs on the machine lengthen the wall times; the
CPU time varies less). These are the figures the README's timing guide quotes.
"""

from __future__ import annotations

import argparse
import os
import platform
from collections.abc import Sequence
from pathlib import Path

from course_lib.course import NotebookRun, run_course
from course_lib.runtime import repo_root, resolve_mode


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m course_lib bench course``."""
    parser.add_argument("notebooks", nargs="*", help="notebooks to time (default: all notebooks/NN_*.ipynb)")
    parser.add_argument("--mode", default="smoke", choices=("auto", "smoke", "full"))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--out",
        type=Path,
        default=repo_root() / "build" / "bench",
        help="folder of the executed copies and the report (default build/bench)",
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="data folder (default: ./data)")


def cpu_description() -> str:
    """The processor's model name and how many cores this process may use."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{model}, {cores} cores"


def _cell(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def load_average() -> str:
    """The 1-minute load average (runnable processes), or ``"n/a"`` where the system has none."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except (AttributeError, OSError):
        return "n/a"


def format_table(runs: Sequence[NotebookRun], mode: str) -> str:
    """A plain-text table of the runs with a total line.

    Columns: notebook, status, wall time (s), the kernel's CPU time (s; user +
    system, less sensitive to other programs on the machine), peak memory (MB).

    Example:
        ``00_welcome.ipynb   ok   12.3   15.0   812``
    """
    width = max([len("notebook")] + [len(run.notebook) for run in runs])
    lines = [f"{'notebook':<{width}}  {'status':<8}  {'wall s':>8}  {'CPU s':>8}  {'peak MB':>8}"]
    lines.append("-" * len(lines[0]))
    for run in runs:
        lines.append(
            f"{run.notebook:<{width}}  {run.status:<8}  {run.seconds:>8.1f}  "
            f"{_cell(run.cpu_seconds):>8}  {_cell(run.peak_rss_mb, 0):>8}"
        )
    lines.append("-" * len(lines[0]))
    peaks = [run.peak_rss_mb for run in runs if run.peak_rss_mb is not None]
    cpus = [run.cpu_seconds for run in runs if run.cpu_seconds is not None]
    total = sum(run.seconds for run in runs)
    cpu = _cell(sum(cpus)) if len(cpus) == len(runs) else "n/a"
    peak = _cell(max(peaks), 0) if peaks else "n/a"
    lines.append(f"{'total (' + mode + ')':<{width}}  {'':<8}  {total:>8.1f}  {cpu:>8}  {peak:>8}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run the course and print the timing table; non-zero when a notebook did not pass."""
    notebooks = [Path(p).resolve() for p in args.notebooks] if args.notebooks else None
    load_before = load_average()
    runs = run_course(
        mode=args.mode,
        out_dir=args.out.resolve(),
        notebooks=notebooks,
        seed=args.seed,
        data_dir=args.data_dir.resolve() if args.data_dir else None,
    )
    print()
    print(f"machine: {cpu_description()}; Python {platform.python_version()}")
    print(f"load average (1 min) before: {load_before}, after: {load_average()}")
    print(format_table(runs, resolve_mode(args.mode)))
    return 0 if runs and all(r.ok for r in runs) else 1
