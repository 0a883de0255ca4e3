"""Result figures: each returns a Figure holding the data it was given."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from course_lib.viz import results as viz

CLASSES = ("neu", "fru", "ang")


def test_per_class_bars_from_dicts_and_summaries():
    plain = {"neu": 0.5, "fru": 0.25, "ang": 0.75, "weighted": 0.5}
    summary = {
        "mean": {"f1_neu": 0.4, "f1_fru": 0.3, "f1_ang": 0.2, "weighted_f1": 0.3},
        "std": {"f1_neu": 0.05, "f1_fru": 0.0, "f1_ang": 0.1, "weighted_f1": 0.02},
    }
    fig = viz.plot_per_class_f1({"text": plain, "fusion": summary}, CLASSES, title="F1")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert [b.get_label() for b in bars] == ["text", "fusion"]
    assert [p.get_height() for p in bars[0].patches] == pytest.approx([0.5, 0.25, 0.75, 0.5])
    assert [p.get_height() for p in bars[1].patches] == pytest.approx([0.4, 0.3, 0.2, 0.3])
    assert bars[1].errorbar is not None and bars[0].errorbar is None
    assert [t.get_text() for t in ax.get_xticklabels()] == ["neu", "fru", "ang", "weighted"]


def test_per_class_bars_missing_class_is_an_error():
    with pytest.raises(KeyError, match="ang"):
        viz.plot_per_class_f1({"m": {"neu": 0.5, "fru": 0.1}}, CLASSES, weighted=False)


def test_per_class_table():
    table = viz.per_class_table(
        {"m": {"f1_neu": 0.1, "f1_fru": 0.2, "f1_ang": 0.3, "weighted_f1": 0.2}}, CLASSES
    )
    assert list(table.columns) == ["neu", "fru", "ang", "weighted"]
    assert table.loc["m", "ang"] == pytest.approx(0.3)


def test_conv_length_and_crop_curves():
    summary = {"mean": {"weighted_f1": 0.6}, "std": {"weighted_f1": 0.05}}
    fig = viz.plot_f1_vs_conv_length({"concat": {3: 0.62, 1: 0.5, 2: summary}})
    line = fig.axes[0].lines[0]
    assert list(line.get_xdata()) == [1, 2, 3]
    assert list(line.get_ydata()) == pytest.approx([0.5, 0.6, 0.62])
    assert len(fig.axes[0].collections) == 1  # the std band
    crop = viz.plot_f1_vs_crop_length({"audio": {2.0: 0.3, 4.0: 0.35}, "fusion": {2.0: 0.5, 4.0: 0.55}})
    assert len(crop.axes[0].lines) == 2 and "crop" in crop.axes[0].get_xlabel()


def test_confusion_matrix_heatmap_normalises_rows():
    matrix = np.array([[3, 1, 0], [0, 2, 2], [0, 0, 0]])
    fig = viz.plot_confusion_matrix(matrix, CLASSES)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts[:3] == ["0.75", "0.25", "0.00"] and texts[-1] == "0.00"
    counts = viz.plot_confusion_matrix(matrix, CLASSES, normalize=False)
    assert [t.get_text() for t in counts.axes[0].texts][:2] == ["3", "1"]
    with pytest.raises(ValueError, match="matrix"):
        viz.plot_confusion_matrix(np.ones((2, 2)), CLASSES)


def test_learning_curves_from_history():
    history = [
        {"epoch": 1, "train_loss": 1.0, "val_loss": 1.1, "val_weighted_f1": 0.3},
        {"epoch": 2, "train_loss": 0.7, "val_loss": 0.9, "val_weighted_f1": 0.5},
        {"epoch": 3, "train_loss": 0.5, "val_loss": 1.0, "val_weighted_f1": 0.45},
    ]
    fig = viz.plot_learning_curves(history, best_epoch=2)
    left, right = fig.axes
    assert len([ln for ln in left.lines if ln.get_label() in ("train_loss", "val_loss")]) == 2
    assert list(right.lines[0].get_ydata()) == [0.3, 0.5, 0.45]
    with pytest.raises(KeyError, match="val_mae"):
        viz.plot_learning_curves(history, metric="val_mae")


def test_misclassified_turn_figure():
    wave = np.sin(np.linspace(0, 100, 8000))
    fig = viz.plot_misclassified_turn(wave, 16000, "I am fine, really.", "fru", "neu", context=["A: hi"])
    ax = fig.axes[0]
    assert "fru" in ax.get_title() and "neu" in ax.get_title()
    assert ax.lines[0].get_xdata()[-1] == pytest.approx(7999 / 16000)
    text = " ".join(t.get_text() for a in fig.axes for t in a.texts)
    assert "I am fine, really." in text and "A: hi" in text
    with pytest.raises(ValueError):
        viz.plot_misclassified_turn([], 16000, "", "neu", "neu")


def test_per_class_bars_carry_the_paper_values_as_ticks():
    from matplotlib.collections import LineCollection

    from course_lib.papers import femia

    ours = {"BiLSTM (ours)": {c: 0.5 for c in femia.CLASSES}, "MiniLM": {c: 0.6 for c in femia.CLASSES}}
    fig = viz.plot_per_class_vs_paper(ours, femia.TEXT_TABLE, {"BiLSTM (ours)": "BiLSTM"}, femia.CLASSES)
    ax = fig.axes[0]
    ticks = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(ticks) == 1, "one set of ticks: MiniLM has no paper row"
    heights = [segment[0][1] for segment in ticks[0].get_segments()]
    assert heights == pytest.approx(list(femia.TEXT_TABLE.rows["BiLSTM"]))
    assert "paper (Table 2)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_attention_heatmap_shows_every_weight():
    weights = np.array([[1.0, 0.0], [0.25, 0.75]])
    fig = viz.plot_attention(weights, ["audio t-1", "audio t"], ["text t-1", "text t"], title="w")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["1.00", "0.00", "0.25", "0.75"]
    with pytest.raises(ValueError, match="labels"):
        viz.plot_attention(weights, ["q"], ["k1", "k2"])


def test_embedding_scatter_has_one_series_per_class():
    rng = np.random.default_rng(0)
    fig = viz.plot_embedding_2d(rng.normal(size=(12, 5)), ["neu", "fru", "ang"] * 4, CLASSES)
    ax = fig.axes[0]
    assert [c.get_label() for c in ax.collections] == list(CLASSES)
    assert sum(len(c.get_offsets()) for c in ax.collections) == 12


def test_box_plots_by_class_one_panel_per_column():
    import pandas as pd

    table = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [4.0, 3.0, 2.0, 1.0]})
    fig = viz.plot_by_class(table, ["a", "b"], ["neu", "neu", "fru", "fru"], CLASSES)
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["neu", "fru"]


def test_user_deltas_and_prediction_shift():
    import pandas as pd

    from course_lib.viz.results import plot_prediction_shift, plot_user_deltas

    rows = [
        {"user": u, "draw": d, "method": m, "mae": base + (0.1 * d if m != "baseline" else 0.0)}
        for u, base in (("a", 1.0), ("b", 0.5))
        for d in range(3)
        for m in ("baseline", "fs_ua", "fs_ua_kd")
    ]
    fig = plot_user_deltas(pd.DataFrame(rows), ["fs_ua", "fs_ua_kd"])
    ax = fig.axes[0]
    assert len(ax.patches) == 4  # one bar per user and method
    assert ax.patches[0].get_height() == pytest.approx(0.1)  # mean of 0, 0.1, 0.2
    fig = plot_prediction_shift([0.0, 1.0], [0.5, 0.5], [0.1, 0.9])
    assert "MAE 0.50" in fig.axes[0].get_legend().get_texts()[0].get_text()
    with pytest.raises(ValueError, match="differ in length"):
        plot_prediction_shift([0.0], [0.5, 0.5], [0.1])


def test_plot_label_trajectories_draws_one_clip_up_to_an_epoch():
    import numpy as np

    from course_lib.viz import plot_label_trajectories

    tasks = {"M": np.ones((4, 3)), "A": np.array([[1.0] * 3, [0.5] * 3, [0.2] * 3, [0.1] * 3])}
    fig = plot_label_trajectories(tasks, 1, truth={"A": 0.0}, upto=2, title="clip a$_$1")
    ax = fig.axes[0]
    assert [len(line.get_xdata()) for line in ax.lines[:2]] == [3, 3]  # M and A, epochs 0..2
    assert len(ax.lines) == 3  # and the true audio sentiment
    assert ax.get_title() == r"clip a\$_\$1"


def test_plot_translation_draws_real_and_translated_features():
    from course_lib.viz import plot_translation

    rng = np.random.default_rng(0)
    example = {
        "source": rng.normal(size=(7, 50)),
        "target": rng.normal(size=(7, 5)),
        "translation": np.zeros((7, 5)),
    }
    fig = plot_translation(example, ["f0", "loudness", "c", "d", "e"], max_features=2, title="T -> A")
    assert len(fig.axes) == 3 and fig.axes[2].get_ylabel() == "loudness"
    assert [line.get_label() for line in fig.axes[1].lines] == ["real", "translated"]
