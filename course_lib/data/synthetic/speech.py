"""Speech synthesis with eSpeak NG, for the generated corpora.

The course ships no recorded speech, so the embedded corpora speak their
transcripts with eSpeak NG, a small formant synthesiser. The library and its
voice data come from the ``espeakng-loader`` package (see
:func:`course_lib.features.assets.espeak_paths`) and are called through
``ctypes``; no system installation is used.

A :class:`Voice` holds the prosody knobs the generator turns to express a
speaker and an emotion: voice and variant (timbre), pitch level, pitch range,
speaking rate and volume. :func:`synthesize` returns float32 mono audio at
:data:`SAMPLE_RATE` (16 kHz, resampled from eSpeak's 22.05 kHz).

Synthesis is deterministic: the same text and voice always give the same
samples, whatever was spoken before. eSpeak NG keeps a few waveform-generator
variables from one call to the next (the phase of its pitch "flutter", its
automatic gain, the echo buffer, the breath resonators) and draws random
noise; before every call the random generators are reseeded and those
variables are restored to their initial values, located through the library's
symbol table (on a build without that table, a warning says that audio may
then depend slightly on the order of calls). Calls are serialised with a lock
(the library keeps global state). The library is loaded on the first call,
never at import.
"""

from __future__ import annotations

import ctypes
import re
import struct
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Sample rate of the audio returned by :func:`synthesize`, in Hz.
SAMPLE_RATE = 16_000

#: Bracketed transcript tags (``[LAUGHTER]``, ``[BREATHING]``) are not spoken.
_TAG = re.compile(r"\[[^\]]*\]")
_SPEAKABLE = re.compile(r"[^\W_]")

# eSpeak NG constants (speak_lib.h).
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAMETERS = {"rate": 1, "volume": 2, "pitch": 3, "pitch_range": 4}
_RATE_LIMITS = (80, 450)

#: Waveform-generator variables that eSpeak NG carries from one call to the
#: next (static variables of ``wavegen.c``); restored before every call.
_CARRIED_STATE = (
    "Flutter_ix",
    "agc",
    "amplitude2",
    "cycle_count",
    "h_switch_sign",
    "maxh",
    "maxh2",
    "echo_buf",
    "rbreath",
)
_ANCHOR_SYMBOL = "espeak_Synth"

_SYNTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


@dataclass(frozen=True)
class Voice:
    """How an utterance is spoken.

    Attributes:
        name: eSpeak NG voice (language) name, e.g. ``"en-us"``, ``"en"``,
            ``"en-gb-scotland"``.
        variant: Optional voice variant changing the timbre, e.g. ``"f3"``
            (female) or ``"m2"`` (male); None keeps the voice's own. The
            ``klatt*`` variants are refused (their generator is not reset
            between calls, so they would not be deterministic).
        pitch: Base pitch, 0-100 (eSpeak's default is 50).
        pitch_range: Pitch range (intonation), 0-100; 0 is monotone.
        rate: Speaking rate in words per minute, 80-450.
        volume: Amplitude, 0-200 (100 is normal).
    """

    name: str = "en-us"
    variant: str | None = None
    pitch: int = 50
    pitch_range: int = 50
    rate: int = 170
    volume: int = 100

    def __post_init__(self) -> None:
        for field, (low, high) in {
            "pitch": (0, 100),
            "pitch_range": (0, 100),
            "rate": _RATE_LIMITS,
            "volume": (0, 200),
        }.items():
            value = getattr(self, field)
            if not low <= value <= high:
                raise ValueError(f"Voice.{field} must be in [{low}, {high}], got {value}")
        if self.variant is not None and self.variant.startswith("klatt"):
            raise ValueError(
                f"variant {self.variant!r}: the Klatt generator keeps state between calls, so it is "
                "not supported (synthesis must be deterministic)"
            )

    @property
    def espeak_name(self) -> str:
        """The name eSpeak NG selects, ``"<name>+<variant>"`` when a variant is set."""
        return self.name if self.variant is None else f"{self.name}+{self.variant}"


def _elf_symbols(path: Path, wanted: set[str]) -> dict[str, tuple[int, bytes]]:
    """Find data symbols of an ELF64 little-endian shared library.

    Args:
        path: The shared library.
        wanted: Symbol names; compiler suffixes such as ``.5965`` on function
            statics are ignored when matching.

    Returns:
        Name -> (address in the file's address space, initial bytes: the
        ``.data`` image or zeros for ``.bss``; empty bytes for functions).
    """
    blob = path.read_bytes()
    if blob[:4] != b"\x7fELF" or blob[4] != 2 or blob[5] != 1:
        return {}
    (shoff,) = struct.unpack_from("<Q", blob, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", blob, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", blob, shoff + index * shentsize) for index in range(shnum)]
    found: dict[str, tuple[int, bytes]] = {}
    for _, kind, _, _, offset, size, link, _, _, entsize in sections:
        if kind != 2 or entsize != 24:  # SHT_SYMTAB
            continue
        strings_offset = sections[link][4]
        for start in range(offset, offset + size, entsize):
            name_at, _, _, shndx, value, sym_size = struct.unpack_from("<IBBHQQ", blob, start)
            end = blob.index(b"\0", strings_offset + name_at)
            name = blob[strings_offset + name_at : end].decode("ascii", "replace").split(".")[0]
            if name not in wanted or name in found or not 0 < shndx < len(sections):
                continue
            _, sec_kind, _, sec_addr, sec_offset, _, _, _, _, _ = sections[shndx]
            if name == _ANCHOR_SYMBOL:
                found[name] = (value, b"")
            elif sec_kind == 8:  # SHT_NOBITS (.bss)
                found[name] = (value, bytes(sym_size))
            else:
                image_at = sec_offset + value - sec_addr
                found[name] = (value, blob[image_at : image_at + sym_size])
    return found


