"""Writer of the IEMOCAP-like conversational corpus (``IEMOCAP_full_release`` layout).

The corpus imitates the on-disk format of IEMOCAP so that the course's real
loader (:mod:`course_lib.data.iemocap`) reads it unchanged::

    <out>/IEMOCAP_full_release/SessionN/dialog/EmoEvaluation/<dialog>.txt
    <out>/IEMOCAP_full_release/SessionN/dialog/transcriptions/<dialog>.txt
    <out>/IEMOCAP_full_release/SessionN/sentences/wav/<dialog>/<utterance>.wav
    <out>/iemocap_ground_truth.csv      (latent variables, outside the IEMOCAP tree)

Five sessions of two speakers (one female, one male, each with an eSpeak NG
voice, base pitch, pitch range, rate and loudness) hold dialogues of
alternating (sometimes consecutive) turns. Each turn has a latent emotion with
a valence and an arousal; the generator makes the phenomena of the course's
papers appear, each behind a knob of :class:`IemocapParams`:

* **text carries valence** — transcripts use positive/negative cue words
  following the turn's valence; a fraction ``uninformative_text`` of turns is
  neutral small talk, and only ``text_specificity`` of turns name the emotion
  itself (the only way text separates happy from excited, angry from
  frustrated);
* **audio carries arousal** — pitch level and range, rate and loudness rise
  with the turn's arousal (``arousal_strength``), so hap/exc and fru/ang
  differ mainly in audio;
* **context helps** — each dialogue has a dominant emotion and emotions are
  sticky from one turn to the next of a speaker (``dominance``,
  ``stickiness``);
* **speakers differ** — each speaker has an expressiveness factor and an
  arousal offset (``expressiveness``, ``speaker_arousal_bias``), so
  personalisation helps;
* **noise** — coloured background noise at ``snr_db`` (± ``snr_spread``).

Labels follow IEMOCAP's imbalance (neu and fru common, hap rare) plus a few
``xxx`` (raters disagree), ``oth`` and ``sur`` turns, with three simulated
raters written as ``C-E*``/``A-E*`` lines. Everything is drawn from
``numpy.random.default_rng([seed, ...])`` streams, so the same seed gives a
byte-identical tree.
"""

from __future__ import annotations

import csv
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from course_lib.data.records import IEMOCAP_CLASSES
from course_lib.data.synthetic import language
from course_lib.data.synthetic.speech import SAMPLE_RATE, Voice, synthesize

#: Ground-truth manifest file name (written next to ``IEMOCAP_full_release``).
MANIFEST_NAME = "iemocap_ground_truth.csv"
ROOT_NAME = "IEMOCAP_full_release"

#: Emotion codes the generator can draw as a turn's latent emotion.
LATENT_EMOTIONS: tuple[str, ...] = ("neu", "fru", "ang", "sad", "hap", "exc", "sur", "oth")

#: Latent (valence, arousal, dominance) centre of each emotion, each in [-1, 1].
EMOTION_CENTRES: dict[str, tuple[float, float, float]] = {
    "neu": (0.0, -0.15, 0.0),
    "fru": (-0.55, 0.2, 0.1),
    "ang": (-0.7, 0.9, 0.7),
    "sad": (-0.6, -0.75, -0.6),
    "hap": (0.6, 0.1, 0.3),
    "exc": (0.7, 0.85, 0.4),
    "sur": (0.25, 0.75, -0.1),
    "oth": (0.0, 0.0, 0.0),
}

#: Category names used in the ``C-`` rater lines.
CATEGORY_NAMES: dict[str, str] = {
    "neu": "Neutral",
    "fru": "Frustration",
    "ang": "Anger",
    "sad": "Sadness",
    "hap": "Happiness",
    "exc": "Excited",
    "sur": "Surprise",
    "oth": "Other",
    "fea": "Fear",
    "dis": "Disgust",
}

#: Emotions raters confuse with each one (used for disagreements).
CONFUSIONS: dict[str, tuple[str, ...]] = {
    "neu": ("fru", "sad", "hap"),
    "fru": ("ang", "neu", "sad"),
    "ang": ("fru", "dis"),
    "sad": ("neu", "fru"),
    "hap": ("exc", "neu"),
    "exc": ("hap", "sur"),
    "sur": ("exc", "hap"),
    "oth": ("neu", "fru"),
}

