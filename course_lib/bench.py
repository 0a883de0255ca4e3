"""Benchmarks: scripts that print figures (never timed assertions).

``python -m course_lib bench <name>`` runs one benchmark. Each benchmark lives
next to the code it measures and exposes ``add_arguments(parser)`` and
``run(args) -> int``; this module only lists them.
"""

from __future__ import annotations

import argparse
import importlib

#: Benchmark name -> module with ``add_arguments`` and ``run``.
BENCHMARKS: dict[str, str] = {
    "corpora": "course_lib.data.synthetic.bench",
    "features": "course_lib.features.bench",
    "course": "course_lib.course_bench",
    "selfmm-tail": "course_lib.recipes.selfmm_bench",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``bench <name>`` sub-commands to the CLI."""
    bench = subparsers.add_parser("bench", help="run a benchmark that prints figures")
    names = bench.add_subparsers(dest="benchmark", required=True)
    for name, module_name in BENCHMARKS.items():
        module = importlib.import_module(module_name)
        parser = names.add_parser(name, help=(module.__doc__ or name).splitlines()[0])
        module.add_arguments(parser)
        parser.set_defaults(func=module.run)
