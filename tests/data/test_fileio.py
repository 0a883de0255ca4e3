"""Decoding text files in mixed encodings and spotting truncated wavs."""

from __future__ import annotations

import codecs

import numpy as np
import pytest
import soundfile
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.data.fileio import decode_text, read_text_file, truncated_wav


@pytest.mark.parametrize(
    "text, encoding, expected",
    [
        ("plain ascii", "utf-8", "utf-8"),
        ("smile \U0001f60a déjà vu", "utf-8", "utf-8"),
        ("\ufeffwith a byte-order mark", "utf-8", "utf-8"),
        ("café à Zürich, señor", "latin-1", "latin-1"),
        ("my fiancée and crème brûlée", "latin-1", "latin-1"),
        ("¡¿Qué?! 20 °C, £5", "latin-1", "latin-1"),
        ("It’s “fine” – ok", "cp1252", "cp1252"),
        ("今天天气很好 #happy", "gbk", "gb2312"),
        ("他说“你好”……", "gbk", "gb2312"),
        ("好 day", "gbk", "gb2312"),
        ("今天天氣很好", "big5", "big5"),
        ("今日はいい天気", "shift_jis", "shift_jis"),
        ("hello tweet \U0001f60a", "utf-16", "utf-16"),
        ("hello tweet", "utf-16-le", "utf-16"),
        ("hello tweet", "utf-16-be", "utf-16"),
        ("hi there", "utf-32", "utf-32"),
    ],
)
def test_text_in_each_encoding_is_decoded_and_named(text, encoding, expected):
    decoded = decode_text(text.encode(encoding))
    assert (decoded.text, decoded.encoding, decoded.plausible) == (
        text.removeprefix("\ufeff"),
        expected,
        True,
    )
    assert decoded.is_utf8 == (expected == "utf-8")


def test_bytes_no_encoding_explains_are_flagged_not_silently_decoded():
    decoded = decode_text(b"tweet \xff\xfe\xff and \x81\x8d")
    assert not decoded.plausible and decoded.encoding == "latin-1"


def test_read_text_file_with_crlf_cr_and_bom(tmp_path):
    path = tmp_path / "a file é.txt"
    path.write_bytes(codecs.BOM_UTF8 + "line 1\r\nligne 2 é\rline 3\r\n".encode())
    assert read_text_file(path).text == "line 1\nligne 2 é\nline 3\n"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=60))
def test_any_bytes_decode_without_error(raw):
    decoded = decode_text(raw)
    assert isinstance(decoded.text, str) and decoded.encoding


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0xA0, max_codepoint=0xFF), max_size=40))
def test_words_with_accented_letters_in_latin1_round_trip(accents):
    text = " ".join(f"caf{char}s" for char in accents)
    decoded = decode_text(text.encode("latin-1"))
    assert decoded.text == text and decoded.encoding == ("latin-1" if accents else "utf-8")


def test_truncated_wav_is_detected(tmp_path):
    path = tmp_path / "a.wav"
    soundfile.write(path, np.zeros(1000, np.float32), 16000, subtype="PCM_16")
    assert truncated_wav(path) is None
    data = path.read_bytes()
    path.write_bytes(data[:-10])
    assert truncated_wav(path) == "truncated wav: the header declares 2000 data bytes, the file holds 1990"
    path.write_bytes(data[:30])
    assert truncated_wav(path) == "truncated wav: no data chunk before the end of the file"
    path.write_bytes(b"not a wav at all")
    assert truncated_wav(path) is None
