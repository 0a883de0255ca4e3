"""Facts and linear-probe reference scores of one MMSA pickle (MOSI/MOSEI-like or real).

:func:`mmsa_stats` counts clips and speakers, describes the labels, estimates
how much each speaker's labels sit above or below what their words say, and
compares unimodal labels (``regression_labels_T/A/V``) with the multimodal one
when the file has them. :func:`mmsa_probe` scores linear regressions of the
label on fixed views of each clip:

* ``text`` -- TF-IDF of the transcript's words and word pairs (vocabulary of
  the training split; a word must occur twice), the cheapest honest text view
  that needs no download;
* ``audio`` / ``vision`` -- mean and standard deviation of each feature over
  the clip's valid frames (``audio_lengths``/``vision_lengths``, or the
  text-mask positions of an aligned file); ``-inf``/NaN frames are left out of
  that feature's statistics rather than counted as 0;
* ``fused`` -- the three views side by side;
* ``oracle`` -- only with a generated corpus's ``ground_truth.json`` next to
  the pickle: the modality sentiments ``y_T, y_A, y_V`` the generator drew,
  a ceiling set by the annotators' noise.

Scores are regression figures (MAE, Pearson correlation, Acc2 with zeros
counted as non-negative ``has0`` and with zero labels dropped ``non0``, and the
weighted F1 of ``non0``), from a ridge regression fitted on train with its
penalty chosen on validation MAE (:func:`.linear.fit_linear_probe`).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from course_lib.data.diagnostics.linear import RIDGE_ALPHAS, fit_linear_probe
from course_lib.data.mmsa import SPLITS, UNIMODAL, MMSAFormatError, load_arrays, read_pickle

#: A speaker needs this many clips for a 5-shot split with a useful query set.
MIN_CLIPS_PER_USER = 12
TRUTH_FILE = "ground_truth.json"


def _video(sample_id: str) -> str:
    return sample_id.rpartition("$_$")[0] or sample_id


def _round(value: float) -> float:
    return round(float(value), 4)


def _truth(pkl_path: Path) -> dict[str, Any] | None:
    """The generator's ground truth beside the pickle, or None (real data)."""
    path = Path(pkl_path).parent / TRUTH_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _text_view() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)


def _speaker_offsets(texts: list[str], labels: np.ndarray, videos: list[str]) -> dict[str, float]:
    """Mean residual of each speaker's labels against a text model that never saw that speaker.

    The text model (TF-IDF + ridge, penalty by leave-one-out on its training
    folds) is fitted out of fold with folds grouped by speaker.
    """
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import GroupKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    folds = min(5, len(set(videos)))
    model = make_pipeline(_text_view(), RidgeCV(alphas=RIDGE_ALPHAS[2:]))
    predicted = cross_val_predict(
        model, np.asarray(texts, dtype=object), labels, groups=videos, cv=GroupKFold(folds)
    )
    residual = labels - predicted
    return {
        v: float(residual[[i for i, w in enumerate(videos) if w == v]].mean()) for v in dict.fromkeys(videos)
    }


def _offset_summary(
    offsets: dict[str, float], texts: list[str], labels: np.ndarray, videos: list[str]
) -> dict:
    per_speaker = Counter(videos)
    values = np.array(list(offsets.values()))
    residual_var = float(np.var(labels - np.array([offsets[v] for v in videos])))
    noise = float(np.sqrt(residual_var * np.mean([1.0 / per_speaker[v] for v in offsets])))
    return {
        "std": _round(values.std()),
        "noise_std": _round(noise),
        "excess_std": _round(np.sqrt(max(0.0, values.var() - noise**2))),
    }


def _unimodal_agreement(arrays: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]] | None:
    if not all(f"regression_labels_{m}" in arrays["train"] for m in UNIMODAL):
        return None
    label = np.concatenate([arrays[s]["regression_labels"] for s in SPLITS])
    out = {}
    for m in UNIMODAL:
        own = np.concatenate([arrays[s][f"regression_labels_{m}"] for s in SPLITS])
        corr = float(np.corrcoef(own, label)[0, 1]) if own.std() > 0 and label.std() > 0 else float("nan")
        out[m] = {
            "corr": None if np.isnan(corr) else _round(corr),
            "mae": _round(np.abs(own - label).mean()),
            "equal_share": _round(np.mean(np.isclose(own, label))),
        }
    return out


