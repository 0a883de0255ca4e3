"""Command line of the course: ``python -m course_lib <command> ...``.

Commands:
    data make|info   generate the embedded corpora / describe a corpus folder
    bench ...        benchmark scripts that print figures
    course run       execute the notebooks headlessly and write the report
"""

from __future__ import annotations

import argparse
import importlib
import sys

#: Sub-command name -> module providing ``register(subparsers)``; each
#: registered parser sets ``func`` to the function that runs it.
COMMANDS: dict[str, str] = {
    "data": "course_lib.data.cli",
    "bench": "course_lib.bench",
    "course": "course_lib.course",
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available sub-command registered."""
    parser = argparse.ArgumentParser(prog="python -m course_lib", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module_name in COMMANDS.values():
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; returns the exit status."""
    args = build_parser().parse_args(argv)
    status = args.func(args)
    return int(status or 0)


if __name__ == "__main__":
    sys.exit(main())