#: IEMOCAP-like prior of latent emotions (6-class shares from the 7,433 usual
#: turns, plus a few surprised and "other" turns).
DEFAULT_PRIORS: dict[str, float] = {
    "neu": 0.225,
    "fru": 0.245,
    "ang": 0.145,
    "sad": 0.143,
    "hap": 0.086,
    "exc": 0.138,
    "sur": 0.02,
    "oth": 0.01,
}

#: One (eSpeak voice, variant) per speaker, per session: (female, male).
SESSION_VOICES: tuple[tuple[tuple[str, str], tuple[str, str]], ...] = (
    (("en-us", "f2"), ("en-us", "m3")),
    (("en", "f3"), ("en", "m2")),
    (("en-us", "f4"), ("en-gb-x-rp", "m1")),
    (("en-gb-scotland", "f1"), ("en-us", "m7")),
    (("en-029", "f5"), ("en-us-nyc", "m4")),
)

MANIFEST_COLUMNS: tuple[str, ...] = (
    "utterance_id",
    "dialogue_id",
    "session",
    "split",
    "speaker",
    "gender",
    "label",
    "emotion",
    "dominant_emotion",
    "valence",
    "arousal",
    "dominance",
    "text_informative",
    "text_valence",
    "text_cue",
    "arousal_expressed",
    "speaker_expressiveness",
    "speaker_arousal_bias",
    "pitch",
    "pitch_range",
    "rate",
    "volume",
    "snr_db",
    "start",
    "end",
    "text",
)


@dataclass(frozen=True)
class IemocapParams:
    """Generation knobs of the IEMOCAP-like corpus (defaults: the ``full`` preset).

    Attributes:
        sessions: Number of sessions (two speakers each; at most 5 voices pairs).
        dialogues_per_session: Dialogues per session (alternating improvised/scripted).
        turns_per_dialogue: Inclusive range of turns per dialogue.
        priors: Prior of the latent emotions (IEMOCAP-like imbalance).
        xxx_rate: Share of turns whose raters disagree (label ``xxx``).
        dominance: Weight of the dialogue's dominant emotion when a new emotion
            is drawn (0 = no dialogue-level emotion; context cannot help).
        stickiness: Probability that a speaker keeps their previous emotion.
        consecutive_rate: Probability that the same speaker takes the next turn.
        latent_noise: Std of the turn's valence/arousal around its emotion's centre.
        uninformative_text: Share of turns whose text is neutral small talk.
        text_specificity: Share of informative turns naming the emotion itself.
        text_noise: Std of noise on the valence the text expresses.
        arousal_strength: How strongly arousal moves pitch, range, rate and
            loudness (0 = audio carries no emotion).
        arousal_noise: Std of turn-level noise on the expressed arousal.
        expressiveness: Range of the per-speaker factor scaling expressed arousal.
        speaker_arousal_bias: Std of a per-speaker offset of expressed arousal.
        snr_db: Mean signal-to-noise ratio of the background noise, in dB.
        snr_spread: Half-width of the uniform per-turn SNR spread, in dB.
        tag_rate: Probability of a ``[LAUGHTER]``-style tag in a transcript.
        placeholder_rate: Probability, per turn, of an extra ``MXX``/``FXX``
            transcription line without a wav (real transcripts have them).
        pause: Range of the pause between turns, in seconds.
        write_dialog_wav: Also write ``dialog/wav/<dialog>.wav`` (whole dialogue).
    """

    sessions: int = 5
    dialogues_per_session: int = 20
    turns_per_dialogue: tuple[int, int] = (25, 55)
    priors: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_PRIORS))
    xxx_rate: float = 0.07
    dominance: float = 0.5
    stickiness: float = 0.55
    consecutive_rate: float = 0.15
    latent_noise: float = 0.12
    uninformative_text: float = 0.3
    text_specificity: float = 0.2
    text_noise: float = 0.15
    arousal_strength: float = 1.0
    arousal_noise: float = 0.15
    expressiveness: tuple[float, float] = (0.55, 1.3)
    speaker_arousal_bias: float = 0.2
    snr_db: float = 25.0
    snr_spread: float = 5.0
    tag_rate: float = 0.06
    placeholder_rate: float = 0.03
    pause: tuple[float, float] = (0.15, 0.9)
    write_dialog_wav: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.sessions <= len(SESSION_VOICES):
            raise ValueError(f"sessions must be in [1, {len(SESSION_VOICES)}], got {self.sessions}")
        if (
            self.dialogues_per_session < 1
            or not 1 <= self.turns_per_dialogue[0] <= self.turns_per_dialogue[1]
        ):
            raise ValueError("need at least one dialogue per session and a valid turns_per_dialogue range")
        unknown = set(self.priors) - set(LATENT_EMOTIONS)
        if unknown or sum(self.priors.values()) <= 0:
            raise ValueError(f"priors must weigh codes of {LATENT_EMOTIONS}; unknown: {sorted(unknown)}")


