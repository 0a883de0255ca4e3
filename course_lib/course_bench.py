"""Course timing benchmark: run the notebooks and print each one's wall time and peak memory.

``python -m course_lib bench course [--mode smoke|full] [NOTEBOOK ...]`` executes
the notebooks one after the other with the course runner (the same runs as
``make course``: a fresh kernel per notebook, executed copies and a report in
``--out``) and prints a table: notebook, status, wall time, the kernel's peak
resident memory, and the machine it ran on. These are the figures the README's
timing guide quotes. Figures vary with the machine and its load.
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


def format_table(runs: Sequence[NotebookRun], mode: str) -> str:
    """A plain-text table of the runs with a total line.

    Example:
        ``00_welcome.ipynb   ok   12.3   812``
    """
    width = max([len("notebook")] + [len(run.notebook) for run in runs])
    lines = [f"{'notebook':<{width}}  {'status':<8}  {'wall s':>8}  {'peak MB':>8}"]
    lines.append("-" * len(lines[0]))
    for run in runs:
        peak = "n/a" if run.peak_rss_mb is None else f"{run.peak_rss_mb:.0f}"
        lines.append(f"{run.notebook:<{width}}  {run.status:<8}  {run.seconds:>8.1f}  {peak:>8}")
    lines.append("-" * len(lines[0]))
    peaks = [run.peak_rss_mb for run in runs if run.peak_rss_mb is not None]
    total_peak = f"{max(peaks):.0f}" if peaks else "n/a"
    total = sum(run.seconds for run in runs)
    lines.append(f"{'total (' + mode + ')':<{width}}  {'':<8}  {total:>8.1f}  {total_peak:>8}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run the course and print the timing table; non-zero when a notebook did not pass."""
    notebooks = [Path(p).resolve() for p in args.notebooks] if args.notebooks else None
    runs = run_course(
        mode=args.mode,
        out_dir=args.out.resolve(),
        notebooks=notebooks,
        seed=args.seed,
        data_dir=args.data_dir.resolve() if args.data_dir else None,
    )
    print()
    print(f"machine: {cpu_description()}; Python {platform.python_version()}")
    print(format_table(runs, resolve_mode(args.mode)))
    return 0 if runs and all(r.ok for r in runs) else 1
