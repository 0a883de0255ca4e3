"""Writer of the IEMOCAP-like conversational corpus (``IEMOCAP_full_release`` layout).

The corpus imitates the on-disk format of IEMOCAP so that the course's real
loader (:mod:`course_lib.data.iemocap`) reads it unchanged::

    <out>/IEMOCAP_full_release/SessionN/dialog/EmoEvaluation/<dialog>.txt
    <out>/IEMOCAP_full_release/SessionN/dialog/transcriptions/<dialog>.txt
    <out>/IEMOCAP_full_release/SessionN/sentences/wav/<dialog>/<utterance>.wav
    <out>/iemocap_ground_truth.csv      (latent variables, outside the IEMOCAP tree)

Five sessions of two speakers (one female, one male, each with an eSpeak NG
voice, base pitch, pitch range and rate) hold dialogues of alternating
(sometimes consecutive) turns. Each turn has a latent emotion with a valence
and an arousal; the phenomena the course's papers meet appear for the reasons
they appear in IEMOCAP, each behind a knob of :class:`IemocapParams`:

* **turns of one to several sentences** — the number of words of a turn is
  log-normal (``words_per_turn``, ``words_spread``), so durations have
  IEMOCAP's shape: a mean of about 4.5 s and a long right tail;
* **improvised and scripted dialogues** — improvised turns are composed
  afresh (:mod:`.language`) and rarely repeat, while scripted dialogues
  perform fixed scripts: as in IEMOCAP, the same script lines are spoken in
  every session (by other actors, with emotions that may differ from the
  script's, ``script_fidelity``), so they occur verbatim in every split;
* **text carries valence, and some arousal** — the words follow the turn's
  valence (``text_noise``; ``uninformative_text`` of turns are small talk),
  ``text_arousal_leak`` of the arousal shows in word choice (``furious`` or
  ``annoyed``, intensifiers, hedges) and ``text_specificity`` of expressive
  sentences name the emotion;
* **audio carries arousal, and some valence** — pitch level and range and
  speaking rate rise with the expressed arousal (``arousal_strength``), and
  ``audio_valence_leak`` moves pitch range and rate with valence;
* **labels are rater votes** — three raters perceive each turn's valence and
  arousal with noise (``rater_noise``) and vote for the nearest emotion; the
  label is the majority, ``xxx`` when all three differ; the ``C-``/``A-``
  lines are the votes drawn, the manifest keeps the latent emotion;
* **context helps** — each dialogue has a dominant emotion and emotions are
  sticky from one turn to the next of a speaker (``dominance``,
  ``stickiness``);
* **speakers differ** — each speaker has an expressiveness factor and an
  arousal offset (``expressiveness``, ``speaker_arousal_bias``);
* **recording without label shortcuts** — each turn is peak-normalised below
  full scale (never clipped) and scaled by its speaker's microphone gain
  (``mic_gain``); background noise has a level and colour per session
  (``noise_db``, ``noise_spread_db``), independent of emotions and of the
  speech level.

Everything is drawn from ``numpy.random.default_rng([seed, ...])`` streams, so
the same seed gives a byte-identical tree.
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

#: Categories raters vote for: the nearest centre (in valence and arousal) to what they perceive.
RATED_EMOTIONS: tuple[str, ...] = ("neu", "fru", "ang", "sad", "hap", "exc", "sur")

#: Category names used in the ``C-`` rater lines.
CATEGORY_NAMES: dict[str, str] = {
    "neu": "Neutral",
    "fru": "Frustration",
    "ang": "Anger",
    "sad": "Sadness",
    "hap": "Happiness",
    "exc": "Excited",
    "sur": "Surprise",
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
    "scripted",
    "label",
    "votes",
    "emotion",
    "dominant_emotion",
    "valence",
    "arousal",
    "dominance",
    "text_informative",
    "text_valence",
    "text_arousal",
    "text_cue",
    "arousal_expressed",
    "valence_expressed",
    "speaker_expressiveness",
    "speaker_arousal_bias",
    "pitch",
    "pitch_range",
    "rate",
    "gain",
    "noise_db",
    "start",
    "end",
    "text",
)


@dataclass(frozen=True)
class IemocapParams:
    """Generation knobs of the IEMOCAP-like corpus (defaults: the ``full`` preset).

    The defaults are calibrated on the ``full`` preset (seed 0) so that, as in
    the course's paper, text alone beats audio alone and fusing both gains a
    few points: linear probes (:func:`course_lib.data.diagnostics.iemocap.iemocap_probe`)
    give test weighted F1 of about 0.49 (text), 0.39 (audio) and 0.54 (both).
    ``text_arousal_leak=0`` and ``audio_valence_leak=0`` give the "orthogonal"
    world where words carry only valence and the voice only arousal.

    Attributes:
        sessions: Number of sessions (two speakers each; at most 5 voices pairs).
        dialogues_per_session: Dialogues per session (alternating improvised/scripted).
        turns_per_dialogue: Inclusive range of turns per dialogue.
        priors: Prior of the latent emotions (IEMOCAP-like imbalance).
        dominance: Weight of the dialogue's dominant emotion when a new emotion
            is drawn (0 = no dialogue-level emotion; context cannot help).
        stickiness: Probability that a speaker keeps their previous emotion.
        consecutive_rate: Probability that the same speaker takes the next turn.
        latent_noise: Std of the turn's valence/arousal around its emotion's centre.
        words_per_turn: Median number of words of a turn (sets the durations).
        words_spread: Log-normal spread of the words per turn (the duration tail).
        script_fidelity: Probability that a scripted line is performed with the
            emotion it was written for.
        uninformative_text: Share of turns whose text is emotionless small talk.
        text_specificity: Share of expressive sentences naming the emotion itself.
        text_noise: Std of noise on the valence the text expresses.
        text_arousal_leak: Share of the latent arousal shown in word choice
            (0 = words say nothing about arousal).
        arousal_strength: How strongly arousal moves pitch, range and rate
            (0 = the voice carries no arousal).
        audio_valence_leak: How strongly valence moves pitch range and rate
            (0 = the voice says nothing about valence).
        arousal_noise: Std of turn-level noise on the arousal and valence the voice expresses.
        expressiveness: Range of the per-speaker factor scaling what the voice expresses.
        speaker_arousal_bias: Std of a per-speaker offset of expressed arousal.
        rater_noise: Std of each rater's perception of valence and arousal
            (0 = raters always agree, no ``xxx``).
        mic_gain: Range of the per-speaker microphone gain (peak level of the speech).
        noise_db: Mean level of the background noise, in dB relative to full scale.
        noise_spread_db: Half-width of the uniform per-session noise level spread, in dB.
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
    dominance: float = 0.5
    stickiness: float = 0.55
    consecutive_rate: float = 0.15
    latent_noise: float = 0.12
    words_per_turn: float = 8.5
    words_spread: float = 0.6
    script_fidelity: float = 0.7
    uninformative_text: float = 0.2
    text_specificity: float = 0.2
    text_noise: float = 0.2
    text_arousal_leak: float = 0.9
    arousal_strength: float = 1.0
    audio_valence_leak: float = 0.3
    arousal_noise: float = 0.28
    expressiveness: tuple[float, float] = (0.55, 1.3)
    speaker_arousal_bias: float = 0.2
    rater_noise: float = 0.38
    mic_gain: tuple[float, float] = (0.3, 0.85)
    noise_db: float = -48.0
    noise_spread_db: float = 6.0
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
        if not 0 < self.mic_gain[0] <= self.mic_gain[1] <= 0.9:
            raise ValueError(f"mic_gain must be a range within (0, 0.9], got {self.mic_gain}")


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
    gain: float
    expressiveness: float
    arousal_bias: float


