"""Interactive widgets of the course notebooks.

:class:`FusionComparison` lets a learner pick a fusion method, class weights
on/off, the conversation window length and the audio feature set, train it
with a button, and see its per-class **validation** F1 next to the previous
configurations. A learner who tunes by looking at scores must look at the
validation split: test scores chosen from would no longer estimate how the
chosen model does on new data. The test scores stay hidden until the learner
ticks "reveal test scores", meant for the end of the exploration.

Results come from a ``train_fn(config) -> {"valid": scores, "test": scores}``
the notebook supplies (e.g. a small training run) and are memoised per
configuration, optionally in a JSON file so that a later session (or a learner
without time to train) only looks them up.

:class:`PostExplorer` (lesson 07) shows, for a chosen or uploaded post, each model's
class probabilities and the region attention over the image; test posts are listed only
after ticking "reveal test posts".

:class:`PersonalisationExplorer` (lesson 06) lets a learner pick a user and
``k``, fine-tune the pre-trained model on ``k`` of that user's clips with or
without knowledge distillation, and see the user's other clips' predictions
move. It lists the **validation** users; the test (target) users join the
list only after ticking "reveal test users".

:class:`LabelTrajectoryExplorer` (lesson 08) lets a learner pick a training
clip and step through the epochs of a Self-MM run, watching the clip's
generated text, audio and vision labels move away from its multimodal label.

:class:`ClipPredictor` (lesson 10) runs a lesson's saved emotion model on a
corpus clip or on a recording the learner uploads, with the words they type.

:class:`TranslationVariants` (lesson 09) trains one of the Seq2Seq2Sentiment
translation variants on request and lists it beside the slides' row, with
validation scores first and test scores on request.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from course_lib.data.records import IEMOCAP_CLASSES

CONTROLS = ("fusion", "class_weights", "conv_length", "audio_features")
DEFAULT_AUDIO_FEATURES = ("mfcc", "logmel", "mel", "chroma", "mfcc+logmel+chroma")
SPLITS = ("valid", "test")

Scores = Mapping[str, float]
SplitScores = Mapping[str, Scores]


def config_key(config: Mapping[str, Any]) -> str:
    """A stable text key of a configuration (sorted JSON)."""
    return json.dumps(dict(config), sort_keys=True)


def config_label(config: Mapping[str, Any]) -> str:
    """Short legend label, e.g. ``"concat | weights | n=2 | mfcc"``."""
    weights = "weights" if config.get("class_weights") else "no weights"
    return (
        f"{config.get('fusion')} | {weights} | n={config.get('conv_length')} | {config.get('audio_features')}"
    )


def _split_scores(value: Any) -> dict[str, dict[str, float]] | None:
    """``{"valid": {...}, "test": {...}}`` with float scores, or None when ``value`` is not that."""
    if not isinstance(value, Mapping) or set(value) != set(SPLITS):
        return None
    if not all(isinstance(value[s], Mapping) for s in SPLITS):
        return None
    return {s: {str(n): float(v) for n, v in value[s].items()} for s in SPLITS}


def load_results(path: str | os.PathLike) -> dict[str, dict[str, dict[str, float]]]:
    """Read memoised results written by :class:`FusionComparison`.

    Returns:
        ``{config key: {"valid": scores, "test": scores}}``.

    Raises:
        ValueError: naming the file when it is not JSON of that shape.
    """
    source = Path(path)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{source}: line {error.lineno}: not valid JSON ({error.msg})") from error
    parsed = {str(k): _split_scores(v) for k, v in data.items()} if isinstance(data, dict) else None
    if parsed is None or any(v is None for v in parsed.values()):
        raise ValueError(
            f"{source}: expected a JSON object mapping configurations to "
            '{"valid": {class: F1}, "test": {class: F1}}'
        )
    return parsed


def save_results(results: Mapping[str, SplitScores], path: str | os.PathLike) -> Path:
    """Write memoised results as JSON (atomically: a temporary file is renamed)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".tmp")
    payload = {k: {s: {n: float(x) for n, x in v[s].items()} for s in SPLITS} for k, v in results.items()}
    tmp.write_text(json.dumps(payload, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(target)
    return target


class FusionComparison:
    """A fusion-comparison panel: four controls, a train button, a reveal box, a status line and a chart.

    Clicking the button (or changing a control, with ``auto_update``) looks
    the configuration up in the memoised results, calls ``train_fn`` when it
    is missing, and redraws the per-class **validation** F1 chart with the
    current configuration and up to ``compare - 1`` previously shown ones.
    Ticking :attr:`reveal_test` adds their test F1 to the chart.

    Args:
        train_fn: ``train_fn(config) -> {"valid": scores, "test": scores}``
            where config is ``{"fusion", "class_weights", "conv_length",
            "audio_features"}`` and scores is ``{class: f1}`` (optionally with
            ``"weighted"``). None: lookup only.
        results: Precomputed ``{config_key(config): {"valid": scores, "test": scores}}``.
        cache_path: JSON file of memoised results, read at start if present
            and rewritten after each new result.
        fusion_methods: Fusion choices (default: the fusion registry).
        conv_lengths: Window-length choices.
        audio_features: Audio feature-set choices.
        classes: Class names of the chart.
        compare: How many configurations the chart shows at most.
        auto_update: Train and update as soon as a control changes (default: on the button only,
            since training takes a while).
        initial: Starting values of some controls, e.g. ``{"class_weights": True, "conv_length": 3}``
            (default: the first choice of each, class weights off).
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
        auto_update: bool = False,
        initial: Mapping[str, Any] | None = None,
    ) -> None:
        import ipywidgets as widgets

        if fusion_methods is None:
            from course_lib.models.registry import available

            fusion_methods = available("fusion")
        if not fusion_methods or not conv_lengths or not audio_features:
            raise ValueError("every control needs at least one choice")
        self.train_fn = train_fn
        self.cache_path = Path(cache_path) if cache_path else None
        self.results: dict[str, dict[str, dict[str, float]]] = {}
        if self.cache_path is not None and self.cache_path.exists():
            self.results.update(load_results(self.cache_path))
        for key, value in (results or {}).items():
            self.results[key] = self._checked(value, f"results[{key!r}]")
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
        self.reveal_test = widgets.Checkbox(value=False, description="reveal test scores")
        self.status = widgets.HTML(value="")
        self.output = widgets.Output()
        unknown = set(initial or {}) - set(CONTROLS)
        if unknown:
            raise ValueError(f"initial: unknown controls {sorted(unknown)}; choose from {CONTROLS}")
        for name, control in zip(CONTROLS, self.controls()):
            if initial and name in initial:
                control.value = initial[name]
        self.button.on_click(lambda _: self.update())
        self.reveal_test.observe(lambda _: self.redraw() if self.shown else None, names="value")
        if auto_update:
            for control in self.controls():
                control.observe(lambda _: self.update(), names="value")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.fusion, self.class_weights]),
                widgets.HBox([self.conv_length, self.audio_features]),
                widgets.HBox([self.button, self.reveal_test, self.status]),
                self.output,
            ]
        )

    @staticmethod
    def _checked(value: Any, what: str) -> dict[str, dict[str, float]]:
        scores = _split_scores(value)
        if scores is None:
            raise ValueError(
                f"{what} must be {{'valid': {{class: F1}}, 'test': {{class: F1}}}}, got {value!r}"
            )
        return scores

    def controls(self) -> list[Any]:
        """The four control widgets, in :data:`CONTROLS` order."""
        return [self.fusion, self.class_weights, self.conv_length, self.audio_features]

    @property
    def config(self) -> dict[str, Any]:
        """The configuration the controls currently describe."""
        return {name: control.value for name, control in zip(CONTROLS, self.controls())}

    def result_for(self, config: Mapping[str, Any]) -> dict[str, dict[str, float]] | None:
        """Memoised ``{"valid", "test"}`` scores of ``config``; trains (and memoises) them when missing."""
        key = config_key(config)
        if key not in self.results and self.train_fn is not None:
            self.status.value = f"training {config_label(config)} ..."
            self.results[key] = self._checked(self.train_fn(dict(config)), "train_fn's result")
            self.calls += 1
            if self.cache_path is not None:
                save_results(self.results, self.cache_path)
        return self.results.get(key)

    def update(self) -> dict[str, dict[str, float]] | None:
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

        splits = SPLITS if self.reveal_test.value else ("valid",)
        series = {
            f"{config_label(c)} ({split})": self.results[config_key(c)][split]
            for c in self.shown
            for split in splits
        }
        weighted = all(any(k in s for k in ("weighted", "weighted_f1")) for s in series.values())
        title = "per-class F1: validation" + (" and test (revealed)" if self.reveal_test.value else "")
        self.figure = plot_per_class_f1(series, self.classes, weighted=weighted, title=title)
        with self.output:
            clear_output(wait=True)
            display(self.figure)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


class PersonalisationExplorer:
    """Pick a user and k, fine-tune with or without distillation, see the user's predictions move.

    Args:
        adapt_fn: ``adapt_fn(user, k, distill) -> {"y_true", "before", "after"}``
            with the user's query labels and predictions before and after
            fine-tuning (e.g. :func:`course_lib.recipes.mult.adapt_user`).
        validation_users: Users listed from the start.
        test_users: Users listed once :attr:`reveal_test` is ticked.
        ks: Choices of k.
    """

    def __init__(
        self,
        adapt_fn: Callable[[Any, int, bool], Mapping[str, Any]],
        validation_users: Sequence[Any],
        test_users: Sequence[Any] = (),
        ks: Sequence[int] = (1, 3, 5, 8),
    ) -> None:
        import ipywidgets as widgets

        if not validation_users:
            raise ValueError("the explorer needs at least one validation user")
        self.adapt_fn = adapt_fn
        self.validation_users = list(validation_users)
        self.test_users = list(test_users)
        self.results: dict[tuple[str, Any, int, bool], Mapping[str, Any]] = {}
        self.calls = 0
        self.figure = None
        self.user = widgets.Dropdown(options=self._options(False), description="user")
        self.k = widgets.Dropdown(options=list(ks), value=5 if 5 in ks else ks[0], description="k")
        self.distill = widgets.Checkbox(value=True, description="distillation (KD)")
        self.reveal_test = widgets.Checkbox(value=False, description="reveal test users")
        self.button = widgets.Button(description="fine-tune / show", icon="play")
        self.status = widgets.HTML(value="")
        self.output = widgets.Output()
        self.button.on_click(lambda _: self.update())
        self.reveal_test.observe(lambda change: self._relist(change["new"]), names="value")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.user, self.k]),
                widgets.HBox([self.distill, self.reveal_test]),
                widgets.HBox([self.button, self.status]),
                self.output,
            ]
        )

    def _options(self, with_test: bool) -> list[tuple[str, tuple[str, Any]]]:
        options = [(f"validation: {u}", ("validation", u)) for u in self.validation_users]
        if with_test:
            options += [(f"test: {u}", ("test", u)) for u in self.test_users]
        return options

    def _relist(self, with_test: bool) -> None:
        current = self.user.value
        self.user.options = self._options(with_test)
        if current in [value for _, value in self.user.options]:
            self.user.value = current

    def update(self) -> Mapping[str, Any]:
        """Fine-tune for the chosen user, k and loss (memoised) and redraw the user's predictions."""
        from IPython.display import clear_output, display

        from course_lib.viz.results import plot_prediction_shift

        (split, user), k, distill = self.user.value, int(self.k.value), bool(self.distill.value)
        key = (split, user, k, distill)
        if key not in self.results:
            self.status.value = f"fine-tuning on {k} clips of {user} ..."
            self.results[key] = self.adapt_fn(user, k, distill)
            self.calls += 1
        result = self.results[key]
        loss = "with KD" if distill else "without KD"
        title = f"{split} user {user}: {k}-shot fine-tuning {loss}, {len(result['y_true'])} query clips"
        self.figure = plot_prediction_shift(result["y_true"], result["before"], result["after"], title=title)
        self.status.value = f"showing {user}, k={k}, {loss}"
        with self.output:
            clear_output(wait=True)
            display(self.figure)
        return result

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


class TranslationVariants:
    """Pick one of the slides' translation variants, train it with a button, see it beside the slides' row.

    The table lists every variant trained so far with its **validation**
    precision, recall and F1 (binary and 7-class); the test columns join only
    once "reveal test scores" is ticked.

    Args:
        train_fn: ``train_fn(name) -> {"valid": {column: value}, "test": {...}}``
            (e.g. :func:`course_lib.recipes.seq2seq.variant_scores`).
        names: The variants offered (the slides' row names).
        table: The slides' table (a :class:`course_lib.papers.PaperTable`) whose rows are shown beside ours.
    """

    def __init__(
        self, train_fn: Callable[[str], SplitScores], names: Sequence[str], table: Any = None
    ) -> None:
        import ipywidgets as widgets

        if not names:
            raise ValueError("the widget needs at least one variant")
        self.train_fn = train_fn
        self.table = table
        self.results: dict[str, SplitScores] = {}
        self.name = widgets.Dropdown(options=list(names), description="variant")
        self.reveal_test = widgets.Checkbox(value=False, description="reveal test scores")
        self.button = widgets.Button(description="train / show", icon="play")
        self.status = widgets.HTML(value="")
        self.output = widgets.Output()
        self.button.on_click(lambda _: self.update())
        self.reveal_test.observe(lambda _: self.redraw(), names="value")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.name, self.reveal_test]),
                widgets.HBox([self.button, self.status]),
                self.output,
            ]
        )

    def update(self) -> SplitScores:
        """Train the chosen variant (memoised) and redraw the table."""
        name = self.name.value
        if name not in self.results:
            self.status.value = f"training {name} ..."
            self.results[name] = self.train_fn(name)
        self.status.value = f"{len(self.results)} variant(s) trained"
        self.redraw()
        return self.results[name]

    def frame(self) -> Any:
        """The table shown: one row per (variant, source), validation (and, revealed, test) columns."""
        import pandas as pd

        splits = SPLITS if self.reveal_test.value else ("valid",)
        rows, index = [], []
        for name, scores in self.results.items():
            if self.table is not None and name in self.table.rows:
                rows.append({("slides (test)", c): v for c, v in self.table.row(name).items()})
                index.append((name, "slides"))
            rows.append({(split, c): v for split in splits for c, v in scores[split].items()})
            index.append((name, "ours"))
        columns = list(dict.fromkeys(key for row in rows for key in row))
        return pd.DataFrame(
            [[row.get(key) for key in columns] for row in rows],
            index=pd.MultiIndex.from_tuples(index, names=["variant", "source"]),
            columns=pd.MultiIndex.from_tuples(columns),
        )

    def redraw(self) -> None:
        """Show the table in the output area."""
        from IPython.display import clear_output, display

        with self.output:
            clear_output(wait=True)
            if self.results:
                display(self.frame())

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


