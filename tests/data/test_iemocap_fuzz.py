"""Fuzzing the IEMOCAP line parsers: malformed input only ever raises IemocapFormatError."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.data.iemocap import (
    IemocapFormatError,
    clean_text,
    parse_evaluation_line,
    parse_transcription_line,
    read_evaluation,
)

GOOD_TURN = "[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000, 2.5000]"
GOOD_TRANSCRIPT = "Ses01F_impro01_F000 [006.2901-008.2357]: Excuse me."

# Text that looks like the formats: brackets, tabs, digits, separators.
lookalike = st.text(alphabet=st.sampled_from(list("[]-.,:;\t _0123456789SesFMimpro neuxa\n")), max_size=80)
anything = st.one_of(st.text(max_size=120), lookalike)


def test_known_good_lines_parse():
    assert parse_evaluation_line(GOOD_TURN) == (6.2901, 8.2357, "Ses01F_impro01_F000", "neu", (2.5, 2.5, 2.5))
    assert parse_transcription_line(GOOD_TRANSCRIPT) == ("Ses01F_impro01_F000", 6.2901, 8.2357, "Excuse me.")
    vad = parse_evaluation_line(GOOD_TURN.replace("2.5000]", "]"))[4]
    assert math.isnan(vad[2]) and vad[:2] == (2.5, 2.5)
    assert parse_transcription_line("Ses01F_impro01_MXX0 noise") is None
    assert clean_text("[LAUGHTER]  Oh   really? [BREATHING]") == "Oh really?"


@settings(max_examples=300, deadline=None)
@given(anything)
def test_evaluation_line_parser_raises_only_its_error(line):
    try:
        start, end, name, _, vad = parse_evaluation_line(line, "f.txt", 7)
    except IemocapFormatError as error:
        assert "f.txt:7" in str(error)
        return
    assert 0 <= start <= end and name[name.rfind("_") + 1] in "FM" and len(vad) == 3


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("0123456789. ,nan")), max_size=30),
    st.sampled_from(["neu", "xxx", "fru"]),
)
def test_evaluation_line_with_odd_vad_fields(vad_text, emotion):
    line = f"[1.0 - 2.0]\tSes01F_impro01_M001\t{emotion}\t[{vad_text}]"
    try:
        parsed = parse_evaluation_line(line)
    except IemocapFormatError:
        return
    assert parsed[3] == emotion and len(parsed[4]) == 3


@settings(max_examples=300, deadline=None)
@given(anything)
def test_transcription_line_parser_raises_only_its_error(line):
    try:
        parsed = parse_transcription_line(line, "t.txt", 3)
    except IemocapFormatError as error:
        assert "t.txt:3" in str(error)
        return
    if parsed is not None:
        name, start, end, text = parsed
        assert start <= end and " " not in name and text == text.strip()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(anything, st.just(GOOD_TURN), st.just("C-E1:\tNeutral;\t()")), max_size=8))
def test_evaluation_file_reader_raises_only_its_error(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("fuzz") / "Ses01F_impro01.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    try:
        turns = read_evaluation(path)
    except IemocapFormatError as error:
        assert str(path) in str(error)
        return
    assert all(len(turn) == 5 for turn in turns)
