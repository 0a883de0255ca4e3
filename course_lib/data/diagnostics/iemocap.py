"""Facts and reference scores of an IEMOCAP(-like) tree.

* :func:`iemocap_stats` — what a learner should know before trusting a model
  on the corpus: turn durations, vocabulary, how many improvised
  validation/test transcripts also occur in training, the share of ``xxx``
  (raters without a majority), clipped turns per class, turns per speaker.
* :func:`iemocap_probe` — weighted F1 of linear probes on observable
  features (TF-IDF of the transcript, prosodic statistics of the wav, both),
  the reference a deep model should beat; and, for a generated corpus, the
  ceiling using the generator's latent variables.

Both read the tree with the course's loader (:mod:`course_lib.data.iemocap`),
so they work on the real IEMOCAP as well. Split: Sessions 1-3 train, 4
validation, 5 test; the six classes of the papers.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from course_lib.data import iemocap
from course_lib.data.records import IEMOCAP_CLASSES, Dialogue, Utterance

#: Splits by session, as in the papers.
SPLITS: tuple[str, ...] = ("train", "valid", "test")

#: Sample magnitude counted as touching full scale.
FULL_SCALE = 0.999

#: Inverse regularisation strengths tried for each probe (chosen on validation).
PROBE_C: tuple[float, ...] = (0.03, 0.1, 0.3, 1.0, 3.0)

#: Weights of the audio block tried in the fused probe (chosen on validation).
FUSED_AUDIO_WEIGHTS: tuple[float, ...] = (0.5, 1.0, 2.0)

ORACLE_LABEL = "ceiling using the generator's latent variables, with speaker normalisation"

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _load(root: Path) -> tuple[dict[str, list[Utterance]], iemocap.LoadReport]:
    report = iemocap.LoadReport()
    dialogues = iemocap.load(root, check_audio=False, report=report)
    parts: dict[str, list[Dialogue]] = iemocap.split_sessions(dialogues)
    return {split: iemocap.utterances(parts[split]) for split in SPLITS}, report


def _quantiles(values: np.ndarray) -> dict[str, float]:
    q10, q50, q90 = (float(q) for q in np.quantile(values, [0.1, 0.5, 0.9]))
    return {
        "mean": float(values.mean()),
        "q10": q10,
        "q50": q50,
        "q90": q90,
        "max": float(values.max()),
        "share_over_10s": float((values > 10).mean()),
    }


def _improvised_overlap(turns: dict[str, list[Utterance]]) -> dict[str, float]:
    """Share of improvised validation/test transcripts that occur verbatim in training."""
    seen = {u.text.lower() for u in turns["train"]}
    overlap = {}
    for split in ("valid", "test"):
        improvised = [u for u in turns[split] if "_impro" in u.dialogue_id]
        if improvised:
            overlap[split] = float(np.mean([u.text.lower() in seen for u in improvised]))
    return overlap


def _full_scale_share(turns: list[Utterance]) -> dict[str, float]:
    """Per class, the share of turns whose wav has a sample at ``|x| >= FULL_SCALE``."""
    import soundfile

    touching: dict[str, list[bool]] = {label: [] for label in IEMOCAP_CLASSES}
    for turn in turns:
        if turn.label is None or turn.wav_path is None:
            continue
        audio, _ = soundfile.read(str(turn.wav_path), dtype="float32")
        touching[turn.label].append(bool(np.max(np.abs(audio)) >= FULL_SCALE))
    return {label: float(np.mean(flags)) for label, flags in touching.items() if flags}


def iemocap_stats(root: Path) -> dict[str, Any]:
    """Facts about an IEMOCAP(-like) tree.

    Args:
        root: ``IEMOCAP_full_release`` or the folder holding it.

    Returns:
        JSON-able dict: ``turns``, ``duration_s`` (mean, q10, q50, q90, max,
        share_over_10s), ``train_word_types``, ``tokens_per_turn``,
        ``improvised_overlap`` (valid/test share of improvised transcripts
        found verbatim in training), ``xxx_share``, ``full_scale_share`` (per
        class) and ``turns_per_speaker``.
    """
    turns, report = _load(Path(root))
    every = [u for split in SPLITS for u in turns[split]]
    durations = np.array([u.end - u.start for u in every])
    return {
        "turns": len(every),
        "duration_s": _quantiles(durations),
        "train_word_types": len({w for u in turns["train"] for w in _words(u.text)}),
        "tokens_per_turn": float(np.mean([len(_words(u.text)) for u in every])),
        "improvised_overlap": _improvised_overlap(turns),
        "xxx_share": report.masked.get("xxx", 0) / max(report.turns, 1),
        "full_scale_share": _full_scale_share(every),
        "turns_per_speaker": dict(sorted(Counter(u.speaker for u in every).items())),
    }


# ----------------------------------------------------------------------------- probes


def prosodic_features(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Statistics a speech model could use: pitch, energy contour, spectrum, rate, duration.

    Pitch is tracked with YIN on frames louder than 30 dB below the turn's
    loudest frame; pitch values are in semitones. Energy statistics are in dB
    relative to the loudest frame (independent of the recording gain), plus
    the overall level in dBFS.

    Returns:
        20 numbers. Shape: ``(20,)``.
    """
    import librosa

    hop, frame = 256, 1024
    rms = librosa.feature.rms(y=audio, frame_length=frame, hop_length=hop)[0]
    db = 20 * np.log10(np.maximum(rms, 1e-6))
    relative = db - db.max()
    active = relative > -30
    f0 = librosa.yin(audio, fmin=60, fmax=500, sr=sample_rate, frame_length=frame, hop_length=hop)
    n = min(f0.size, active.size)
    voiced = 12 * np.log2(f0[:n][active[:n]] / 100.0)
    if voiced.size < 2:
        voiced = np.zeros(2)
    centroid = librosa.feature.spectral_centroid(y=audio, sr=sample_rate, n_fft=frame, hop_length=hop)[0]
    flatness = librosa.feature.spectral_flatness(y=audio, n_fft=frame, hop_length=hop)[0]
    rolloff = librosa.feature.spectral_rolloff(y=audio, sr=sample_rate, n_fft=frame, hop_length=hop)[0]
    zcr = librosa.feature.zero_crossing_rate(audio, frame_length=frame, hop_length=hop)[0]
    onsets = np.flatnonzero(np.diff(active.astype(int)) == 1).size
    seconds = audio.size / sample_rate
    active_seconds = max(active.mean() * seconds, 1e-3)
    return np.array(
        [
            np.median(voiced),
            voiced.std(),
            np.quantile(voiced, 0.9) - np.quantile(voiced, 0.1),
            np.mean(np.abs(np.diff(voiced))),
            db.max(),
            relative[active].mean(),
            relative[active].std(),
            np.mean(np.abs(np.diff(relative[active]))) if active.sum() > 1 else 0.0,
            np.log(centroid[active].mean() + 1),
            centroid[active].std() / (centroid[active].mean() + 1),
            np.log(flatness[active].mean() + 1e-6),
            np.log(rolloff[active].mean() + 1),
            zcr[active].mean(),
            zcr[active].std(),
            onsets / active_seconds,
            active.mean(),
            np.log(seconds),
            np.log(active_seconds),
            np.polyfit(np.arange(voiced.size), voiced, 1)[0] if voiced.size > 2 else 0.0,
            (db[active] > db.max() - 6).mean(),
        ],
        dtype=np.float64,
    )


