"""The IEMOCAP loader: round trip on the generated corpus, splits, masking and bad input."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile

from course_lib.data import iemocap
from course_lib.data.iemocap import IemocapFormatError, LoadReport
from course_lib.data.records import IEMOCAP_CLASSES
from course_lib.data.synthetic.iemocap_gen import MANIFEST_NAME, IemocapParams, write_iemocap_corpus

DIALOGUE = "Ses01F_impro01"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("iemocap_loader")
    write_iemocap_corpus(out, "tiny", seed=0, progress=False)
    return out


@pytest.fixture
def small(tmp_path) -> Path:
    """A one-session corpus the tests may damage."""
    params = IemocapParams(
        sessions=1, dialogues_per_session=2, turns_per_dialogue=(5, 6), placeholder_rate=0.0
    )
    write_iemocap_corpus(tmp_path, params=params, seed=1, progress=False)
    return tmp_path / "IEMOCAP_full_release"


def _manifest(out: Path) -> list[dict[str, str]]:
    with open(out / MANIFEST_NAME, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_round_trip_gives_the_generated_counts_and_labels(tiny):
    report = LoadReport()
    dialogues = iemocap.load(tiny, report=report)
    rows = _manifest(tiny)
    turns = iemocap.utterances(dialogues)
    assert len(dialogues) == 25 and len(turns) == len(rows) == report.turns
    assert Counter(u.label for u in turns if u.label) == Counter(
        r["label"] for r in rows if r["label"] in IEMOCAP_CLASSES
    )
    assert report.masked == Counter(r["label"] for r in rows if r["label"] not in IEMOCAP_CLASSES)
    assert {u.label for u in turns} == set(IEMOCAP_CLASSES) | {None}
    assert report.unmatched_transcript_lines > 0 and report.total_skipped == 0
    by_id = {r["utterance_id"]: r for r in rows}
    for u in turns:
        row = by_id[u.id]
        assert (u.speaker, u.gender, u.session, u.dialogue_id) == (
            row["speaker"],
            row["gender"],
            int(row["session"]),
            row["dialogue_id"],
        )
        assert u.text_raw == row["text"] and "[" not in u.text
        assert u.start == pytest.approx(float(row["start"])) and u.wav_path.is_file()
        assert all(1.0 <= x <= 5.0 for x in u.vad)


def test_turns_are_ordered_by_start_and_gender_comes_from_the_last_token(tiny):
    dialogues = iemocap.load(tiny, sessions=[2])
    assert {d.session for d in dialogues} == {2}
    for dialogue in dialogues:
        starts = [u.start for u in dialogue.utterances]
        assert starts == sorted(starts)
        for u in dialogue.utterances:
            assert u.gender == u.id.rsplit("_", 1)[1][0]
            assert u.speaker == f"Ses02_{u.gender}"
    assert {u.gender for d in dialogues for u in d.utterances} == {"F", "M"}


def test_classes_outside_the_chosen_set_are_masked(tiny):
    report = LoadReport()
    dialogues = iemocap.load(tiny, classes=("neu", "sad"), report=report)
    labels = {u.label for u in iemocap.utterances(dialogues)}
    assert labels == {"neu", "sad", None}
    assert report.masked["fru"] > 0 and report.masked["xxx"] > 0
    assert len(iemocap.utterances(dialogues, labelled_only=True)) == sum(
        1 for r in _manifest(tiny) if r["label"] in ("neu", "sad")
    )


def test_session_split_and_speaker_split(tiny):
    dialogues = iemocap.load(tiny, check_audio=False)
    parts = iemocap.split_sessions(dialogues)
    assert {d.session for d in parts["train"]} == {1, 2, 3}
    assert {d.session for d in parts["valid"]} == {4} and {d.session for d in parts["test"]} == {5}
    assert sum(len(p) for p in parts.values()) == len(dialogues)
    with pytest.raises(ValueError, match="two parts"):
        iemocap.split_sessions(dialogues, train=(1, 2), valid=(2,))
    held = iemocap.split_speakers(dialogues, valid_speaker="Ses05_M", test_speaker="Ses05_F")
    assert {u.speaker for d in held["train"] for u in d.utterances}.isdisjoint({"Ses05_M", "Ses05_F"})
    assert {u.speaker for u in iemocap.utterances(held["valid"], labelled_only=True)} == {"Ses05_M"}
    assert {u.speaker for u in iemocap.utterances(held["test"], labelled_only=True)} == {"Ses05_F"}
    assert len(iemocap.utterances(held["test"])) == len(iemocap.utterances(parts["test"]))
    with pytest.raises(ValueError, match="not found"):
        iemocap.split_speakers(dialogues, valid_speaker="Ses09_M")


def test_missing_folders_raise_file_not_found(tmp_path, small):
    with pytest.raises(FileNotFoundError, match="Session"):
        iemocap.load(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="sessions \\[3\\]"):
        iemocap.load(small, sessions=[3])
    shutil.rmtree(small / "Session1" / "dialog" / "EmoEvaluation")
    with pytest.raises(FileNotFoundError, match="EmoEvaluation"):
        iemocap.load(small)


def _evaluation(root: Path) -> Path:
    return root / "Session1" / "dialog" / "EmoEvaluation" / f"{DIALOGUE}.txt"


def test_malformed_evaluation_line_names_file_and_line(small):
    total = len(iemocap.utterances(iemocap.load(small)))
    path = _evaluation(small)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("\t", " ", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(IemocapFormatError, match=rf"{DIALOGUE}\.txt:3: malformed EmoEvaluation"):
        iemocap.load(small)
    report = LoadReport()
    with pytest.warns(UserWarning, match="skipped"):
        dialogues = iemocap.load(small, errors="skip", report=report)
    assert DIALOGUE in [d.id for d in dialogues]  # only the bad turn is dropped
    assert len(iemocap.utterances(dialogues)) == total - 1
    assert report.turns_skipped == {"malformed EmoEvaluation turn line": 1}
    assert report.total_skipped == 1 and f"{DIALOGUE}.txt:3" in report.examples[0]


def test_unexpected_line_in_evaluation_file(small):
    path = _evaluation(small)
    path.write_text(path.read_text(encoding="utf-8") + "garbage here\n", encoding="utf-8")
    with pytest.raises(IemocapFormatError, match="unexpected line"):
        iemocap.load(small)


def _first_turn(root: Path) -> tuple[str, Path]:
    dialogue = iemocap.load(root, check_audio=False)[0]
    first = dialogue.utterances[0]
    return first.id, first.wav_path


def _write_bad_wav(path: Path, kind: str) -> None:
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "corrupt":
        path.write_bytes(b"RIFF\x00\x00garbage" * 4)
    elif kind == "8k":
        soundfile.write(str(path), np.zeros(800, np.float32), 8000, subtype="PCM_16")
    elif kind == "stereo":
        soundfile.write(str(path), np.zeros((1600, 2), np.float32), 16000, subtype="PCM_16")
    elif kind == "no-frames":
        soundfile.write(str(path), np.zeros(0, np.float32), 16000, subtype="PCM_16")
    elif kind == "48k":
        soundfile.write(str(path), np.zeros(4800, np.float32), 48000, subtype="PCM_16")
    elif kind == "header-only":
        path.write_bytes(path.read_bytes()[:44])
    elif kind == "text-as-wav":
        path.write_text("Excuse me.\n", encoding="utf-8")
    else:
        path.unlink()


@pytest.mark.parametrize(
    "kind, reason",
    [
        ("missing", "missing wav"),
        ("empty", "unreadable wav|empty wav"),
        ("corrupt", "unreadable wav"),
        ("8k", "8000 Hz"),
        ("stereo", "2 channels"),
        ("no-frames", "empty wav"),
        ("48k", "48000 Hz"),
        ("header-only", "truncated wav"),
        ("text-as-wav", "unreadable wav"),
    ],
)
def test_bad_wavs_raise_or_are_skipped_and_counted(small, kind, reason):
    utterance_id, wav = _first_turn(small)
    total = len(iemocap.utterances(iemocap.load(small)))
    _write_bad_wav(wav, kind)
    with pytest.raises(IemocapFormatError, match=reason) as error:
        iemocap.load(small)
    assert wav.name in str(error.value) and "transcription" in str(error.value)
    report = LoadReport()
    with pytest.warns(UserWarning):
        turns = iemocap.utterances(iemocap.load(small, errors="skip", report=report))
    assert len(turns) == total - 1 and utterance_id not in {u.id for u in turns}
    assert report.total_skipped == 1


def test_missing_transcription_file_and_missing_transcript_line(small):
    transcription = small / "Session1" / "dialog" / "transcriptions" / f"{DIALOGUE}.txt"
    lines = transcription.read_text(encoding="utf-8").splitlines()
    transcription.write_text("\n".join(lines[1:]) + "\n", encoding="utf-8")
    with pytest.raises(IemocapFormatError, match="without transcript line"):
        iemocap.load(small)
    transcription.unlink()
    with pytest.raises(IemocapFormatError, match="missing transcription file"):
        iemocap.load(small)
    report = LoadReport()
    with pytest.warns(UserWarning):
        dialogues = iemocap.load(small, errors="skip", report=report)
    assert DIALOGUE not in {d.id for d in dialogues}
    assert report.dialogues_skipped == {"missing transcription file": 1}
    turns = len(iemocap.read_evaluation(_evaluation(small)))
    assert report.turns_skipped == {"missing transcription file": turns}


def test_unknown_errors_mode_is_refused(small):
    with pytest.raises(ValueError, match="errors"):
        iemocap.load(small, errors="ignore")


def test_loader_accepts_the_release_folder_itself(small):
    assert [d.id for d in iemocap.load(small)] == [d.id for d in iemocap.load(small.parent)]


def test_hidden_macos_copies_are_ignored(small):
    before = [d.id for d in iemocap.load(small)]
    (small / "Session1" / "dialog" / "EmoEvaluation" / f"._{DIALOGUE}.txt").write_bytes(
        b"\x00\x05\x16\x07junk"
    )
    assert [d.id for d in iemocap.load(small)] == before


# --------------------------------------------------------------------------- bad input, case by case


def _transcription(root: Path) -> Path:
    return root / "Session1" / "dialog" / "transcriptions" / f"{DIALOGUE}.txt"


def _load_skipping(root: Path, report: LoadReport) -> list:
    with pytest.warns(UserWarning):
        return iemocap.load(root, errors="skip", report=report)


def test_emo_evaluation_with_utf8_bom_is_read(small):
    before = iemocap.load(small)
    path = _evaluation(small)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    report = LoadReport()
    assert iemocap.load(small, report=report) == before
    assert report.total_skipped == 0 and not report.encodings


def test_transcription_with_utf8_bom_is_read(small):
    before = iemocap.load(small)
    path = _transcription(small)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert iemocap.load(small) == before


def test_crlf_line_endings_and_bom_in_every_file_are_read(small):
    before = iemocap.load(small)
    for path in (small / "Session1" / "dialog").rglob("*.txt"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    assert iemocap.load(small) == before


def test_truncated_wav_raises_naming_the_file(small):
    utterance_id, wav = _first_turn(small)
    total = len(iemocap.utterances(iemocap.load(small)))
    data = wav.read_bytes()
    wav.write_bytes(data[: len(data) // 2])
    with pytest.raises(IemocapFormatError, match="truncated wav: the header declares") as error:
        iemocap.load(small)
    assert wav.name in str(error.value)
    report = LoadReport()
    turns = iemocap.utterances(_load_skipping(small, report))
    assert len(turns) == total - 1 and utterance_id not in {u.id for u in turns}
    assert report.turns_skipped == {"truncated wav": 1}


@pytest.mark.parametrize("content", [b"", b"% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n"])
def test_empty_emo_evaluation_file_raises_naming_the_file(small, content):
    _evaluation(small).write_bytes(content)
    with pytest.raises(IemocapFormatError, match=rf"{DIALOGUE}\.txt: no \(usable\) turn"):
        iemocap.load(small)


def test_empty_emo_evaluation_file_is_counted_in_skip_mode(small):
    _evaluation(small).write_bytes(b"")
    report = LoadReport()
    dialogues = _load_skipping(small, report)
    assert DIALOGUE not in {d.id for d in dialogues} and dialogues
    assert report.dialogues_skipped == {"no turn in EmoEvaluation file": 1}
    assert "skipped: 1 dialogues (no turn in EmoEvaluation file=1)" in str(report)


def _turn_blocks(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n\n")


def test_duplicated_turn_block_raises_naming_file_and_line(small):
    path = _evaluation(small)
    blocks = _turn_blocks(path)
    path.write_text("\n\n".join([*blocks, blocks[1]]), encoding="utf-8")
    utterance_id = blocks[1].split("\t")[1]
    numbers = [
        i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if utterance_id in line
    ]
    first_line, duplicate_line = numbers
    with pytest.raises(
        IemocapFormatError,
        match=rf"{DIALOGUE}\.txt:{duplicate_line}: turn {utterance_id} is already evaluated at line {first_line}",
    ):
        iemocap.load(small)


def test_duplicated_turn_block_is_counted_in_skip_mode_and_the_first_kept(small):
    before = iemocap.load(small)
    path = _evaluation(small)
    blocks = _turn_blocks(path)
    changed = blocks[1].replace("\tneu\t", "\tang\t").replace("\txxx\t", "\tang\t")
    path.write_text("\n\n".join([*blocks, changed.replace("\tang\t", "\tsad\t")]), encoding="utf-8")
    report = LoadReport()
    assert _load_skipping(small, report) == before
    assert report.duplicates == {"EmoEvaluation turn": 1} and report.turns == len(iemocap.utterances(before))


def test_duplicated_transcript_line_raises_naming_file_and_line(small):
    path = _transcription(small)
    lines = path.read_text(encoding="utf-8").splitlines()
    utterance_id = lines[0].split(" ")[0]
    path.write_text(
        "\n".join([*lines, f"{utterance_id} [001.0000-002.0000]: Other words."]), encoding="utf-8"
    )
    with pytest.raises(
        IemocapFormatError,
        match=rf"{DIALOGUE}\.txt:{len(lines) + 1}: transcript line for {utterance_id} repeats line 1",
    ):
        iemocap.load(small)
    report = LoadReport()
    turns = {u.id: u for u in iemocap.utterances(_load_skipping(small, report))}
    assert report.duplicates == {"transcript line": 1}
    assert turns[utterance_id].text_raw == lines[0].split(": ", 1)[1]  # the first line wins


def test_upper_case_label_is_read_case_insensitively(small):
    before = iemocap.load(small)
    path = _evaluation(small)
    text = path.read_text(encoding="utf-8")
    for code in ("neu", "fru", "ang", "sad", "hap", "exc", "xxx"):
        text = text.replace(f"\t{code}\t", f"\t{code.upper()}\t")
    path.write_text(text, encoding="utf-8")
    report = LoadReport()
    assert iemocap.load(small, report=report) == before
    assert all(key.islower() for key in report.masked)


@pytest.mark.parametrize(
    "encoding, words",
    [
        ("gb2312", "我很高兴见到你。"),
        ("big5", "今天天氣很好"),
        ("utf-16", "Hello 😊"),
        ("latin-1", "Un café, señor."),
    ],
)
def test_transcript_in_gbk_big5_utf16_or_latin1_is_decoded_and_counted(small, encoding, words):
    path = _transcription(small)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].split(": ", 1)[0] + ": " + words
    path.write_bytes("\n".join(lines).encode(encoding))
    report = LoadReport()
    with pytest.warns(UserWarning, match=rf"files not in UTF-8: {encoding}=1"):
        dialogues = iemocap.load(small, report=report)
    texts = {u.id: u.text_raw for u in iemocap.utterances(dialogues)}
    assert texts[lines[0].split(" ")[0]] == words
    assert report.encodings == {encoding: 1} and report.total_skipped == 0


def test_transcript_in_undetected_encoding_raises_naming_file_and_line(small):
    total = len(iemocap.utterances(iemocap.load(small)))
    path = _transcription(small)
    lines = path.read_bytes().split(b"\n")
    lines[1] = lines[1].split(b": ", 1)[0] + b": \xff\xfe\xff \xfe\xfe\xff"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(IemocapFormatError, match=rf"{DIALOGUE}\.txt:2: text in an undetected encoding"):
        iemocap.load(small)
    report = LoadReport()
    assert len(iemocap.utterances(_load_skipping(small, report))) == total - 1
    assert report.lines_skipped == {"undetected text encoding": 1}
    assert report.turns_skipped == {"turn without transcript line": 1}


def test_skip_mode_drops_only_the_bad_turns_and_counts_each_kind(small):
    before = iemocap.load(small)
    total = len(iemocap.utterances(before))
    _, first_wav = _first_turn(small)
    first_wav.unlink()  # one turn
    evaluation = _evaluation(small)
    evaluation.write_text(evaluation.read_text(encoding="utf-8") + "garbage\n", encoding="utf-8")  # one line
    other = small / "Session1" / "dialog" / "transcriptions" / f"{before[1].id}.txt"
    other.unlink()  # one dialogue and its turns
    transcription = _transcription(small)
    transcription.write_bytes(transcription.read_bytes() + "\nnoise r\xe9sum\xe9\n".encode("latin-1"))
    report = LoadReport()
    dialogues = _load_skipping(small, report)
    assert [d.id for d in dialogues] == [DIALOGUE]
    assert report.turns == total - len(before[1]) - 1 == len(dialogues[0])
    assert report.dialogues_skipped == {"missing transcription file": 1}
    assert report.turns_skipped == {"missing wav": 1, "missing transcription file": len(before[1])}
    assert report.lines_skipped == {"unexpected line in EmoEvaluation file": 1}
    assert report.encodings == {"latin-1": 1} and report.unmatched_transcript_lines == 1
    assert report.total_skipped == 3 + len(before[1])
    text = str(report)
    assert f"skipped: 1 dialogues (missing transcription file=1), {len(before[1]) + 1} turns" in text
    assert "1 lines (unexpected line in EmoEvaluation file=1)" in text and "latin-1=1" in text
    assert report.as_dict()["turns_skipped"]["missing wav"] == 1 and len(report.examples) == 4


def test_paths_with_spaces_and_non_ascii_characters_load_end_to_end(small, tmp_path):
    from course_lib.features.audio import load_audio

    moved = tmp_path / "my corpora é 数据" / "IEMOCAP_full_release"
    shutil.copytree(small, moved)
    dialogues = iemocap.load(moved.parent)
    assert [d.id for d in dialogues] == [d.id for d in iemocap.load(small)]
    wav = dialogues[0].utterances[0].wav_path
    assert str(moved) in str(wav) and load_audio(wav).size > 0