#: Parameters of each size preset.
PRESETS: dict[str, IemocapParams] = {
    "tiny": IemocapParams(dialogues_per_session=5, turns_per_dialogue=(8, 14)),
    "full": IemocapParams(),
}


def split_of(session: int) -> str:
    """The papers' split: Sessions 1-3 train, 4 validation, 5 test."""
    return "train" if session <= 3 else ("valid" if session == 4 else "test")


@dataclass(frozen=True)
class _Speaker:
    id: str
    gender: str
    voice_name: str
    variant: str
    pitch: float
    pitch_range: float
    rate: float
    volume: float
    expressiveness: float
    arousal_bias: float


@dataclass
class _Turn:
    utterance_id: str
    speaker: _Speaker
    label: str
    emotion: str
    valence: float
    arousal: float
    dominance: float
    text: str
    text_informative: bool
    text_valence: float
    text_cue: str
    arousal_expressed: float
    voice: Voice
    snr_db: float
    start: float = 0.0
    end: float = 0.0
    ratings: list[str] = field(default_factory=list)
    vad: tuple[float, float, float] = (3.0, 3.0, 3.0)


def _speakers(session: int, params: IemocapParams, seed: int) -> tuple[_Speaker, _Speaker]:
    rng = np.random.default_rng([seed, 101, session])
    speakers = []
    for gender, (voice_name, variant) in zip("FM", SESSION_VOICES[session - 1]):
        low, high = (55, 72) if gender == "F" else (25, 42)
        speakers.append(
            _Speaker(
                id=f"Ses{session:02d}_{gender}",
                gender=gender,
                voice_name=voice_name,
                variant=variant,
                pitch=float(rng.uniform(low, high)),
                pitch_range=float(rng.uniform(40, 60)),
                rate=float(rng.uniform(150, 180)),
                volume=float(rng.uniform(90, 110)),
                expressiveness=float(rng.uniform(*params.expressiveness)),
                arousal_bias=float(rng.normal(0.0, params.speaker_arousal_bias)),
            )
        )
    return speakers[0], speakers[1]


def _prosody(speaker: _Speaker, arousal: float, strength: float) -> Voice:
    """Map expressed arousal to eSpeak prosody around the speaker's baseline."""
    a = arousal * strength
    return Voice(
        name=speaker.voice_name,
        variant=speaker.variant,
        pitch=int(np.clip(round(speaker.pitch + 22 * a), 0, 100)),
        pitch_range=int(np.clip(round(speaker.pitch_range + 32 * a), 0, 100)),
        rate=int(np.clip(round(speaker.rate * (1 + 0.22 * a)), 80, 450)),
        volume=int(np.clip(round(speaker.volume * (1 + 0.45 * a)), 0, 200)),
    )


def _draw(rng: np.random.Generator, weights: dict[str, float]) -> str:
    codes = list(weights)
    p = np.array([weights[c] for c in codes], dtype=np.float64)
    return codes[int(rng.choice(len(codes), p=p / p.sum()))]