class PostExplorer:
    """Pick a post (or upload text + image), see each model's prediction and the region attention.

    Args:
        explain_fn: ``explain_fn(post) -> {"models": {name: {class: p}}, "attention": (R,) | None}``
            for a listed post (e.g. :func:`course_lib.recipes.mvsa.explain_post` on its cached features).
        validation_posts: Posts listed from the start (records with ``id``, ``text``,
            ``image_path``, ``label``).
        test_posts: Posts listed once :attr:`reveal_test` is ticked.
        explain_new: ``explain_new(text, image_path) -> same dict`` for an uploaded post
            (None: no upload controls).
        boxes_fn: ``boxes_fn(post) -> [(x0, y0, x1, y1)]`` to outline (e.g. the generator's shapes).
    """

    def __init__(
        self,
        explain_fn: Callable[[Any], Mapping[str, Any]],
        validation_posts: Sequence[Any],
        test_posts: Sequence[Any] = (),
        explain_new: Callable[[str, Any], Mapping[str, Any]] | None = None,
        boxes_fn: Callable[[Any], Sequence[Sequence[int]]] | None = None,
    ) -> None:
        import ipywidgets as widgets

        if not validation_posts:
            raise ValueError("the explorer needs at least one validation post")
        self.explain_fn, self.explain_new, self.boxes_fn = explain_fn, explain_new, boxes_fn
        self.validation_posts, self.test_posts = list(validation_posts), list(test_posts)
        self.figure = None
        self.last: Mapping[str, Any] | None = None
        self.post = widgets.Dropdown(options=self._options(False), description="post")
        self.reveal_test = widgets.Checkbox(value=False, description="reveal test posts")
        self.reveal_test.observe(lambda change: self._relist(change["new"]), names="value")
        self.post.observe(lambda _: self.update(), names="value")
        self.text = widgets.Text(placeholder="your post's text", description="text")
        self.upload = widgets.FileUpload(accept="image/*", multiple=False, description="image")
        self.button = widgets.Button(description="predict my post", icon="play")
        self.button.on_click(lambda _: self.update_upload())
        self.status = widgets.HTML(value="")
        self.output = widgets.Output()
        rows = [widgets.HBox([self.post, self.reveal_test])]
        if explain_new is not None:
            rows.append(widgets.HBox([self.text, self.upload, self.button]))
        self.widget = widgets.VBox([*rows, self.status, self.output])

    def _options(self, with_test: bool) -> list[tuple[str, tuple[str, int]]]:
        def label(split: str, post: Any) -> str:
            return f"{split} #{post.id} ({post.label}): {post.text[:40]}"

        options = [(label("validation", p), ("validation", i)) for i, p in enumerate(self.validation_posts)]
        if with_test:
            options += [(label("test", p), ("test", i)) for i, p in enumerate(self.test_posts)]
        return options

    def _relist(self, with_test: bool) -> None:
        current = self.post.value
        self.post.options = self._options(with_test)
        if current in [value for _, value in self.post.options]:
            self.post.value = current

    def _show(self, image_path: Any, text: str, result: Mapping[str, Any], boxes: Any, title: str) -> None:
        from IPython.display import clear_output, display

        from course_lib.viz.images import plot_post_predictions

        self.last = result
        self.figure = plot_post_predictions(
            image_path, text, result["models"], result.get("attention"), boxes, title
        )
        with self.output:
            clear_output(wait=True)
            display(self.figure)

    def update(self) -> Mapping[str, Any]:
        """Explain the chosen post and redraw."""
        split, index = self.post.value
        post = (self.validation_posts if split == "validation" else self.test_posts)[index]
        result = self.explain_fn(post)
        boxes = self.boxes_fn(post) if self.boxes_fn else ()
        self._show(post.image_path, post.text, result, boxes, f"{split} post #{post.id}, label {post.label}")
        self.status.value = f"post #{post.id}"
        return result

    def update_upload(self) -> Mapping[str, Any] | None:
        """Explain the uploaded image with the typed text (errors are shown, not raised)."""
        import tempfile

        if self.explain_new is None or not self.upload.value:
            self.status.value = "type a text and choose an image first"
            return None
        item = self.upload.value[0]
        suffix = Path(item["name"]).suffix or ".jpg"
        with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as handle:
            handle.write(bytes(item["content"]))
        try:
            result = self.explain_new(self.text.value, handle.name)
            self._show(handle.name, self.text.value, result, (), f"your post ({item['name']})")
        except (TypeError, ValueError) as error:  # an undecodable image names the file
            self.status.value = f"cannot use this post: {error}"
            return None
        finally:
            os.unlink(handle.name)
        return result

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


