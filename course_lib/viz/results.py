"""Result figures of the course: the papers' tables as charts, curves and error analysis.

Every function returns a matplotlib ``Figure``. Figures are created with
pyplot and then removed from pyplot's registry, so a notebook shows each one
exactly once: as the value of the cell, or with ``display(fig)``. Pass
``ax=`` to draw into an axes of your own figure instead.

Scores may be given as plain numbers or as :func:`course_lib.recipes.run_seeds`
summaries (``{"mean": {...}, "std": {...}}``); summaries get error bars.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from numbers import Real
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from course_lib.data.records import IEMOCAP_CLASSES


def _figure(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes, bool]:
    if ax is not None:
        return ax.figure, ax, False
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax, True


def _release(fig: Figure, owned: bool) -> Figure:
    if owned:
        plt.close(fig)
    return fig


def _lookup(metrics: Mapping[str, Any], candidates: Iterable[str]) -> Any:
    for key in candidates:
        if key in metrics:
            return metrics[key]
    return None


def _class_keys(name: str) -> list[str]:
    return [name, f"f1_{name}", f"test_f1_{name}", f"val_f1_{name}"]


_WEIGHTED_KEYS = ["weighted", "weighted_f1", "test_weighted_f1", "val_weighted_f1"]


def _mean_std(value: Any, keys: Sequence[str]) -> tuple[float, float | None]:
    """A score and its std from a number, a metrics dict or a run_seeds summary."""
    if isinstance(value, Real):
        return float(value), None
    if isinstance(value, Mapping) and "mean" in value and isinstance(value["mean"], Mapping):
        mean = _lookup(value["mean"], keys)
        std = _lookup(value.get("std", {}), keys)
        if mean is None:
            raise KeyError(f"none of {list(keys)} in the summary's means")
        return float(mean), None if std is None else float(std)
    if isinstance(value, Mapping):
        found = _lookup(value, keys)
        if found is None:
            raise KeyError(f"none of {list(keys)} in {sorted(value)}")
        return _mean_std(found, keys)
    raise TypeError(f"cannot read a score from {type(value).__name__}")


def per_class_table(
    results: Mapping[str, Mapping[str, Any]], classes: Sequence[str] = IEMOCAP_CLASSES, weighted: bool = True
):
    """The per-class F1 of several models as a pandas table (rows: models), like the paper's tables."""
    import pandas as pd

    columns = list(classes) + (["weighted"] if weighted else [])
    rows = {}
    for name, metrics in results.items():
        row = {c: _mean_std(metrics, _class_keys(c))[0] for c in classes}
        if weighted:
            row["weighted"] = _mean_std(metrics, _WEIGHTED_KEYS)[0]
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index")[columns]


def plot_per_class_f1(
    results: Mapping[str, Mapping[str, Any]],
    classes: Sequence[str] = IEMOCAP_CLASSES,
    weighted: bool = True,
    title: str | None = None,
    ax: Axes | None = None,
    annotate: bool = False,
) -> Figure:
    """Grouped bars: F1 of every class (and the weighted F1) for several models.

    Args:
        results: ``{model name: scores}``; scores is ``{class: f1}``, a flat
            metrics dict with ``f1_<class>`` / ``weighted_f1`` keys, or a
            ``run_seeds`` summary (drawn with ±std error bars).
        classes: Class names, one group of bars each.
        weighted: Add a "weighted" group from the weighted F1.
        title: Axes title.
        ax: Axes to draw into.
        annotate: Write each bar's value above it.
    """
    if not results:
        raise ValueError("no results to plot")
    groups = list(classes) + (["weighted"] if weighted else [])
    fig, ax, owned = _figure(ax, (max(6.0, 1.1 * len(groups) + 0.4 * len(results)), 3.8))
    width = 0.8 / len(results)
    x = np.arange(len(groups))
    for index, (name, metrics) in enumerate(results.items()):
        pairs = [_mean_std(metrics, _class_keys(c)) for c in classes]
        if weighted:
            pairs.append(_mean_std(metrics, _WEIGHTED_KEYS))
        heights = [p[0] for p in pairs]
        errors = [p[1] if p[1] is not None else 0.0 for p in pairs]
        has_errors = any(p[1] is not None for p in pairs)
        bars = ax.bar(
            x + (index - (len(results) - 1) / 2) * width,
            heights,
            width,
            label=str(name),
            yerr=errors if has_errors else None,
            capsize=2 if has_errors else 0,
        )
        if annotate:
            ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
    ax.set_xticks(x, groups)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("F1")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, ncols=min(len(results), 4), loc="upper left")
    if title:
        ax.set_title(title)
    return _release(fig, owned)