def _dialogue_names(session: int, count: int) -> list[str]:
    """IEMOCAP-style names: alternating impro/script, recorded from the F or M side."""
    names, impro, script = [], 0, 0
    for index in range(count):
        side = "F" if (index // 2) % 2 == 0 else "M"
        if index % 2 == 0:
            impro += 1
            names.append(f"Ses{session:02d}{side}_impro{(impro - 1) % 9 + 1:02d}" + _suffix(impro, 9))
        else:
            script += 1
            names.append(
                f"Ses{session:02d}{side}_script{(script - 1) // 3 % 9 + 1:02d}_{(script - 1) % 3 + 1}"
                + _suffix(script, 27)
            )
    return names


def _suffix(count: int, period: int) -> str:
    """``a``/``b``... when names would repeat (as in ``Ses03M_impro05a``)."""
    lap = (count - 1) // period
    return "" if lap == 0 else "abcdefghijklmnopqrstuvwxyz"[lap - 1]


def _ratings(rng: np.random.Generator, turn: _Turn) -> tuple[list[str], tuple[float, float, float]]:
    """``C-``/``A-`` rater lines and the mean (V, A, D) on IEMOCAP's 1-5 scale."""
    raters = sorted(rng.choice(["E1", "E2", "E3", "E4"], size=3, replace=False).tolist())
    if turn.label == "xxx":
        pool = [turn.emotion, *CONFUSIONS[turn.emotion]]
        votes = [pool[i % len(pool)] for i in range(3)]
        if len(set(votes)) < 3:
            votes[2] = next(c for c in CATEGORY_NAMES if c not in votes)
        order = rng.permutation(3)
        votes = [votes[i] for i in order]
    else:
        votes = [turn.label] * 3
        dissent = int(rng.integers(3))
        if rng.random() < 0.35:
            votes[dissent] = CONFUSIONS[turn.label][int(rng.integers(len(CONFUSIONS[turn.label])))]
    lines = []
    for rater, vote in zip(raters, votes):
        categories = [CATEGORY_NAMES[vote]]
        if rng.random() < 0.15:
            extra = CONFUSIONS.get(vote, ("neu",))[0]
            categories.append(CATEGORY_NAMES[extra])
        lines.append(f"C-{rater}:\t{'; '.join(categories)};\t()")
    self_rater = f"{turn.speaker.gender}1"
    if rng.random() < 0.3:
        lines.append(f"C-{self_rater}:\t{CATEGORY_NAMES[turn.emotion]};\t()")
    scores = []
    for rater in raters:
        v, a, d = (
            int(np.clip(round(3 + 2 * x + rng.normal(0, 0.5)), 1, 5))
            for x in (turn.valence, turn.arousal, turn.dominance)
        )
        scores.append((v, a, d))
        lines.append(f"A-{rater}:\tval {v}; act {a}; dom  {d};\t()")
    mean = np.mean(np.array(scores, dtype=np.float64), axis=0)
    return lines, (float(mean[0]), float(mean[1]), float(mean[2]))


def _dominant_emotions(session: int, count: int, params: IemocapParams, seed: int) -> list[str]:
    """Dominant emotion of each dialogue of a session, following the priors closely.

    Systematic sampling: ``count`` evenly spaced points (random offset) through
    the cumulative prior of the six classes, shuffled; each session then has
    about the prior's share of dialogues dominated by each emotion.
    """
    rng = np.random.default_rng([seed, 303, session])
    codes = [c for c in IEMOCAP_CLASSES if params.priors.get(c, 0) > 0]
    cumulative = np.cumsum([params.priors[c] for c in codes])
    points = (rng.uniform() + np.arange(count)) / count * cumulative[-1]
    picks = [codes[min(int(np.searchsorted(cumulative, p, side="right")), len(codes) - 1)] for p in points]
    return [picks[i] for i in rng.permutation(count)]


def _plan_dialogue(
    rng: np.random.Generator,
    name: str,
    speakers: tuple[_Speaker, _Speaker],
    params: IemocapParams,
    dominant: str,
) -> list[_Turn]:
    """Draw the latent story of one dialogue (no audio yet)."""
    mixture = {
        code: (1 - params.dominance) * weight + (params.dominance if code == dominant else 0.0)
        for code, weight in params.priors.items()
    }
    n_turns = int(rng.integers(params.turns_per_dialogue[0], params.turns_per_dialogue[1] + 1))
    current = int(rng.integers(2))
    previous: dict[str, str] = {}
    counters = {"F": 0, "M": 0}
    turns = []
    for index in range(n_turns):
        if index > 0 and rng.random() >= params.consecutive_rate:
            current = 1 - current
        speaker = speakers[current]
        if speaker.id in previous and rng.random() < params.stickiness:
            emotion = previous[speaker.id]
        else:
            emotion = _draw(rng, mixture)
        previous[speaker.id] = emotion
        label = "xxx" if rng.random() < params.xxx_rate else emotion
        centre = EMOTION_CENTRES[emotion]
        valence, arousal, dominance = (
            float(np.clip(c + rng.normal(0, params.latent_noise), -1, 1)) for c in centre
        )
        informative = bool(rng.random() >= params.uninformative_text)
        text_valence = (
            float(np.clip(valence + rng.normal(0, params.text_noise), -1, 1)) if informative else 0.0
        )
        if informative and rng.random() < params.text_specificity:
            text = language.emotion_sentence(rng, emotion, True, specificity=1.0)[0]
            cue = emotion
        else:
            text, cue = language.sentence(rng, text_valence, informative), ""
        laughter = 0.7 if emotion in ("hap", "exc") else 0.0
        text = language.add_tags(rng, text, params.tag_rate * (2 if laughter else 1), laughter)
        expressed = (
            speaker.expressiveness * arousal + speaker.arousal_bias + rng.normal(0, params.arousal_noise)
        )
        snr = float(params.snr_db + rng.uniform(-params.snr_spread, params.snr_spread))
        utterance_id = f"{name}_{speaker.gender}{counters[speaker.gender]:03d}"
        counters[speaker.gender] += 1
        turns.append(
            _Turn(
                utterance_id=utterance_id,
                speaker=speaker,
                label=label,
                emotion=emotion,
                valence=valence,
                arousal=arousal,
                dominance=dominance,
                text=text,
                text_informative=informative,
                text_valence=text_valence,
                text_cue=cue,
                arousal_expressed=float(expressed),
                voice=_prosody(speaker, float(expressed), params.arousal_strength),
                snr_db=snr,
            )
        )
    return turns


def _noise(rng: np.random.Generator, n: int, colour: float) -> np.ndarray:
    """Unit-RMS coloured noise (white noise through a one-pole low-pass)."""
    from scipy.signal import lfilter

    white = rng.standard_normal(n + 256)
    coloured = lfilter([1.0 - colour], [1.0, -colour], white)[256:]
    return coloured / max(float(np.sqrt(np.mean(coloured**2))), 1e-12)


def _render(rng: np.random.Generator, turn: _Turn, colour: float) -> np.ndarray:
    """Speech with leading/trailing silence and background noise at the turn's SNR."""
    speech = synthesize(turn.text, turn.voice)
    lead, trail = (int(rng.uniform(0.05, 0.2) * SAMPLE_RATE) for _ in range(2))
    audio = np.concatenate([np.zeros(lead, np.float32), speech, np.zeros(trail, np.float32)])
    speech_rms = float(np.sqrt(np.mean(speech.astype(np.float64) ** 2)))
    audio = audio + _noise(rng, audio.size, colour) * speech_rms / 10 ** (turn.snr_db / 20)
    return np.clip(audio, -1.0, 1.0).astype(np.float32)


def _emo_evaluation(turns: list[_Turn]) -> str:
    lines = ["% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]", ""]
    for turn in turns:
        v, a, d = turn.vad
        lines.append(
            f"[{turn.start:.4f} - {turn.end:.4f}]\t{turn.utterance_id}\t{turn.label}\t[{v:.4f}, {a:.4f}, {d:.4f}]"
        )
        lines.extend(turn.ratings)
        lines.append("")
    return "\n".join(lines) + "\n"


def _transcription(rng: np.random.Generator, name: str, turns: list[_Turn], placeholder_rate: float) -> str:
    lines = []
    for turn in turns:
        lines.append(f"{turn.utterance_id} [{turn.start:08.4f}-{turn.end:08.4f}]: {turn.text}")
        if rng.random() < placeholder_rate:
            gender = "M" if turn.speaker.gender == "F" else "F"
            start, end = turn.end, turn.end + 0.3
            lines.append(f"{name}_{gender}XX0 [{start:08.4f}-{end:08.4f}]: [BREATHING]")
    return "\n".join(lines) + "\n"


def _write_wav(path: Path, audio: np.ndarray) -> None:
    import soundfile

    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), audio, SAMPLE_RATE, subtype="PCM_16", format="WAV")