class LabelTrajectoryExplorer:
    """Pick a training clip, step through the epochs, watch its generated unimodal labels move (lesson 08).

    Args:
        trajectories: ``{task: (epochs + 1, N)}`` labels after each epoch, epoch 0 the initial
            ones (``M`` the fixed multimodal label, ``T``, ``A``, ``V`` the generated ones).
        clips: ``{name shown: training-clip index}``.
        truth: ``{index: {task: true value}}`` drawn as dotted lines (optional).
    """

    def __init__(
        self,
        trajectories: Mapping[str, Any],
        clips: Mapping[str, int],
        truth: Mapping[int, Mapping[str, float]] | None = None,
    ) -> None:
        import ipywidgets as widgets

        if not clips:
            raise ValueError("the explorer needs at least one clip")
        self.trajectories = dict(trajectories)
        self.truth = dict(truth or {})
        self.epochs = min(len(v) for v in self.trajectories.values()) - 1
        self.figure = None
        self.clip = widgets.Dropdown(options=list(clips.items()), description="clip")
        self.epoch = widgets.IntSlider(value=self.epochs, min=0, max=self.epochs, description="epoch")
        self.play = widgets.Play(value=self.epochs, min=0, max=self.epochs, interval=600, description="play")
        widgets.jslink((self.play, "value"), (self.epoch, "value"))
        self.status = widgets.HTML(value="")
        self.output = widgets.Output()
        self.clip.observe(lambda _: self.update(), names="value")
        self.epoch.observe(lambda _: self.update(), names="value")
        self.widget = widgets.VBox(
            [widgets.HBox([self.clip]), widgets.HBox([self.play, self.epoch, self.status]), self.output]
        )

    def labels_at(self, clip: int, epoch: int) -> dict[str, float]:
        """``{task: label}`` of one clip after ``epoch``."""
        return {task: float(values[epoch][clip]) for task, values in self.trajectories.items()}

    def update(self) -> dict[str, float]:
        """Redraw the chosen clip's labels up to the chosen epoch and return them."""
        from IPython.display import clear_output, display

        from course_lib.viz.results import plot_label_trajectories

        clip, epoch = int(self.clip.value), int(self.epoch.value)
        labels = self.labels_at(clip, epoch)
        self.figure = plot_label_trajectories(
            self.trajectories,
            clip,
            self.truth.get(clip),
            upto=epoch,
            title=f"{self.clip.label}: labels up to epoch {epoch}",
        )
        self.status.value = " ".join(f"y_{t} = {v:+.2f}" for t, v in labels.items())
        with self.output:
            clear_output(wait=True)
            display(self.figure)
        return labels

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


