"""Facts and linear-probe reference scores of an MVSA tree (Single or Multiple, real or generated).

:func:`mvsa_stats` reports what the usual cleaning keeps (class shares, posts
dropped and why, latin-1 texts, broken images) and, for a generated tree, the
shares of its ground-truth latents. :func:`mvsa_probe` scores multinomial
logistic regressions of the cleaned post label on fixed views of each post,
on the course's stratified 8:1:1 split (:func:`course_lib.data.mvsa.split_posts`):

* ``text`` -- TF-IDF of the tweet's whitespace-separated tokens and token
  pairs, so emoji, emoticons and hashtags count (the :data:`TEXT_FEATURES`
  most frequent ones of the training split that occur at least twice);
* ``image`` -- cheap pixel statistics of a 32x32 thumbnail: a joint RGB
  histogram (4 bins per channel), a hue histogram weighted by saturation (12
  bins) and the mean and spread of saturation and brightness. No network is
  run, so the probe takes seconds;
* ``fused`` -- both views side by side;
* ``oracle`` -- only with the generator's ``ground_truth.csv``: the pair
  (sentiment the words show, sentiment of the image) the annotators judged, a
  ceiling set by the annotators' own mistakes.

Figures are accuracy, weighted F1 (the papers' headline), macro F1 and the F1
of each class, from a model fitted on train with its penalty chosen on
validation weighted F1 (:func:`.linear.fit_linear_probe`).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from course_lib.data import mvsa
from course_lib.data.diagnostics.linear import fit_linear_probe
from course_lib.data.records import MVSA_CLASSES, Post

TRUTH_FILE = mvsa.TRUTH_FILE
#: Side of the thumbnail the image statistics are computed on, and bins per histogram.
THUMBNAIL = 32
RGB_BINS = 4
HUE_BINS = 12
SPLIT_RATIOS = (0.8, 0.1, 0.1)
#: Size of the text view's vocabulary (keeps the logistic fits to seconds on full trees).
TEXT_FEATURES = 500


def _round(value: float) -> float:
    return round(float(value), 4)


def _truth(folder: Path) -> dict[str, dict[str, str]] | None:
    """The generator's ground-truth rows by post id, or None (real data)."""
    return mvsa.read_ground_truth(folder)


def _shares(values: list[str], keys: tuple[str, ...]) -> dict[str, float]:
    counts = Counter(values)
    return {key: _round(counts[key] / max(len(values), 1)) for key in keys}


def _truth_summary(rows: dict[str, dict[str, str]], kept: list[Post]) -> dict[str, Any]:
    kept_rows = [rows[p.id] for p in kept if p.id in rows]
    cues = ("both", "text", "image", "none")
    return {
        "latent_shares": _shares([r["latent"] for r in rows.values()], MVSA_CLASSES),
        "kept_latent_shares": _shares([r["latent"] for r in kept_rows], MVSA_CLASSES),
        "kept_informative_cue_shares": _shares([r["informative_cue"] for r in kept_rows], cues),
        "kept_label_equals_latent": _round(
            np.mean([p.label == rows[p.id]["latent"] for p in kept if p.id in rows]) if kept_rows else 0.0
        ),
    }


def mvsa_stats(root: Path | str, variant: str = "single") -> dict[str, Any]:
    """What the usual cleaning keeps of an MVSA tree, with ground-truth shares when present.

    Args:
        root: The variant's folder or its parent (holding ``MVSA_Single/``, ``MVSA/``).
        variant: ``"single"`` or ``"multiple"``.

    Returns:
        A JSON-able dict: ``label_lines`` read, ``posts`` kept, ``class_counts``
        and ``class_shares`` after cleaning, ``text_image_agreement`` (share of
        kept posts whose text and image labels are equal), ``latin1_share`` of
        kept texts, ``broken_images``, ``dropped`` (per reason), the sizes of
        the 8:1:1 ``splits``, and ``ground_truth`` (latent shares overall and
        among kept posts, shares of the informative cue among kept posts,
        share of kept labels equal to the latent; None for real data).
    """
    folder = mvsa.find_root(Path(root), variant)
    report = mvsa.MVSAReport()
    posts = mvsa.load(folder, variant, report=report)
    counts = Counter(p.label for p in posts)
    truth = _truth(folder)
    dropped = ("no_agreement", "conflicting", "missing_text", "missing_image", "broken_image")
    return {
        "folder": str(folder),
        "variant": variant,
        "label_lines": report.label_lines,
        "posts": report.kept,
        "class_counts": {c: counts[c] for c in MVSA_CLASSES},
        "class_shares": _shares([p.label for p in posts], MVSA_CLASSES),
        "text_image_agreement": _round(
            np.mean([p.text_label == p.image_label for p in posts]) if posts else 0
        ),
        "latin1_share": _round(report.latin1_texts / max(report.kept, 1)),
        "broken_images": report.broken_image,
        "dropped": {reason: getattr(report, reason) for reason in dropped},
        "splits": dict(zip(("train", "valid", "test"), map(len, mvsa.split_posts(posts, SPLIT_RATIOS)))),
        "ground_truth": None if truth is None else _truth_summary(truth, posts),
    }