def _manifest_row(turn: _Turn, name: str, session: int, dominant: str) -> dict[str, Any]:
    speaker = turn.speaker
    return {
        "utterance_id": turn.utterance_id,
        "dialogue_id": name,
        "session": session,
        "split": split_of(session),
        "speaker": speaker.id,
        "gender": speaker.gender,
        "label": turn.label,
        "emotion": turn.emotion,
        "dominant_emotion": dominant,
        "valence": f"{turn.valence:.4f}",
        "arousal": f"{turn.arousal:.4f}",
        "dominance": f"{turn.dominance:.4f}",
        "text_informative": int(turn.text_informative),
        "text_valence": f"{turn.text_valence:.4f}",
        "text_cue": turn.text_cue,
        "arousal_expressed": f"{turn.arousal_expressed:.4f}",
        "speaker_expressiveness": f"{speaker.expressiveness:.4f}",
        "speaker_arousal_bias": f"{speaker.arousal_bias:.4f}",
        "pitch": turn.voice.pitch,
        "pitch_range": turn.voice.pitch_range,
        "rate": turn.voice.rate,
        "volume": turn.voice.volume,
        "snr_db": f"{turn.snr_db:.2f}",
        "start": f"{turn.start:.4f}",
        "end": f"{turn.end:.4f}",
        "text": turn.text,
    }