def _audio_matrix(turns: list[Utterance]) -> np.ndarray:
    """Prosodic features of each turn, standardised within each speaker."""
    import soundfile

    rows = []
    for turn in turns:
        audio, sample_rate = soundfile.read(str(turn.wav_path), dtype="float32")
        rows.append(prosodic_features(audio, sample_rate))
    features = np.nan_to_num(np.asarray(rows))
    speakers = np.array([turn.speaker for turn in turns])
    for speaker in sorted(set(speakers)):
        mask = speakers == speaker
        features[mask] = (features[mask] - features[mask].mean(0)) / (features[mask].std(0) + 1e-9)
    return features


def _views(turns: dict[str, list[Utterance]]) -> dict[str, list[tuple[dict[str, float], dict[str, Any]]]]:
    """Per view (``text``, ``audio``, ``fused``), its candidate settings and feature matrices per split.

    The fused view is tried with the audio block weighted by each of :data:`FUSED_AUDIO_WEIGHTS`.
    """
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    vectorizer.fit([u.text for u in turns["train"]])
    text = {split: vectorizer.transform([u.text for u in turns[split]]) for split in SPLITS}
    audio = {split: _audio_matrix(turns[split]) for split in SPLITS}

    def fused(weight: float) -> dict[str, Any]:
        return {
            split: sparse.hstack([text[split], sparse.csr_matrix(weight * audio[split])]).tocsr()
            for split in SPLITS
        }

    scale = 1 / np.sqrt(audio["train"].shape[1])  # the audio block's norm, like a TF-IDF row's
    return {
        "text": [({}, text)],
        "audio": [({}, audio)],
        "fused": [({"audio_weight": w}, fused(w * scale)) for w in FUSED_AUDIO_WEIGHTS],
    }