def _truth_summary(truth: dict[str, Any], offsets: dict[str, float]) -> dict[str, Any]:
    speakers = {s["video_id"]: s for s in truth["speakers"]}
    shared = [v for v in offsets if v in speakers]
    bias = np.array([speakers[v]["bias"] for v in shared])
    estimate = np.array([offsets[v] for v in shared])
    corr = float(np.corrcoef(bias, estimate)[0, 1]) if len(shared) > 2 and bias.std() > 0 else float("nan")
    segments = truth["segments"]
    return {
        "params": truth.get("params"),
        "bias_std": _round(bias.std()) if len(bias) else None,
        "offset_bias_corr": None if np.isnan(corr) else _round(corr),
        "conflict_share": _round(np.mean([s.get("conflict") is not None for s in segments])),
        "informative_text_share": _round(np.mean([s["informative_text"] for s in segments])),
    }


def mmsa_stats(pkl_path: Path | str) -> dict[str, Any]:
    """Counts, label statistics, speaker offsets and unimodal-label agreement of an MMSA pickle.

    Args:
        pkl_path: ``aligned_50.pkl`` or ``unaligned_50.pkl``.

    Returns:
        A JSON-able dict: ``clips`` and ``speakers`` per split;
        ``clips_per_speaker`` (min, median, max); ``speakers_with_12_clips``;
        ``label`` (mean, std, shares of negative / zero / positive labels);
        ``speaker_offset`` -- per-speaker mean residual of the label against
        an out-of-fold text model: its ``std`` over speakers, the ``noise_std``
        expected from clip noise alone and the ``excess_std`` left (an
        estimate of the personal bias's spread); ``unimodal_labels`` (per
        modality: correlation, MAE and share of clips equal to the label, or
        None); ``ground_truth`` (the generator's knobs, true bias spread, its
        correlation with the estimated offsets, conflict and informative-text
        shares; None for real data).
    """
    pkl_path = Path(pkl_path)
    arrays = load_arrays(pkl_path)
    ids = [i for s in SPLITS for i in arrays[s]["id"]]
    videos = [_video(i) for i in ids]
    texts = [t for s in SPLITS for t in arrays[s]["raw_text"]]
    labels = np.concatenate([arrays[s]["regression_labels"] for s in SPLITS]).astype(np.float64)
    per_speaker = np.array(list(Counter(videos).values()))
    offsets = _speaker_offsets(texts, labels, videos)
    truth = _truth(pkl_path)
    return {
        "file": str(pkl_path),
        "clips": {s: len(arrays[s]["id"]) for s in SPLITS},
        "speakers": {s: len({_video(i) for i in arrays[s]["id"]}) for s in SPLITS},
        "clips_per_speaker": {
            "min": int(per_speaker.min()),
            "median": float(np.median(per_speaker)),
            "max": int(per_speaker.max()),
        },
        "speakers_with_12_clips": int((per_speaker >= MIN_CLIPS_PER_USER).sum()),
        "label": {
            "mean": _round(labels.mean()),
            "std": _round(labels.std()),
            "negative_share": _round(np.mean(labels < 0)),
            "zero_share": _round(np.mean(labels == 0)),
            "positive_share": _round(np.mean(labels > 0)),
        },
        "speaker_offset": _offset_summary(offsets, texts, labels, videos),
        "unimodal_labels": _unimodal_agreement(arrays),
        "ground_truth": None if truth is None else _truth_summary(truth, offsets),
    }


