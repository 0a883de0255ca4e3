"""Loader for IEMOCAP (``IEMOCAP_full_release``), real or generated.

Layout read (unchanged from the real release)::

    IEMOCAP_full_release/SessionN/dialog/EmoEvaluation/<dialog>.txt
    IEMOCAP_full_release/SessionN/dialog/transcriptions/<dialog>.txt
    IEMOCAP_full_release/SessionN/sentences/wav/<dialog>/<utterance>.wav

* **EmoEvaluation**: a ``%`` header line, then one block per turn separated by
  blank lines: a tab-separated turn line ``[start - end]  name  emotion  [V, A, D]``
  followed by per-rater ``C-…:`` (categories) and ``A-…:`` (attributes) lines.
  Only the turn lines are used; rater lines are checked for their prefix.
  Emotion codes are case-insensitive (``EXC`` is ``exc``).
* **Transcriptions**: ``name [start-end]: text``. Lines that do not match or
  name no evaluated turn (noise turns, ``MXX``/``FXX`` placeholders) are
  skipped and counted in :class:`LoadReport`. Tags such as ``[LAUGHTER]`` are
  kept in ``text_raw`` and stripped from ``text``.
* **Text files** may start with a byte-order mark and end lines with CRLF.
  Files not in UTF-8 are decoded as described in :mod:`course_lib.data.fileio`
  (latin-1 -- a few real transcripts --, UTF-16, GBK, ...), counted per
  encoding in the report and named in the closing warning; lines whose
  encoding cannot be told are bad lines (see below).
* **Speakers**: the gender is the first character of the utterance name's
  last ``_`` token (``Ses01F_impro01_M003`` is spoken by the male actor); the
  speaker id is ``Ses01_M``.
* Hidden files (``._Ses01F_impro01.txt`` copies left by macOS) are ignored.
* Turns are ordered by start time; labels outside ``classes`` (``xxx``,
  ``oth``, ``sur``, …) are kept with ``label=None`` (masked) and counted.

Bad input: a missing folder raises :class:`FileNotFoundError`. Everything
else raises :class:`IemocapFormatError` naming the file (and line for text
files): a malformed or undecodable line, a turn or transcript line repeating
an utterance id, an EmoEvaluation file without turns, a missing transcription
file, a turn without its transcript line or wav, an empty, truncated,
unreadable, non-mono or non-16 kHz wav. With ``errors="skip"`` the smallest
unit is dropped instead -- the line, the turn (a repeated id keeps its first
occurrence), or the dialogue when its files are missing or empty -- and
:class:`LoadReport` counts each drop by kind and reason, with a few examples;
one warning at the end summarises the report.
"""

from __future__ import annotations

import math
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from course_lib.data.fileio import read_text_file, truncated_wav
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

_Turn = tuple[float, float, str, str, tuple[float, float, float] | None]


class IemocapFormatError(ValueError):
    """Malformed IEMOCAP input; the message names the file (and line)."""


def _counts(counter: Counter) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(counter.items())) or "none"


@dataclass
class LoadReport:
    """What :func:`load` read, masked, re-decoded and dropped.

    Attributes:
        dialogues: Dialogues returned.
        turns: Turns returned.
        masked: Label -> turns kept with ``label=None`` (outside ``classes``).
        unmatched_transcript_lines: Transcription lines skipped because they do
            not match the format or name no evaluated turn (placeholders).
        dialogues_skipped: Reason -> dialogues dropped whole (``errors="skip"``).
        turns_skipped: Reason -> turns dropped, alone or with their dialogue.
        lines_skipped: Reason -> malformed or undecodable lines ignored.
        duplicates: Kind -> lines repeating an utterance id, ignored (the
            first occurrence is kept).
        encodings: Encoding -> text files that were not UTF-8 and were decoded
            with it (``latin-1``, ``utf-16``, ``gb2312``, ...).
        examples: A few ``"file:line: reason"`` examples of the problems.
    """

    dialogues: int = 0
    turns: int = 0
    masked: Counter = field(default_factory=Counter)
    unmatched_transcript_lines: int = 0
    dialogues_skipped: Counter = field(default_factory=Counter)
    turns_skipped: Counter = field(default_factory=Counter)
    lines_skipped: Counter = field(default_factory=Counter)
    duplicates: Counter = field(default_factory=Counter)
    encodings: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    max_examples = 10

    def note(self, counter: Counter, key: str, message: str, count: int = 1) -> None:
        """Add ``count`` to ``counter[key]``, keeping ``message`` as an example."""
        counter[key] += count
        if len(self.examples) < self.max_examples:
            self.examples.append(message)

    @property
    def skipped(self) -> Counter:
        """Reason -> dialogues, turns and lines dropped plus duplicates ignored, in one counter."""
        return self.dialogues_skipped + self.turns_skipped + self.lines_skipped + self.duplicates

    @property
    def total_skipped(self) -> int:
        """Everything dropped or ignored because of bad input (all of :attr:`skipped`)."""
        return sum(self.skipped.values())

    def as_dict(self) -> dict:
        """The report as plain JSON-able values."""
        return {
            "dialogues": self.dialogues,
            "turns": self.turns,
            "masked": dict(sorted(self.masked.items())),
            "unmatched_transcript_lines": self.unmatched_transcript_lines,
            "dialogues_skipped": dict(sorted(self.dialogues_skipped.items())),
            "turns_skipped": dict(sorted(self.turns_skipped.items())),
            "lines_skipped": dict(sorted(self.lines_skipped.items())),
            "duplicates": dict(sorted(self.duplicates.items())),
            "encodings": dict(sorted(self.encodings.items())),
            "examples": list(self.examples),
        }

    def __str__(self) -> str:
        parts = [
            f"IEMOCAP: {self.dialogues} dialogues, {self.turns} turns",
            f"masked: {_counts(self.masked)}",
            f"unmatched transcript lines: {self.unmatched_transcript_lines}",
        ]
        skipped = [
            f"{sum(counter.values())} {unit} ({_counts(counter)})"
            for unit, counter in (
                ("dialogues", self.dialogues_skipped),
                ("turns", self.turns_skipped),
                ("lines", self.lines_skipped),
            )
            if counter
        ]
        parts.append(f"skipped: {', '.join(skipped) or 'none'}")
        if self.duplicates:
            parts.append(f"repeated ids ignored (first kept): {_counts(self.duplicates)}")
        if self.encodings:
            parts.append(f"files not in UTF-8: {_counts(self.encodings)}")
        return "; ".join(parts)


