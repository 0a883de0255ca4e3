"""The lessons' widgets in a real browser: JupyterLab + the system's Chromium, driven by Playwright.

For each notebook with a widget (:data:`LESSONS`), the test copies the
notebook into the server's temporary root, opens it in Lab, runs all cells
(smoke mode), changes one control through the page, presses the widget's
button and checks that the widget's status line and chart changed, with no
cell error, no widget error and no JavaScript error in the console.
Screenshots before and after the change land in ``build/browser/``.

Playwright's ``expect`` and waits default to 5 s; every wait here gives its
own timeout, sized for a 2-core CPU running a smoke-mode notebook.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from course_lib import course

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the browser tests skip; the LESSONS check still runs
    PlaywrightTimeout = TimeoutError

#: Seconds to open a notebook and start its kernel.
OPEN_TIMEOUT = 120.0
#: Seconds to run all cells of a smoke-mode notebook (the course budget is 90 s; the browser adds its share).
RUN_ALL_TIMEOUT = 300.0
#: Seconds for one widget update (it may train a small model).
UPDATE_TIMEOUT = 180.0

#: Imports that mark a notebook as using a widget.
WIDGET_MARKERS = ("course_lib.widgets", "ipywidgets")


@dataclass(frozen=True)
class WidgetCheck:
    """What to do with one lesson's widget in the browser.

    Attributes:
        control: The description label of the dropdown to change.
        choose: The option label to pick in it, or its position (for data-dependent labels).
        button: The text of the button that applies the change (None: the dropdown applies it).
        expect_status: A regular expression the status line must match after the change.
        shows: CSS selector of what the widget's output area must show after the change
            (``"img"``: a chart, present before the change too; ``"table"``: a table).
    """

    control: str
    choose: str | int
    button: str | None
    expect_status: str
    shows: str = "img"


#: Every notebook using a widget -> the control to change and the output to check.
#: A new lesson with a widget must add its row (``test_every_widget_lesson_is_listed``).
LESSONS: dict[str, WidgetCheck] = {
    "03_fusion": WidgetCheck(
        control="fusion", choose="add", button="train / show", expect_status=r"showing add \|"
    ),
    "06_user_adapters": WidgetCheck(
        control="k", choose="3", button="fine-tune / show", expect_status=r"k=3,"
    ),
    "07_text_and_image": WidgetCheck(
        control="post", choose=1, button=None, expect_status=r"post #\S+", shows="img"
    ),
    "08_self_supervised_labels": WidgetCheck(
        control="clip", choose=1, button=None, expect_status=r"y_M = ", shows="img"
    ),
    "09_modality_translation": WidgetCheck(
        control="variant",
        choose="concat(A,T) -> V",
        button="train / show",
        expect_status=r"1 variant\(s\) trained",
        shows="table",
    ),
    "10_capstone": WidgetCheck(
        control="clip", choose=1, button="predict", expect_status=r"predicted \w+", shows="img"
    ),
}


def widget_notebooks() -> list[str]:
    """Stems of the course notebooks whose code cells import a widget module."""
    stems = []
    for path in course.list_notebooks():
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        if any(marker in code for marker in WIDGET_MARKERS):
            stems.append(path.stem)
    return stems


def test_every_widget_lesson_is_listed():
    found = widget_notebooks()
    assert "03_fusion" in found, "the widget detection no longer finds lesson 03's widget"
    missing = sorted(set(found) - set(LESSONS))
    assert not missing, f"notebooks with widgets but no browser check in LESSONS: {missing}"
    stale = sorted(set(LESSONS) - set(found))
    assert not stale, f"LESSONS lists notebooks without a widget (or missing): {stale}"


def copy_for_lab(stem: str, root: Path, results: Path) -> str:
    """Copy ``notebooks/<stem>.ipynb`` into the server root with RESULTS_PATH pointing at ``results``.

    Returns:
        The copy's name relative to the root.
    """
    source = course.notebooks_dir() / f"{stem}.ipynb"
    notebook = json.loads(source.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            text = "".join(cell["source"])
            text = re.sub(r"^MODE = .*$", 'MODE = "smoke"', text, flags=re.MULTILINE)
            text = re.sub(
                r"^RESULTS_PATH = .*$", f"RESULTS_PATH = {str(results)!r}", text, flags=re.MULTILINE
            )
            cell["source"] = text
    target = root / source.name
    target.write_text(json.dumps(notebook), encoding="utf-8")
    return target.name


PROMPTS_JS = "() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')].map(e => e.textContent.trim())"


def wait_for_kernel(page, lab, name: str, timeout: float) -> None:
    """Wait until the server reports the notebook's kernel idle and connected to the page."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sessions = page.request.get(f"{lab.url}/api/sessions?token={lab.token}", timeout=10_000).json()
        for session in sessions:
            kernel = session.get("kernel") or {}
            idle = kernel.get("execution_state") == "idle" and kernel.get("connections", 0) >= 1
            if session.get("path") == name and idle:
                return
        time.sleep(0.5)
    pytest.fail(f"the kernel of {name} was not idle and connected within {timeout:.0f} s")


def shut_down_kernels(page, lab) -> None:
    """Stop every kernel of the server (frees the CPU and memory of a finished notebook)."""
    for session in page.request.get(f"{lab.url}/api/sessions?token={lab.token}", timeout=10_000).json():
        page.request.delete(f"{lab.url}/api/sessions/{session['id']}?token={lab.token}", timeout=30_000)