def image_statistics(path: Path) -> np.ndarray:
    """Colour statistics of one image (see the module docstring).

    Returns:
        ``[RGB histogram | saturation-weighted hue histogram | S mean, S std, V mean, V std]``.
        Shape: ``(RGB_BINS**3 + HUE_BINS + 4,)``.
    """
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").resize((THUMBNAIL, THUMBNAIL), Image.Resampling.BILINEAR)
        rgb = np.asarray(small, dtype=np.int64).reshape(-1, 3)
        hsv = np.asarray(small.convert("HSV"), dtype=np.float64).reshape(-1, 3) / 255.0
    cells = (rgb * RGB_BINS // 256) @ np.array([RGB_BINS**2, RGB_BINS, 1])
    colours = np.bincount(cells, minlength=RGB_BINS**3) / len(rgb)
    hue_cells = np.minimum((hsv[:, 0] * HUE_BINS).astype(np.int64), HUE_BINS - 1)
    hues = np.bincount(hue_cells, weights=hsv[:, 1], minlength=HUE_BINS) / len(hsv)
    tones = [hsv[:, 1].mean(), hsv[:, 1].std(), hsv[:, 2].mean(), hsv[:, 2].std()]
    return np.concatenate([colours, hues, tones])


def _views(
    parts: dict[str, list[Post]], truth: dict[str, dict[str, str]] | None
) -> dict[str, dict[str, np.ndarray]]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    text = TfidfVectorizer(
        token_pattern=r"\S+", ngram_range=(1, 2), min_df=2, max_features=TEXT_FEATURES, sublinear_tf=True
    )
    text.fit([p.text for p in parts["train"]])
    views: dict[str, dict[str, np.ndarray]] = {
        "text": {s: text.transform([p.text for p in posts]).toarray() for s, posts in parts.items()},
        "image": {s: np.stack([image_statistics(p.image_path) for p in posts]) for s, posts in parts.items()},
    }
    views["fused"] = {s: np.hstack([views["text"][s], views["image"][s]]) for s in parts}
    if truth is not None and all(p.id in truth for posts in parts.values() for p in posts):
        pairs = [(t, i) for t in MVSA_CLASSES for i in MVSA_CLASSES]

        def judged(post: Post) -> list[float]:
            row = truth[post.id]
            return [float((row["text_shown"], row["image_sentiment"]) == pair) for pair in pairs]

        views["oracle"] = {s: np.array([judged(p) for p in posts]) for s, posts in parts.items()}
    return views


def mvsa_probe(
    root: Path | str, variant: str = "single", seed: int = 0
) -> dict[str, dict[str, dict[str, Any]]]:
    """Linear-probe classification scores of each view of an MVSA tree (see the module docstring).

    Args:
        root: The variant's folder or its parent.
        variant: ``"single"`` or ``"multiple"``.
        seed: Seed of the stratified 8:1:1 split.

    Returns:
        ``{"valid": {view: figures}, "test": {view: figures}}`` with views
        ``text``, ``image``, ``fused`` and, with ground truth, ``oracle``;
        figures are ``accuracy``, ``weighted_f1``, ``macro_f1``,
        ``f1_<class>`` and the inverse penalty ``C`` chosen on validation.
    """
    folder = mvsa.find_root(Path(root), variant)
    posts = mvsa.load(folder, variant)
    parts = dict(zip(("train", "valid", "test"), mvsa.split_posts(posts, SPLIT_RATIOS, seed)))
    labels = {s: [p.label for p in part] for s, part in parts.items()}
    result: dict[str, dict[str, dict[str, Any]]] = {"valid": {}, "test": {}}
    for view, x in _views(parts, _truth(folder)).items():
        probe = fit_linear_probe(
            x["train"],
            labels["train"],
            x["valid"],
            labels["valid"],
            x["test"],
            labels["test"],
            "classification",
        )
        for split in ("valid", "test"):
            result[split][view] = {**probe[split], **probe["regularisation"]}
    return result
