"""Run the course headlessly: execute every notebook with papermill and write a report.

``python -m course_lib course run`` executes ``notebooks/NN_*.ipynb`` in order
(smoke mode by default), writes executed copies to ``build/notebooks/``, and a
report ``build/report.html`` (plus ``build/report.json``) with each notebook's
status, wall time, peak memory and recorded results. It exits non-zero when
any notebook fails or records a result outside the range it declares.

A notebook declares what its results must look like in its metadata::

    "metadata": {"course": {"expects": {"accuracy": [0.0, 1.0], "n_turns": [1, null]}}}

Each key must be present in the recorded results and lie within ``[low, high]``
(``null`` = unbounded); a ``true``/string value must be equal.

The report shows each lesson's key figures as thumbnails: the PNG outputs of the
code cells tagged ``key-figure`` (or, when no cell is tagged, the first
:data:`KEY_FIGURES` figures), saved next to the report under ``figures/``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import html
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from course_lib.runtime import repo_root, resolve_data_dir, resolve_mode

NOTEBOOK_NAME = re.compile(r"^\d{2}_[a-z0-9]+(?:_[a-z0-9]+)*\.ipynb$")
KERNEL_NAME = "course-lib"

#: Figures per notebook shown in the report when none of its cells is tagged ``key-figure``.
KEY_FIGURES = 2
KEY_FIGURE_TAG = "key-figure"

#: Default time limit of one notebook run, in seconds, per mode.
TIMEOUTS: dict[str, float] = {"smoke": 600, "full": 6 * 3600}


@dataclass
class NotebookRun:
    """The outcome of executing one notebook.

    Attributes:
        notebook: File name, e.g. ``00_welcome.ipynb``.
        status: ``"ok"``, ``"failed"`` (the notebook raised) or ``"invalid"``
            (it ran but its recorded results miss its declared expectations).
        seconds: Wall time of the execution.
        peak_rss_mb: Peak resident memory of the notebook's kernel process.
        results: The JSON the notebook recorded (``{}`` when none).
        problems: Why the run is not ok (error message, failed expectations).
        output: Path of the executed copy.
        cpu_seconds: CPU time (user + system) of the notebook's kernel; less
            sensitive than the wall time to other programs sharing the machine.
    """

    notebook: str
    status: str
    seconds: float
    peak_rss_mb: float | None
    results: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    output: str = ""
    cpu_seconds: float | None = None

    @property
    def ok(self) -> bool:
        """True when the notebook ran and met its expectations."""
        return self.status == "ok"


def notebooks_dir() -> Path:
    """The course's ``notebooks/`` folder."""
    return repo_root() / "notebooks"


def list_notebooks(folder: Path | None = None) -> list[Path]:
    """The course notebooks ``NN_*.ipynb`` in lesson order."""
    folder = folder or notebooks_dir()
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if p.is_file())


def read_expectations(notebook: Path) -> dict[str, Any]:
    """The ``metadata.course.expects`` mapping a notebook declares (may be empty)."""
    meta = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
    return dict(meta.get("course", {}).get("expects", {}))


def _lookup(results: Mapping[str, Any], dotted: str) -> Any:
    value: Any = results
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise KeyError(dotted)
        value = value[part]
    return value


#: The expectation value that asks for a list of claim records.
CLAIM_RECORDS = "claim records"
#: Keys of a claim record (see :func:`course_lib.papers.compare`) and which must be numbers.
CLAIM_KEYS = ("claim", "paper", "observed", "ci_low", "ci_high", "verdict")
VERDICTS = ("holds", "does not hold", "inconclusive", "consistent")


