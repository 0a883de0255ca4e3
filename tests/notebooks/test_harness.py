"""The notebook harness itself: a failing or out-of-range notebook fails the suite."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import nbformat
import pytest

from course_lib import course


def _notebook(tmp_path: Path, body: str, expects: dict) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'MODE = "auto"\nSEED = 42\nDEVICE = "auto"\nDATA_DIR = ""\nRESULTS_PATH = ""'
    )
    params.metadata["tags"] = ["parameters"]
    setup = nbformat.v4.new_code_cell(
        "from course_lib.runtime import setup\n"
        "run = setup(MODE, SEED, DEVICE, DATA_DIR, RESULTS_PATH, name='probe', offline=True)"
    )
    nb.cells = [params, setup, nbformat.v4.new_code_cell(body)]
    nb.metadata["course"] = {"expects": expects}
    nb.metadata["kernelspec"] = {
        "name": course.KERNEL_NAME,
        "display_name": "Python (course)",
        "language": "python",
    }
    path = tmp_path / "99_probe.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize(
    ("expects", "results", "n_problems"),
    [
        ({"acc": [0, 1]}, {"acc": 0.5}, 0),
        ({"acc": [0, 1]}, {"acc": 1.5}, 1),
        ({"acc": [0.9, None]}, {"acc": 0.5}, 1),
        ({"acc": [0, 1]}, {}, 1),
        ({"acc": [0, 1]}, {"acc": "high"}, 1),
        ({"nested.f1": [0, 1]}, {"nested": {"f1": 0.3}}, 0),
        ({"ok": True}, {"ok": False}, 1),
    ],
)
def test_check_expectations(expects, results, n_problems):
    assert len(course.check_expectations(expects, results)) == n_problems


@pytest.mark.notebook
def test_good_notebook_passes_and_records(tmp_path):
    path = _notebook(tmp_path, "run.record({'acc': 0.75, 'n': 3})", {"acc": [0, 1], "n": 3})
    run = course.run_notebook(path, tmp_path / "out", mode="smoke", timeout=300)
    assert run.ok, run.problems
    assert run.results == {"acc": 0.75, "n": 3}
    assert run.peak_rss_mb and run.peak_rss_mb > 10
    assert run.cpu_seconds is not None and 0 < run.cpu_seconds < 300
    executed = json.loads((tmp_path / "out" / path.name).read_text())
    assert any(cell.get("outputs") is not None for cell in executed["cells"] if cell["cell_type"] == "code")


@pytest.mark.notebook
def test_raising_notebook_fails(tmp_path):
    path = _notebook(tmp_path, "raise ValueError('lesson broke')", {"acc": [0, 1]})
    run = course.run_notebook(path, tmp_path / "out", mode="smoke", timeout=300)
    assert run.status == "failed"
    assert "lesson broke" in run.problems[0]


@pytest.mark.notebook
def test_out_of_range_result_fails(tmp_path):
    path = _notebook(tmp_path, "run.record({'acc': 7.0})", {"acc": [0, 1]})
    run = course.run_notebook(path, tmp_path / "out", mode="smoke", timeout=300)
    assert run.status == "invalid"
    assert "outside" in run.problems[0]


def test_report_lists_every_notebook():
    runs = [
        course.NotebookRun("00_welcome.ipynb", "ok", 3.2, 210.0, {"a": 1.0}),
        course.NotebookRun("01_x.ipynb", "failed", 1.0, None, {}, ["ValueError: boom"]),
    ]
    page = course.render_report(runs, "smoke", 4.2)
    assert "00_welcome.ipynb" in page and "01_x.ipynb" in page
    assert "1 of 2 notebooks passed" in page
    assert "ValueError: boom" in page


def _record(claim: str, verdict: str, paper_key: str = "femia", **values) -> dict:
    return {
        "claim": claim,
        "source": "Table 3",
        "paper": 0.05,
        "observed": 0.02,
        "ci_low": -0.01,
        "ci_high": 0.04,
        "verdict": verdict,
        "paper_key": paper_key,
        **values,
    }


def test_report_scorecard_groups_every_claim_by_paper_and_parses():
    from html.parser import HTMLParser

    runs = [
        course.NotebookRun(
            "02_audio.ipynb", "ok", 3.0, 100.0, {"claims": [_record("wav2vec wins", "inconclusive")]}
        ),
        course.NotebookRun(
            "03_fusion.ipynb",
            "ok",
            4.0,
            100.0,
            {
                "claims": [
                    _record(
                        "fusion beats text", "does not hold", observed=-0.06, ci_low=-0.09, ci_high=-0.03
                    ),
                    _record("a claim of no paper", "holds", paper_key=""),
                    {"claim": "malformed"},
                ]
            },
        ),
    ]

    class Tables(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tables, self.cell = [], None

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self.tables.append([])
            elif tag == "tr":
                self.tables[-1].append([])
            elif tag in ("td", "th"):
                self.cell = ""

        def handle_endtag(self, tag):
            if tag in ("td", "th"):
                self.tables[-1][-1].append(self.cell.strip())
                self.cell = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell += data

    parser = Tables()
    parser.feed(course.render_report(runs, "full", 7.0))
    notebooks, femia, orphans = parser.tables
    assert [row[0] for row in notebooks[1:]] == ["02_audio.ipynb", "03_fusion.ipynb"]
    assert all("claims" not in row[4] for row in notebooks[1:]), "claims go to the scorecard, not the results"
    assert femia[0] == [
        "lesson",
        "claim",
        "where in the paper",
        "paper",
        "ours",
        "95% CI (paired bootstrap)",
        "verdict",
    ]
    assert femia[1:] == [
        ["02_audio.ipynb", "wav2vec wins", "Table 3", "+0.050", "+0.020", "[-0.010, +0.040]", "inconclusive"],
        [
            "03_fusion.ipynb",
            "fusion beats text",
            "Table 3",
            "+0.050",
            "-0.060",
            "[-0.090, -0.030]",
            "does not hold",
        ],
    ]
    assert orphans[1][1] == "a claim of no paper"
    page = course.render_report(runs, "full", 7.0)
    assert "Femia" in page and "2 claims: 0 holds, 1 does not hold, 1 inconclusive, 0 consistent." in page


def test_the_papers_claims_carry_their_paper_key():
    from course_lib.papers import femia, papers

    assert set(papers()) >= {"femia"}
    assert all(c.paper_key == "femia" for c in [*femia.CLAIMS.values(), *femia.COURSE_QUESTIONS.values()])


@pytest.mark.notebook
def test_slow_notebook_times_out_and_its_kernel_is_stopped(tmp_path):
    import psutil

    marker = tmp_path / "kernel.pid"
    body = f"import os, time\nopen({str(marker)!r}, 'w').write(str(os.getpid()))\ntime.sleep(120)"
    path = _notebook(tmp_path, body, {"acc": [0, 1]})
    run = course.run_notebook(path, tmp_path / "out", mode="smoke", timeout=20)
    assert run.status == "failed"
    assert "timed out after 20 s" in run.problems[0]
    kernel_pid = int(marker.read_text())
    assert not psutil.pid_exists(kernel_pid) or psutil.Process(kernel_pid).status() == psutil.STATUS_ZOMBIE


def test_a_misspelt_notebook_is_reported_before_any_corpus_is_generated(tmp_path, monkeypatch, capsys):
    from course_lib import course
    from course_lib.__main__ import main

    def fail(*args, **kwargs):
        raise AssertionError("corpora generated before the arguments were checked")

    monkeypatch.setattr(course, "_ensure_corpora", fail)
    assert main(["course", "run", str(tmp_path / "03_fusoin.ipynb"), "--out", str(tmp_path)]) == 2
    assert "no such notebook" in capsys.readouterr().err


@pytest.mark.notebook
def test_executed_notebooks_keep_png_figures_even_under_a_headless_backend(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    body = "import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0])\nplt.show()\nrun.record({'n': 1})"
    path = _notebook(tmp_path, body, {"n": 1})
    run = course.run_notebook(path, tmp_path / "out", mode="smoke", timeout=300)
    assert run.ok, run.problems
    executed = nbformat.read(tmp_path / "out" / path.name, as_version=4)
    outputs = [output for cell in executed.cells if cell.cell_type == "code" for output in cell.outputs]
    assert any("image/png" in output.get("data", {}) for output in outputs)


@pytest.mark.parametrize(
    ("records", "n_problems"),
    [
        (
            [
                {
                    "claim": "a",
                    "paper": 0.04,
                    "observed": 0.02,
                    "ci_low": -0.01,
                    "ci_high": 0.05,
                    "verdict": "inconclusive",
                }
            ],
            0,
        ),
        (
            [
                {
                    "claim": "a",
                    "paper": None,
                    "observed": 0.02,
                    "ci_low": 0.01,
                    "ci_high": 0.05,
                    "verdict": "holds",
                }
            ],
            0,
        ),
        ([], 1),
        ([{"claim": "a", "paper": 0.04, "observed": 0.02, "verdict": "holds"}], 1),
        (
            [
                {
                    "claim": "a",
                    "paper": "0.04",
                    "observed": 0.02,
                    "ci_low": 0.0,
                    "ci_high": 0.1,
                    "verdict": "holds",
                }
            ],
            1,
        ),
        (
            [
                {
                    "claim": "a",
                    "paper": 0.04,
                    "observed": 0.02,
                    "ci_low": 0.2,
                    "ci_high": 0.1,
                    "verdict": "holds",
                }
            ],
            1,
        ),
        (
            [
                {
                    "claim": "a",
                    "paper": 0.04,
                    "observed": 0.02,
                    "ci_low": 0.0,
                    "ci_high": 0.1,
                    "verdict": "true",
                }
            ],
            1,
        ),
    ],
)
def test_claim_records_are_checked(records, n_problems):
    assert len(course.check_expectations({"claims": course.CLAIM_RECORDS}, {"claims": records})) == n_problems


def _executed_with_figures(path: Path, tags: list[list[str]]) -> Path:
    """An executed-notebook file whose code cells each hold one PNG output, with the given tags."""
    nb = nbformat.v4.new_notebook()
    for index, cell_tags in enumerate(tags):
        cell = nbformat.v4.new_code_cell(f"figure {index}")
        cell.metadata["tags"] = cell_tags
        png = base64.b64encode(f"png-{index}".encode()).decode()
        cell.outputs = [
            nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"})
        ]
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


def test_key_figures_are_the_tagged_cells_else_the_first_ones(tmp_path):
    untagged = _executed_with_figures(tmp_path / "01_a.ipynb", [[], [], [], []])
    assert course.key_figures(untagged) == [b"png-0", b"png-1"][: course.KEY_FIGURES]
    tagged = _executed_with_figures(tmp_path / "02_b.ipynb", [[], ["key-figure"], [], ["key-figure"]])
    assert course.key_figures(tagged) == [b"png-1", b"png-3"]
    assert course.key_figures(tmp_path / "missing.ipynb") == []


def test_the_report_shows_each_lessons_key_figures_as_linked_thumbnails(tmp_path):
    executed = _executed_with_figures(tmp_path / "02_b.ipynb", [["key-figure"], []])
    runs = [course.NotebookRun("02_b.ipynb", "ok", 1.0, 10.0, output=str(executed))]
    figures = course.save_key_figures(runs, tmp_path / "build")
    assert figures == {"02_b.ipynb": ["figures/02_b_1.png"]}
    assert (tmp_path / "build" / "figures" / "02_b_1.png").read_bytes() == b"png-0"
    page = course.render_report(runs, "smoke", 1.0, figures)
    assert "<a href='figures/02_b_1.png'><img src='figures/02_b_1.png'" in page
    assert "No figures were kept" in course.render_report(runs, "smoke", 1.0)


def _board_row(
    method: str, verdict: str, task: str = "sentiment", low: float = -0.1, high: float = 0.1
) -> dict:
    return {
        "method": method,
        "lesson": "06",
        "task": task,
        "difference": 0.0,
        "ci_low": low,
        "ci_high": high,
        "verdict": verdict,
        "mae": 1.0,
    }


@pytest.mark.parametrize(
    ("records", "n_problems"),
    [
        ([_board_row("a", "reference"), _board_row("b", "worse")], 0),
        ([], 1),
        ([_board_row("a", "better")], 1),  # no reference
        ([_board_row("a", "reference"), _board_row("b", "reference")], 1),
        ([_board_row("a", "reference"), _board_row("b", "worse", low=0.2, high=0.1)], 1),
        ([_board_row("a", "reference"), {"method": "b"}], 1),
        ([_board_row("a", "reference"), _board_row("b", "great")], 1),
    ],
)
def test_leaderboard_records_are_checked(records, n_problems):
    assert len(course.check_leaderboard(records)) == n_problems
