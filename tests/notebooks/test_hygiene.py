"""Notebook hygiene: format, no outputs, one literal parameters cell, names, badge."""

from __future__ import annotations

import ast
import re

import nbformat
import pytest

from course_lib import course
from course_lib.runtime import repo_root

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

NOTEBOOKS = course.list_notebooks()
ALL_IPYNB = sorted((repo_root() / "notebooks").glob("*.ipynb"))
PARAMETERS = {"MODE", "SEED", "DEVICE", "DATA_DIR", "RESULTS_PATH"}


def _repository_url() -> str:
    meta = tomllib.loads((repo_root() / "pyproject.toml").read_text(encoding="utf-8"))
    return meta["project"]["urls"]["Repository"]


def _read(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    return nb


def test_every_notebook_is_a_numbered_lesson():
    assert ALL_IPYNB == NOTEBOOKS, "every notebook must be named NN_snake_case.ipynb"
    for path in ALL_IPYNB:
        assert course.NOTEBOOK_NAME.match(path.name), path.name
    numbers = [p.name[:2] for p in NOTEBOOKS]
    assert len(numbers) == len(set(numbers)), "two notebooks share a number"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_outputs_committed(path):
    nb = _read(path)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.outputs, f"{path.name} cell {index} has outputs"
            assert cell.execution_count is None, f"{path.name} cell {index} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_one_literal_parameters_cell(path):
    nb = _read(path)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: {len(tagged)} parameters cells"
    tree = ast.parse(tagged[0].source)
    names = set()
    for node in tree.body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1, f"{path.name}: not an assignment"
        assert isinstance(node.targets[0], ast.Name)
        ast.literal_eval(node.value)  # raises for anything but a literal
        names.add(node.targets[0].id)
    assert names == PARAMETERS, f"{path.name}: parameters {sorted(names)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_template_cells(path):
    nb = _read(path)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "title first"
    badge = (
        f"https://colab.research.google.com/github/{_repository_url().removeprefix('https://github.com/')}"
    )
    expected = f"{badge}/blob/main/notebooks/{path.name}"
    links = re.findall(r"\]\((https://colab\.research\.google\.com/github/[^)]+)\)", first.source)
    assert links == [expected], f"{path.name}: Colab badge must point at {expected}"
    sources = [c.source for c in nb.cells if c.cell_type == "code"]
    assert any("google.colab" in s for s in sources), "a Colab-only install cell"
    assert any("runtime.setup(" in s or "setup(MODE" in s for s in sources), "a setup cell"
    assert "run.record(" in sources[-1], "the last code cell records the results"
    assert nb.metadata.get("course", {}).get("expects"), "metadata.course.expects declares the results"


#: Longest code cell a lesson may have (short cells calling course_lib; the machinery lives in the package).
MAX_CODE_LINES = 15


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_code_cells_are_short(path):
    long = [
        (index, len(cell.source.strip().splitlines()))
        for index, cell in enumerate(_read(path).cells)
        if cell.cell_type == "code" and len(cell.source.strip().splitlines()) > MAX_CODE_LINES
    ]
    assert not long, f"{path.name}: code cells longer than {MAX_CODE_LINES} lines (cell, lines): {long}"


def test_no_helper_is_defined_in_two_notebooks():
    import re

    defined: dict[str, list[str]] = {}
    for path in NOTEBOOKS:
        for cell in _read(path).cells:
            if cell.cell_type == "code":
                for name in re.findall(r"^def (\w+)", cell.source, flags=re.MULTILINE):
                    defined.setdefault(name, []).append(path.stem)
    repeated = {name: stems for name, stems in defined.items() if len(stems) > 1}
    assert not repeated, f"helpers defined in several notebooks (move them to course_lib): {repeated}"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem[:2] in ("01", "02", "03", "04", "05")])
def test_lessons_on_the_paper_record_claims(path):
    expects = course.read_expectations(path)
    assert expects.get("claims") == course.CLAIM_RECORDS, f"{path.name} must declare its claims"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_choice_is_made_on_test_scores(path):
    """Selections (max/min/sorted/idxmax) must not read test scores; Comparison.best() reads validation only."""
    import re

    choosing = re.compile(r"\b(max|min|sorted|argmax|idxmax|argmin|idxmin)\(")
    offending = [
        line.strip()
        for cell in _read(path).cells
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
        if choosing.search(line) and "test" in line
    ]
    assert not offending, f"{path.name} chooses on the test split: {offending}"