def check_claims(records: Any, key: str = "claims") -> list[str]:
    """Problems of a recorded list of claims: each needs :data:`CLAIM_KEYS`, numbers and a known verdict."""
    if not isinstance(records, list) or not records:
        return [f"result {key!r} must be a non-empty list of claim records"]
    problems = []
    for index, record in enumerate(records):
        missing = [k for k in CLAIM_KEYS if not isinstance(record, dict) or k not in record]
        if missing:
            problems.append(f"{key}[{index}] lacks {missing}")
            continue
        numbers = ["observed", "ci_low", "ci_high"] + ([] if record["paper"] is None else ["paper"])
        if any(isinstance(record[k], bool) or not isinstance(record[k], (int, float)) for k in numbers):
            problems.append(f"{key}[{index}] ({record['claim']!r}): {numbers} must be numbers")
        elif record["ci_low"] > record["ci_high"]:
            problems.append(f"{key}[{index}] ({record['claim']!r}): ci_low above ci_high")
        if record["verdict"] not in VERDICTS:
            problems.append(f"{key}[{index}] ({record['claim']!r}): unknown verdict {record['verdict']!r}")
    return problems


#: The expectation value that asks for a list of leaderboard records.
LEADERBOARD_RECORDS = "leaderboard records"
#: Keys of a leaderboard record (see :meth:`course_lib.recipes.leaderboard.Leaderboard.records`).
LEADERBOARD_KEYS = ("method", "lesson", "task", "difference", "ci_low", "ci_high", "verdict")
LEADERBOARD_VERDICTS = ("reference", "better", "worse", "not distinguishable")


def check_leaderboard(records: Any, key: str = "leaderboard") -> list[str]:
    """Problems of recorded leaderboard rows: each needs :data:`LEADERBOARD_KEYS`, an interval and a verdict."""
    if not isinstance(records, list) or not records:
        return [f"result {key!r} must be a non-empty list of leaderboard records"]
    problems = []
    for index, record in enumerate(records):
        missing = [k for k in LEADERBOARD_KEYS if not isinstance(record, dict) or k not in record]
        if missing:
            problems.append(f"{key}[{index}] lacks {missing}")
            continue
        name = record["method"]
        if not all(isinstance(record[k], (int, float)) for k in ("difference", "ci_low", "ci_high")):
            problems.append(f"{key}[{index}] ({name!r}): difference and interval must be numbers")
        elif record["ci_low"] > record["ci_high"]:
            problems.append(f"{key}[{index}] ({name!r}): ci_low above ci_high")
        if record["verdict"] not in LEADERBOARD_VERDICTS:
            problems.append(f"{key}[{index}] ({name!r}): unknown verdict {record['verdict']!r}")
    tasks = {record["task"] for record in records if isinstance(record, dict) and "task" in record}
    for task in tasks:
        references = [r for r in records if isinstance(r, dict) and r.get("task") == task]
        if sum(r.get("verdict") == "reference" for r in references) != 1:
            problems.append(f"{key}: task {task!r} needs exactly one reference row")
    return problems


def check_expectations(expects: Mapping[str, Any], results: Mapping[str, Any]) -> list[str]:
    """Compare recorded results with a notebook's declared expectations.

    Args:
        expects: Result key (dots reach into nested dicts) -> ``[low, high]``
            range (either end may be None), :data:`CLAIM_RECORDS` (a non-empty
            list of claim records, see :func:`check_claims`), :data:`LEADERBOARD_RECORDS`
            (see :func:`check_leaderboard`) or an exact value.
        results: The ``results`` mapping the notebook recorded.

    Returns:
        One message per unmet expectation; empty when all hold.
    """
    problems = []
    for key, expected in expects.items():
        try:
            value = _lookup(results, key)
        except KeyError:
            problems.append(f"result {key!r} was not recorded")
            continue
        if expected == CLAIM_RECORDS:
            problems.extend(check_claims(value, key))
        elif expected == LEADERBOARD_RECORDS:
            problems.extend(check_leaderboard(value, key))
        elif isinstance(expected, list) and len(expected) == 2:
            low, high = expected
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                problems.append(f"result {key!r} = {value!r} is not a number")
            elif (low is not None and value < low) or (high is not None and value > high):
                problems.append(f"result {key!r} = {value!r} outside [{low}, {high}]")
        elif value != expected:
            problems.append(f"result {key!r} = {value!r}, expected {expected!r}")
    return problems