def plot_per_class_vs_paper(
    results: Mapping[str, Mapping[str, Any]],
    paper_table: Any,
    paper_rows: Mapping[str, str],
    classes: Sequence[str] = IEMOCAP_CLASSES,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Our per-class F1 bars with the paper's values drawn over them as black ticks.

    Args:
        results: ``{model name: scores}`` as for :func:`plot_per_class_f1`.
        paper_table: A :class:`course_lib.papers.PaperTable` (e.g. ``femia.TEXT_TABLE``).
        paper_rows: Our model name -> the paper's row it corresponds to; models
            without a paper row get no ticks.
        classes: Classes drawn (the paper's columns must include them).
        title: Axes title (default: the table's source and caption).
        ax: Axes to draw into.
    """
    fig, ax, owned = _figure(ax, (max(6.0, 1.1 * len(classes) + 0.4 * len(results)), 3.8))
    plot_per_class_f1(results, classes, weighted=False, ax=ax)
    width = 0.8 / len(results)
    for index, name in enumerate(results):
        if name not in paper_rows:
            continue
        row = paper_table.row(paper_rows[name])
        centres = np.arange(len(classes)) + (index - (len(results) - 1) / 2) * width
        values = [row[c] for c in classes]
        ax.hlines(values, centres - width / 2, centres + width / 2, colors="black", linewidth=2)
    ax.plot([], [], color="black", linewidth=2, label=f"paper ({paper_table.source})")
    ax.legend(fontsize=8, ncols=min(len(results) + 1, 4), loc="upper left")
    ax.set_title(title or f"{paper_table.source}: {paper_table.caption}", fontsize=9)
    return _release(fig, owned)


def plot_metric_curve(
    results: Mapping[str, Mapping[Real, Any]],
    xlabel: str,
    ylabel: str = "weighted F1",
    metric: Sequence[str] = tuple(_WEIGHTED_KEYS),
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Lines of a score against a numeric setting, one line per model.

    Args:
        results: ``{model name: {x: score}}``; a score is a number, a metrics
            dict or a ``run_seeds`` summary (shaded ±std band).
        xlabel: Label of the setting on the x axis.
        ylabel: Label of the score.
        metric: Keys tried, in order, to read the score out of dicts.
        title: Axes title.
        ax: Axes to draw into.
    """
    if not results:
        raise ValueError("no results to plot")
    fig, ax, owned = _figure(ax, (5.5, 3.6))
    for name, curve in results.items():
        xs = sorted(curve)
        pairs = [_mean_std(curve[x], metric) for x in xs]
        ys = np.array([p[0] for p in pairs])
        ax.plot(xs, ys, marker="o", label=str(name))
        if any(p[1] is not None for p in pairs):
            stds = np.array([p[1] or 0.0 for p in pairs])
            ax.fill_between(xs, ys - stds, ys + stds, alpha=0.2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return _release(fig, owned)


def plot_f1_vs_conv_length(
    results: Mapping[str, Mapping[int, Any]], title: str | None = None, ax: Axes | None = None
) -> Figure:
    """Weighted F1 against the number of turns in the window (``conv_length``)."""
    fig = plot_metric_curve(results, "conv_length (turns in the window)", title=title, ax=ax)
    axes = ax or fig.axes[0]
    lengths = sorted({x for curve in results.values() for x in curve})
    axes.set_xticks(lengths)
    return fig


def plot_f1_vs_crop_length(
    results: Mapping[str, Mapping[float, Any]], title: str | None = None, ax: Axes | None = None
) -> Figure:
    """Weighted F1 against the length (seconds) audio turns are cropped or padded to."""
    return plot_metric_curve(results, "audio crop length (s)", title=title, ax=ax)


def plot_confusion_matrix(
    matrix: Any,
    labels: Sequence[str] = IEMOCAP_CLASSES,
    normalize: bool = True,
    title: str | None = None,
    ax: Axes | None = None,
    cmap: str = "Blues",
) -> Figure:
    """Seaborn heatmap of a confusion matrix (rows: true class, columns: predicted).

    Args:
        matrix: ``(C, C)`` counts, e.g. from :func:`course_lib.metrics.confusion_matrix`.
        labels: Class names.
        normalize: Colour and annotate each row as fractions of the true
            class (recall on the diagonal); rows with no samples stay 0.
        title: Axes title.
        ax: Axes to draw into.
        cmap: Colour map.
    """
    import seaborn as sns

    counts = np.asarray(matrix, dtype=np.float64)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] != len(labels):
        raise ValueError(f"matrix must be ({len(labels)}, {len(labels)}), got {counts.shape}")
    shown = counts
    if normalize:
        totals = counts.sum(axis=1, keepdims=True)
        shown = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    size = 1.0 + 0.6 * len(labels)
    fig, ax, owned = _figure(ax, (size + 1.0, size))
    sns.heatmap(
        shown,
        annot=True,
        fmt=".2f" if normalize else ".0f",
        cmap=cmap,
        vmin=0,
        vmax=1 if normalize else None,
        xticklabels=list(labels),
        yticklabels=list(labels),
        square=True,
        cbar=True,
        ax=ax,
    )
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title:
        ax.set_title(title)
    return _release(fig, owned)


def plot_attention(
    weights: Any,
    query_labels: Sequence[str],
    key_labels: Sequence[str],
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Heatmap of attention weights (rows: queries, columns: keys; each row sums to 1).

    Args:
        weights: ``(n_queries, n_keys)`` array or tensor.
        query_labels: One label per row.
        key_labels: One label per column.
        title: Axes title.
        ax: Axes to draw into.
    """
    values = np.asarray(weights.detach().cpu() if hasattr(weights, "detach") else weights, dtype=float)
    if values.shape != (len(query_labels), len(key_labels)):
        raise ValueError(
            f"weights of shape {values.shape} for {len(query_labels)} x {len(key_labels)} labels"
        )
    fig, ax, owned = _figure(ax, (1.2 + 0.9 * len(key_labels), 1.0 + 0.6 * len(query_labels)))
    image = ax.imshow(values, vmin=0.0, vmax=1.0, cmap="Blues")
    for (row, column), value in np.ndenumerate(values):
        ax.text(
            column, row, f"{value:.2f}", ha="center", va="center", color="white" if value > 0.6 else "black"
        )
    ax.set_xticks(range(len(key_labels)), key_labels)
    ax.set_yticks(range(len(query_labels)), query_labels)
    ax.set_xlabel("keys")
    ax.set_ylabel("queries")
    fig.colorbar(image, ax=ax, shrink=0.8)
    if title:
        ax.set_title(title, fontsize=9)
    return _release(fig, owned)


def plot_embedding_2d(
    vectors: Any,
    labels: Sequence[str],
    classes: Sequence[str] = IEMOCAP_CLASSES,
    title: str | None = None,
    seed: int = 0,
    ax: Axes | None = None,
) -> Figure:
    """Project embeddings to two dimensions (PCA) and scatter them, one colour per class.

    Args:
        vectors: ``(N, D)`` embeddings (array or tensor).
        labels: ``N`` class names.
        classes: Classes drawn, in legend order.
        title: Axes title (default: the embedding size and "PCA").
        seed: Seed of the PCA solver.
        ax: Axes to draw into.
    """
    from sklearn.decomposition import PCA

    values = np.asarray(vectors.detach().cpu() if hasattr(vectors, "detach") else vectors, dtype=float)
    points = PCA(n_components=2, random_state=seed).fit_transform(values)
    labels = np.asarray(labels)
    fig, ax, owned = _figure(ax, (6.0, 4.5))
    for name in classes:
        chosen = labels == name
        ax.scatter(points[chosen, 0], points[chosen, 1], s=14, label=name, alpha=0.8)
    ax.set(title=title or f"{values.shape[1]}-d embeddings, PCA", xlabel="PC 1", ylabel="PC 2")
    ax.legend(fontsize=8, ncols=2)
    return _release(fig, owned)


def plot_by_class(
    table: Any,
    columns: Sequence[str],
    labels: Sequence[str],
    classes: Sequence[str] = IEMOCAP_CLASSES,
    titles: Sequence[str] | None = None,
) -> Figure:
    """One box plot per column: the column's values grouped by class.

    Args:
        table: A pandas table (one row per item).
        columns: Columns to draw, one panel each.
        labels: The class of each row.
        classes: Classes drawn, in order (absent ones are skipped).
        titles: Panel titles (default: the column names).
    """
    labels = np.asarray(labels)
    present = [c for c in classes if c in set(labels)]
    fig, axes = plt.subplots(
        1, len(columns), figsize=(5 * len(columns), 3.4), layout="constrained", squeeze=False
    )
    for ax, column, title in zip(axes[0], columns, titles or columns):
        ax.boxplot([np.asarray(table[column])[labels == c] for c in present], tick_labels=present)
        ax.set_title(title)
    return _release(fig, True)


def plot_learning_curves(
    history: Sequence[Mapping[str, float]],
    metric: str = "val_weighted_f1",
    losses: Sequence[str] = ("train_loss", "val_loss"),
    best_epoch: int | None = None,
    title: str | None = None,
) -> Figure:
    """Losses (left) and a validation metric (right) per epoch, from :attr:`Trainer.history`.

    Args:
        history: One dict per epoch with an ``epoch`` key.
        metric: Metric drawn on the right panel.
        losses: Loss keys drawn on the left panel (missing keys are skipped).
        best_epoch: Epoch marked with a dashed line (e.g. ``trainer.best_epoch``).
        title: Figure title.
    """
    if not history:
        raise ValueError("empty history")
    epochs = [row["epoch"] for row in history]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
    for key in losses:
        if key in history[0]:
            left.plot(epochs, [row[key] for row in history], marker=".", label=key)
    left.set_xlabel("epoch")
    left.set_ylabel("loss")
    left.legend(fontsize=8)
    if metric not in history[0]:
        raise KeyError(f"{metric!r} not in the history (keys: {sorted(history[0])})")
    right.plot(epochs, [row[metric] for row in history], marker=".", color="C2", label=metric)
    right.set_xlabel("epoch")
    right.set_ylabel(metric)
    right.legend(fontsize=8)
    for axes in (left, right):
        axes.grid(alpha=0.3)
        if best_epoch is not None:
            axes.axvline(best_epoch, color="grey", linestyle="--", linewidth=1)
    if title:
        fig.suptitle(title)
    return _release(fig, True)


def plot_misclassified_turn(
    waveform: Any,
    sample_rate: int,
    text: str,
    true_label: str,
    pred_label: str,
    context: Sequence[str] = (),
    title: str | None = None,
) -> Figure:
    """A turn's waveform with its transcript, true and predicted labels (and earlier turns).

    Args:
        waveform: Mono samples ``(N,)``.
        sample_rate: Samples per second.
        text: The turn's transcript.
        true_label: Annotated class.
        pred_label: Predicted class.
        context: Earlier turns of the window, as display strings (oldest first).
        title: Figure title (default: the true and predicted labels).
    """
    samples = np.asarray(waveform, dtype=np.float64).reshape(-1)
    if samples.size == 0:
        raise ValueError("empty waveform")
    times = np.arange(samples.size) / float(sample_rate)
    lines = [f"context: {textwrap.shorten(turn, 100)}" for turn in context]
    lines += textwrap.wrap(f"turn: \u201c{text}\u201d", 100) or ["turn: (no transcript)"]
    fig, (ax, notes) = plt.subplots(
        2,
        1,
        figsize=(9, 3.0 + 0.2 * len(lines)),
        layout="constrained",
        height_ratios=(3.0, 0.5 + 0.25 * len(lines)),
    )
    ax.plot(times, samples, linewidth=0.6, color="C0")
    ax.set_xlim(0, times[-1] if times[-1] > 0 else 1.0)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("amplitude")
    colour = "green" if true_label == pred_label else "crimson"
    ax.set_title(title or f"true: {true_label}   predicted: {pred_label}", color=colour)
    notes.axis("off")
    notes.text(0.0, 1.0, "\n".join(lines), transform=notes.transAxes, va="top", ha="left", fontsize=8)
    return _release(fig, True)


def plot_user_deltas(
    table: Any,
    methods: Sequence[str],
    reference: str = "baseline",
    metric: str = "mae",
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Per user, the change of a figure after adaptation: one dot per draw, a bar at the mean over draws.

    Args:
        table: One row per (user, draw, method) with ``user``, ``draw``,
            ``method`` and ``metric`` columns (:meth:`course_lib.training.fewshot.FewShotResult.table`).
        methods: Methods compared with ``reference``, one colour each.
        reference: The method subtracted (the no-adaptation baseline).
        metric: Column plotted.
        title: Axes title.
        ax: Axes to draw into.
    """
    wide = table.pivot_table(index=["user", "draw"], columns="method", values=metric, sort=False)
    users = list(dict.fromkeys(wide.index.get_level_values("user")))
    fig, ax, owned = _figure(ax, (1.6 + 0.9 * len(users), 3.6))
    width = 0.8 / max(len(methods), 1)
    for number, method in enumerate(methods):
        delta = (wide[method] - wide[reference]).groupby(level="user", sort=False)
        for position, user in enumerate(users):
            values = delta.get_group(user).to_numpy()
            x = position - 0.4 + width * (number + 0.5)
            ax.bar(
                x,
                np.nanmean(values),
                width * 0.9,
                color=f"C{number}",
                alpha=0.35,
                label=method if position == 0 else None,
            )
            ax.scatter(np.full(len(values), x), values, color=f"C{number}", s=14, zorder=3)
    ax.axhline(0.0, color="grey", linewidth=1)
    ax.set_xticks(range(len(users)), [str(u)[:8] for u in users], rotation=30, ha="right")
    ax.set_ylabel(f"{metric} minus {reference}")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(
        title or f"per user: {metric} change over the 5-shot draws (dots) and its mean (bars)", fontsize=9
    )
    return _release(fig, owned)


def plot_prediction_shift(
    y_true: Any, before: Any, after: Any, title: str | None = None, ax: Axes | None = None
) -> Figure:
    """Predictions against labels before (grey) and after (colour) an adaptation, with arrows between them.

    Shape:
        y_true, before, after ``(N,)``.
    """
    truth, old, new = (np.asarray(v, dtype=float).reshape(-1) for v in (y_true, before, after))
    if not truth.size == old.size == new.size:
        raise ValueError(f"y_true, before and after differ in length: {truth.size}, {old.size}, {new.size}")
    fig, ax, owned = _figure(ax, (4.6, 4.2))
    ax.plot([-3, 3], [-3, 3], color="grey", linestyle="--", linewidth=1)
    for x, y0, y1 in zip(truth, old, new):
        ax.annotate("", (x, y1), (x, y0), arrowprops={"arrowstyle": "->", "color": "C0", "alpha": 0.5})
    ax.scatter(truth, old, color="grey", s=18, label=f"before (MAE {np.abs(old - truth).mean():.2f})")
    ax.scatter(truth, new, color="C0", s=18, label=f"after (MAE {np.abs(new - truth).mean():.2f})")
    ax.set_xlim(-3.2, 3.2)
    ax.set_ylim(-3.2, 3.2)
    ax.set_xlabel("label")
    ax.set_ylabel("prediction")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title, fontsize=9)
    return _release(fig, owned)


def plot_label_trajectories(
    trajectories: Mapping[str, np.ndarray],
    clip: int,
    truth: Mapping[str, float] | None = None,
    upto: int | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """One clip's generated unimodal labels over the epochs (Self-MM's label-update figure).

    Args:
        trajectories: ``{task: (epochs + 1, N)}`` labels after each epoch, epoch 0 the
            initial ones (:meth:`course_lib.models.selfmm.ULGM.trajectories` of ``M``, ``T``, ``A``, ``V``).
        clip: Column (training-clip index) drawn.
        truth: ``{task: value}`` drawn as dotted lines (e.g. the generator's true sentiments).
        upto: Draw the epochs ``0..upto`` only (default: all).
        title: Axes title.
        ax: Axes to draw into.
    """
    fig, ax, owned = _figure(ax, (5.0, 3.2))
    for number, (task, values) in enumerate(trajectories.items()):
        series = np.asarray(values)[:, clip]
        last = len(series) if upto is None else min(len(series), upto + 1)
        style = {"color": "black", "linewidth": 2} if task == "M" else {"color": f"C{number}", "marker": "o"}
        ax.plot(range(last), series[:last], label=f"y_{task}" + (" (label)" if task == "M" else ""), **style)
        if truth and task in truth:
            ax.axhline(truth[task], color=style["color"], linestyle=":", linewidth=1)
    ax.set_xlabel("epoch (0: before training)")
    ax.set_ylabel("label")
    ax.set_xlim(-0.2, max(len(np.asarray(v)) for v in trajectories.values()) - 0.8)
    ax.legend(fontsize=8, ncol=2)
    ax.grid(alpha=0.3)
    text = title or f"generated labels of training clip {clip} (dotted: true sentiments)"
    ax.set_title(text.replace("$", r"\$"), fontsize=9)  # MMSA clip ids hold "$_$"
    return _release(fig, owned)


def plot_translation(
    example: Mapping[str, np.ndarray],
    feature_names: Sequence[str] | None = None,
    max_features: int = 3,
    title: str | None = None,
) -> Figure:
    """One clip: the source sequence (heat map) and the target's features, real beside translated.

    Args:
        example: ``{"source": (T, Ds), "target": (T, Dt), "translation": (T, Dt)}``
            (:func:`course_lib.recipes.seq2seq.translation_errors`).
        feature_names: Names of the target's features (default ``feature 0..``).
        max_features: Target features drawn, one panel each.
        title: Figure title.
    """
    source, target, translation = (np.asarray(example[k]) for k in ("source", "target", "translation"))
    count = min(max_features, target.shape[1])
    names = (
        list(feature_names) if feature_names is not None else [f"feature {i}" for i in range(target.shape[1])]
    )
    fig, axes = plt.subplots(
        count + 1, 1, figsize=(6.5, 1.6 * (count + 1)), sharex=True, layout="constrained"
    )
    axes[0].imshow(source.T, aspect="auto", cmap="coolwarm", interpolation="nearest")
    axes[0].set_ylabel("source\nfeature")
    for i, ax in enumerate(axes[1:]):
        ax.plot(target[:, i], color="black", marker="o", markersize=3, label="real")
        ax.plot(translation[:, i], color="C1", marker="s", markersize=3, linestyle="--", label="translated")
        ax.set_ylabel(names[i])
    axes[1].legend(fontsize=8, loc="upper right")
    axes[-1].set_xlabel("step (word piece)")
    if title:
        fig.suptitle(title)
    return _release(fig, True)