@dataclass
class _Policy:
    """Raise (``errors="raise"``) or count in the report (``errors="skip"``) each problem."""

    report: LoadReport
    errors: str

    def _handle(self, counter: Counter, reason: str, message: str, count: int = 1) -> None:
        if self.errors == "raise":
            raise IemocapFormatError(message)
        self.report.note(counter, reason, message, count)

    def line(self, reason: str, message: str) -> None:
        """A line that is ignored."""
        self._handle(self.report.lines_skipped, reason, message)

    def turn(self, reason: str, message: str) -> None:
        """A turn that is dropped."""
        self._handle(self.report.turns_skipped, reason, message)

    def duplicate(self, kind: str, message: str) -> None:
        """A line repeating an utterance id (the first occurrence stays)."""
        self._handle(self.report.duplicates, kind, message)

    def dialogue(self, reason: str, message: str, turns: int = 0) -> None:
        """A dialogue dropped whole, with its ``turns`` known turns."""
        self._handle(self.report.dialogues_skipped, reason, message)
        if turns:
            self.report.turns_skipped[reason] += turns


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
        ``(start, end, utterance_id, emotion, (V, A, D))``: the emotion code in
        lower case, missing V/A/D values as NaN.

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
    return start, end, name, emotion.lower(), vad


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


def _read_lines(path: Path, policy: _Policy) -> list[tuple[int, str]]:
    """Numbered lines of a text file; lines in an undetected encoding are reported and left out."""
    decoded = read_text_file(path)
    lines = list(enumerate(decoded.text.splitlines(), start=1))
    if decoded.plausible:
        if not decoded.is_utf8:
            policy.report.note(
                policy.report.encodings, decoded.encoding, f"{path}: not UTF-8, read as {decoded.encoding}"
            )
        return lines
    kept = []
    for line_no, line in lines:
        if line.isascii():
            kept.append((line_no, line))
        else:
            policy.line(
                "undetected text encoding",
                f"{path}:{line_no}: text in an undetected encoding (not UTF-8, latin-1, UTF-16 or CJK)",
            )
    return kept


def _evaluation_turns(path: Path, policy: _Policy) -> list[tuple[int, _Turn]]:
    """``(line number, turn)`` for each turn line of an EmoEvaluation file, in file order."""
    turns: list[tuple[int, _Turn]] = []
    first_line: dict[str, int] = {}
    for line_no, line in _read_lines(path, policy):
        stripped = line.strip()
        if not stripped or stripped.startswith("%"):
            continue
        if not stripped.startswith("["):
            if not _RATER_LINE.match(stripped):
                policy.line(
                    "unexpected line in EmoEvaluation file",
                    f"{path}:{line_no}: unexpected line in EmoEvaluation file: {line!r}",
                )
            continue
        try:
            turn = parse_evaluation_line(line, path, line_no)
        except IemocapFormatError as error:
            policy.turn("malformed EmoEvaluation turn line", str(error))
            continue
        name = turn[2]
        if name in first_line:
            policy.duplicate(
                "EmoEvaluation turn",
                f"{path}:{line_no}: turn {name} is already evaluated at line {first_line[name]}",
            )
            continue
        first_line[name] = line_no
        turns.append((line_no, turn))
    return turns


def read_evaluation(path: Path) -> list[_Turn]:
    """All turn lines of one EmoEvaluation file, in file order.

    Raises:
        IemocapFormatError: for a malformed turn line, a line that is none of
            header, blank, turn or rater line, or a repeated utterance id.
    """
    return [turn for _, turn in _evaluation_turns(Path(path), _Policy(LoadReport(), "raise"))]