def _execute_in_worker(notebook: Path, output: Path, parameters: dict[str, Any], timeout: float) -> dict:
    """Execute ``notebook`` in a fresh worker process; return its JSON report.

    A separate process per notebook makes the kernel's peak memory measurable:
    the worker reads ``RUSAGE_CHILDREN`` after the kernel has exited. On a
    timeout the worker and its kernel are killed.

    Raises:
        subprocess.TimeoutExpired: when the run takes longer than ``timeout``.
    """
    with tempfile.TemporaryDirectory() as tmp:
        report_path = Path(tmp) / "worker.json"
        command = [
            sys.executable,
            "-m",
            "course_lib.course",
            "_worker",
            str(notebook),
            str(output),
            json.dumps(parameters),
            str(report_path),
        ]
        with subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            env=kernel_environment(),
        ) as worker:
            try:
                _, stderr = worker.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_tree(worker.pid)
                worker.communicate()
                raise
        if report_path.exists():
            return json.loads(report_path.read_text(encoding="utf-8"))
        return {"error": f"worker exited with {worker.returncode}: {stderr[-2000:]}"}


def kernel_environment() -> dict[str, str]:
    """The environment of a notebook's kernel: ours without ``MPLBACKEND``.

    A headless backend such as ``Agg`` (set by CI and the test suite) would
    reach the kernel and replace every figure of the executed notebook with the
    text ``<Figure size ...>``; without it the kernel uses the inline backend
    and keeps PNG figures.
    """
    return {name: value for name, value in os.environ.items() if name != "MPLBACKEND"}


def _kill_tree(pid: int) -> None:
    """Kill a process and all its descendants (the kernel runs in a session of its own)."""
    import psutil

    try:
        parent = psutil.Process(pid)
        family = [*parent.children(recursive=True), parent]
    except psutil.NoSuchProcess:
        return
    for process in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(family, timeout=10)


def _worker(notebook: str, output: str, parameters_json: str, report_path: str) -> int:
    """Worker entry point: run papermill, then report peak kernel memory and errors."""
    import resource

    import papermill

    report: dict[str, Any] = {"error": None}
    try:
        papermill.execute_notebook(
            notebook,
            output,
            parameters=json.loads(parameters_json),
            kernel_name=KERNEL_NAME,
            cwd=str(Path(notebook).parent),
            progress_bar=False,
            log_output=False,
        )
    except Exception as error:  # noqa: BLE001 -- any failure of the notebook goes into the report
        report["error"] = _short_error(error)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    report["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    report["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 1)
    Path(report_path).write_text(json.dumps(report), encoding="utf-8")
    return 0


def _short_error(error: Exception) -> str:
    """The useful part of a papermill error: exception name, value, last traceback lines."""
    ename = getattr(error, "ename", type(error).__name__)
    evalue = getattr(error, "evalue", str(error))
    lines = [f"{ename}: {evalue}"]
    traceback = getattr(error, "traceback", None)
    if traceback:
        plain = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(traceback))
        lines.append("\n".join(plain.splitlines()[-12:]))
    return "\n".join(lines)


