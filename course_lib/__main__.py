"""Command line of the course: ``python -m course_lib <command> ...``.

Commands:
    data make|info   generate the embedded corpora / describe a corpus folder
    bench ...        benchmark scripts that print figures
    course run       execute the notebooks headlessly and write the report
    sweep RECIPE     search a lesson's hyper-parameters with Optuna
    predict          the emotion of your own clip with a model a lesson trained
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

#: Sub-command name -> module providing ``register(subparsers)``; each
#: registered parser sets ``func`` to the function that runs it.
COMMANDS: dict[str, str] = {
    "data": "course_lib.data.cli",
    "bench": "course_lib.bench",
    "course": "course_lib.course",
    "sweep": "course_lib.training.sweep",
    "predict": "course_lib.predict",
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available sub-command registered."""
    parser = argparse.ArgumentParser(prog="python -m course_lib", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module_name in COMMANDS.values():
        importlib.import_module(module_name).register(subparsers)
    return parser


#: Failures a user can cause and fix (a wrong path, a refused folder, a bad value):
#: reported in one line. Anything else is a bug and keeps its traceback.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (OSError, ValueError)


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; returns the exit status.

    Expected failures print ``error: ...`` on one line and return 2; set
    ``COURSE_TRACEBACK=1`` to see the traceback instead.
    """
    args = build_parser().parse_args(argv)
    try:
        status = args.func(args)
    except EXPECTED_ERRORS as error:
        if os.environ.get("COURSE_TRACEBACK"):
            raise
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return int(status or 0)


if __name__ == "__main__":
    sys.exit(main())