def pooled_frames(frames: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Mean and standard deviation of each feature over each clip's valid, finite frames.

    Args:
        frames: Frame features; non-finite values are ignored. Shape: ``(N, T, D)``.
        valid: Which frames belong to the clip. Shape: ``(N, T)``.

    Returns:
        ``[mean | std]`` per clip, 0 where a feature has no finite valid frame. Shape: ``(N, 2 D)``.
    """
    values = np.asarray(frames, dtype=np.float64).copy()
    values[~np.isfinite(values) | ~valid[:, :, None]] = np.nan
    seen = np.isfinite(values).any(axis=1)
    filled = np.where(seen[:, None, :], values, 0.0)
    with np.errstate(invalid="ignore"):
        mean = np.where(seen, np.nanmean(filled, axis=1), 0.0)
        std = np.where(seen, np.nanstd(filled, axis=1), 0.0)
    return np.concatenate([mean, std], axis=1)


def _valid_frames(split: dict[str, Any], key: str) -> np.ndarray:
    frames = np.asarray(split[key])
    steps = np.arange(frames.shape[1])[None, :]
    if f"{key}_lengths" in split:
        return steps < np.asarray(split[f"{key}_lengths"])[:, None]
    mask = np.asarray(split["text_bert"])[:, 1]
    if mask.shape[1] == frames.shape[1]:  # aligned: one step per token, [CLS]/[SEP] hold zeros
        last = mask.sum(axis=1)[:, None] - 1
        return (mask == 1) & (steps > 0) & (steps < last)
    return np.ones(frames.shape[:2], dtype=bool)


def _views(raw: dict[str, dict[str, Any]], truth: dict[str, Any] | None) -> dict[str, dict[str, np.ndarray]]:
    """Feature matrices per view and split."""
    text = _text_view().fit(list(raw["train"]["raw_text"]))
    views: dict[str, dict[str, np.ndarray]] = {"text": {}, "audio": {}, "vision": {}}
    for s in SPLITS:
        views["text"][s] = text.transform(list(raw[s]["raw_text"])).toarray()
        for key in ("audio", "vision"):
            views[key][s] = pooled_frames(raw[s][key], _valid_frames(raw[s], key))
    views["fused"] = {s: np.hstack([views[v][s] for v in ("text", "audio", "vision")]) for s in SPLITS}
    if truth is not None:
        segments = {seg["id"]: seg for seg in truth["segments"]}
        if all(i in segments for s in SPLITS for i in raw[s]["id"]):
            views["oracle"] = {
                s: np.array([[segments[i][f"y_{m}"] for m in UNIMODAL] for i in raw[s]["id"]]) for s in SPLITS
            }
    return views


_PROBED_KEYS = ("raw_text", "text_bert", "audio", "vision", "id", "regression_labels")


def _raw_splits(pkl_path: Path) -> dict[str, dict[str, Any]]:
    """The pickle's splits as stored (non-finite frames kept), read once (real files are large)."""
    content = read_pickle(pkl_path)
    if not isinstance(content, dict) or any(not isinstance(content.get(s), dict) for s in SPLITS):
        raise MMSAFormatError(f"{pkl_path}: expected a dict with the splits {SPLITS}")
    for split in SPLITS:
        missing = [key for key in _PROBED_KEYS if key not in content[split]]
        if missing:
            raise MMSAFormatError(f"{pkl_path} split {split!r}: missing key(s) {missing}")
    return {s: content[s] for s in SPLITS}


def mmsa_probe(pkl_path: Path | str) -> dict[str, dict[str, dict[str, Any]]]:
    """Linear-probe regression scores of each view of an MMSA pickle (see the module docstring).

    Args:
        pkl_path: ``aligned_50.pkl`` or ``unaligned_50.pkl``.

    Returns:
        ``{"valid": {view: figures}, "test": {view: figures}}`` with views
        ``text``, ``audio``, ``vision``, ``fused`` and, with ground truth,
        ``oracle``; figures are ``mae``, ``corr``, ``acc2_has0``, ``acc2_non0``,
        ``f1_non0`` and the ridge penalty ``alpha`` chosen on validation.

    Raises:
        MMSAFormatError: when the file lacks a split or a key the probe reads.
    """
    pkl_path = Path(pkl_path)
    raw = _raw_splits(pkl_path)
    labels = {s: np.asarray(raw[s]["regression_labels"], dtype=np.float64).reshape(-1) for s in SPLITS}
    result: dict[str, dict[str, dict[str, Any]]] = {"valid": {}, "test": {}}
    for view, x in _views(raw, _truth(pkl_path)).items():
        probe = fit_linear_probe(
            x["train"], labels["train"], x["valid"], labels["valid"], x["test"], labels["test"], "regression"
        )
        for split in ("valid", "test"):
            result[split][view] = {**probe[split], **probe["regularisation"]}
    return result