def run_notebook(
    notebook: Path,
    out_dir: Path,
    mode: str = "smoke",
    seed: int = 42,
    data_dir: Path | None = None,
    timeout: float | None = None,
) -> NotebookRun:
    """Execute one notebook and check its recorded results.

    Args:
        notebook: The notebook to run.
        out_dir: Folder for the executed copy and the results JSON.
        mode: ``"smoke"`` or ``"full"``.
        seed: The SEED parameter.
        data_dir: The DATA_DIR parameter (default: the resolved data folder).
        timeout: Seconds after which the run counts as failed; default
            :data:`TIMEOUTS` of the mode (smoke runs must stay short; full runs
            on a CPU can take many minutes per notebook).
    """
    timeout = timeout or TIMEOUTS[mode]
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / notebook.name
    results_path = out_dir / f"{notebook.stem}.results.json"
    results_path.unlink(missing_ok=True)
    parameters = {
        "MODE": mode,
        "SEED": seed,
        "DEVICE": "auto",
        "DATA_DIR": str(data_dir or resolve_data_dir()),
        "RESULTS_PATH": str(results_path),
    }
    started = time.perf_counter()
    try:
        report = _execute_in_worker(notebook, output, parameters, timeout)
    except subprocess.TimeoutExpired:
        report = {"error": f"timed out after {timeout:.0f} s"}
    seconds = round(time.perf_counter() - started, 1)
    run = NotebookRun(
        notebook.name,
        "ok",
        seconds,
        report.get("peak_rss_mb"),
        output=str(output),
        cpu_seconds=report.get("cpu_seconds"),
    )
    if report.get("error"):
        run.status, run.problems = "failed", [report["error"]]
        return run
    if not results_path.exists():
        run.status, run.problems = (
            "invalid",
            ["the notebook recorded no results (run.record was not reached)"],
        )
        return run
    run.results = json.loads(results_path.read_text(encoding="utf-8")).get("results", {})
    run.problems = check_expectations(read_expectations(notebook), run.results)
    if run.problems:
        run.status = "invalid"
    return run