def _write_dialogue(
    session_dir: Path,
    session: int,
    name: str,
    speakers: tuple[_Speaker, _Speaker],
    params: IemocapParams,
    seed: int,
    dialogue_index: int,
    dominant: str,
) -> tuple[list[dict[str, Any]], float]:
    rng = np.random.default_rng([seed, 202, session, dialogue_index])
    turns = _plan_dialogue(rng, name, speakers, params, dominant)
    colour = float(rng.uniform(0.6, 0.97))
    clock = float(rng.uniform(1.0, 4.0))
    pieces = []
    for turn in turns:
        audio = _render(rng, turn, colour)
        turn.start = round(clock, 4)
        turn.end = round(clock + audio.size / SAMPLE_RATE, 4)
        clock = turn.end + float(rng.uniform(*params.pause))
        turn.ratings, turn.vad = _ratings(rng, turn)
        _write_wav(session_dir / "sentences" / "wav" / name / f"{turn.utterance_id}.wav", audio)
        pieces.append((turn.start, audio))
    dialog = session_dir / "dialog"
    for folder in ("EmoEvaluation", "transcriptions"):
        (dialog / folder).mkdir(parents=True, exist_ok=True)
    (dialog / "EmoEvaluation" / f"{name}.txt").write_text(_emo_evaluation(turns), encoding="utf-8")
    (dialog / "transcriptions" / f"{name}.txt").write_text(
        _transcription(rng, name, turns, params.placeholder_rate), encoding="utf-8"
    )
    if params.write_dialog_wav:
        whole = np.zeros(int((clock + 1.0) * SAMPLE_RATE), np.float32)
        for start, audio in pieces:
            at = round(start * SAMPLE_RATE)
            whole[at : at + audio.size] += audio
        _write_wav(dialog / "wav" / f"{name}.wav", np.clip(whole, -1, 1))
    rows = [_manifest_row(turn, name, session, dominant) for turn in turns]
    return rows, sum(turn.end - turn.start for turn in turns)


