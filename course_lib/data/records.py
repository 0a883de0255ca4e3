"""Typed records shared by every loader.

Loaders for the real datasets (and for the generated corpora, which use the
same on-disk formats) return these plain dataclasses; torch Datasets and the
feature extractors consume them. Records hold paths and small metadata only,
never decoded audio or images, so a whole corpus fits in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: The six IEMOCAP classes used by the conversational emotion papers, in the
#: order used for class indices throughout the course.
IEMOCAP_CLASSES: tuple[str, ...] = ("neu", "fru", "ang", "sad", "hap", "exc")

#: MVSA sentiment labels in class-index order.
MVSA_CLASSES: tuple[str, ...] = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Utterance:
    """One turn of an IEMOCAP-style dialogue.

    Attributes:
        id: Utterance name, e.g. ``Ses01F_impro01_F000``.
        dialogue_id: Dialogue name, e.g. ``Ses01F_impro01``.
        session: Session number (1-5 in IEMOCAP).
        speaker: Speaker id unique in the corpus, e.g. ``Ses01_F``.
        gender: ``"F"`` or ``"M"``.
        start: Start time in seconds within the dialogue.
        end: End time in seconds within the dialogue.
        text_raw: Transcript as written, tags such as ``[LAUGHTER]`` included.
        text: Cleaned transcript (tags removed, whitespace folded).
        wav_path: Path of the turn's 16 kHz mono wav, or None if absent.
        label: Emotion code (``neu``, ``fru``, ...) or None when masked.
        vad: Mean valence, activation, dominance (1-5 scale), or None.
    """

    id: str
    dialogue_id: str
    session: int
    speaker: str
    gender: str
    start: float
    end: float
    text_raw: str
    text: str
    wav_path: Path | None
    label: str | None
    vad: tuple[float, float, float] | None = None

    @property
    def duration(self) -> float:
        """Length of the turn in seconds."""
        return self.end - self.start


@dataclass
class Dialogue:
    """An ordered conversation of turns (ordered by start time)."""

    id: str
    session: int
    utterances: list[Utterance] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.utterances)


@dataclass(frozen=True)
class Sample:
    """One segment of a MOSI/MOSEI-style (MMSA pickle) corpus.

    Attributes:
        id: ``video_id$_$clip_id``.
        video_id: The video (one speaker per video in MOSI).
        clip_id: The clip within the video.
        raw_text: The segment's transcript.
        text_bert: Token rows ``(3, L)``: input ids, mask, segment ids.
        audio: Audio frame features ``(Ta, da)``, float32.
        vision: Vision frame features ``(Tv, dv)``, float32.
        label: Sentiment score in [-3, 3].
        annotation: ``"Negative"``, ``"Neutral"`` or ``"Positive"``.
        split: ``"train"``, ``"valid"`` or ``"test"``.
        unimodal_labels: Per-modality scores ``{"T": ..., "A": ..., "V": ...}``
            when the file has ``regression_labels_T/A/V`` (CH-SIMS), else None.
    """

    id: str
    video_id: str
    clip_id: str
    raw_text: str
    text_bert: np.ndarray
    audio: np.ndarray
    vision: np.ndarray
    label: float
    annotation: str
    split: str
    unimodal_labels: dict[str, float] | None = None


@dataclass(frozen=True)
class Post:
    """One MVSA tweet with its image after label cleaning.

    Attributes:
        id: Post id (the file stem in ``data/``).
        text: Decoded tweet text.
        image_path: Path of the post's image.
        text_label: Cleaned text label (``positive``/``neutral``/``negative``).
        image_label: Cleaned image label.
        label: The post's multimodal label after the usual resolution rules.
    """

    id: str
    text: str
    image_path: Path
    text_label: str
    image_label: str
    label: str
