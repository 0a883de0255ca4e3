"""Smoke-run every course notebook with papermill and check what it recorded.

Each notebook declares the results it must record and their sane ranges in its
metadata (``metadata.course.expects``); a run passes only when the notebook
executes without error and every expectation holds. Executed copies land in
``build/notebooks/`` (kept by CI as artifacts).
"""

from __future__ import annotations

import pytest

from course_lib import course
from course_lib.runtime import repo_root

NOTEBOOKS = course.list_notebooks()
BUILD = repo_root() / "build" / "notebooks"


def test_course_has_notebooks():
    assert NOTEBOOKS, "no notebooks/NN_*.ipynb found"
    assert NOTEBOOKS[0].name == "00_welcome.ipynb"


@pytest.mark.notebook
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_smoke_run(notebook):
    expects = course.read_expectations(notebook)
    assert expects, f"{notebook.name} declares no expected results in metadata.course.expects"
    run = course.run_notebook(notebook, BUILD, mode="smoke", timeout=600)
    assert run.ok, f"{notebook.name} {run.status}:\n" + "\n".join(run.problems)