class ClipPredictor:
    """Your own clip: upload a recording, type its words, see which emotion a saved model predicts.

    Args:
        predict_fn: ``predict_fn(wav_path, text) -> {class: probability}`` (e.g.
            :func:`course_lib.predict.predict_clip` bound to a model name).
        examples: ``{name shown: (wav path, transcript)}``, offered before any upload
            (e.g. test turns of the corpus); choosing one fills in its transcript.
    """

    def __init__(
        self, predict_fn: Callable[[Any, str], Mapping[str, float]], examples: Mapping[str, Any]
    ) -> None:
        import ipywidgets as widgets

        if not examples:
            raise ValueError("the predictor needs at least one example clip")
        self.predict_fn = predict_fn
        self.examples = dict(examples)
        first = next(iter(self.examples))
        self.figure = None
        self.clip = widgets.Dropdown(options=list(self.examples), value=first, description="clip")
        self.text = widgets.Text(value=self.examples[first][1], description="text", layout={"width": "60%"})
        self.clip.observe(
            lambda change: setattr(self.text, "value", self.examples[change["new"]][1]), names="value"
        )
        self.upload = widgets.FileUpload(
            accept="audio/*,.wav,.flac,.ogg", multiple=False, description="your clip"
        )
        self.button = widgets.Button(description="predict", icon="play")
        self.button.on_click(lambda _: self.update())
        self.status = widgets.HTML(value="")
        self.output = widgets.Output()
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.clip, self.upload]),
                self.text,
                widgets.HBox([self.button, self.status]),
                self.output,
            ]
        )

    def _audio(self) -> tuple[str, str, bool]:
        """``(wav path, what it is, whether it is a temporary copy of an upload)``."""
        import tempfile

        if self.upload.value:
            item = self.upload.value[0]
            suffix = Path(item["name"]).suffix or ".wav"
            with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as handle:
                handle.write(bytes(item["content"]))
            return handle.name, f"your clip {item['name']}", True
        return str(self.examples[self.clip.value][0]), f"clip {self.clip.value}", False

    def update(self) -> Mapping[str, float] | None:
        """Predict the uploaded (else the chosen) clip with the typed words; errors are shown, not raised."""
        import matplotlib.pyplot as plt
        from IPython.display import clear_output, display

        path, what, temporary = self._audio()
        try:
            probabilities = dict(self.predict_fn(path, self.text.value))
        except (OSError, ValueError) as error:  # unreadable audio, empty text, a model never trained
            self.status.value = f"cannot predict {what}: {error}"
            return None
        finally:
            if temporary:
                os.unlink(path)
        best = max(probabilities, key=probabilities.get)
        self.status.value = f"{what}: predicted {best} (p={probabilities[best]:.2f})"
        fig, ax = plt.subplots(figsize=(5, 2.6), layout="constrained")
        ax.bar(list(probabilities), list(probabilities.values()), color="C0")
        ax.set_ylim(0, 1)
        ax.set_ylabel("probability")
        ax.set_title(what, fontsize=9)
        plt.close(fig)
        self.figure = fig
        with self.output:
            clear_output(wait=True)
            display(fig)
        return probabilities

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
