"""Loader for IEMOCAP (``IEMOCAP_full_release``), real or generated.

Layout read (unchanged from the real release)::

    IEMOCAP_full_release/SessionN/dialog/EmoEvaluation/<dialog>.txt
    IEMOCAP_full_release/SessionN/dialog/transcriptions/<dialog>.txt
    IEMOCAP_full_release/SessionN/sentences/wav/<dialog>/<utterance>.wav

* **EmoEvaluation**: a ``%`` header line, then one block per turn separated by
  blank lines: a tab-separated turn line ``[start - end]  name  emotion  [V, A, D]``
  followed by per-rater ``C-…:`` (categories) and ``A-…:`` (attributes) lines.
  Only the turn lines are used; rater lines are checked for their prefix.
* **Transcriptions**: ``name [start-end]: text``. Lines that do not match or
  name no evaluated turn (noise turns, ``MXX``/``FXX`` placeholders) are
  skipped and counted in :class:`LoadReport`. Tags such as ``[LAUGHTER]`` are
  kept in ``text_raw`` and stripped from ``text``.
* **Speakers**: the gender is the first character of the utterance name's
  last ``_`` token (``Ses01F_impro01_M003`` is spoken by the male actor); the
  speaker id is ``Ses01_M``.
* Hidden files (``._Ses01F_impro01.txt`` copies left by macOS) are ignored.
* Turns are ordered by start time; labels outside ``classes`` (``xxx``,
  ``oth``, ``sur``, …) are kept with ``label=None`` (masked) and counted.

Bad input: a missing folder raises :class:`FileNotFoundError`; a malformed
line, a missing transcription file, a turn without its wav, or an empty,
unreadable, non-mono or non-16 kHz wav raises :class:`IemocapFormatError`
naming the file (and line), or, with ``errors="skip"``, drops the turn or
dialogue and counts it in the report (with a few examples), and a warning
summarises what was dropped.
"""

from __future__ import annotations

import math
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from course_lib.data.records import IEMOCAP_CLASSES, Dialogue, Utterance

__all__ = [
    "IEMOCAP_CLASSES",
    "SAMPLE_RATE",
    "IemocapFormatError",
    "LoadReport",
    "clean_text",
    "load",
    "parse_evaluation_line",
    "parse_transcription_line",
    "split_sessions",
    "split_speakers",
    "utterances",
]

#: Sample rate of IEMOCAP's sentence wavs.
SAMPLE_RATE = 16_000
ROOT_NAME = "IEMOCAP_full_release"

_NUMBER = r"(\d+(?:\.\d*)?)"
_TURN_LINE = re.compile(rf"^\[{_NUMBER} - {_NUMBER}\]\t(\S+)\t(\S+)\t\[([^\[\]]*)\]\s*$")
_RATER_LINE = re.compile(r"^[CA]-[A-Za-z]+\d*:")
_TRANSCRIPT_LINE = re.compile(rf"^(\S+) \[{_NUMBER}-{_NUMBER}\]:(.*)$")
_TAG = re.compile(r"\[[^\]]*\]")
_SESSION = re.compile(r"^Ses(\d+)")


class IemocapFormatError(ValueError):
    """Malformed IEMOCAP input; the message names the file (and line)."""


@dataclass
class LoadReport:
    """What :func:`load` read, masked and dropped.

    Attributes:
        dialogues: Dialogues returned.
        turns: Turns returned.
        masked: Label -> turns kept with ``label=None`` (outside ``classes``).
        unmatched_transcript_lines: Transcription lines skipped because they do
            not match the format or name no evaluated turn (placeholders).
        skipped: Reason -> turns or dialogues dropped (``errors="skip"``).
        examples: A few ``"file:line: reason"`` examples of what was dropped.
    """

    dialogues: int = 0
    turns: int = 0
    masked: Counter = field(default_factory=Counter)
    unmatched_transcript_lines: int = 0
    skipped: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    max_examples = 10

    def drop(self, reason: str, where: str) -> None:
        """Count one dropped record, keeping an example."""
        self.skipped[reason] += 1
        if len(self.examples) < self.max_examples:
            self.examples.append(f"{where}: {reason}")

    @property
    def total_skipped(self) -> int:
        """All turns and dialogues dropped."""
        return sum(self.skipped.values())

    def as_dict(self) -> dict:
        """The report as plain JSON-able values."""
        return {
            "dialogues": self.dialogues,
            "turns": self.turns,
            "masked": dict(sorted(self.masked.items())),
            "unmatched_transcript_lines": self.unmatched_transcript_lines,
            "skipped": dict(sorted(self.skipped.items())),
            "examples": list(self.examples),
        }

    def __str__(self) -> str:
        skipped = ", ".join(f"{k}={v}" for k, v in sorted(self.skipped.items())) or "none"
        masked = ", ".join(f"{k}={v}" for k, v in sorted(self.masked.items())) or "none"
        return (
            f"IEMOCAP: {self.dialogues} dialogues, {self.turns} turns; masked: {masked}; "
            f"unmatched transcript lines: {self.unmatched_transcript_lines}; skipped: {skipped}"
        )


