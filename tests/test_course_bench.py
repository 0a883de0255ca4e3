"""The course timing benchmark: its table and its command line (no notebook is run here)."""

from __future__ import annotations

from course_lib import course_bench
from course_lib.__main__ import build_parser
from course_lib.course import NotebookRun


def test_table_lists_each_notebook_with_time_memory_and_totals():
    runs = [
        NotebookRun("00_welcome.ipynb", "ok", 12.34, 812.0),
        NotebookRun("03_fusion.ipynb", "failed", 80.0, None),
        NotebookRun("06_user_adapters.ipynb", "ok", 60.0, 1900.4),
    ]
    lines = course_bench.format_table(runs, "smoke").splitlines()
    assert lines[0].split() == ["notebook", "status", "wall", "s", "peak", "MB"]
    assert lines[2].split() == ["00_welcome.ipynb", "ok", "12.3", "812"]
    assert lines[3].split() == ["03_fusion.ipynb", "failed", "80.0", "n/a"]
    assert lines[-1].split() == ["total", "(smoke)", "152.3", "1900"]


def test_bench_course_is_a_cli_command(tmp_path):
    args = build_parser().parse_args(
        ["bench", "course", "--mode", "smoke", "--out", str(tmp_path), "x.ipynb"]
    )
    assert args.func is course_bench.run
    assert args.notebooks == ["x.ipynb"] and args.mode == "smoke" and args.out == tmp_path


def test_cpu_description_counts_cores():
    assert "cores" in course_bench.cpu_description()
