"""The course timing benchmark: its table and its command line (no notebook is run here)."""

from __future__ import annotations

from course_lib import course_bench
from course_lib.__main__ import build_parser
from course_lib.course import NotebookRun


def test_table_lists_each_notebook_with_time_memory_and_totals():
    runs = [
        NotebookRun("00_welcome.ipynb", "ok", 12.34, 812.0, cpu_seconds=15.0),
        NotebookRun("03_fusion.ipynb", "failed", 80.0, None, cpu_seconds=100.25),
        NotebookRun("06_user_adapters.ipynb", "ok", 60.0, 1900.4, cpu_seconds=90.0),
    ]
    lines = course_bench.format_table(runs, "smoke").splitlines()
    assert lines[0].split() == ["notebook", "status", "wall", "s", "CPU", "s", "peak", "MB"]
    assert lines[2].split() == ["00_welcome.ipynb", "ok", "12.3", "15.0", "812"]
    assert lines[3].split() == ["03_fusion.ipynb", "failed", "80.0", "100.2", "n/a"]
    assert lines[-1].split() == ["total", "(smoke)", "152.3", "205.2", "1900"]


def test_table_total_cpu_is_unknown_when_a_run_lacks_it():
    runs = [
        NotebookRun("00_welcome.ipynb", "ok", 1.0, 10.0),
        NotebookRun("01_x.ipynb", "ok", 2.0, 20.0, cpu_seconds=3.0),
    ]
    total = course_bench.format_table(runs, "full").splitlines()[-1].split()
    assert total == ["total", "(full)", "3.0", "n/a", "20"]


def test_bench_course_is_a_cli_command(tmp_path):
    args = build_parser().parse_args(
        ["bench", "course", "--mode", "smoke", "--out", str(tmp_path), "x.ipynb"]
    )
    assert args.func is course_bench.run
    assert args.notebooks == ["x.ipynb"] and args.mode == "smoke" and args.out == tmp_path


def test_cpu_description_counts_cores_and_load_is_a_number():
    assert "cores" in course_bench.cpu_description()
    load = course_bench.load_average()
    assert load == "n/a" or float(load) >= 0