def run_all_cells(page, timeout: float) -> list[str]:
    """Run every cell through Lab's Run menu and wait until none is queued or running.

    A click that reaches Lab before the notebook's kernel connection is ready
    queues nothing; it is repeated (only then) until the cells are queued.

    Returns:
        The input prompts of the code cells afterwards (``[n]:`` once executed).
    """
    started = f"() => ({PROMPTS_JS})().some(p => p.includes('*') || /\\[\\d+\\]/.test(p))"
    for attempt in range(6):
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click(timeout=10_000)
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click(timeout=10_000)
        try:
            page.wait_for_function(started, timeout=10_000, polling=200)
            break
        except PlaywrightTimeout:
            if attempt == 5:
                raise
    finished = f"() => !({PROMPTS_JS})().some(p => p.includes('*'))"
    page.wait_for_function(finished, timeout=timeout * 1000, polling=500)
    return page.evaluate(f"({PROMPTS_JS})()")


def cell_errors(page) -> list[str]:
    """Texts of the error outputs (tracebacks) shown in the notebook."""
    texts = page.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
    ).all_inner_texts()
    return [t[-1500:] for t in texts if "Traceback" in t or re.search(r"^\w*Error\b", t, flags=re.MULTILINE)]


def widget_errors(page) -> list[str]:
    """Messages of widgets that failed to render."""
    body = page.locator("body").inner_text()
    return [
        line for line in body.splitlines() if "Error displaying widget" in line or "Error rendering" in line
    ]


def console_error(message, local: str) -> list[str]:
    """A console message as a list of at most one error text.

    A resource of another host failing to load (the notebooks' Colab badge,
    on a machine without internet) is not an error of the course: it is left
    out; a local resource that fails to load, and every other error, counts.
    """
    if message.type != "error":
        return []
    url = (message.location or {}).get("url", "")
    if message.text.startswith("Failed to load resource") and url and not url.startswith(local):
        return []
    return [f"{message.text} ({url})" if url else message.text]


def chart_source(output) -> str:
    """The ``src`` of the chart image inside a widget's Output area ('' when there is none)."""
    images = output.locator("img")
    return images.first.get_attribute("src") or "" if images.count() else ""


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("stem", sorted(LESSONS))
def test_widget_in_jupyterlab(stem, lab, browser, screenshots, tmp_path):
    from playwright.sync_api import expect

    check = LESSONS[stem]
    name = copy_for_lab(stem, lab.root, tmp_path / f"{stem}.results.json")
    console_errors: list[str] = []
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.on("console", lambda m: console_errors.extend(console_error(m, lab.url)))
    page.on("pageerror", lambda e: console_errors.append(f"uncaught: {e}"))
    try:
        started = time.monotonic()
        page.goto(lab.notebook_url(name), timeout=OPEN_TIMEOUT * 1000)
        page.locator(".jp-Notebook .jp-CodeCell").first.wait_for(timeout=OPEN_TIMEOUT * 1000)
        wait_for_kernel(page, lab, name, OPEN_TIMEOUT)
        opened = time.monotonic()
        prompts = run_all_cells(page, RUN_ALL_TIMEOUT)
        ran = time.monotonic()
        print(f"\n{stem}: opened in {opened - started:.1f} s, ran all cells in {ran - opened:.1f} s")
        errors = cell_errors(page)
        assert not errors, f"{stem}: cells raised in Lab:\n" + "\n---\n".join(errors)
        unrun = [i for i, p in enumerate(prompts) if not re.search(r"\[\d+\]", p)]
        assert not unrun, f"{stem}: code cells {unrun} did not run (prompts {prompts})"

        control = page.locator(
            ".widget-dropdown",
            has=page.locator("label", has_text=re.compile(f"^{re.escape(check.control)}$")),
        )
        expect(control).to_have_count(1, timeout=30_000)
        panel = page.locator(".widget-vbox", has=control).last
        status = panel.locator(".widget-html").first
        output = panel.locator(".jupyter-widgets-output-area, .widget-output").first
        assert "<Figure size" not in output.inner_text(), (
            "charts came out as text: is MPLBACKEND=Agg in the kernel?"
        )
        if check.shows == "img":
            expect(output.locator("img")).to_have_count(1, timeout=30_000)
        before_status, before_chart, before_html = (
            status.inner_text(),
            chart_source(output),
            output.inner_html(),
        )
        control.scroll_into_view_if_needed(timeout=10_000)
        page.screenshot(path=str(screenshots / f"{stem}_before.png"))

        select = control.locator("select")
        if isinstance(check.choose, int):
            select.select_option(index=check.choose, timeout=10_000)
        else:
            select.select_option(label=check.choose, timeout=10_000)
        if check.button is not None:
            panel.locator("button", has_text=check.button).click(timeout=10_000)
        expect(status).to_have_text(re.compile(check.expect_status), timeout=UPDATE_TIMEOUT * 1000)
        expect(output.locator(check.shows).first).to_be_visible(timeout=30_000)
        page.wait_for_function(
            "([el, old]) => el.innerHTML !== old",
            arg=[output.element_handle(), before_html],
            timeout=30_000,
        )
        output.scroll_into_view_if_needed(timeout=10_000)
        page.screenshot(path=str(screenshots / f"{stem}_after.png"))
        assert status.inner_text() != before_status
        if check.shows == "img":
            assert chart_source(output) != before_chart
        assert not widget_errors(page), widget_errors(page)
        assert not cell_errors(page), cell_errors(page)
        assert not console_errors, f"{stem}: JavaScript console errors: {console_errors}"
        print(f"{stem}: widget updated in {time.monotonic() - ran:.1f} s; screenshots in {screenshots}")
    except BaseException:
        with contextlib.suppress(Exception):
            page.screenshot(path=str(screenshots / f"{stem}_failure.png"))
        raise
    finally:
        with contextlib.suppress(Exception):
            shut_down_kernels(page, lab)
        context.close()
