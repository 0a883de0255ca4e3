"""Interactive widgets of the course notebooks.

:class:`FusionComparison` lets a learner pick a fusion method, class weights
on/off, the conversation window length and the audio feature set, then shows
the per-class F1 of that configuration next to the previous ones. Results
come from a ``train_fn(config) -> scores`` the notebook supplies (e.g. a
small training run) and are memoised per configuration, optionally in a JSON
file so that a later session (or a learner without time to train) only looks
them up.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from course_lib.data.records import IEMOCAP_CLASSES

CONTROLS = ("fusion", "class_weights", "conv_length", "audio_features")
DEFAULT_AUDIO_FEATURES = ("mfcc", "mel", "chroma", "mfcc+mel+chroma")

Scores = Mapping[str, float]


def config_key(config: Mapping[str, Any]) -> str:
    """A stable text key of a configuration (sorted JSON)."""
    return json.dumps(dict(config), sort_keys=True)


def config_label(config: Mapping[str, Any]) -> str:
    """Short legend label, e.g. ``"concat | weights | n=2 | mfcc"``."""
    weights = "weights" if config.get("class_weights") else "no weights"
    return (
        f"{config.get('fusion')} | {weights} | n={config.get('conv_length')} | {config.get('audio_features')}"
    )


def load_results(path: str | os.PathLike) -> dict[str, dict[str, float]]:
    """Read memoised results written by :class:`FusionComparison` (``{config key: scores}``).

    Raises:
        ValueError: naming the file when it is not a JSON object of score dicts.
    """
    source = Path(path)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{source}: line {error.lineno}: not valid JSON ({error.msg})") from error
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ValueError(f"{source}: expected a JSON object mapping configurations to score dicts")
    return {str(k): {str(n): float(s) for n, s in v.items()} for k, v in data.items()}


def save_results(results: Mapping[str, Scores], path: str | os.PathLike) -> Path:
    """Write memoised results as JSON (atomically: a temporary file is renamed)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".tmp")
    payload = {k: {n: float(s) for n, s in v.items()} for k, v in results.items()}
    tmp.write_text(json.dumps(payload, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(target)
    return target


class FusionComparison:
    """A fusion-comparison panel: four controls, a button, a status line and a chart.

    Changing a control (or clicking the button) looks the configuration up in
    the memoised results, calls ``train_fn`` when it is missing, and redraws
    the per-class F1 chart with the current configuration and up to
    ``compare - 1`` previously shown ones.

    Args:
        train_fn: ``train_fn(config) -> scores`` where config is
            ``{"fusion", "class_weights", "conv_length", "audio_features"}``
            and scores is ``{class: f1}`` (optionally with ``"weighted"``) or
            a flat metrics dict with ``f1_<class>`` keys. None: lookup only.
        results: Precomputed ``{config_key(config): scores}``.
        cache_path: JSON file of memoised results, read at start if present
            and rewritten after each new result.
        fusion_methods: Fusion choices (default: the fusion registry).
        conv_lengths: Window-length choices.
        audio_features: Audio feature-set choices.
        classes: Class names of the chart.
        compare: How many configurations the chart shows at most.
        auto_update: Update as soon as a control changes (else on click only).
    """

    def __init__(
        self,
        train_fn: Callable[[dict[str, Any]], Scores] | None = None,
        results: Mapping[str, Scores] | None = None,
        cache_path: str | os.PathLike | None = None,
        fusion_methods: Sequence[str] | None = None,
        conv_lengths: Sequence[int] = (1, 2, 3, 4),
        audio_features: Sequence[str] = DEFAULT_AUDIO_FEATURES,
        classes: Sequence[str] = IEMOCAP_CLASSES,
        compare: int = 3,
        auto_update: bool = True,
    ) -> None:
        import ipywidgets as widgets

        if fusion_methods is None:
            from course_lib.models.registry import available

            fusion_methods = available("fusion")
        if not fusion_methods or not conv_lengths or not audio_features:
            raise ValueError("every control needs at least one choice")
        self.train_fn = train_fn
        self.cache_path = Path(cache_path) if cache_path else None
        self.results: dict[str, dict[str, float]] = {}
        if self.cache_path is not None and self.cache_path.exists():
            self.results.update(load_results(self.cache_path))
        self.results.update({k: dict(v) for k, v in (results or {}).items()})
        self.classes = tuple(classes)
        self.compare = max(1, compare)
        self.calls = 0
        self.shown: list[dict[str, Any]] = []
        self.figure = None

        self.fusion = widgets.Dropdown(options=list(fusion_methods), description="fusion")
        self.class_weights = widgets.Checkbox(value=False, description="class weights")
        self.conv_length = widgets.Dropdown(options=list(conv_lengths), description="conv_length")
        self.audio_features = widgets.Dropdown(options=list(audio_features), description="audio")
        self.button = widgets.Button(description="train / show", icon="play")
        self.status = widgets.HTML(value="")
        self.output = widgets.Output()
        self.button.on_click(lambda _: self.update())
        if auto_update:
            for control in self.controls():
                control.observe(lambda _: self.update(), names="value")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.fusion, self.class_weights]),
                widgets.HBox([self.conv_length, self.audio_features]),
                widgets.HBox([self.button, self.status]),
                self.output,
            ]
        )

    def controls(self) -> list[Any]:
        """The four control widgets, in :data:`CONTROLS` order."""
        return [self.fusion, self.class_weights, self.conv_length, self.audio_features]

    @property
    def config(self) -> dict[str, Any]:
        """The configuration the controls currently describe."""
        return {name: control.value for name, control in zip(CONTROLS, self.controls())}

    def result_for(self, config: Mapping[str, Any]) -> dict[str, float] | None:
        """Memoised scores of ``config``; trains (and memoises) them when missing and possible."""
        key = config_key(config)
        if key not in self.results and self.train_fn is not None:
            self.status.value = f"training {config_label(config)} ..."
            scores = self.train_fn(dict(config))
            self.calls += 1
            self.results[key] = {str(name): float(value) for name, value in scores.items()}
            if self.cache_path is not None:
                save_results(self.results, self.cache_path)
        return self.results.get(key)

    def update(self) -> dict[str, float] | None:
        """Fetch the current configuration's scores and redraw the chart."""
        config = self.config
        scores = self.result_for(config)
        if scores is None:
            self.status.value = f"no stored result for {config_label(config)} (and no train_fn)"
            return None
        self.shown = [c for c in self.shown if config_key(c) != config_key(config)] + [config]
        self.shown = self.shown[-self.compare :]
        self.status.value = f"showing {config_label(config)}"
        self.redraw()
        return scores

    def redraw(self) -> None:
        """Draw the chart of the shown configurations into :attr:`output`."""
        from IPython.display import clear_output, display

        from course_lib.viz.results import plot_per_class_f1

        series = {config_label(c): self.results[config_key(c)] for c in self.shown}
        weighted = all(any(k in s for k in ("weighted", "weighted_f1")) for s in series.values())
        self.figure = plot_per_class_f1(series, self.classes, weighted=weighted, title="per-class F1")
        with self.output:
            clear_output(wait=True)
            display(self.figure)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