def _flatten(results: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in results.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            rows.extend(_flatten(value, name + "."))
        else:
            rows.append((name, value))
    return rows


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    text = json.dumps(value) if isinstance(value, (list, dict)) else str(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _claim_records(run: NotebookRun) -> list[dict[str, Any]]:
    """The claim records a notebook stored under ``claims`` (others ignored)."""
    records = run.results.get("claims")
    if not isinstance(records, list):
        return []
    return [r for r in records if isinstance(r, Mapping) and not check_claims([dict(r)])]


def _number(value: Any) -> str:
    return "—" if not isinstance(value, (int, float)) or math.isnan(value) else f"{value:+.3f}"


def scorecard(runs: list[NotebookRun]) -> dict[str, list[dict[str, Any]]]:
    """Every recorded claim of every notebook, grouped by paper key (``""`` for a claim without one).

    Each record gains ``notebook``; the order is the notebooks' order.
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        for record in _claim_records(run):
            groups.setdefault(str(record.get("paper_key") or ""), []).append(
                {**record, "notebook": run.notebook}
            )
    return groups


def render_scorecard(runs: list[NotebookRun]) -> str:
    """The reproduction scorecard: one table per paper (claim, paper, ours, CI, verdict)."""
    from course_lib.papers import papers

    known = papers()
    groups = scorecard(runs)
    if not groups:
        return "<p>No notebook recorded claims in this run.</p>"
    parts = []
    for key, records in groups.items():
        paper = known.get(key)
        title = html.escape(paper.citation if paper else "claims without a paper")
        counts = ", ".join(f"{sum(r['verdict'] == v for r in records)} {v}" for v in VERDICTS)
        rows = "".join(
            f"<tr><td>{html.escape(r['notebook'])}</td><td>{html.escape(str(r['claim']))}</td>"
            f"<td>{html.escape(str(r.get('source', '')))}</td><td class='num'>{_number(r.get('paper'))}</td>"
            f"<td class='num'>{_number(r['observed'])}</td>"
            f"<td class='num'>[{_number(r['ci_low'])}, {_number(r['ci_high'])}]</td>"
            f"<td class='verdict {r['verdict'].replace(' ', '-')}'>{html.escape(r['verdict'])}</td></tr>"
            for r in records
        )
        parts.append(
            f"<h3>{title}</h3><p>{len(records)} claims: {counts}.</p>"
            "<table class='scorecard'><tr><th>lesson</th><th>claim</th><th>where in the paper</th>"
            "<th>paper</th><th>ours</th><th>95% CI (paired bootstrap)</th><th>verdict</th></tr>"
            f"{rows}</table>"
        )
    return "\n".join(parts)


def key_figures(executed: Path, limit: int = KEY_FIGURES) -> list[bytes]:
    """The PNG figures of an executed notebook's ``key-figure`` cells (else its first ``limit`` figures)."""
    try:
        cells = json.loads(Path(executed).read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return []
    tagged = [c for c in cells if KEY_FIGURE_TAG in c.get("metadata", {}).get("tags", [])]
    pngs = [
        base64.b64decode(output["data"]["image/png"])
        for cell in (tagged or cells)
        if cell.get("cell_type") == "code"
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    return pngs if tagged else pngs[:limit]


def save_key_figures(runs: list[NotebookRun], out_dir: Path) -> dict[str, list[str]]:
    """Write every run's key figures to ``out_dir/figures/`` -> ``{notebook: [paths relative to out_dir]}``."""
    folder = out_dir / "figures"
    figures: dict[str, list[str]] = {}
    for run in runs:
        for index, png in enumerate(key_figures(Path(run.output)) if run.output else []):
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{Path(run.notebook).stem}_{index + 1}.png"
            (folder / name).write_bytes(png)
            figures.setdefault(run.notebook, []).append(f"figures/{name}")
    return figures


def render_figures(figures: Mapping[str, list[str]]) -> str:
    """Thumbnails of each lesson's key figures, each a link to the full-size image."""
    if not figures:
        return "<p>No figures were kept in this run.</p>"
    parts = []
    for notebook, paths in figures.items():
        images = "".join(
            f"<a href='{html.escape(path)}'><img src='{html.escape(path)}' alt='{html.escape(notebook)} "
            f"figure {index + 1}' loading='lazy'></a>"
            for index, path in enumerate(paths)
        )
        parts.append(f"<div class='lesson'><h3>{html.escape(notebook)}</h3>{images}</div>")
    return f"<div class='figures'>{''.join(parts)}</div>"


def render_leaderboard(runs: list[NotebookRun]) -> str:
    """The leaderboard rows a notebook recorded under ``leaderboard`` (the capstone), one table per task."""
    records = [r for run in runs for r in run.results.get("leaderboard", []) if isinstance(r, Mapping)]
    if not records or check_leaderboard(records):
        return "<p>No leaderboard was recorded in this run (lesson 10 records it).</p>"
    parts = []
    for task in dict.fromkeys(str(r["task"]) for r in records):
        rows = [r for r in records if r["task"] == task]
        figures = [k for k in rows[0] if k not in LEADERBOARD_KEYS and not k.endswith("_std")]
        figures = [k for k in figures if isinstance(rows[0][k], (int, float)) and k not in ("parameters",)]
        head = "".join(f"<th>{html.escape(k)}</th>" for k in ["method", "lesson", *figures])
        body = "".join(
            f"<tr><td>{html.escape(str(r['method']))}</td><td>{html.escape(str(r['lesson']))}</td>"
            + "".join(f"<td class='num'>{_mean_std(r, k)}</td>" for k in figures)
            + f"<td class='num'>[{_number(r['ci_low'])}, {_number(r['ci_high'])}]</td>"
            f"<td>{html.escape(str(r['verdict']))}</td></tr>"
            for r in rows
        )
        parts.append(
            f"<h3>{html.escape(task)}</h3><table class='leaderboard'><tr>{head}"
            "<th>difference from the reference, 95% CI</th><th>verdict</th></tr>"
            f"{body}</table>"
        )
    return "\n".join(parts)


def _mean_std(record: Mapping[str, Any], key: str) -> str:
    value, spread = record.get(key), record.get(f"{key}_std")
    if not isinstance(value, (int, float)) or math.isnan(value):
        return "—"
    return f"{value:.3f}" if not isinstance(spread, (int, float)) else f"{value:.3f} ± {spread:.3f}"


def render_report(
    runs: list[NotebookRun], mode: str, total_seconds: float, figures: Mapping[str, list[str]] | None = None
) -> str:
    """An HTML page summarising a course run: notebooks, reproduction scorecard, leaderboard, key figures.

    Args:
        runs: The notebook runs, in order.
        mode: The mode they ran in.
        total_seconds: Wall time of the whole run.
        figures: ``{notebook: [image paths relative to the report]}`` (:func:`save_key_figures`).
    """
    passed = sum(run.ok for run in runs)
    rows = []
    for run in runs:
        flat = _flatten({k: v for k, v in run.results.items() if k not in ("claims", "leaderboard")})
        listed = "<br>".join(
            f"<code>{html.escape(k)}</code> = {html.escape(_format_value(v))}" for k, v in flat
        )
        results = (
            f"<details><summary>{len(flat)} recorded results</summary>{listed}</details>" if flat else ""
        )
        problems = "<br>".join(f"<pre>{html.escape(p)}</pre>" for p in run.problems)
        peak = "n/a" if run.peak_rss_mb is None else f"{run.peak_rss_mb:.0f}"
        rows.append(
            f"<tr class='{run.status}'><td>{html.escape(run.notebook)}</td><td>{run.status}</td>"
            f"<td>{run.seconds:.1f}</td><td>{peak}</td><td>{results}{problems}</td></tr>"
        )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Course run report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; max-width: 90em; }}
code {{ word-break: break-all; }} summary {{ cursor: pointer; color: #0969da; }}
table {{ border-collapse: collapse; margin-bottom: 1.5em; }}
td, th {{ border: 1px solid #ccc; padding: .4em .6em; vertical-align: top; }}
th {{ background: #f6f8fa; text-align: left; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
tr.ok td:nth-child(2) {{ color: #1a7f37; }} tr.failed td:nth-child(2), tr.invalid td:nth-child(2) {{ color: #cf222e; }}
td.verdict {{ font-weight: 600; white-space: nowrap; }}
td.holds {{ color: #1a7f37; }} td.does-not-hold {{ color: #cf222e; }}
td.inconclusive {{ color: #6e7781; }} td.consistent {{ color: #0969da; }}
pre {{ white-space: pre-wrap; max-width: 60em; }}
.figures {{ display: flex; flex-wrap: wrap; gap: 1em; }}
.figures .lesson {{ border: 1px solid #ddd; padding: .5em; }}
.figures h3 {{ margin: 0 0 .4em; font-size: 1em; }}
.figures img {{ height: 160px; margin-right: .4em; border: 1px solid #eee; }}
</style></head><body>
<h1>Course run report</h1>
<p>Mode <b>{html.escape(mode)}</b>: {passed} of {len(runs)} notebooks passed in {total_seconds:.1f} s
(generated {time.strftime("%Y-%m-%d %H:%M:%S")}).</p>
<p><a href="#notebooks">Notebooks</a> · <a href="#scorecard">Reproduction scorecard</a> ·
<a href="#leaderboard">Leaderboard</a> · <a href="#figures">Key figures</a></p>
<h2 id="notebooks">Notebooks</h2>
<table><tr><th>notebook</th><th>status</th><th>wall time (s)</th><th>peak memory (MB)</th>
<th>recorded results / problems</th></tr>
{"".join(rows)}
</table>
<h2 id="scorecard">Reproduction scorecard</h2>
<p>Every claim the lessons test: the paper's value where it has one, ours on the test split (mean over
seeds), the 95% paired bootstrap interval of our value, and the verdict that interval supports.
In smoke mode the models are tiny and most verdicts are "inconclusive"; read a full-mode report.</p>
{render_scorecard(runs)}
<h2 id="leaderboard">Leaderboard</h2>
<p>Every method of the course that fits one task, on one protocol (lesson 10): mean ± std over seeds,
and the 95% paired bootstrap interval of its difference from the reference chosen on validation.</p>
{render_leaderboard(runs)}
<h2 id="figures">Key figures</h2>
{render_figures(figures or {})}
</body></html>
"""


def run_course(
    mode: str = "smoke",
    out_dir: Path | None = None,
    notebooks: list[Path] | None = None,
    seed: int = 42,
    data_dir: Path | None = None,
) -> list[NotebookRun]:
    """Execute the notebooks in order and write ``report.html`` and ``report.json``.

    Args:
        mode: ``"auto"``, ``"smoke"`` or ``"full"``.
        out_dir: Build folder (default ``<repo>/build``).
        notebooks: Which notebooks (default: all ``NN_*.ipynb``).
        seed: The SEED parameter for every notebook.
        data_dir: The DATA_DIR parameter.
    """
    mode = resolve_mode(mode)
    out_dir = out_dir or repo_root() / "build"
    notebooks = notebooks or list_notebooks()
    missing = [str(n) for n in notebooks if not Path(n).is_file()]
    if missing:  # checked before the (possibly long) corpus generation
        raise FileNotFoundError(f"no such notebook: {', '.join(missing)}")
    _ensure_corpora(mode, data_dir)
    started = time.perf_counter()
    runs = []
    for notebook in notebooks:
        print(f"[course] {notebook.name} ...", flush=True)
        run = run_notebook(notebook, out_dir / "notebooks", mode=mode, seed=seed, data_dir=data_dir)
        peak = "n/a" if run.peak_rss_mb is None else f"{run.peak_rss_mb:.0f} MB"
        print(f"[course] {notebook.name}: {run.status} in {run.seconds:.1f} s, peak {peak}", flush=True)
        for problem in run.problems:
            print(f"    {problem}", flush=True)
        runs.append(run)
    total = time.perf_counter() - started
    figures = save_key_figures(runs, out_dir)
    (out_dir / "report.html").write_text(render_report(runs, mode, total, figures), encoding="utf-8")
    (out_dir / "report.json").write_text(
        json.dumps(
            {"mode": mode, "seconds": round(total, 1), "notebooks": [asdict(r) for r in runs]}, indent=2
        ),
        encoding="utf-8",
    )
    print(f"[course] report: {out_dir / 'report.html'}")
    return runs


def _ensure_corpora(mode: str, data_dir: Path | None) -> None:
    """Generate the embedded corpora of the mode's preset when they are missing."""
    from course_lib.data.synthetic.corpora import ensure_corpora

    preset = "tiny" if mode == "smoke" else "full"
    ensure_corpora(resolve_data_dir(data_dir) / "corpora" / preset, preset=preset, variants=("nobias",))


def _cli_run(args: argparse.Namespace) -> int:
    notebooks = [Path(p).resolve() for p in args.notebooks] if args.notebooks else None
    runs = run_course(
        mode=args.mode,
        out_dir=Path(args.out).resolve(),
        notebooks=notebooks,
        seed=args.seed,
        data_dir=Path(args.data_dir).resolve() if args.data_dir else None,
    )
    return 0 if runs and all(run.ok for run in runs) else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``course run`` to the CLI."""
    course = subparsers.add_parser("course", help="execute the course notebooks headlessly")
    commands = course.add_subparsers(dest="course_command", required=True)
    run = commands.add_parser("run", help="execute notebooks and write build/report.html")
    run.add_argument("notebooks", nargs="*", help="notebooks to run (default: all notebooks/NN_*.ipynb)")
    run.add_argument("--mode", default=os.environ.get("MODE", "smoke"), choices=("auto", "smoke", "full"))
    run.add_argument("--seed", type=int, default=42)
    run.add_argument("--out", default=str(repo_root() / "build"))
    run.add_argument("--data-dir", default=None, help="data folder (default: COURSE_DATA_DIR or ./data)")
    run.set_defaults(func=_cli_run)


if __name__ == "__main__" and len(sys.argv) == 6 and sys.argv[1] == "_worker":
    sys.exit(_worker(*sys.argv[2:]))