def _where(path: Path | str, line_no: int | None) -> str:
    return f"{path}:{line_no}" if line_no is not None else str(path)


def _vad(field_text: str) -> tuple[float, float, float] | None:
    parts = [p.strip() for p in field_text.split(",")]
    if len(parts) != 3:
        raise ValueError(f"expected 3 comma-separated V, A, D values, got {field_text!r}")
    values = []
    for part in parts:
        if part == "" or part.lower() == "nan":
            values.append(math.nan)
            continue
        value = float(part)
        if not math.isfinite(value):
            raise ValueError(f"V, A, D value {part!r} is not finite")
        values.append(value)
    return (values[0], values[1], values[2])


def gender_of(utterance_id: str) -> str:
    """Speaker gender from the first character of the last ``_`` token.

    Raises:
        ValueError: when that character is not ``F`` or ``M``.
    """
    token = utterance_id.rsplit("_", 1)[-1]
    if "_" not in utterance_id or not token or token[0] not in "FM":
        raise ValueError(f"cannot read the speaker's gender (F/M) from {utterance_id!r}")
    return token[0]


def parse_evaluation_line(
    line: str, path: Path | str = "<EmoEvaluation>", line_no: int | None = None
) -> tuple[float, float, str, str, tuple[float, float, float] | None]:
    """Parse one EmoEvaluation turn line.

    ``[6.2901 - 8.2357]\\tSes01F_impro01_F000\\tneu\\t[2.5000, 2.5000, 2.5000]``

    Returns:
        ``(start, end, utterance_id, emotion, (V, A, D))``; missing V/A/D values are NaN.

    Raises:
        IemocapFormatError: naming ``path`` and ``line_no`` when the line is malformed.
    """
    match = _TURN_LINE.match(line.rstrip("\r\n"))
    if match is None:
        raise IemocapFormatError(f"{_where(path, line_no)}: malformed EmoEvaluation turn line {line!r}")
    start_text, end_text, name, emotion, vad_text = match.groups()
    try:
        start, end = float(start_text), float(end_text)
        vad = _vad(vad_text)
        gender_of(name)
    except ValueError as error:
        raise IemocapFormatError(f"{_where(path, line_no)}: {error} in {line!r}") from None
    if end < start:
        raise IemocapFormatError(f"{_where(path, line_no)}: turn ends ({end}) before it starts ({start})")
    return start, end, name, emotion, vad


def parse_transcription_line(
    line: str, path: Path | str = "<transcription>", line_no: int | None = None
) -> tuple[str, float, float, str] | None:
    """Parse one transcription line ``Ses01F_impro01_F000 [006.2901-008.2357]: Excuse me.``.

    Returns:
        ``(utterance_id, start, end, text_raw)``, or None for a line that does
        not have this form (real transcripts hold such lines; they are skipped).

    Raises:
        IemocapFormatError: when the line has the form but its times are
            inconsistent (end before start).
    """
    match = _TRANSCRIPT_LINE.match(line.rstrip("\r\n"))
    if match is None:
        return None
    name, start_text, end_text, text = match.groups()
    start, end = float(start_text), float(end_text)
    if end < start:
        raise IemocapFormatError(f"{_where(path, line_no)}: turn ends ({end}) before it starts ({start})")
    return name, start, end, text.strip()


def clean_text(text_raw: str) -> str:
    """Transcript without bracketed tags, whitespace folded."""
    return " ".join(_TAG.sub(" ", text_raw).split())


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        return path.read_text(encoding="latin-1").splitlines()