class _Engine:
    """The loaded eSpeak NG library; one per process, used under a lock."""

    def __init__(self) -> None:
        from course_lib.features.assets import espeak_paths

        library_path, data_path = espeak_paths()
        self.lib = ctypes.CDLL(str(library_path))
        self.libc = ctypes.CDLL(None)
        self.lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        self.lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        rate = self.lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data_path).encode(), _INITIALIZE_DONT_EXIT
        )
        if rate <= 0:
            raise RuntimeError(f"eSpeak NG failed to initialise from {data_path} (status {rate})")
        self.native_rate = rate
        self.chunks: list[np.ndarray] = []
        self.callback = _SYNTH_CALLBACK(self._collect)  # kept alive with the engine
        self.lib.espeak_SetSynthCallback(self.callback)
        self.carried = self._locate_carried_state(library_path)

    def _locate_carried_state(self, library_path: Path) -> list[tuple[int, bytes]]:
        """Runtime addresses and initial images of :data:`_CARRIED_STATE`."""
        symbols = _elf_symbols(library_path, set(_CARRIED_STATE) | {_ANCHOR_SYMBOL})
        missing = [name for name in _CARRIED_STATE if name not in symbols]
        if _ANCHOR_SYMBOL not in symbols or missing:
            warnings.warn(
                f"{library_path}: symbols {missing or [_ANCHOR_SYMBOL]} not found, so the synthesiser's "
                "state is not reset between calls; audio may differ slightly with the order of calls "
                "(install the pinned espeakng-loader on Linux for byte-identical corpora)",
                stacklevel=3,
            )
            return []
        anchor = ctypes.cast(getattr(self.lib, _ANCHOR_SYMBOL), ctypes.c_void_p).value
        bias = anchor - symbols[_ANCHOR_SYMBOL][0]
        return [(bias + symbols[name][0], symbols[name][1]) for name in _CARRIED_STATE]

    def _reset_carried_state(self) -> None:
        for address, image in self.carried:
            ctypes.memmove(address, image, len(image))

    def _collect(self, wav, count, _events) -> int:
        if wav and count > 0:
            self.chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    def speak(self, text: str, voice: Voice) -> np.ndarray:
        # Selecting the voice on every call also resets its amplitude and echo settings.
        status = self.lib.espeak_SetVoiceByName(voice.espeak_name.encode())
        if status != 0:
            raise ValueError(f"eSpeak NG has no voice {voice.espeak_name!r} (status {status})")
        for key, code in _PARAMETERS.items():
            self.lib.espeak_SetParameter(code, int(getattr(voice, key)), 0)
        self._reset_carried_state()
        self.lib.espeak_ng_SetRandSeed(0)
        self.libc.srand(0)
        self.chunks = []
        data = text.encode("utf-8") + b"\0"
        buffer = ctypes.create_string_buffer(data, len(data))
        status = self.lib.espeak_Synth(buffer, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        if status != 0:
            raise RuntimeError(f"eSpeak NG failed to synthesise {text!r} (status {status})")
        samples = np.concatenate(self.chunks) if self.chunks else np.zeros(0, dtype=np.int16)
        self.chunks = []
        return samples


_LOCK = threading.Lock()
_ENGINE: _Engine | None = None


def speakable_text(text: str) -> str:
    """The part of a transcript that is spoken: bracketed tags removed, spaces folded.

    Raises:
        ValueError: when nothing speakable (no letter or digit) remains.
    """
    spoken = " ".join(_TAG.sub(" ", text).split())
    if not _SPEAKABLE.search(spoken):
        raise ValueError(f"nothing to speak in {text!r}: it is empty or holds only tags/punctuation")
    return spoken


def synthesize(text: str, voice: Voice = Voice()) -> np.ndarray:
    """Speak ``text`` with ``voice``.

    Bracketed tags such as ``[LAUGHTER]`` are removed first (they annotate the
    transcript and are not read aloud). The same text and voice always give
    the same samples.

    Args:
        text: What to say (UTF-8 text).
        voice: Voice and prosody.

    Returns:
        Mono float32 audio in [-1, 1] at :data:`SAMPLE_RATE`.
        Shape: ``(num_samples,)``.

    Raises:
        ValueError: when the text is empty or holds only tags/punctuation, when
            eSpeak NG produces no audio for it, or for an unknown voice.
        course_lib.features.assets.AssetNotFound: when espeakng-loader is missing.
    """
    import soxr

    spoken = speakable_text(text)
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            _ENGINE = _Engine()
        native = _ENGINE.speak(spoken, voice)
        native_rate = _ENGINE.native_rate
    if native.size == 0:
        raise ValueError(f"eSpeak NG produced no audio for {text!r}")
    audio = native.astype(np.float32) / 32768.0
    if native_rate != SAMPLE_RATE:
        audio = soxr.resample(audio, native_rate, SAMPLE_RATE, quality="HQ").astype(np.float32)
    return np.clip(audio, -1.0, 1.0)
