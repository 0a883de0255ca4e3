"""The fusion-comparison widget, driven by setting its controls' values."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import json

import pytest
from matplotlib.container import BarContainer

from course_lib.models.registry import available
from course_lib.widgets import FusionComparison, config_key, load_results

CLASSES = ("neu", "fru", "ang", "sad", "hap", "exc")


def fake_train(calls):
    def train(config):
        calls.append(dict(config))
        base = 0.1 * config["conv_length"] + (0.05 if config["class_weights"] else 0.0)
        valid = {name: round(base + 0.01 * i, 4) for i, name in enumerate(CLASSES)}
        return {"valid": valid, "test": {name: 0.9 for name in CLASSES}}

    return train


def _bars(widget):
    return [c for c in widget.figure.axes[0].containers if isinstance(c, BarContainer)]


def _bar_heights(widget, index=-1):
    return [p.get_height() for p in _bars(widget)[index].patches]


def test_changing_controls_trains_memoises_and_redraws():
    calls = []
    widget = FusionComparison(fake_train(calls), conv_lengths=(1, 2, 3), auto_update=True)
    assert widget.fusion.options == tuple(available("fusion")), "the registry's fusions by default"
    widget.conv_length.value = 2
    assert len(calls) == 1 and calls[0]["conv_length"] == 2
    assert _bar_heights(widget) == pytest.approx([0.2 + 0.01 * i for i in range(6)])
    widget.class_weights.value = True
    assert calls[-1] == {
        "fusion": "concat",
        "class_weights": True,
        "conv_length": 2,
        "audio_features": "mfcc",
    }
    assert len(_bars(widget)) == 2  # previous configuration kept for comparison
    assert _bar_heights(widget)[0] == pytest.approx(0.25)
    widget.class_weights.value = False  # back to a known configuration: no new training
    assert len(calls) == 2 and widget.calls == 2
    widget.fusion.value = "late"
    assert calls[-1]["fusion"] == "late" and len(widget.shown) == 3
    widget.audio_features.value = "chroma"
    assert len(widget.shown) == 3 and widget.shown[-1]["audio_features"] == "chroma"


def test_cache_file_is_written_and_reused(tmp_path):
    path = tmp_path / "fusion.json"
    calls = []
    first = FusionComparison(fake_train(calls), cache_path=path, fusion_methods=["concat", "add"])
    first.fusion.value = "add"
    assert not calls, "training waits for the button"
    first.button.click()
    assert path.exists() and len(calls) == 1
    stored = json.loads(path.read_text())
    assert config_key(first.config) in stored
    second = FusionComparison(None, cache_path=path, fusion_methods=["concat", "add"], auto_update=False)
    assert second.update() is None  # concat was never trained
    assert "no stored result" in second.status.value
    second.fusion.value = "add"
    scores = second.update()
    assert scores == stored[config_key(second.config)]
    assert second.figure is not None and second.calls == 0


def test_precomputed_results_and_button():
    config = {"fusion": "concat", "class_weights": False, "conv_length": 1, "audio_features": "mfcc"}
    results = {config_key(config): {"valid": {c: 0.5 for c in CLASSES}, "test": {c: 0.7 for c in CLASSES}}}
    widget = FusionComparison(results=results, fusion_methods=["concat"])
    widget.button.click()
    assert _bar_heights(widget) == pytest.approx([0.5] * 6)


def test_initial_control_values_pick_the_first_configuration_shown():
    calls = []
    widget = FusionComparison(train_fn=fake_train(calls), initial={"class_weights": True, "conv_length": 3})
    assert widget.config["class_weights"] is True and widget.config["conv_length"] == 3
    widget.update()
    assert calls == [widget.config]
    with pytest.raises(ValueError, match="unknown controls"):
        FusionComparison(initial={"window": 3})


def test_bad_cache_file_names_the_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{\n  not json")
    with pytest.raises(ValueError, match="broken.json: line 2"):
        load_results(path)


def test_test_scores_stay_hidden_until_revealed():
    widget = FusionComparison(fake_train([]), fusion_methods=["concat"])
    widget.button.click()
    labels = [b.get_label() for b in _bars(widget)]
    assert labels == ["concat | no weights | n=1 | mfcc (valid)"]
    assert 0.9 not in _bar_heights(widget), "no test score on the chart"
    widget.reveal_test.value = True
    assert [b.get_label() for b in _bars(widget)][-1].endswith("(test)")
    assert _bar_heights(widget) == pytest.approx([0.9] * 6)
    assert "revealed" in widget.figure.axes[0].get_title()


def test_results_without_both_splits_are_refused(tmp_path):
    with pytest.raises(ValueError, match="valid"):
        FusionComparison(results={"k": {c: 0.5 for c in CLASSES}})
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"k": {"neu": 0.5}}))
    with pytest.raises(ValueError, match="old.json"):
        load_results(old)


def test_personalisation_explorer_memoises_and_hides_test_users():
    from course_lib.widgets import PersonalisationExplorer

    calls = []

    def adapt(user, k, distill):
        calls.append((user, k, distill))
        return {"y_true": [0.0, 1.0, -1.0], "before": [0.5, 0.5, 0.5], "after": [0.1, 0.9, -0.6]}

    explorer = PersonalisationExplorer(adapt, ["v1", "v2"], ["t1"])
    assert [value for _, value in explorer.user.options] == [("validation", "v1"), ("validation", "v2")]
    explorer.update()
    explorer.update()
    assert calls == [("v1", 5, True)] and explorer.figure is not None
    explorer.distill.value = False
    explorer.update()
    assert calls[-1] == ("v1", 5, False)
    explorer.reveal_test.value = True
    assert ("test", "t1") in [value for _, value in explorer.user.options]
    explorer.user.value = ("test", "t1")
    explorer.update()
    assert calls[-1] == ("t1", 5, False)
    with pytest.raises(ValueError):
        PersonalisationExplorer(adapt, [])


def test_translation_variants_train_on_request_and_hide_test_scores():
    from course_lib.papers import pham
    from course_lib.widgets import TranslationVariants

    calls = []

    def train(name):
        calls.append(name)
        return {"valid": {"f1_2": 0.6, "f1_7": 0.2}, "test": {"f1_2": 0.5, "f1_7": 0.1}}

    widget = TranslationVariants(train, ["embed(V,A) -> T", "A -> concat(T,V)"], pham.TRIMODAL_TABLE)
    widget.update()
    widget.update()
    assert calls == ["embed(V,A) -> T"]
    frame = widget.frame()
    assert ("test", "f1_2") not in frame.columns and frame.loc[
        ("embed(V,A) -> T", "ours"), ("valid", "f1_2")
    ] == 0.6
    assert frame.loc[("embed(V,A) -> T", "slides"), ("slides (test)", "f1_2")] == 0.58
    widget.reveal_test.value = True
    widget.name.value = "A -> concat(T,V)"
    widget.update()
    assert calls[-1] == "A -> concat(T,V)" and ("test", "f1_7") in widget.frame().columns
    with pytest.raises(ValueError):
        TranslationVariants(train, [])


def test_post_explorer_shows_validation_posts_first_and_explains_an_upload(tmp_path):
    from datetime import datetime, timezone
    from types import SimpleNamespace

    import numpy as np
    from PIL import Image

    from course_lib.widgets import PostExplorer

    image = tmp_path / "a.png"
    Image.new("RGB", (32, 32), (200, 120, 40)).save(image)
    posts = [
        SimpleNamespace(id=str(i), text=f"post {i} 😀", image_path=image, label="positive") for i in range(3)
    ]
    probs = {"negative": 0.2, "neutral": 0.3, "positive": 0.5}
    calls = []

    def explain(post):
        calls.append(post.id)
        return {"models": {"text": probs, "fused": probs}, "attention": np.full(16, 1 / 16)}

    def explain_new(text, path):
        calls.append(("new", text))
        if "broken" in text:
            raise ValueError(f"{path}: cannot decode the image")
        return {"models": {"fused": probs}, "attention": None}

    explorer = PostExplorer(explain, posts[:2], posts[2:], explain_new, boxes_fn=lambda p: [(0, 0, 10, 10)])
    assert [value for _, value in explorer.post.options] == [("validation", 0), ("validation", 1)]
    explorer.update()
    assert calls == ["0"] and explorer.figure is not None
    explorer.reveal_test.value = True
    explorer.post.value = ("test", 0)  # changing the post redraws
    assert calls[-1] == "2"
    assert explorer.update_upload() is None and "first" in explorer.status.value
    data = image.read_bytes()
    explorer.upload.value = (
        {
            "name": "mine.png",
            "type": "image/png",
            "size": len(data),
            "content": memoryview(data),
            "last_modified": datetime.now(timezone.utc),
        },
    )
    explorer.text.value = "so happy"
    assert explorer.update_upload()["models"] == {"fused": probs} and calls[-1] == ("new", "so happy")
    explorer.text.value = "broken"
    assert explorer.update_upload() is None and "cannot decode" in explorer.status.value
    with pytest.raises(ValueError):
        PostExplorer(explain, [])


def test_label_trajectory_explorer_steps_through_epochs():
    import numpy as np

    from course_lib.widgets import LabelTrajectoryExplorer

    trajectories = {
        "M": np.array([[1.0, -1.0]] * 3),
        "A": np.array([[1.0, -1.0], [0.5, -1.2], [0.2, -1.5]]),
    }
    explorer = LabelTrajectoryExplorer(trajectories, {"clip a": 0, "clip b": 1}, truth={0: {"A": 0.0}})
    assert explorer.epochs == 2 and explorer.epoch.value == 2
    assert explorer.update() == {"M": 1.0, "A": 0.2}
    explorer.epoch.value = 1
    assert explorer.labels_at(0, 1) == {"M": 1.0, "A": 0.5} and "y_A = +0.50" in explorer.status.value
    explorer.clip.value = 1
    assert "y_A = -1.20" in explorer.status.value and explorer.figure is not None
    with pytest.raises(ValueError):
        LabelTrajectoryExplorer(trajectories, {})


def test_every_widget_class_displays_its_panel_in_a_notebook():
    """A widget object left as a cell's last expression must show its controls, not its repr."""
    import inspect

    from course_lib import widgets as module

    classes = [c for _, c in inspect.getmembers(module, inspect.isclass) if c.__module__ == module.__name__]
    assert len(classes) >= 5
    missing = [c.__name__ for c in classes if "_ipython_display_" not in vars(c)]
    assert not missing, f"widget classes without _ipython_display_: {missing}"