def resolve_params(preset: str, **overrides: Any) -> IemocapParams:
    """The parameters of ``preset`` with some fields replaced.

    Raises:
        ValueError: for an unknown preset or field.
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; expected one of {sorted(PRESETS)}")
    try:
        return replace(PRESETS[preset], **overrides)
    except TypeError as error:
        raise ValueError(f"unknown IemocapParams field in {sorted(overrides)}") from error


def write_iemocap_corpus(
    out_dir: Path,
    preset: str = "tiny",
    seed: int = 0,
    progress: bool = True,
    params: IemocapParams | None = None,
) -> dict[str, Any]:
    """Write the IEMOCAP-like corpus and its ground-truth manifest under ``out_dir``.

    Args:
        out_dir: Folder receiving ``IEMOCAP_full_release/`` and ``iemocap_ground_truth.csv``.
        preset: ``"tiny"`` or ``"full"`` (see :data:`PRESETS`).
        seed: Seed of every random draw; the same seed gives byte-identical files.
        progress: Show a progress bar.
        params: Explicit knobs (overrides the preset's).

    Returns:
        A JSON-able summary: turn and dialogue counts, label counts per split,
        durations, the knobs used and the seconds taken.
    """
    from tqdm.auto import tqdm

    started = time.perf_counter()
    params = params or resolve_params(preset)
    out_dir = Path(out_dir)
    root = out_dir / ROOT_NAME
    jobs = []
    for session in range(1, params.sessions + 1):
        speakers = _speakers(session, params, seed)
        dominants = _dominant_emotions(session, params.dialogues_per_session, params, seed)
        for index, name in enumerate(_dialogue_names(session, params.dialogues_per_session)):
            jobs.append((session, index, name, speakers, dominants[index]))
    rows: list[dict[str, Any]] = []
    duration = 0.0
    for session, index, name, speakers, dominant in tqdm(
        jobs, desc="IEMOCAP-like", unit="dialogue", disable=not progress
    ):
        dialogue_rows, seconds = _write_dialogue(
            root / f"Session{session}", session, name, speakers, params, seed, index, dominant
        )
        rows.extend(dialogue_rows)
        duration += seconds
    with open(out_dir / MANIFEST_NAME, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        split = counts.setdefault(row["split"], {})
        split[row["label"]] = split.get(row["label"], 0) + 1
    return {
        "turns": len(rows),
        "dialogues": len(jobs),
        "speakers": 2 * params.sessions,
        "labels": {split: dict(sorted(c.items())) for split, c in sorted(counts.items())},
        "duration_total_s": round(duration, 2),
        "duration_mean_s": round(duration / max(len(rows), 1), 3),
        "params": asdict(params),
        "seconds": round(time.perf_counter() - started, 2),
    }


def _oracle_features(rows: list[dict[str, str]], side: str) -> np.ndarray:
    cues = LATENT_EMOTIONS
    features = []
    for row in rows:
        text = [float(row["text_valence"]), float(row["text_informative"])]
        text += [float(row["text_cue"] == cue) for cue in cues]
        expressed, scale = float(row["arousal_expressed"]), float(row["speaker_expressiveness"])
        bias = float(row["speaker_arousal_bias"])
        audio = [expressed, (expressed - bias) / scale, scale, bias]
        features.append({"text": text, "audio": audio, "both": text + audio}[side])
    return np.asarray(features, dtype=np.float64)


def oracle_scores(
    corpus_dir: Path, classes: tuple[str, ...] = IEMOCAP_CLASSES
) -> dict[str, dict[str, float]]:
    """Ceiling weighted F1 of a classifier that sees the generator's latent variables.

    A logistic regression is fitted on the training sessions (1-3) of the
    ground-truth manifest and scored on validation (4) and test (5), with
    three views: ``text`` (the valence the words express, whether the text is
    informative, the emotion cue named), ``audio`` (the arousal expressed in
    prosody, the speaker's expressiveness and offset, and the arousal decoded
    from them), and ``both``.

    Args:
        corpus_dir: Folder holding ``iemocap_ground_truth.csv``.
        classes: Labels kept (others, e.g. ``xxx``, are dropped).

    Returns:
        ``{"text"|"audio"|"both": {"valid": f1, "test": f1}}``.

    Raises:
        FileNotFoundError: when the manifest is missing.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    path = Path(corpus_dir) / MANIFEST_NAME
    if not path.is_file():
        raise FileNotFoundError(f"no ground-truth manifest {path}; generate the corpus first")
    with open(path, encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["label"] in classes]
    by_split = {split: [r for r in rows if r["split"] == split] for split in ("train", "valid", "test")}
    scores: dict[str, dict[str, float]] = {}
    for side in ("text", "audio", "both"):
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        model.fit(_oracle_features(by_split["train"], side), [r["label"] for r in by_split["train"]])
        scores[side] = {}
        for split in ("valid", "test"):
            if not by_split[split]:
                continue
            predicted = model.predict(_oracle_features(by_split[split], side))
            truth = [r["label"] for r in by_split[split]]
            scores[side][split] = float(f1_score(truth, predicted, average="weighted", zero_division=0))
    return scores