def read_evaluation(path: Path) -> list[tuple[float, float, str, str, tuple[float, float, float] | None]]:
    """All turn lines of one EmoEvaluation file, in file order.

    Raises:
        IemocapFormatError: for a malformed turn line, or a line that is none
            of header, blank, turn or rater line.
    """
    turns = []
    for line_no, line in enumerate(_read_lines(path), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("%"):
            continue
        if stripped.startswith("["):
            turns.append(parse_evaluation_line(line, path, line_no))
        elif not _RATER_LINE.match(stripped):
            raise IemocapFormatError(f"{path}:{line_no}: unexpected line in EmoEvaluation file: {line!r}")
    return turns


def _check_wav(path: Path) -> str | None:
    """None when ``path`` is a non-empty 16 kHz mono wav, else the problem."""
    import soundfile

    if not path.is_file():
        return "missing wav"
    try:
        info = soundfile.info(str(path))
    except (RuntimeError, soundfile.LibsndfileError) as error:
        return f"unreadable wav ({error})"
    if info.frames <= 0:
        return "empty wav"
    if info.samplerate != SAMPLE_RATE:
        return f"wav at {info.samplerate} Hz, expected {SAMPLE_RATE}"
    if info.channels != 1:
        return f"wav with {info.channels} channels, expected mono"
    return None


def find_root(root: Path | str) -> Path:
    """``root`` itself or its ``IEMOCAP_full_release`` subfolder, whichever holds ``Session*``.

    Raises:
        FileNotFoundError: when neither exists or holds a session folder.
    """
    root = Path(root).expanduser()
    for candidate in (root, root / ROOT_NAME):
        if candidate.is_dir() and any(candidate.glob("Session[0-9]*")):
            return candidate
    raise FileNotFoundError(f"no IEMOCAP session folders (Session1 ...) in {root} or {root / ROOT_NAME}")


def _session_number(folder: Path) -> int:
    return int(folder.name[len("Session") :])


class _Skip(Exception):
    """A record to drop in ``errors="skip"`` mode."""

    def __init__(self, reason: str, where: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.reason, self.where = reason, where


def _load_dialogue(
    session_dir: Path,
    session: int,
    evaluation: Path,
    classes: Sequence[str],
    check_audio: bool,
    report: LoadReport,
    errors: str,
) -> Dialogue:
    name = evaluation.stem
    turns = read_evaluation(evaluation)
    transcription = session_dir / "dialog" / "transcriptions" / evaluation.name
    if not transcription.is_file():
        raise _Skip("missing transcription file", str(transcription))
    evaluated = {turn[2] for turn in turns}
    texts: dict[str, tuple[str, int]] = {}
    for line_no, line in enumerate(_read_lines(transcription), start=1):
        parsed = parse_transcription_line(line, transcription, line_no)
        if parsed is None or parsed[0] not in evaluated:
            if line.strip():
                report.unmatched_transcript_lines += 1
            continue
        texts[parsed[0]] = (parsed[3], line_no)
    dialogue = Dialogue(id=name, session=session)
    for start, end, utterance_id, emotion, vad in sorted(turns, key=lambda t: (t[0], t[2])):
        where = str(evaluation)
        if utterance_id not in texts:
            _fail(report, errors, "turn without transcript line", f"{where} ({utterance_id})")
            continue
        text_raw, line_no = texts[utterance_id]
        wav = session_dir / "sentences" / "wav" / name / f"{utterance_id}.wav"
        problem = _check_wav(wav) if check_audio else (None if wav.is_file() else "missing wav")
        if problem is not None:
            _fail(report, errors, problem, f"{wav} (transcription {transcription}:{line_no})")
            continue
        gender = gender_of(utterance_id)
        session_match = _SESSION.match(utterance_id)
        speaker_session = int(session_match.group(1)) if session_match else session
        label = emotion if emotion in classes else None
        if label is None:
            report.masked[emotion] += 1
        dialogue.utterances.append(
            Utterance(
                id=utterance_id,
                dialogue_id=name,
                session=session,
                speaker=f"Ses{speaker_session:02d}_{gender}",
                gender=gender,
                start=start,
                end=end,
                text_raw=text_raw,
                text=clean_text(text_raw),
                wav_path=wav,
                label=label,
                vad=vad,
            )
        )
    return dialogue


def _fail(report: LoadReport, errors: str, reason: str, where: str) -> None:
    if errors == "raise":
        raise IemocapFormatError(f"{where}: {reason}")
    report.drop(reason, where)


def load(
    root: Path | str,
    classes: Sequence[str] = IEMOCAP_CLASSES,
    sessions: Iterable[int] | None = None,
    *,
    errors: str = "raise",
    check_audio: bool = True,
    report: LoadReport | None = None,
) -> list[Dialogue]:
    """Read IEMOCAP dialogues with their ordered, labelled turns.

    Args:
        root: ``IEMOCAP_full_release`` or the folder holding it.
        classes: Labels kept; other labels (``xxx``, ``oth``, ``sur``, …) become None.
        sessions: Session numbers to read (default: every ``SessionN`` folder).
        errors: ``"raise"`` (default) stops at the first bad file or turn with
            :class:`IemocapFormatError`; ``"skip"`` drops it, counts it in
            ``report`` and warns once at the end.
        check_audio: Open every wav header (16 kHz, mono, non-empty); False only
            checks that the file exists.
        report: A :class:`LoadReport` to fill (counts of masked, skipped and
            unmatched records).

    Returns:
        Dialogues sorted by session and name, turns sorted by start time.

    Raises:
        FileNotFoundError: when ``root`` or a requested session folder is missing.
        IemocapFormatError: for malformed input with ``errors="raise"``.
    """
    if errors not in ("raise", "skip"):
        raise ValueError(f"errors must be 'raise' or 'skip', got {errors!r}")
    report = report if report is not None else LoadReport()
    base = find_root(root)
    folders = sorted((p for p in base.glob("Session[0-9]*") if p.is_dir()), key=_session_number)
    if sessions is not None:
        wanted = set(sessions)
        missing = wanted - {_session_number(p) for p in folders}
        if missing:
            raise FileNotFoundError(f"no Session folder for sessions {sorted(missing)} in {base}")
        folders = [p for p in folders if _session_number(p) in wanted]
    dialogues = []
    for folder in folders:
        evaluation_dir = folder / "dialog" / "EmoEvaluation"
        if not evaluation_dir.is_dir():
            raise FileNotFoundError(f"missing folder {evaluation_dir}")
        for evaluation in sorted(
            p for p in evaluation_dir.glob("*.txt") if p.is_file() and not p.name.startswith(".")
        ):
            try:
                dialogue = _load_dialogue(
                    folder, _session_number(folder), evaluation, classes, check_audio, report, errors
                )
            except _Skip as skip:
                _fail(report, errors, skip.reason, skip.where)
                continue
            except IemocapFormatError as error:
                if errors == "raise":
                    raise
                report.drop("malformed EmoEvaluation or transcription file", str(error))
                continue
            if dialogue.utterances:
                dialogues.append(dialogue)
    report.dialogues = len(dialogues)
    report.turns = sum(len(d) for d in dialogues)
    if report.total_skipped:
        warnings.warn(f"skipped records while loading {base}: {report}", stacklevel=2)
    return dialogues


def utterances(dialogues: Iterable[Dialogue], labelled_only: bool = False) -> list[Utterance]:
    """All turns of ``dialogues`` in order (only labelled ones with ``labelled_only``)."""
    return [u for d in dialogues for u in d.utterances if not labelled_only or u.label is not None]


def split_sessions(
    dialogues: Sequence[Dialogue],
    train: Sequence[int] = (1, 2, 3),
    valid: Sequence[int] = (4,),
    test: Sequence[int] = (5,),
) -> dict[str, list[Dialogue]]:
    """The papers' split by session (default 1-3 train, 4 validation, 5 test).

    Sessions have distinct actors, so this split is speaker-independent.

    Raises:
        ValueError: when a session is in two parts.
    """
    parts = {"train": set(train), "valid": set(valid), "test": set(test)}
    if (
        (parts["train"] & parts["valid"])
        or (parts["train"] & parts["test"])
        or (parts["valid"] & parts["test"])
    ):
        raise ValueError(f"a session appears in two parts: {parts}")
    return {name: [d for d in dialogues if d.session in numbers] for name, numbers in parts.items()}


def _keep_labels_of(dialogue: Dialogue, speaker: str) -> Dialogue:
    kept = [u if u.speaker == speaker else replace(u, label=None) for u in dialogue.utterances]
    return Dialogue(id=dialogue.id, session=dialogue.session, utterances=kept)


def split_speakers(
    dialogues: Sequence[Dialogue], valid_speaker: str = "Ses05_M", test_speaker: str = "Ses05_F"
) -> dict[str, list[Dialogue]]:
    """Speaker-held-out split: validate on one actor and test on the other.

    Training gets every dialogue without the two held-out speakers. The
    validation (test) part holds the dialogues of the held-out speakers, with
    only the validation (test) speaker's turns labelled: the other turns keep
    their features as conversational context but have ``label=None``.

    Raises:
        ValueError: when a held-out speaker has no turn.
    """
    held_out = {valid_speaker, test_speaker}
    spoken = {u.speaker for d in dialogues for u in d.utterances}
    for speaker in held_out:
        if speaker not in spoken:
            raise ValueError(f"speaker {speaker!r} not found; speakers are {sorted(spoken)}")
    train = [d for d in dialogues if not held_out & {u.speaker for u in d.utterances}]
    involved = [d for d in dialogues if held_out & {u.speaker for u in d.utterances}]
    return {
        "train": train,
        "valid": [_keep_labels_of(d, valid_speaker) for d in involved],
        "test": [_keep_labels_of(d, test_speaker) for d in involved],
    }
