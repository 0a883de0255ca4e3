"""Reading the raw files of the real releases: text in mixed encodings and wav headers.

Text (IEMOCAP transcripts, MVSA tweets) is decoded by :func:`decode_text`, in
this order:

1. a byte-order mark selects UTF-8, UTF-16 or UTF-32 (the mark is dropped);
2. UTF-16 without a mark is recognised by its NUL bytes (ASCII text in UTF-16
   has a NUL in every other byte);
3. UTF-8;
4. latin-1 (or cp1252 when the file holds its curly quotes and dashes in
   0x80-0x9F), *if the result looks like Western text*: accented letters stand
   alone or in pairs inside words, never in long runs;
5. otherwise a Chinese, Japanese or Korean multi-byte encoding (GB2312, Big5,
   Shift-JIS, GBK, EUC-KR, tried in this order) whose decoding gives CJK
   characters;
6. when nothing fits, latin-1 with :attr:`DecodedText.plausible` False: the
   text is probably mojibake and the caller must flag or drop it.

Steps 4-5 are a heuristic (short texts can be ambiguous): callers count every
file not in UTF-8 by its :attr:`DecodedText.encoding` so users can check them.

:func:`truncated_wav` compares the data size a RIFF/WAVE header declares with
the bytes the file holds: soundfile silently reads what is there.
"""

from __future__ import annotations

import codecs
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path

__all__ = ["WESTERN_ENCODINGS", "DecodedText", "decode_text", "read_text_file", "truncated_wav"]

#: Encodings of the single-byte Western fallback (step 4).
WESTERN_ENCODINGS: tuple[str, ...] = ("latin-1", "cp1252")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_MULTIBYTE = ("gb2312", "big5", "shift_jis", "gbk", "euc_kr")
#: Ideographs, kana and hangul: at least one must appear in a CJK decoding.
_CJK_LETTERS = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF))
#: Punctuation and symbols that CJK text also uses.
_CJK_OTHERS = ((0x00B7, 0x00B7), (0x2000, 0x206F), (0x3000, 0x303F), (0x3100, 0x33FF), (0xFE30, 0xFE4F))
_FULLWIDTH = (0xFF01, 0xFF60)


@dataclass(frozen=True)
class DecodedText:
    """A decoded text file.

    Attributes:
        text: The text, without byte-order mark.
        encoding: Codec used: ``"utf-8"``, ``"utf-16"``, ``"latin-1"``, ``"gb2312"``, ...
        plausible: False when no encoding gave plausible text (read as latin-1,
            probably mojibake).
    """

    text: str
    encoding: str
    plausible: bool = True

    @property
    def is_utf8(self) -> bool:
        """Whether the file was UTF-8 (with or without byte-order mark)."""
        return self.encoding == "utf-8"


def _in(code: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(low <= code <= high for low, high in ranges)


def _bom(raw: bytes) -> DecodedText | None:
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            try:
                text = raw.decode(codec)
            except UnicodeDecodeError:
                return None
            return DecodedText(text.removeprefix("\ufeff"), codec.removesuffix("-sig"))
    return None


def _bomless_utf16(raw: bytes) -> DecodedText | None:
    if len(raw) < 4 or len(raw) % 2:
        return None
    even, odd = raw[0::2].count(0), raw[1::2].count(0)
    for codec, zeros, others in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros and zeros >= len(raw) // 8 and others * 10 <= zeros:
            try:
                text = raw.decode(codec)
            except UnicodeDecodeError:
                return None
            return None if "\x00" in text else DecodedText(text, "utf-16")
    return None


def _western(raw: bytes) -> DecodedText:
    if any(0x80 <= byte <= 0x9F for byte in raw):
        try:
            return DecodedText(raw.decode("cp1252"), "cp1252")
        except UnicodeDecodeError:
            pass
    return DecodedText(raw.decode("latin-1"), "latin-1")


def _non_ascii_runs(text: str) -> list[tuple[int, int]]:
    runs, start = [], None
    for i, char in enumerate(text + "a"):
        if ord(char) >= 0x80 and start is None:
            start = i
        elif ord(char) < 0x80 and start is not None:
            runs.append((start, i))
            start = None
    return runs


def _looks_western(text: str) -> bool:
    """Accented letters and symbols alone, or letter pairs inside a word ("fiancée")."""
    for start, end in _non_ascii_runs(text):
        run = text[start:end]
        if len(run) > 2 or any(unicodedata.category(c) == "Cc" for c in run):
            return False
        if len(run) == 2:
            around = text[max(start - 1, 0) : start] + text[end : end + 1]
            if not any(c.isascii() and c.isalnum() for c in around):
                return False
    return True


def _looks_cjk(text: str) -> bool:
    codes = [ord(c) for c in text if ord(c) >= 0x80]
    allowed = _CJK_LETTERS + _CJK_OTHERS + (_FULLWIDTH,)
    return any(_in(c, _CJK_LETTERS) for c in codes) and all(_in(c, allowed) for c in codes)


def decode_text(raw: bytes) -> DecodedText:
    """Decode the bytes of a text file whose encoding is unknown (see the module doc)."""
    found = _bom(raw) or _bomless_utf16(raw)
    if found is not None:
        return found
    try:
        return DecodedText(raw.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    western = _western(raw)
    if _looks_western(western.text):
        return western
    for codec in _MULTIBYTE:
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        if _looks_cjk(text):
            return DecodedText(text, codec)
    return DecodedText(western.text, western.encoding, plausible=False)


def read_text_file(path: Path | str) -> DecodedText:
    """Read and decode a text file with :func:`decode_text`; CRLF and CR line ends become LF."""
    decoded = decode_text(Path(path).read_bytes())
    text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")
    return DecodedText(text, decoded.encoding, decoded.plausible)


def truncated_wav(path: Path | str) -> str | None:
    """Why a RIFF/WAVE file is cut short, or None when its data chunk is complete.

    Returns None as well for files that are not RIFF/WAVE or declare an
    unknown data size (streamed files): other checks handle those.
    """
    with open(path, "rb") as handle:
        header = handle.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return None
        size = Path(path).stat().st_size
        offset = 12
        while offset + 8 <= size:
            handle.seek(offset)
            chunk_id, chunk_size = struct.unpack("<4sI", handle.read(8))
            if chunk_id == b"data":
                present = size - offset - 8
                if chunk_size in (0, 0xFFFFFFFF) or present >= chunk_size:
                    return None
                return f"truncated wav: the header declares {chunk_size} data bytes, the file holds {present}"
            offset += 8 + chunk_size + chunk_size % 2
    return "truncated wav: no data chunk before the end of the file"