@dataclass(frozen=True)
class _Line:
    """A written line: who says it, the emotion and latent point it was written for, its words."""

    role: int
    emotion: str
    point: tuple[float, float, float]
    text: str
    informative: bool
    text_valence: float
    text_arousal: float
    named: bool


@dataclass(frozen=True)
class _Vote:
    category: str
    extra: str | None
    vad: tuple[int, int, int]


@dataclass
class _Turn:
    utterance_id: str
    speaker: _Speaker
    line: _Line
    emotion: str
    point: tuple[float, float, float]
    votes: list[_Vote]
    label: str
    arousal_expressed: float
    valence_expressed: float
    voice: Voice
    start: float = 0.0
    end: float = 0.0

    @property
    def text(self) -> str:
        return self.line.text


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
                gain=float(rng.uniform(*params.mic_gain)),
                expressiveness=float(rng.uniform(*params.expressiveness)),
                arousal_bias=float(rng.normal(0.0, params.speaker_arousal_bias)),
            )
        )
    return speakers[0], speakers[1]


def _prosody(speaker: _Speaker, arousal: float, valence: float, params: IemocapParams) -> Voice:
    """Map expressed arousal and valence to eSpeak prosody around the speaker's baseline."""
    a = arousal * params.arousal_strength
    v = valence * params.audio_valence_leak
    return Voice(
        name=speaker.voice_name,
        variant=speaker.variant,
        pitch=int(np.clip(round(speaker.pitch + 20 * a + 6 * v), 0, 100)),
        pitch_range=int(np.clip(round(speaker.pitch_range + 22 * a + 30 * v), 0, 100)),
        rate=int(np.clip(round(speaker.rate * (1 + 0.2 * a - 0.12 * v)), 80, 450)),
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


def _script_key(name: str) -> str:
    """``script01_2`` for ``Ses03M_script01_2``: the script every session performs under that name."""
    return name.split("_", 1)[1]


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


def _mixture(params: IemocapParams, dominant: str) -> dict[str, float]:
    return {
        code: (1 - params.dominance) * weight + (params.dominance if code == dominant else 0.0)
        for code, weight in params.priors.items()
    }


def _latent_point(rng: np.random.Generator, emotion: str, noise: float) -> tuple[float, float, float]:
    v, a, d = (float(np.clip(c + rng.normal(0, noise), -1, 1)) for c in EMOTION_CENTRES[emotion])
    return v, a, d


def _n_words(rng: np.random.Generator, params: IemocapParams) -> int:
    """Log-normal number of words (median ``words_per_turn``), capped at 60."""
    return int(min(60, max(1, round(params.words_per_turn * np.exp(rng.normal(0, params.words_spread))))))


def _write_line(rng: np.random.Generator, role: int, emotion: str, params: IemocapParams) -> _Line:
    """The words of a line written for ``emotion`` (arousal leaks into them by ``text_arousal_leak``)."""
    point = _latent_point(rng, emotion, params.latent_noise)
    informative = bool(rng.random() >= params.uninformative_text)
    text_valence = float(np.clip(point[0] + rng.normal(0, params.text_noise), -1, 1)) if informative else 0.0
    leak = params.text_arousal_leak
    text_arousal = float(leak * point[1] + (1 - leak) * rng.uniform(-1, 1))
    expression = language.Expression(
        emotion, text_valence, text_arousal, informative, params.text_specificity
    )
    text, named = language.turn_text(rng, expression, _n_words(rng, params))
    laughter = 0.7 if emotion in ("hap", "exc") else 0.0
    text = language.add_tags(rng, text, params.tag_rate * (2 if laughter else 1), laughter)
    return _Line(role, emotion, point, text, informative, text_valence, text_arousal, named)


def _write_lines(rng: np.random.Generator, params: IemocapParams, dominant: str) -> list[_Line]:
    """The lines of a dialogue: speaker turns, sticky emotions around the dominant one, words."""
    mixture = _mixture(params, dominant)
    n_turns = int(rng.integers(params.turns_per_dialogue[0], params.turns_per_dialogue[1] + 1))
    role = int(rng.integers(2))
    previous: dict[int, str] = {}
    lines = []
    for index in range(n_turns):
        if index > 0 and rng.random() >= params.consecutive_rate:
            role = 1 - role
        if role in previous and rng.random() < params.stickiness:
            emotion = previous[role]
        else:
            emotion = _draw(rng, mixture)
        previous[role] = emotion
        lines.append(_write_line(rng, role, emotion, params))
    return lines


def _script(name: str, params: IemocapParams, seed: int) -> tuple[str, list[_Line]]:
    """The script performed under ``name`` in every session: its dominant emotion and lines."""
    key = _script_key(name)
    rng = np.random.default_rng([seed, 505, *key.encode()])
    codes = [c for c in IEMOCAP_CLASSES if params.priors.get(c, 0) > 0]
    dominant = _draw(rng, {c: params.priors[c] for c in codes})
    return dominant, _write_lines(rng, params, dominant)


def _perceive(rng: np.random.Generator, point: tuple[float, float, float], noise: float) -> _Vote:
    """One rater's vote: the emotions nearest to a noisy perception of the turn."""
    seen = np.asarray(point) + rng.normal(0, noise, 3)
    distances = [
        float(np.hypot(seen[0] - EMOTION_CENTRES[c][0], seen[1] - EMOTION_CENTRES[c][1]))
        for c in RATED_EMOTIONS
    ]
    order = np.argsort(distances, kind="stable")
    extra = RATED_EMOTIONS[int(order[1])] if rng.random() < 0.15 else None
    v, a, d = (int(np.clip(round(3 + 2 * x), 1, 5)) for x in seen)
    return _Vote(RATED_EMOTIONS[int(order[0])], extra, (v, a, d))


def _majority(votes: list[_Vote]) -> str:
    """The category at least two raters chose, else ``xxx``."""
    categories = [vote.category for vote in votes]
    for category in categories:
        if categories.count(category) >= 2:
            return category
    return "xxx"


def _perform(
    rng: np.random.Generator,
    name: str,
    lines: list[_Line],
    speakers: tuple[_Speaker, _Speaker],
    params: IemocapParams,
    mixture: dict[str, float] | None,
) -> list[_Turn]:
    """Actors perform ``lines``; with a ``mixture`` (scripts) an emotion may differ from the written one."""
    counters = {"F": 0, "M": 0}
    turns = []
    for line in lines:
        speaker = speakers[line.role]
        emotion, point = line.emotion, line.point
        if mixture is not None and rng.random() >= params.script_fidelity:
            emotion = _draw(rng, mixture)
            point = _latent_point(rng, emotion, params.latent_noise)
        arousal = (
            speaker.expressiveness * point[1] + speaker.arousal_bias + rng.normal(0, params.arousal_noise)
        )
        valence = speaker.expressiveness * point[0] + rng.normal(0, params.arousal_noise)
        votes = [_perceive(rng, point, params.rater_noise) for _ in range(3)]
        turns.append(
            _Turn(
                utterance_id=f"{name}_{speaker.gender}{counters[speaker.gender]:03d}",
                speaker=speaker,
                line=line,
                emotion=emotion,
                point=point,
                votes=votes,
                label=_majority(votes),
                arousal_expressed=float(arousal),
                valence_expressed=float(valence),
                voice=_prosody(speaker, float(arousal), float(valence), params),
            )
        )
        counters[speaker.gender] += 1
    return turns


def _noise(rng: np.random.Generator, n: int, colour: float) -> np.ndarray:
    """Unit-RMS coloured noise (white noise through a one-pole low-pass)."""
    from scipy.signal import lfilter

    white = rng.standard_normal(n + 256)
    coloured = lfilter([1.0 - colour], [1.0, -colour], white)[256:]
    return coloured / max(float(np.sqrt(np.mean(coloured**2))), 1e-12)


@dataclass(frozen=True)
class _Room:
    """Background noise of a session's recordings: level (dBFS) and colour."""

    noise_db: float
    colour: float


def _room(session: int, params: IemocapParams, seed: int) -> _Room:
    rng = np.random.default_rng([seed, 404, session])
    spread = params.noise_spread_db
    return _Room(float(params.noise_db + rng.uniform(-spread, spread)), float(rng.uniform(0.6, 0.97)))


def _render(rng: np.random.Generator, turn: _Turn, room: _Room) -> np.ndarray:
    """Speech peak-normalised to the speaker's gain, silences, and the room's noise (level fixed in dBFS)."""
    speech = synthesize(turn.text, turn.voice).astype(np.float64)
    speech *= turn.speaker.gain * rng.uniform(0.9, 1.0) / max(float(np.max(np.abs(speech))), 1e-9)
    lead, trail = (int(rng.uniform(0.05, 0.3) * SAMPLE_RATE) for _ in range(2))
    audio = np.concatenate([np.zeros(lead), speech, np.zeros(trail)])
    audio += _noise(rng, audio.size, room.colour) * 10 ** (room.noise_db / 20)
    return audio.astype(np.float32)


def _emo_evaluation(turns: list[_Turn]) -> str:
    lines = ["% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]", ""]
    for turn in turns:
        v, a, d = (float(np.mean([vote.vad[i] for vote in turn.votes])) for i in range(3))
        lines.append(
            f"[{turn.start:.4f} - {turn.end:.4f}]\t{turn.utterance_id}\t{turn.label}\t[{v:.4f}, {a:.4f}, {d:.4f}]"
        )
        for rater, vote in zip(("E1", "E2", "E3"), turn.votes):
            names = [CATEGORY_NAMES[c] for c in (vote.category, vote.extra) if c is not None]
            lines.append(f"C-{rater}:\t{'; '.join(names)};\t()")
        for rater, vote in zip(("E1", "E2", "E3"), turn.votes):
            lines.append(f"A-{rater}:\tval {vote.vad[0]}; act {vote.vad[1]}; dom  {vote.vad[2]};\t()")
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


def _manifest_row(turn: _Turn, name: str, session: int, dominant: str, room: _Room) -> dict[str, Any]:
    speaker, line = turn.speaker, turn.line
    return {
        "utterance_id": turn.utterance_id,
        "dialogue_id": name,
        "session": session,
        "split": split_of(session),
        "speaker": speaker.id,
        "gender": speaker.gender,
        "scripted": int("_script" in name),
        "label": turn.label,
        "votes": " ".join(vote.category for vote in turn.votes),
        "emotion": turn.emotion,
        "dominant_emotion": dominant,
        "valence": f"{turn.point[0]:.4f}",
        "arousal": f"{turn.point[1]:.4f}",
        "dominance": f"{turn.point[2]:.4f}",
        "text_informative": int(line.informative),
        "text_valence": f"{line.text_valence:.4f}",
        "text_arousal": f"{line.text_arousal:.4f}",
        "text_cue": line.emotion if line.named else "",
        "arousal_expressed": f"{turn.arousal_expressed:.4f}",
        "valence_expressed": f"{turn.valence_expressed:.4f}",
        "speaker_expressiveness": f"{speaker.expressiveness:.4f}",
        "speaker_arousal_bias": f"{speaker.arousal_bias:.4f}",
        "pitch": turn.voice.pitch,
        "pitch_range": turn.voice.pitch_range,
        "rate": turn.voice.rate,
        "gain": f"{speaker.gain:.4f}",
        "noise_db": f"{room.noise_db:.2f}",
        "start": f"{turn.start:.4f}",
        "end": f"{turn.end:.4f}",
        "text": turn.text,
    }


@dataclass(frozen=True)
class _Job:
    """One dialogue to write."""

    session: int
    index: int
    name: str
    speakers: tuple[_Speaker, _Speaker]
    dominant: str
    room: _Room


def _plan(job: _Job, params: IemocapParams, seed: int) -> tuple[str, list[_Turn]]:
    """The dialogue's dominant emotion and performed turns (improvised, or a script performed)."""
    rng = np.random.default_rng([seed, 202, job.session, job.index])
    if "_script" in job.name:
        dominant, lines = _script(job.name, params, seed)
        return dominant, _perform(rng, job.name, lines, job.speakers, params, _mixture(params, dominant))
    lines = _write_lines(rng, params, job.dominant)
    return job.dominant, _perform(rng, job.name, lines, job.speakers, params, None)


def _write_dialogue(root: Path, job: _Job, params: IemocapParams, seed: int) -> list[dict[str, Any]]:
    dominant, turns = _plan(job, params, seed)
    rng = np.random.default_rng([seed, 606, job.session, job.index])
    session_dir = root / f"Session{job.session}"
    clock = float(rng.uniform(1.0, 4.0))
    pieces = []
    for turn in turns:
        audio = _render(rng, turn, job.room)
        turn.start = round(clock, 4)
        turn.end = round(clock + audio.size / SAMPLE_RATE, 4)
        clock = turn.end + float(rng.uniform(*params.pause))
        _write_wav(session_dir / "sentences" / "wav" / job.name / f"{turn.utterance_id}.wav", audio)
        pieces.append((turn.start, audio))
    dialog = session_dir / "dialog"
    for folder in ("EmoEvaluation", "transcriptions"):
        (dialog / folder).mkdir(parents=True, exist_ok=True)
    (dialog / "EmoEvaluation" / f"{job.name}.txt").write_text(_emo_evaluation(turns), encoding="utf-8")
    (dialog / "transcriptions" / f"{job.name}.txt").write_text(
        _transcription(rng, job.name, turns, params.placeholder_rate), encoding="utf-8"
    )
    if params.write_dialog_wav:
        whole = np.zeros(int((clock + 1.0) * SAMPLE_RATE), np.float32)
        for start, audio in pieces:
            at = round(start * SAMPLE_RATE)
            whole[at : at + audio.size] += audio
        _write_wav(dialog / "wav" / f"{job.name}.wav", whole)
    return [_manifest_row(turn, job.name, job.session, dominant, job.room) for turn in turns]


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


def _jobs(params: IemocapParams, seed: int) -> list[_Job]:
    jobs = []
    for session in range(1, params.sessions + 1):
        speakers = _speakers(session, params, seed)
        dominants = _dominant_emotions(session, params.dialogues_per_session, params, seed)
        room = _room(session, params, seed)
        for index, name in enumerate(_dialogue_names(session, params.dialogues_per_session)):
            jobs.append(_Job(session, index, name, speakers, dominants[index], room))
    return jobs


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
    jobs = _jobs(params, seed)
    rows: list[dict[str, Any]] = []
    for job in tqdm(jobs, desc="IEMOCAP-like", unit="dialogue", disable=not progress):
        rows.extend(_write_dialogue(out_dir / ROOT_NAME, job, params, seed))
    with open(out_dir / MANIFEST_NAME, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        split = counts.setdefault(row["split"], {})
        split[row["label"]] = split.get(row["label"], 0) + 1
    duration = sum(float(row["end"]) - float(row["start"]) for row in rows)
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


def read_manifest(corpus_dir: Path) -> list[dict[str, str]]:
    """The rows of ``iemocap_ground_truth.csv`` (one per turn, see :data:`MANIFEST_COLUMNS`).

    Raises:
        FileNotFoundError: when the manifest is missing (e.g. beside the real IEMOCAP).
    """
    path = Path(corpus_dir) / MANIFEST_NAME
    if not path.is_file():
        raise FileNotFoundError(f"no ground-truth manifest {path}; generate the corpus first")
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _speaker_normalised(rows: list[dict[str, str]], column: str) -> np.ndarray:
    """``column`` standardised within each speaker."""
    values = np.array([float(row[column]) for row in rows])
    speakers = np.array([row["speaker"] for row in rows])
    for speaker in sorted(set(speakers)):
        mask = speakers == speaker
        values[mask] = (values[mask] - values[mask].mean()) / max(float(values[mask].std()), 1e-9)
    return values


def _oracle_features(rows: list[dict[str, str]], side: str) -> np.ndarray:
    text = [[float(r["text_valence"]), float(r["text_arousal"]), float(r["text_informative"])] for r in rows]
    text = [t + [float(r["text_cue"] == cue) for cue in LATENT_EMOTIONS] for t, r in zip(text, rows)]
    audio = np.stack(
        [_speaker_normalised(rows, "arousal_expressed"), _speaker_normalised(rows, "valence_expressed")],
        axis=1,
    )
    views = {"text": np.asarray(text), "audio": audio}
    views["both"] = np.concatenate([views["text"], audio], axis=1)
    return views[side]


def oracle_scores(
    corpus_dir: Path, classes: tuple[str, ...] = IEMOCAP_CLASSES
) -> dict[str, dict[str, float]]:
    """Ceiling weighted F1 using the generator's latent variables, with speaker normalisation.

    A logistic regression is fitted on the training sessions (1-3) of the
    ground-truth manifest and scored on validation (4) and test (5), with
    three views: ``text`` (the valence and arousal the words express, whether
    the text is informative, the emotion named), ``audio`` (the arousal and
    valence the voice expresses, standardised within each speaker) and
    ``both``. The labels are the raters' majority votes, so rater noise keeps
    even this ceiling below 1.

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

    rows = [row for row in read_manifest(corpus_dir) if row["label"] in classes]
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