def _fit_probe(view: dict[str, Any], labels: dict[str, list[str]]) -> dict[str, float]:
    """Logistic regression for each C in :data:`PROBE_C`; the C best on validation is kept."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    best: dict[str, float] = {}
    for c in PROBE_C:
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
        model.fit(view["train"], labels["train"])
        scores = {
            split: float(
                f1_score(labels[split], model.predict(view[split]), average="weighted", zero_division=0)
            )
            for split in ("valid", "test")
        }
        if not best or scores["valid"] > best["valid"]:
            best = {**scores, "C": c}
    return best


def _manifest_dir(root: Path) -> Path | None:
    from course_lib.data.synthetic.iemocap_gen import MANIFEST_NAME

    for folder in (root, root.parent):
        if (folder / MANIFEST_NAME).is_file():
            return folder
    return None


def iemocap_probe(root: Path) -> dict[str, Any]:
    """Weighted F1 of linear probes on observable features, per split.

    Probes (scikit-learn logistic regression, balanced class weights, C and
    the fused view's audio weight chosen on validation only, trained on
    Sessions 1-3):

    * ``text`` — TF-IDF of the transcript (words and word pairs);
    * ``audio`` — :func:`prosodic_features` of the wav, standardised within
      each speaker;
    * ``fused`` — both, concatenated;
    * ``oracle`` (only when ``iemocap_ground_truth.csv`` is beside the tree) —
      the ceiling using the generator's latent variables, with speaker
      normalisation (:func:`course_lib.data.synthetic.iemocap_gen.oracle_scores`);
      it sees what no model sees, so it bounds what the observable features
      could give, up to rater noise.

    Args:
        root: ``IEMOCAP_full_release`` or the folder holding it.

    Returns:
        ``{"valid": {view: f1}, "test": {view: f1}, "chosen": {view: settings},
        "about": {view: description}}``.
    """
    root = Path(root)
    turns, _ = _load(root)
    labelled = {split: [u for u in turns[split] if u.label is not None] for split in SPLITS}
    labels = {split: [u.label for u in labelled[split]] for split in SPLITS}
    result: dict[str, Any] = {"valid": {}, "test": {}, "chosen": {}}
    for name, candidates in _views(labelled).items():
        fits = [{**setting, **_fit_probe(view, labels)} for setting, view in candidates]
        best = max(fits, key=lambda fit: fit["valid"])
        result["valid"][name], result["test"][name] = best.pop("valid"), best.pop("test")
        result["chosen"][name] = best
    about = {
        "text": "TF-IDF of the transcript",
        "audio": "pitch, energy-contour, spectral, rate and duration statistics, standardised per speaker",
        "fused": "text and audio features concatenated",
    }
    manifest = _manifest_dir(root.resolve())
    if manifest is not None:
        from course_lib.data.synthetic.iemocap_gen import oracle_scores

        oracle = oracle_scores(manifest)["both"]
        result["valid"]["oracle"], result["test"]["oracle"] = oracle.get("valid"), oracle.get("test")
        about["oracle"] = ORACLE_LABEL
    result["about"] = about
    return result