def _transcripts(path: Path, evaluated: set[str], policy: _Policy) -> dict[str, tuple[str, int]]:
    """Utterance id -> (raw text, line number) for the evaluated turns of a transcription file."""
    texts: dict[str, tuple[str, int]] = {}
    for line_no, line in _read_lines(path, policy):
        try:
            parsed = parse_transcription_line(line, path, line_no)
        except IemocapFormatError as error:
            policy.line("malformed transcription line", str(error))
            continue
        if parsed is None or parsed[0] not in evaluated:
            if line.strip():
                policy.report.unmatched_transcript_lines += 1
            continue
        name = parsed[0]
        if name in texts:
            policy.duplicate(
                "transcript line",
                f"{path}:{line_no}: transcript line for {name} repeats line {texts[name][1]}",
            )
            continue
        texts[name] = (parsed[3], line_no)
    return texts


def _check_wav(path: Path, check_audio: bool) -> tuple[str, str] | None:
    """None when ``path`` is a usable wav, else ``(reason, message)``.

    With ``check_audio`` the header must describe a complete, non-empty 16 kHz
    mono file; without, the file must exist.
    """
    import soundfile

    if not path.is_file():
        return "missing wav", "missing wav"
    if not check_audio:
        return None
    try:
        info = soundfile.info(str(path))
    except (RuntimeError, soundfile.LibsndfileError) as error:
        return "unreadable wav", f"unreadable wav ({error})"
    truncated = truncated_wav(path)
    if truncated is not None:
        return "truncated wav", truncated
    if info.frames <= 0:
        return "empty wav", "empty wav"
    if info.samplerate != SAMPLE_RATE:
        return "wav not at 16 kHz", f"wav at {info.samplerate} Hz, expected {SAMPLE_RATE}"
    if info.channels != 1:
        return "wav not mono", f"wav with {info.channels} channels, expected mono"
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


def _load_dialogue(
    session_dir: Path,
    session: int,
    evaluation: Path,
    classes: Sequence[str],
    check_audio: bool,
    policy: _Policy,
) -> Dialogue | None:
    """One dialogue, or None when it is dropped (``errors="skip"``)."""
    name = evaluation.stem
    turns = _evaluation_turns(evaluation, policy)
    if not turns:
        policy.dialogue(
            "no turn in EmoEvaluation file", f"{evaluation}: no (usable) turn in EmoEvaluation file"
        )
        return None
    transcription = session_dir / "dialog" / "transcriptions" / evaluation.name
    if not transcription.is_file():
        policy.dialogue(
            "missing transcription file", f"{transcription}: missing transcription file", len(turns)
        )
        return None
    texts = _transcripts(transcription, {turn[2] for _, turn in turns}, policy)
    dialogue = Dialogue(id=name, session=session)
    for evaluation_line, (start, end, utterance_id, emotion, vad) in sorted(
        turns, key=lambda item: (item[1][0], item[1][2])
    ):
        if utterance_id not in texts:
            policy.turn(
                "turn without transcript line",
                f"{evaluation}:{evaluation_line}: turn {utterance_id} without transcript line in {transcription}",
            )
            continue
        text_raw, line_no = texts[utterance_id]
        wav = session_dir / "sentences" / "wav" / name / f"{utterance_id}.wav"
        problem = _check_wav(wav, check_audio)
        if problem is not None:
            policy.turn(problem[0], f"{wav} (transcription {transcription}:{line_no}): {problem[1]}")
            continue
        gender = gender_of(utterance_id)
        session_match = _SESSION.match(utterance_id)
        speaker_session = int(session_match.group(1)) if session_match else session
        label = emotion if emotion in classes else None
        if label is None:
            policy.report.masked[emotion] += 1
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
    if not dialogue.utterances:
        policy.dialogue("every turn skipped", f"{evaluation}: every turn skipped")
        return None
    return dialogue


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
        errors: ``"raise"`` (default) stops at the first bad file, line or turn
            with :class:`IemocapFormatError`; ``"skip"`` drops the smallest
            bad unit (line, turn or dialogue) and counts it in ``report``.
        check_audio: Open every wav header (16 kHz, mono, non-empty, not
            truncated); False only checks that the file exists.
        report: A :class:`LoadReport` to fill.

    Returns:
        Dialogues sorted by session and name, turns sorted by start time.

    Raises:
        FileNotFoundError: when ``root`` or a requested session folder is missing.
        IemocapFormatError: for malformed input with ``errors="raise"``.

    Warns:
        UserWarning: summarising the report when something was dropped or a
            text file was not UTF-8.
    """
    if errors not in ("raise", "skip"):
        raise ValueError(f"errors must be 'raise' or 'skip', got {errors!r}")
    report = report if report is not None else LoadReport()
    policy = _Policy(report, errors)
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
            dialogue = _load_dialogue(
                folder, _session_number(folder), evaluation, classes, check_audio, policy
            )
            if dialogue is not None:
                dialogues.append(dialogue)
    report.dialogues = len(dialogues)
    report.turns = sum(len(d) for d in dialogues)
    if report.total_skipped or report.encodings:
        examples = "".join(f"\n  {example}" for example in report.examples)
        warnings.warn(f"loading {base}: {report}; examples:{examples}", stacklevel=2)
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
