"""Writer of the MOSI-like and MOSEI-like corpora as MMSA pickles (``aligned_50.pkl``, ``unaligned_50.pkl``).

The corpora imitate CMU-MOSI and CMU-MOSEI: opinion videos about movies, one
speaker per video, each video cut into segments with a sentiment score in
[-3, 3]. They are written as ``<out>/MOSI/{aligned_50,unaligned_50}.pkl`` and
``<out>/MOSEI/{aligned_50,unaligned_50}.pkl`` in the layout documented in
:mod:`course_lib.data.mmsa`, so the same loader reads them and the real MMSA
files. ``ground_truth.json`` next to each pair (outside the pickles) holds the
generator's latent variables for each speaker and segment.

The two corpora differ in their feature sets, as the real ones do: MOSI-like
has 5-d audio and 20-d vision features; MOSEI-like has 74-d audio
(:func:`audio_features_74`) and 35-d vision (:func:`facet_features`) features,
and its unaligned arrays are padded to the longest segment of the file rather
than to the fixed 500 / 375 frames.

Keys written per split of the MOSI-like files (N segments, L = 50 tokens):

======================  =====================================  =========================================
key                     aligned_50.pkl                         unaligned_50.pkl
======================  =====================================  =========================================
raw_text                N str                                  same
text_bert               int64 (N, 3, 50): ids, mask, segments  same
audio                   float32 (N, 50, 5), one per token      float32 (N, 500, 5), 100 frames/s, padded
vision                  float32 (N, 50, 20), one per token     float32 (N, 375, 20), 30 frames/s, padded
audio_lengths           (absent)                               N int, valid frames (<= 500)
vision_lengths          (absent)                               N int, valid frames (<= 375)
id                      N str ``video_id$_$clip_id``           same
annotations             N of Negative / Neutral / Positive     same
classification_labels   int64 N: 0 negative, 1 neutral, 2 pos  same
regression_labels       float32 N in [-3, 3]                   same
regression_labels_T/A/V float32 N each (write_unimodal_labels) same
======================  =====================================  =========================================

``text`` (BERT token features, (N, L, 768)) is not written: the course encodes
``text_bert`` with its own MiniLM encoder, and 768-d features for every token
would make the files hundreds of megabytes. Token ids come from the MiniLM
tokenizer (:func:`course_lib.features.assets.minilm_dir`).

Audio features (COVAREP-like, 5-d, from the synthesised speech; frames of
40 ms every 10 ms):

0. ``f0`` -- fundamental frequency in Hz from the normalised autocorrelation:
   the shortest lag between 60 and 400 Hz whose peak is within 15 % of the
   highest one; 0 in unvoiced frames.
1. ``voicing`` -- that autocorrelation peak (0-1), a voicing probability.
2. ``energy_db`` -- frame loudness 20*log10(RMS); ``-inf`` in exactly silent
   frames (segment edges), as real MOSI features contain ``-inf``.
3. ``spectral_slope`` -- slope (dB per kHz) of the least-squares line through
   the Hann-windowed log-magnitude spectrum; 0 in silent frames.
4. ``naq`` -- a normalised-amplitude-quotient stand-in: the frame's
   peak-to-peak amplitude over (largest sample-to-sample step x period in
   samples); 0 in unvoiced frames.

Vision features: 20 facial-action-unit-like intensities (0-5) at 30 frames/s,
in the order of :data:`ACTION_UNITS`. Smiles (AU06, AU12) rise and frowns
(AU04, AU15) fall with the expressed sentiment, arousal raises AU01/02/05,
talking drives AU25/AU26 from the speech energy, AU45 blinks; each speaker has
its own resting face (baseline) and gains.

Aligned file: each of the 50 token positions holds the mean of the audio and
vision frames of the word the token belongs to (word times spread the speech
between its first and last loud frame in proportion to word length); [CLS],
[SEP] and padding positions are 0.

How the sentiment is made: a video has a mean opinion and each segment a
latent score ``z``. The words carry ``z`` (cue adjectives of graded strength,
negations, a fraction of segments without any cue). The speaker has a personal
``bias`` and ``expressiveness``: what the speaker conveys is
``y = clip(expressiveness * z + bias, -3, 3)``, and voice (pitch, pitch range,
rate, loudness) and face express it over the speaker's own baseline -- so a
model that adapts to a speaker (personalisation) can do better than one that
cannot. Each segment has three modality sentiments: text ``y_T = z`` (0 when
the words carry no cue), voice ``y_A`` and face ``y_V``, both ``y`` except in
the fraction ``modality_conflict`` of segments where one of them expresses an
independently drawn sentiment (a sarcastic tone, a poker face). Three
simulated annotators rate ``y`` -- or, with ``label_weights`` ``(w_T, w_A,
w_V)``, the mix ``w_T y_T + w_A y_A + w_V y_V`` -- with noise on the integer
scale; the label is their mean (a multiple of 1/3, as in MOSI). With
``write_unimodal_labels`` the same raters (same reading errors) also rate each
modality alone: ``regression_labels_T/A/V`` as in CH-SIMS.

Knobs and their control settings (:class:`MMSAPreset`): ``speaker_bias_std``
(0.7; 0 = no speaker bias), ``expressiveness_log_std`` (0.4; 0 = every speaker
expresses alike), ``modality_conflict`` (0 for MOSI, 0.2 for MOSEI; 0 = the
modalities never conflict within a segment), ``label_weights`` (None for MOSI,
(0.6, 0.25, 0.15) for MOSEI). Unimodal labels equal the multimodal one only
when every source of disagreement is off: no conflict, no bias, expressiveness
1 and no cue-less text. The control corpus ``MOSI_nobias/`` (variant
``"nobias"``, see :data:`VARIANTS`) has the same speakers, segments, words and
splits as ``MOSI/`` with no speaker bias and expressiveness 1 for everyone.

``ground_truth.json`` holds the knobs (``params``), each speaker's ``bias``,
``expressiveness``, voice, face and ``split``, and each segment's ``z``, ``y``,
``y_T``, ``y_A``, ``y_V``, ``y_M`` (what the annotators rated), ``conflict``
(``{"modality": "A"|"V", "value": ...}`` or null), ``informative_text``,
``label`` and ``unimodal_labels``.

Split by video as in MMSA, so test speakers never appear in training. Presets
(see :data:`PRESETS`): ``tiny`` -- MOSI 12 videos of 12-16 segments (about
170, split 6/2/4 videos), MOSEI 10 videos, about 55 segments (seconds to
generate); ``full`` -- MOSI 90 videos, about 2,000 segments (52/9/29 videos),
MOSEI 120 videos of 8-14 segments, about 1,300 (80/16/24 videos).
Same seed -> byte-identical files (pickle protocol 4, fixed key order).
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from itertools import pairwise
from pathlib import Path

import numpy as np

from course_lib.data.mmsa import annotation_of

SEQ_LEN = 50
AUDIO_RATE = 100  # frames per second
VISION_RATE = 30
MAX_AUDIO_FRAMES = 500
MAX_VISION_FRAMES = 375
AUDIO_FEATURES = ("f0", "voicing", "energy_db", "spectral_slope", "naq")
ACTION_UNITS = (
    "AU01",
    "AU02",
    "AU04",
    "AU05",
    "AU06",
    "AU07",
    "AU09",
    "AU10",
    "AU12",
    "AU14",
    "AU15",
    "AU17",
    "AU20",
    "AU23",
    "AU24",
    "AU25",
    "AU26",
    "AU28",
    "AU43",
    "AU45",
)
_FRAME = 640  # 40 ms at 16 kHz
_HOP = 160  # 10 ms


@dataclass(frozen=True)
class MMSAPreset:
    """Size, feature set and knobs of one MOSI/MOSEI-like corpus.

    Attributes:
        videos: Number of videos (one speaker each).
        segments: Range (low, high) of segments per video.
        split: Number of (train, valid, test) videos.
        audio_dim: 5 (MOSI-like features) or 74 (MOSEI-like).
        vision_dim: 20 (action units) or 35 (action units and Facet-like extras).
        fixed_lengths: Pad unaligned arrays to 500 / 375 frames (MOSI);
            otherwise to the file's longest segment (at most 500 / 375).
        uninformative_text: Fraction of segments whose words carry no sentiment cue.
        speaker_bias_std: Standard deviation of the speakers' personal offsets
            ``bias`` (0: no speaker bias, the control setting).
        expressiveness_log_std: Standard deviation of the log of the speakers'
            ``expressiveness`` (0: every speaker has expressiveness 1).
        modality_conflict: Probability that a segment's voice or face (one of
            the two, at random) expresses its own, independently drawn
            sentiment (0: the modalities never conflict within a segment).
        label_weights: Weights of the (text, audio, vision) sentiments in what
            the annotators rate; None: they rate the speaker's sentiment ``y``.
        write_unimodal_labels: Also write ``regression_labels_T/A/V`` (annotator
            means of each modality's sentiment, as CH-SIMS has).
    """

    videos: int
    segments: tuple[int, int]
    split: tuple[int, int, int]
    audio_dim: int = 5
    vision_dim: int = 20
    fixed_lengths: bool = True
    uninformative_text: float = 0.15
    speaker_bias_std: float = 0.7
    expressiveness_log_std: float = 0.4
    modality_conflict: float = 0.0
    label_weights: tuple[float, float, float] | None = None
    write_unimodal_labels: bool = False


_MOSEI_LIKE = {
    "audio_dim": 74,
    "vision_dim": 35,
    "fixed_lengths": False,
    "modality_conflict": 0.2,
    "label_weights": (0.6, 0.25, 0.15),
    "write_unimodal_labels": True,
}

#: preset -> corpus folder -> sizes and knobs. MOSI splits videos 50/17/33 % (tiny) and about
#: 58/10/32 % (full), MOSEI 60/10/30 % (tiny) and 67/13/20 % (full).
PRESETS: dict[str, dict[str, MMSAPreset]] = {
    "tiny": {
        "MOSI": MMSAPreset(videos=12, segments=(12, 16), split=(6, 2, 4)),
        "MOSEI": MMSAPreset(videos=10, segments=(4, 7), split=(6, 1, 3), **_MOSEI_LIKE),
    },
    "full": {
        "MOSI": MMSAPreset(videos=90, segments=(10, 34), split=(52, 9, 29)),
        "MOSEI": MMSAPreset(videos=120, segments=(8, 14), split=(80, 16, 24), **_MOSEI_LIKE),
    },
}

#: Control corpora written on request: variant -> (corpus it copies, knobs changed). The
#: variant's folder is ``<corpus>_<variant>`` (e.g. ``MOSI_nobias/``) and holds the same
#: speakers, segments, words and splits as its corpus, with only those knobs changed.
#: ``nobias`` removes every personal effect on the label (no bias, expressiveness 1), so
#: nothing is left for a user adapter to learn about the label.
VARIANTS: dict[str, tuple[str, dict[str, float]]] = {
    "nobias": ("MOSI", {"speaker_bias_std": 0.0, "expressiveness_log_std": 0.0}),
}

#: Random stream of each corpus (a variant uses its corpus's stream).
_STREAMS = {"MOSI": 0, "MOSEI": 1}


# ------------------------------------------------------------------------------ text

_ADJECTIVES = {
    -3: ["terrible", "awful", "horrible", "a complete waste of time", "unbearable", "the worst"],
    -2: ["bad", "boring", "really disappointing", "dull", "annoying", "weak"],
    -1: ["a bit slow", "not that great", "kind of flat", "mediocre", "forgettable"],
    0: ["okay", "about two hours long", "what i expected", "in black and white", "pretty standard"],
    1: ["decent", "pretty good", "nice", "watchable", "fairly funny"],
    2: ["good", "really fun", "enjoyable", "great", "very entertaining", "touching"],
    3: ["amazing", "brilliant", "absolutely fantastic", "a masterpiece", "incredible", "perfect"],
}
_ASPECTS = [
    "movie",
    "acting",
    "story",
    "plot",
    "ending",
    "soundtrack",
    "main character",
    "dialogue",
    "special effects",
    "pacing",
    "cast",
    "script",
    "camera work",
    "humor",
    "villain",
]
_TEMPLATES = [
    "i thought the {aspect} was {adj}",
    "the {aspect} was {adj}",
    "honestly the {aspect} is {adj}",
    "um the {aspect} was just {adj}",
    "i have to say the {aspect} was {adj}",
    "overall the {aspect} was {adj}",
    "i felt like the {aspect} was {adj}",
]
_NEGATED = ["the {aspect} was not {adj}", "i would not say the {aspect} was {adj}"]
_NEGATABLE = {
    "positive": ["good", "great", "fun", "funny", "interesting"],
    "negative": ["bad", "boring", "awful"],
}
_FILLERS = [
    "so i went to see it last weekend with my {person}",
    "it is about a {noun} who moves to a new city",
    "the {aspect} is something you notice right away",
    "it came out last {month}",
    "there is a scene in the middle with a {noun}",
    "so basically the {aspect} follows a {noun}",
    "i watched it on a {day} night",
]
_FILL = {
    "person": ["brother", "friends", "mom", "roommate"],
    "noun": ["detective", "dog", "teacher", "robot"],
    "month": ["summer", "month", "year", "week"],
    "day": ["friday", "sunday", "tuesday"],
}


def _pick(rng: np.random.Generator, items: list[str]) -> str:
    return items[int(rng.integers(len(items)))]


def _clause(rng: np.random.Generator, score: float) -> str:
    strength = int(np.clip(np.rint(score), -3, 3))
    aspect = _pick(rng, _ASPECTS)
    if abs(strength) >= 2 and rng.random() < 0.15:  # "not good" is negative, "not bad" mildly positive
        words = _NEGATABLE["positive" if strength < 0 else "negative"]
        return _pick(rng, _NEGATED).format(aspect=aspect, adj=_pick(rng, words))
    return _pick(rng, _TEMPLATES).format(aspect=aspect, adj=_pick(rng, _ADJECTIVES[strength]))


def make_segment_text(rng: np.random.Generator, z: float, informative: bool) -> str:
    """A spoken-review segment (lower case, like MOSI transcripts) carrying ``z`` when informative."""
    if not informative:
        template = _pick(rng, _FILLERS)
        return template.format(aspect=_pick(rng, _ASPECTS), **{k: _pick(rng, v) for k, v in _FILL.items()})
    text = _clause(rng, z + rng.normal(0.0, 0.5))
    if rng.random() < 0.35:
        text += _pick(rng, [" and ", " but ", " and also "]) + _clause(rng, z + rng.normal(0.0, 0.8))
    return text


# -------------------------------------------------------------------------- speakers


@dataclass(frozen=True)
class Speaker:
    """One video's speaker: voice, personal bias, expressiveness and face."""

    video_id: str
    gender: str
    voice: str
    variant: str
    pitch: int
    pitch_range: int
    rate: int
    volume: int
    opinion: float
    bias: float
    expressiveness: float
    face_baseline: tuple[float, ...]
    face_gain: tuple[float, ...]


_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"


def _make_speaker(rng: np.random.Generator, taken: set[str], cfg: MMSAPreset) -> Speaker:
    video_id = ""
    while not video_id or video_id in taken:
        video_id = "".join(_ALPHABET[int(i)] for i in rng.integers(0, len(_ALPHABET), size=11))
    taken.add(video_id)
    female = bool(rng.random() < 0.45)
    return Speaker(
        video_id=video_id,
        gender="F" if female else "M",
        voice=_pick(rng, ["en-us", "en-us", "en"]),
        variant=f"f{int(rng.integers(1, 5))}" if female else f"m{int(rng.integers(1, 8))}",
        pitch=int(rng.integers(45, 66) if female else rng.integers(25, 46)),
        pitch_range=int(rng.integers(35, 61)),
        rate=int(rng.integers(145, 196)),
        volume=int(rng.integers(85, 116)),
        opinion=float(rng.normal(0.2, 1.0)),
        bias=float(np.round(cfg.speaker_bias_std * rng.standard_normal(), 4)),
        expressiveness=float(np.round(np.exp(cfg.expressiveness_log_std * rng.standard_normal()), 4)),
        face_baseline=tuple(float(x) for x in np.round(rng.uniform(0.0, 0.8, size=20), 4)),
        face_gain=tuple(float(x) for x in np.round(rng.uniform(0.6, 1.4, size=20), 4)),
    )


def _voice_for(speaker: Speaker, y: float):
    from course_lib.data.synthetic.speech import Voice

    valence, arousal = y / 3.0, abs(y) / 3.0
    return Voice(
        name=speaker.voice,
        variant=speaker.variant,
        pitch=int(np.clip(round(speaker.pitch + 12 * valence), 0, 100)),
        pitch_range=int(np.clip(round(speaker.pitch_range + 25 * arousal + 8 * valence), 0, 100)),
        rate=int(np.clip(round(speaker.rate + 15 * valence + 10 * arousal), 80, 450)),
        volume=int(np.clip(round(speaker.volume + 25 * arousal), 0, 200)),
    )


# ---------------------------------------------------------------------------- audio


def audio_features(audio: np.ndarray, sample_rate: int = 16000) -> np.ndarray:
    """The 5-d frame features documented in the module docstring.

    Args:
        audio: Mono float audio at ``sample_rate`` (16 kHz expected).
        sample_rate: Sampling rate in Hz.

    Returns:
        float32 features at 100 frames/s (``-inf`` in silent frames' energy).
        Shape: ``(T, 5)`` with ``T = 1 + len(audio) // 160``.
    """
    frames = _frames(audio)
    count = len(frames)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    silent = rms == 0.0
    with np.errstate(divide="ignore"):
        energy = 20.0 * np.log10(rms)
    # autocorrelation pitch and voicing
    spectrum = np.fft.rfft(frames - frames.mean(axis=1, keepdims=True), n=2048, axis=1)
    autocorr = np.fft.irfft(np.abs(spectrum) ** 2, n=2048, axis=1)[:, :_FRAME]
    low, high = sample_rate // 400, sample_rate // 60
    lags = np.arange(low, high + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        normalised = autocorr[:, low : high + 1] / autocorr[:, :1] * (_FRAME / (_FRAME - lags))
    normalised = np.nan_to_num(normalised, nan=0.0, posinf=0.0, neginf=0.0)
    # the shortest lag whose local peak is within 15 % of the highest one (avoids octave errors)
    peaks = np.zeros_like(normalised, dtype=bool)
    peaks[:, 1:-1] = (normalised[:, 1:-1] >= normalised[:, :-2]) & (normalised[:, 1:-1] >= normalised[:, 2:])
    peaks &= normalised >= 0.85 * normalised.max(axis=1, keepdims=True)
    best = np.where(peaks.any(axis=1), np.argmax(peaks, axis=1), np.argmax(normalised, axis=1))
    voicing = np.clip(normalised[np.arange(count), best], 0.0, 1.0)
    loud = energy > (np.max(energy, initial=-np.inf) - 45.0)
    voiced = (voicing > 0.5) & loud & ~silent
    period = lags[best].astype(np.float64)
    f0 = np.where(voiced, sample_rate / period, 0.0)
    # spectral slope of the Hann-windowed log spectrum
    window = np.hanning(_FRAME)
    magnitude_db = 20.0 * np.log10(np.abs(np.fft.rfft(frames * window, axis=1)) + 1e-9)
    freqs = np.fft.rfftfreq(_FRAME, 1.0 / sample_rate) / 1000.0
    centred = freqs - freqs.mean()
    slope = ((magnitude_db - magnitude_db.mean(axis=1, keepdims=True)) * centred).sum(axis=1) / (
        centred**2
    ).sum()
    slope = np.where(silent, 0.0, slope)
    # normalised amplitude quotient stand-in
    peak_to_peak = frames.max(axis=1) - frames.min(axis=1)
    steepest = np.abs(np.diff(frames, axis=1)).max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        naq = np.where(voiced, peak_to_peak / (steepest * period), 0.0)
    naq = np.nan_to_num(naq, nan=0.0, posinf=0.0)
    return np.stack([f0, voicing, energy, slope, naq], axis=1).astype(np.float32)


def _frames(audio: np.ndarray) -> np.ndarray:
    padded = np.pad(np.asarray(audio, dtype=np.float64), (_FRAME // 2, _FRAME // 2))
    return np.lib.stride_tricks.sliding_window_view(padded, _FRAME)[::_HOP][: 1 + len(audio) // _HOP]


def _log_mel(power: np.ndarray, bands: int, sample_rate: int) -> np.ndarray:
    import librosa

    weights = librosa.filters.mel(sr=sample_rate, n_fft=_FRAME, n_mels=bands, fmin=50.0, fmax=sample_rate / 2)
    return np.log(np.einsum("mf,tf->tm", weights.astype(np.float64), power) + 1e-10)


def audio_features_74(audio: np.ndarray, sample_rate: int = 16000) -> np.ndarray:
    """The 74-d MOSEI-like frame features (COVAREP-like layout).

    Columns: 0-4 the 5 features of :func:`audio_features`; 5 ``h1_h2`` (dB
    between the spectrum at f0 and at 2 f0, voiced frames); 6 spectral centroid
    (kHz); 7 spectral flatness; 8 zero-crossing rate; 9 ``creak`` (1 for loud,
    weakly periodic frames); 10 85 % spectral roll-off (kHz); 11-35 ``mcep``
    0-24 (DCT of 40 log mel energies); 36-60 25 log mel band energies (a
    stand-in for COVAREP's harmonic phase features); 61-73 time deltas of
    ``mcep`` 0-12.

    Returns:
        float32 features at 100 frames/s. Shape: ``(T, 74)``.
    """
    import scipy.fft

    base = audio_features(audio, sample_rate).astype(np.float64)
    frames = _frames(audio)
    power = np.abs(np.fft.rfft(frames * np.hanning(_FRAME), axis=1)) ** 2
    freqs = np.fft.rfftfreq(_FRAME, 1.0 / sample_rate)
    total = power.sum(axis=1)
    silent = total <= 0.0
    safe = np.where(silent, 1.0, total)
    centroid = (power * freqs).sum(axis=1) / safe / 1000.0
    flatness = np.exp(np.log(power + 1e-12).mean(axis=1)) / (power.mean(axis=1) + 1e-12)
    rolloff = freqs[np.argmax(np.cumsum(power, axis=1) >= 0.85 * safe[:, None], axis=1)] / 1000.0
    zcr = (np.abs(np.diff(np.signbit(frames), axis=1)).sum(axis=1)) / _FRAME
    f0 = base[:, 0]
    bin_width = freqs[1]
    h1 = power[np.arange(len(f0)), np.clip(np.rint(f0 / bin_width).astype(int), 0, len(freqs) - 1)]
    h2 = power[np.arange(len(f0)), np.clip(np.rint(2 * f0 / bin_width).astype(int), 0, len(freqs) - 1)]
    h1_h2 = np.where(f0 > 0, 10.0 * np.log10((h1 + 1e-12) / (h2 + 1e-12)), 0.0)
    loud = np.isfinite(base[:, 2]) & (
        base[:, 2] > np.max(np.where(np.isfinite(base[:, 2]), base[:, 2], -300)) - 30
    )
    creak = (loud & (base[:, 1] > 0.3) & (base[:, 1] <= 0.5)).astype(np.float64)
    mcep = scipy.fft.dct(_log_mel(power, 40, sample_rate), type=2, norm="ortho", axis=1)[:, :25]
    bands = _log_mel(power, 25, sample_rate)
    delta = np.gradient(mcep[:, :13], axis=0) if len(mcep) > 1 else np.zeros((len(mcep), 13))
    extra = np.stack([h1_h2, centroid, flatness, zcr, creak, rolloff], axis=1)
    extra[silent] = 0.0
    return np.concatenate([base, extra, mcep, bands, delta], axis=1).astype(np.float32)


def _speech_span(energy_db: np.ndarray) -> tuple[int, int]:
    """First and last frame (exclusive) within 35 dB of the loudest one."""
    finite = np.where(np.isfinite(energy_db), energy_db, -np.inf)
    loud = np.flatnonzero(finite > finite.max(initial=-np.inf) - 35.0)
    return (int(loud[0]), int(loud[-1]) + 1) if loud.size else (0, len(energy_db))


# --------------------------------------------------------------------------- vision

_VALENCE_LOAD = {
    "AU06": 1.0,
    "AU12": 1.3,
    "AU14": 0.3,
    "AU04": -1.0,
    "AU15": -0.9,
    "AU17": -0.4,
    "AU09": -0.5,
    "AU10": -0.3,
    "AU24": -0.3,
    "AU07": -0.3,
}
_AROUSAL_LOAD = {"AU01": 0.5, "AU02": 0.5, "AU05": 0.6, "AU26": 0.3, "AU20": 0.2, "AU23": 0.2}


#: Strength of the sentiment in the face, and per-segment face noise (intensity units).
FACE_VALENCE_GAIN = 0.3
FACE_SEGMENT_NOISE = 0.4


def _smooth(x: np.ndarray, width: int) -> np.ndarray:
    kernel = np.hanning(width + 2)[1:-1]
    kernel /= kernel.sum()
    padded = np.pad(x, ((width, width), (0, 0)), mode="edge")
    out = np.stack([np.convolve(padded[:, j], kernel, mode="same") for j in range(x.shape[1])], axis=1)
    return out[width:-width]


def vision_features(rng: np.random.Generator, speaker: Speaker, y: float, talk: np.ndarray) -> np.ndarray:
    """Action-unit-like intensities for one segment.

    Args:
        rng: Random generator (noise, blinks, expression envelope).
        speaker: Resting face and gains.
        y: Sentiment the face expresses, in [-3, 3].
        talk: Speech loudness in [0, 1] per video frame (drives the mouth).

    Returns:
        float32 intensities in [0, 5]. Shape: ``(Tv, 20)``.
    """
    frames = len(talk)
    valence = np.array([_VALENCE_LOAD.get(au, 0.0) for au in ACTION_UNITS])
    arousal = np.array([_AROUSAL_LOAD.get(au, 0.0) for au in ACTION_UNITS])
    envelope = _smooth(rng.uniform(0.4, 1.3, size=(frames, 1)), 15)
    drive = valence * (y / 3.0) * FACE_VALENCE_GAIN + arousal * abs(y) / 3.0 * 0.5
    face = np.asarray(speaker.face_baseline) + np.asarray(speaker.face_gain) * envelope * drive
    face += rng.normal(0.0, FACE_SEGMENT_NOISE, size=20)  # how this segment's face differs, whatever is said
    face += _smooth(rng.normal(0.0, 0.25, size=(frames, 20)), 5)
    mouth = [ACTION_UNITS.index("AU25"), ACTION_UNITS.index("AU26")]
    face[:, mouth] += talk[:, None] * np.array([1.2, 0.8])
    blinks = rng.random(frames) < 0.01
    face[:, ACTION_UNITS.index("AU45")] += 3.0 * np.convolve(blinks, np.ones(4), mode="same")
    return np.clip(face, 0.0, 5.0).astype(np.float32)


#: The 15 columns :func:`facet_features` adds after the 20 action units.
FACET_EXTRAS = (
    "joy",
    "anger",
    "sadness",
    "surprise",
    "fear",
    "disgust",
    "contempt",
    "yaw",
    "pitch",
    "roll",
    "gaze_x",
    "gaze_y",
    "mouth_open",
    "brow_height",
    "face_confidence",
)
_EMOTION_UNITS = {
    "joy": ("AU06", "AU12"),
    "anger": ("AU04", "AU05", "AU07", "AU23"),
    "sadness": ("AU01", "AU04", "AU15"),
    "surprise": ("AU01", "AU02", "AU05", "AU26"),
    "fear": ("AU01", "AU02", "AU04", "AU05", "AU20"),
    "disgust": ("AU09", "AU10", "AU15"),
    "contempt": ("AU14",),
}


def facet_features(rng: np.random.Generator, units: np.ndarray, y: float) -> np.ndarray:
    """Extend 20 action-unit intensities to the 35-d MOSEI-like (Facet-like) set.

    Adds, in the order of :data:`FACET_EXTRAS`: seven emotion evidences
    (log-odds-like, from the mean of their action units), head yaw/pitch/roll in
    degrees (a slow random walk; positive segments nod more), gaze x/y, mouth
    opening, brow height and a face-detection confidence.

    Returns:
        float32 features. Shape: ``(Tv, 35)``.
    """
    frames = len(units)
    index = {au: i for i, au in enumerate(ACTION_UNITS)}
    evidence = [
        2.0 * (units[:, [index[a] for a in aus]].mean(axis=1) - 1.0) for aus in _EMOTION_UNITS.values()
    ]
    walk = np.cumsum(rng.normal(0.0, 0.4, size=(frames, 3)), axis=0)
    amplitude = rng.uniform(0.5, 2.5) * (1.0 + 0.3 * max(y, 0.0))
    nod = amplitude * np.sin(np.arange(frames) / VISION_RATE * 2 * np.pi * rng.uniform(1.0, 2.0))
    pose = walk + np.stack([np.zeros(frames), nod, np.zeros(frames)], axis=1)
    gaze = _smooth(rng.normal(0.0, 0.1, size=(frames, 2)), 9)
    mouth = units[:, [index["AU25"], index["AU26"]]].mean(axis=1)
    brow = units[:, index["AU01"]] + units[:, index["AU02"]] - units[:, index["AU04"]]
    confidence = np.clip(0.95 + rng.normal(0.0, 0.02, size=frames), 0.0, 1.0)
    extras = np.column_stack([*evidence, pose, gaze, mouth, brow, confidence])
    return np.concatenate([units, extras], axis=1).astype(np.float32)


# --------------------------------------------------------------------------- corpus


def _resample_rows(x: np.ndarray, count: int) -> np.ndarray:
    if len(x) == 0:
        return np.zeros(count)
    positions = np.linspace(0, len(x) - 1, count)
    return np.interp(positions, np.arange(len(x)), x)


def _word_spans(words: list[str], start: int, end: int) -> list[tuple[int, int]]:
    weights = np.array([len(w) + 1.0 for w in words])
    edges = start + (end - start) * np.concatenate([[0.0], np.cumsum(weights) / weights.sum()])
    spans = []
    for a, b in pairwise(edges):
        lo = int(np.floor(a))
        spans.append((lo, max(lo + 1, int(np.ceil(b)))))
    return spans


def _to_vision_frames(span: tuple[int, int]) -> tuple[int, int]:
    lo, hi = span[0] * VISION_RATE // AUDIO_RATE, span[1] * VISION_RATE // AUDIO_RATE
    return lo, max(hi, lo + 1)


def _align(frames: np.ndarray, word_ids: list[int | None], spans: list[tuple[int, int]]) -> np.ndarray:
    out = np.zeros((SEQ_LEN, frames.shape[1]), dtype=np.float32)
    for position, word in enumerate(word_ids[:SEQ_LEN]):
        if word is None or word >= len(spans):
            continue
        lo, hi = spans[word]
        chunk = frames[min(lo, len(frames) - 1) : max(min(hi, len(frames)), lo + 1)]
        if len(chunk):
            with np.errstate(invalid="ignore"):
                out[position] = chunk.mean(axis=0)
    return out


def _pad(x: np.ndarray, length: int) -> np.ndarray:
    out = np.zeros((length, x.shape[1]), dtype=np.float32)
    out[: min(length, len(x))] = x[:length]
    return out


#: Standard deviation of an annotator's reading of a segment (integer scale), and of a
#: conflicting modality's own sentiment.
RATER_NOISE = 0.6
CONFLICT_STD = 1.5
MODALITIES = ("T", "A", "V")


def _rate(sentiment: float, noise: np.ndarray) -> float:
    """Mean of the annotators' integer ratings of ``sentiment``; ``noise`` is one reading error per rater."""
    return float(np.round(np.clip(np.rint(sentiment + noise), -3, 3).mean(), 4))


def _latents(rng: np.random.Generator, speaker: Speaker, cfg: MMSAPreset) -> dict:
    """The sentiments of one segment, its label and its unimodal labels.

    The words say ``z``; the speaker conveys ``y = clip(expressiveness * z + bias)``
    in voice and face. Text sentiment ``y_T`` is ``z`` (0 when the words carry no
    cue); voice ``y_A`` and face ``y_V`` are ``y``, except that with probability
    ``modality_conflict`` one of them expresses its own sentiment instead.
    Annotators rate ``y_M`` (``y``, or the ``label_weights`` mix of ``y_T, y_A,
    y_V``); the same three raters, with the same reading errors, rate each
    modality alone for the unimodal labels. The number of draws never depends
    on the knobs, so corpora that differ only in knobs have the same segments.
    """
    z = float(np.clip(speaker.opinion + rng.normal(0.0, 1.0), -3.0, 3.0))
    informative = bool(rng.random() >= cfg.uninformative_text)
    conflict_draw, conflict_modality = rng.random(), ("A", "V")[int(rng.integers(2))]
    conflict_value = float(np.round(np.clip(rng.normal(0.0, CONFLICT_STD), -3.0, 3.0), 4))
    noise = rng.normal(0.0, RATER_NOISE, size=3)
    y = float(np.clip(speaker.expressiveness * z + speaker.bias, -3.0, 3.0))
    sentiments = {"T": z if informative else 0.0, "A": y, "V": y}
    conflict = None
    if conflict_draw < cfg.modality_conflict:
        conflict = {"modality": conflict_modality, "value": conflict_value}
        sentiments[conflict_modality] = conflict_value
    if cfg.label_weights is None:
        y_m = y
    else:
        weights = np.asarray(cfg.label_weights, dtype=np.float64)
        y_m = float(weights @ np.array([sentiments[m] for m in MODALITIES]) / weights.sum())
    return {
        "z": z,
        "y": y,
        "informative_text": informative,
        "sentiments": sentiments,
        "conflict": conflict,
        "y_M": y_m,
        "label": _rate(y_m, noise),
        "unimodal_labels": {m: _rate(v, noise) for m, v in sentiments.items()},
    }


def _tokenizer():
    from transformers import AutoTokenizer

    from course_lib.features.assets import minilm_dir

    return AutoTokenizer.from_pretrained(str(minilm_dir()))


def _segment(
    rngs: tuple[np.random.Generator, np.random.Generator],
    speaker: Speaker,
    clip: int,
    cfg: MMSAPreset,
    tokenizer,
) -> dict:
    """One segment: ``rngs`` draw (latents and words, features) separately."""
    from course_lib.data.synthetic.speech import synthesize

    rng, feature_rng = rngs
    latent = _latents(rng, speaker, cfg)
    sentiments = latent["sentiments"]
    text = make_segment_text(rng, latent["z"], latent["informative_text"])
    speech = synthesize(text, _voice_for(speaker, sentiments["A"]))
    lead = np.zeros(int(feature_rng.integers(0, 2400)), dtype=np.float32)  # exact silence at the cut
    speech = np.concatenate([lead, speech, lead[: int(feature_rng.integers(0, len(lead) + 1))]])
    audio = audio_features(speech) if cfg.audio_dim == 5 else audio_features_74(speech)
    start, end = _speech_span(audio[:, 2])
    frames_v = max(1, round(len(audio) * VISION_RATE / AUDIO_RATE))
    energy = np.where(np.isfinite(audio[:, 2]), audio[:, 2], -120.0)
    talk = np.clip((_resample_rows(energy, frames_v) + 60.0) / 40.0, 0.0, 1.0)
    vision = vision_features(feature_rng, speaker, sentiments["V"], talk)
    if cfg.vision_dim == 35:
        vision = facet_features(feature_rng, vision, sentiments["V"])
    encoded = tokenizer(text, padding="max_length", truncation=True, max_length=SEQ_LEN)
    words = text.split()
    spans_a = _word_spans(words, start, end)
    spans_v = [_to_vision_frames(span) for span in spans_a]
    word_ids = _word_ids(tokenizer, words)
    segment_id = f"{speaker.video_id}$_${clip}"
    return {
        "id": segment_id,
        "raw_text": text,
        "text_bert": np.array(
            [encoded["input_ids"], encoded["attention_mask"], encoded["token_type_ids"]], dtype=np.int64
        ),
        "audio_aligned": _align(audio, word_ids, spans_a),
        "vision_aligned": _align(vision, word_ids, spans_v),
        "audio": audio[:MAX_AUDIO_FRAMES],
        "vision": vision[:MAX_VISION_FRAMES],
        "label": latent["label"],
        "unimodal_labels": latent["unimodal_labels"],
        "truth": {
            "id": segment_id,
            "z": round(latent["z"], 4),
            "y": round(latent["y"], 4),
            **{f"y_{m}": round(v, 4) for m, v in sentiments.items()},
            "y_M": round(latent["y_M"], 4),
            "conflict": latent["conflict"],
            "informative_text": latent["informative_text"],
            "label": latent["label"],
            "unimodal_labels": latent["unimodal_labels"],
        },
    }


def _word_ids(tokenizer, words: list[str]) -> list[int | None]:
    """Word index of each of the L token positions (None for special and padding tokens)."""
    encoded = tokenizer(
        words, is_split_into_words=True, padding="max_length", truncation=True, max_length=SEQ_LEN
    )
    return encoded.word_ids()


def _split_dict(segments: list[dict], aligned: bool, lengths: tuple[int, int], unimodal: bool) -> dict:
    labels = np.array([s["label"] for s in segments], dtype=np.float32)
    annotations = [annotation_of(float(v)) for v in labels]
    if aligned:
        audio = np.stack([s["audio_aligned"] for s in segments])
        vision = np.stack([s["vision_aligned"] for s in segments])
    else:
        audio = np.stack([_pad(s["audio"], lengths[0]) for s in segments])
        vision = np.stack([_pad(s["vision"], lengths[1]) for s in segments])
    split = {
        "raw_text": [s["raw_text"] for s in segments],
        "text_bert": np.stack([s["text_bert"] for s in segments]),
        "audio": audio,
        "vision": vision,
    }
    if not aligned:
        split["audio_lengths"] = [len(s["audio"]) for s in segments]
        split["vision_lengths"] = [len(s["vision"]) for s in segments]
    split.update(
        {
            "id": [s["id"] for s in segments],
            "annotations": annotations,
            "classification_labels": np.array(
                [{"Negative": 0, "Neutral": 1, "Positive": 2}[a] for a in annotations], dtype=np.int64
            ),
            "regression_labels": labels,
        }
    )
    if unimodal:
        for m in MODALITIES:
            split[f"regression_labels_{m}"] = np.array(
                [s["unimodal_labels"][m] for s in segments], dtype=np.float32
            )
    return split


def _segments(
    cfg: MMSAPreset, seed: int, stream: int, tokenizer, progress: bool, desc: str
) -> tuple[list[Speaker], dict[int, str], dict[str, list[dict]]]:
    """Speakers, the split of each video and the segments per split of one corpus."""
    from tqdm.auto import tqdm

    rng = np.random.default_rng([seed, 11, stream])
    taken: set[str] = set()
    speakers = [_make_speaker(rng, taken, cfg) for _ in range(cfg.videos)]
    counts = [int(rng.integers(cfg.segments[0], cfg.segments[1] + 1)) for _ in speakers]
    order = rng.permutation(cfg.videos)
    n_train, n_valid, _ = cfg.split
    split_of = {
        int(v): ("train" if r < n_train else "valid" if r < n_train + n_valid else "test")
        for r, v in enumerate(order)
    }
    segments: dict[str, list[dict]] = {"train": [], "valid": [], "test": []}
    bar = tqdm(total=sum(counts), desc=desc, disable=not progress, leave=False)
    for index, (speaker, count) in enumerate(zip(speakers, counts)):
        for clip in range(1, count + 1):
            rngs = (
                np.random.default_rng([seed, 11, stream, index, clip]),
                np.random.default_rng([seed, 11, stream, index, clip, 1]),
            )
            segments[split_of[index]].append(_segment(rngs, speaker, clip, cfg, tokenizer))
            bar.update()
    bar.close()
    return speakers, split_of, segments


def _write_one(root: Path, cfg: MMSAPreset, seed: int, stream: int, tokenizer, progress: bool) -> dict:
    speakers, split_of, segments = _segments(
        cfg, seed, stream, tokenizer, progress, f"{root.name}-like segments"
    )
    everything = [s for split in segments.values() for s in split]
    if cfg.fixed_lengths:
        lengths = (MAX_AUDIO_FRAMES, MAX_VISION_FRAMES)
    else:
        lengths = (max(len(s["audio"]) for s in everything), max(len(s["vision"]) for s in everything))
    root.mkdir(parents=True, exist_ok=True)
    shapes = {}
    for name, aligned in (("aligned_50.pkl", True), ("unaligned_50.pkl", False)):
        content = {
            split: _split_dict(items, aligned, lengths, cfg.write_unimodal_labels)
            for split, items in segments.items()
        }
        (root / name).write_bytes(pickle.dumps(content, protocol=4))
        shapes[name] = {
            key: list(np.shape(content["train"][key])) for key in ("text_bert", "audio", "vision")
        }
    truth = {
        "params": asdict(cfg),
        "speakers": [{**asdict(s), "split": split_of[i]} for i, s in enumerate(speakers)],
        "segments": [s["truth"] for s in everything],
    }
    (root / "ground_truth.json").write_text(
        json.dumps(truth, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    labels = np.array([s["label"] for s in everything])
    return {
        "segments": {k: len(v) for k, v in segments.items()},
        "videos": {k: sum(1 for s in split_of.values() if s == k) for k in segments},
        "label_mean": round(float(labels.mean()), 4),
        "label_std": round(float(labels.std()), 4),
        "annotations": {
            a: int(sum(annotation_of(float(v)) == a for v in labels))
            for a in ("Negative", "Neutral", "Positive")
        },
        "conflicts": sum(s["truth"]["conflict"] is not None for s in everything),
        "unaligned_audio_neg_inf": int(sum(np.isneginf(s["audio"]).sum() for s in everything)),
        "shapes": shapes,
        "params": asdict(cfg),
    }


def resolve_corpora(
    preset: str, variants: Sequence[str] = (), corpora: Mapping[str, MMSAPreset] | None = None
) -> dict[str, tuple[MMSAPreset, int]]:
    """The corpora to write: folder -> (knobs, random stream).

    Args:
        preset: ``"tiny"`` or ``"full"`` (see :data:`PRESETS`).
        variants: Control corpora to add (see :data:`VARIANTS`), e.g. ``("nobias",)``.
        corpora: Explicit folder -> knobs replacing the preset's corpora; a
            folder named ``MOSI...`` or ``MOSEI...`` uses that corpus's stream.

    Raises:
        ValueError: for an unknown preset, variant or folder name.
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown MMSA preset {preset!r}; choose one of {sorted(PRESETS)}")
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown MMSA variant(s) {unknown}; choose among {sorted(VARIANTS)}")
    chosen = dict(PRESETS[preset] if corpora is None else corpora)
    for variant in dict.fromkeys(variants):
        base, knobs = VARIANTS[variant]
        if base in chosen:
            chosen[f"{base}_{variant}"] = replace(chosen[base], **knobs)
    plan = {}
    for name, cfg in chosen.items():
        base = name.split("_")[0]
        if base not in _STREAMS:
            raise ValueError(f"corpus folder {name!r} must start with one of {sorted(_STREAMS)}")
        plan[name] = (cfg, _STREAMS[base])
    return plan


def write_mmsa_corpus(
    out_dir: Path,
    preset: str,
    seed: int,
    progress: bool = True,
    variants: Sequence[str] = (),
    corpora: Mapping[str, MMSAPreset] | None = None,
) -> dict:
    """Write the MOSI-like and MOSEI-like corpora as MMSA pickles.

    Files: ``<out>/MOSI/{aligned_50,unaligned_50}.pkl``,
    ``<out>/MOSEI/{aligned_50,unaligned_50}.pkl`` and a ``ground_truth.json``
    next to each pair; each requested variant adds a folder such as
    ``<out>/MOSI_nobias/`` with the same files.

    Args:
        out_dir: Folder receiving ``MOSI/`` and ``MOSEI/``.
        preset: ``"tiny"`` or ``"full"`` (see :data:`PRESETS`).
        seed: Seed of every random choice.
        progress: Show progress bars.
        variants: Control corpora to write as well (see :data:`VARIANTS`):
            ``("nobias",)`` writes ``MOSI_nobias/`` (the same segments, no personal bias
            or expressiveness).
        corpora: Explicit folder -> knobs, replacing the preset's corpora
            (see :func:`resolve_corpora`; for tests and experiments on small corpora).

    Returns:
        A JSON-able summary of the MOSI-like corpus (segments and videos per
        split, label statistics, conflicts, ``-inf`` values written, array
        shapes per file, knobs), with the same summary of every other corpus
        under its folder name (``"MOSEI"``, ``"MOSI_nobias"``).

    Raises:
        ValueError: for an unknown preset or variant.
    """
    plan = resolve_corpora(preset, variants, corpora)
    tokenizer = _tokenizer()
    out_dir = Path(out_dir)
    summary: dict = {"preset": preset, "seed": seed}
    for name, (cfg, stream) in plan.items():
        result = _write_one(out_dir / name, cfg, seed, stream, tokenizer, progress)
        if name == "MOSI":
            summary.update(result)
        else:
            summary[name] = result
    return summary
