"""Audio features for 16 kHz mono speech: crop/pad, statistics, MFCC, log-Mel, Mel and Chroma.

Two backends compute the frequency features with the same parameters:

* ``"librosa"`` -- the reference, one utterance at a time on the CPU;
* ``"torchaudio"`` -- batched torch transforms on any device (a GPU when given one).

Bad input is handled explicitly, the same way everywhere in this module:

* a **wrong sample rate** is resampled to 16 kHz with a :class:`UserWarning`
  naming the file (``load_audio(..., on_rate_mismatch="error")`` refuses instead);
* **NaN or infinite samples** raise :class:`BadAudioError` naming the source --
  they mean a corrupt file, and silently zeroing them would hide it;
* **empty audio** (no samples) raises :class:`BadAudioError`, and so does a
  **truncated wav** whose header declares more data than the file holds
  (soundfile would silently return the part that is there);
* audio **shorter than one analysis window** is zero-padded to one window, so
  every utterance has at least one frame;
* **silent audio** is valid: energies are 0, log features sit at their floor
  (``10 * log10(1e-10) = -100`` dB), and ratios such as the spectral centroid
  are defined as 0 instead of NaN.

Reading uses :mod:`soundfile` (never ``torchaudio.load``).
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from course_lib.data.fileio import truncated_wav

SAMPLE_RATE = 16_000
KINDS = ("mfcc", "logmel", "mel", "chroma")
BACKENDS = ("librosa", "torchaudio")
STAT_NAMES = ("rms", "centroid", "flux", "zcr", "envelope")
SUMMARY_NAMES = ("mean", "std", "min", "max")
_AMIN = 1e-10


class BadAudioError(ValueError):
    """An audio signal that cannot be turned into features (empty, NaN samples...)."""


# --------------------------------------------------------------------------- loading and checks


def check_waveform(wav: np.ndarray, source: str = "<array>") -> np.ndarray:
    """Validate a waveform and return it as contiguous float32.

    Args:
        wav: Mono samples.
        source: Name used in error messages (file path or utterance id).

    Raises:
        BadAudioError: when the signal is empty, not 1-D, or holds NaN/inf samples.

    Shape:
        ``(T,)`` -> ``(T,)``
    """
    wav = np.asarray(wav)
    if wav.ndim != 1:
        raise BadAudioError(f"{source}: expected mono audio of shape (T,), got {wav.shape}")
    if wav.size == 0:
        raise BadAudioError(f"{source}: the audio is empty (0 samples)")
    if not np.all(np.isfinite(wav)):
        bad = int(np.count_nonzero(~np.isfinite(wav)))
        raise BadAudioError(f"{source}: {bad} NaN or infinite samples; the file is corrupt")
    return np.ascontiguousarray(wav, dtype=np.float32)


def resample(wav: np.ndarray, orig_rate: int, target_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Resample with torchaudio's band-limited sinc interpolation.

    Shape:
        ``(T,)`` -> ``(T * target_rate / orig_rate,)``
    """
    import torchaudio.functional as AF

    out = AF.resample(torch.from_numpy(np.asarray(wav, dtype=np.float32)), int(orig_rate), int(target_rate))
    return out.numpy()


def load_audio(
    path: str | Path, sample_rate: int = SAMPLE_RATE, on_rate_mismatch: str = "resample"
) -> np.ndarray:
    """Read an audio file as mono float32 at ``sample_rate``.

    Multi-channel files are averaged to mono. A file at another rate is
    resampled with a warning, or refused when ``on_rate_mismatch="error"``.

    Raises:
        BadAudioError: unreadable or truncated file, empty or NaN audio, or a refused rate.

    Shape:
        returns ``(T,)``
    """
    import soundfile as sf

    path = Path(path)
    try:
        wav, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as error:  # soundfile raises several types for bad files
        raise BadAudioError(f"{path}: cannot read audio ({error})") from error
    truncated = truncated_wav(path)
    if truncated is not None:
        raise BadAudioError(f"{path}: {truncated}")
    wav = wav.mean(axis=1)
    if rate != sample_rate:
        if on_rate_mismatch == "error":
            raise BadAudioError(f"{path}: sample rate {rate} Hz, expected {sample_rate} Hz")
        warnings.warn(f"{path}: resampling from {rate} Hz to {sample_rate} Hz", UserWarning, stacklevel=2)
        wav = resample(check_waveform(wav, str(path)), rate, sample_rate)
    return check_waveform(wav, str(path))


def crop_or_pad(
    wav: np.ndarray,
    max_seconds: float,
    sample_rate: int = SAMPLE_RATE,
    mode: str = "start",
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Cut or zero-pad a waveform to exactly ``max_seconds``.

    Args:
        wav: Mono samples.
        max_seconds: Target duration (the IEMOCAP papers compare 1, 2, 3 and 4 s).
        sample_rate: Samples per second.
        mode: ``"start"`` keeps the beginning; ``"random"`` keeps a window at a
            random offset (drawn from ``rng``; padding always goes at the end).
        rng: Random generator for ``mode="random"`` (a fresh seeded one if None).

    Shape:
        ``(T,)`` -> ``(round(max_seconds * sample_rate),)``
    """
    if mode not in ("start", "random"):
        raise ValueError(f"mode must be 'start' or 'random', got {mode!r}")
    target = round(max_seconds * sample_rate)
    if target <= 0:
        raise ValueError(f"max_seconds must be positive, got {max_seconds}")
    wav = np.asarray(wav, dtype=np.float32)
    if len(wav) > target:
        offset = 0
        if mode == "random":
            rng = rng if rng is not None else np.random.default_rng(0)
            offset = int(rng.integers(0, len(wav) - target + 1))
        return wav[offset : offset + target].copy()
    return np.pad(wav, (0, target - len(wav)))


def pad_batch(waves: Sequence[np.ndarray], min_samples: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack waveforms of different lengths into one zero-padded batch.

    Args:
        waves: Mono float waveforms.
        min_samples: Pad every signal to at least this many samples.

    Returns:
        ``(batch, lengths)`` where ``lengths`` holds the original sample counts
        (at least ``min_samples``).

    Shape:
        batch ``(B, T_max)``, lengths ``(B,)``
    """
    lengths = torch.tensor([max(len(w), min_samples) for w in waves], dtype=torch.long)
    batch = torch.zeros(len(waves), int(lengths.max()) if len(waves) else 0)
    for row, wav in enumerate(waves):
        batch[row, : len(wav)] = torch.from_numpy(np.asarray(wav, dtype=np.float32))
    return batch, lengths


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class FrequencyConfig:
    """STFT and filter-bank parameters shared by both backends.

    Defaults: 25 ms windows every 10 ms at 16 kHz, 64 Mel bands, 40 MFCCs,
    12 chroma bins, power spectrogram, log in dB with a -100 dB floor and no
    ``top_db`` clipping (so results do not depend on the other items of a batch).

    Chroma has a window of its own, ``chroma_n_fft`` (2048 samples = 128 ms,
    7.8 Hz bins): with the 25 ms speech window the bins are 40 Hz wide, wider
    than the semitone steps of a voice's pitch (about 6-12 Hz at 100-200 Hz), so
    the pitch classes could not be told apart. Its hop is the same, so every
    kind has the same frames.
    """

    sample_rate: int = SAMPLE_RATE
    n_fft: int = 400
    hop_length: int = 160
    n_mels: int = 64
    n_mfcc: int = 40
    n_chroma: int = 12
    chroma_n_fft: int = 2048
    f_min: float = 0.0
    f_max: float | None = None
    top_db: float | None = None

    def n_frames(self, n_samples: int | torch.Tensor) -> Any:
        """Frames of a centred STFT for ``n_samples`` samples (``1 + n // hop``)."""
        return 1 + n_samples // self.hop_length

    def n_features(self, kind: str) -> int:
        """Feature rows produced by ``kind``."""
        rows = {"mfcc": self.n_mfcc, "logmel": self.n_mels, "mel": self.n_mels, "chroma": self.n_chroma}
        return rows[_check_kind(kind)]

    def fft_size(self, kind: str) -> int:
        """The STFT window of ``kind``: ``chroma_n_fft`` for Chroma, ``n_fft`` otherwise."""
        return self.chroma_n_fft if _check_kind(kind) == "chroma" else self.n_fft


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown feature kind {kind!r}; choose from {KINDS}")
    return kind


# --------------------------------------------------------------------------- librosa backend


def librosa_features(wav: np.ndarray, kind: str, config: FrequencyConfig = FrequencyConfig()) -> np.ndarray:
    """One utterance's MFCC, log-Mel, Mel or Chroma with librosa (the reference backend).

    ``"mel"`` is the Mel power spectrogram without the log (the MEL input of the
    IEMOCAP paper); ``"logmel"`` is the same in dB. Signals shorter than one
    window are zero-padded to one window.

    Shape:
        ``(T,)`` -> ``(F, 1 + T // hop_length)`` with F = n_mfcc, n_mels or n_chroma
    """
    import librosa

    wav = check_waveform(wav)
    n_fft = config.fft_size(kind)
    if len(wav) < n_fft:
        wav = np.pad(wav, (0, n_fft - len(wav)))
    stft = {"n_fft": n_fft, "hop_length": config.hop_length, "center": True, "pad_mode": "constant"}
    if kind == "chroma":
        power = np.abs(librosa.stft(wav, **stft)) ** 2
        out = librosa.feature.chroma_stft(
            S=power, sr=config.sample_rate, n_fft=n_fft, n_chroma=config.n_chroma, tuning=0.0
        )
        return out.astype(np.float32)
    mel = librosa.feature.melspectrogram(
        y=wav,
        sr=config.sample_rate,
        n_mels=config.n_mels,
        fmin=config.f_min,
        fmax=config.f_max,
        power=2.0,
        **stft,
    )
    if kind == "mel":
        return mel.astype(np.float32)
    logmel = librosa.power_to_db(mel, ref=1.0, amin=_AMIN, top_db=config.top_db)
    if kind == "logmel":
        return logmel.astype(np.float32)
    return librosa.feature.mfcc(S=logmel, n_mfcc=config.n_mfcc, dct_type=2, norm="ortho").astype(np.float32)


# --------------------------------------------------------------------------- torchaudio backend


class TorchFrequencyFeatures(torch.nn.Module):
    """Batched MFCC / log-Mel / Mel / Chroma with torchaudio transforms, on any device.

    A ``Spectrogram`` (complex), the power ``re^2 + im^2``, then ``MelScale`` and
    ``AmplitudeToDB``, and the DCT matrix of ``torchaudio.functional.create_dct``
    for MFCC -- the steps of ``torchaudio.transforms.MFCC``, with the same STFT
    (centred, zero padding, periodic Hann window), Slaney Mel filters and
    orthonormal DCT as the librosa backend, so both agree up to float rounding.
    Chroma applies librosa's chroma filter bank to the power spectrogram and
    normalises each frame by its maximum, as librosa does (on its own, longer
    window: :meth:`FrequencyConfig.fft_size`).

    Args:
        kind: ``"mfcc"``, ``"logmel"``, ``"mel"`` or ``"chroma"``.
        config: Shared parameters.
    """

    def __init__(self, kind: str, config: FrequencyConfig = FrequencyConfig()) -> None:
        super().__init__()
        import torchaudio.functional as AF
        import torchaudio.transforms as T

        self.kind = _check_kind(kind)
        self.config = config
        self.n_fft = config.fft_size(kind)
        self.spectrogram = T.Spectrogram(
            n_fft=self.n_fft, hop_length=config.hop_length, power=None, center=True, pad_mode="constant"
        )
        n_freqs = self.n_fft // 2 + 1
        if kind == "chroma":
            import librosa

            bank = librosa.filters.chroma(sr=config.sample_rate, n_fft=self.n_fft, n_chroma=config.n_chroma)
            self.register_buffer("chroma_bank", torch.from_numpy(bank.astype(np.float32)))
            return
        self.mel = T.MelScale(
            n_mels=config.n_mels,
            sample_rate=config.sample_rate,
            f_min=config.f_min,
            f_max=config.f_max,
            n_stft=n_freqs,
            norm="slaney",
            mel_scale="slaney",
        )
        self.to_db = T.AmplitudeToDB("power", top_db=config.top_db)
        if kind == "mfcc":
            self.register_buffer("dct", AF.create_dct(config.n_mfcc, config.n_mels, norm="ortho"))

    def power(self, batch: torch.Tensor) -> torch.Tensor:
        """Power spectrogram (``re^2 + im^2``, much faster than ``abs()`` of a complex tensor).

        Shape:
            ``(B, T)`` -> ``(B, self.n_fft // 2 + 1, 1 + T // hop_length)``
        """
        spec = self.spectrogram(batch)
        return spec.real.square() + spec.imag.square()

    @torch.inference_mode()
    def forward(self, batch: torch.Tensor) -> torch.Tensor:
        """Compute the features of a zero-padded batch.

        Shape:
            ``(B, T)`` -> ``(B, F, 1 + T // hop_length)``
        """
        if batch.shape[-1] < self.n_fft:
            batch = torch.nn.functional.pad(batch, (0, self.n_fft - batch.shape[-1]))
        power = self.power(batch)
        if self.kind == "chroma":
            chroma = torch.matmul(self.chroma_bank, power)
            peak = chroma.amax(dim=-2, keepdim=True)
            return chroma / torch.where(peak > torch.finfo(chroma.dtype).tiny, peak, torch.ones_like(peak))
        mel = self.mel(power)
        if self.kind == "mel":
            return mel
        logmel = self.to_db(mel)
        if self.kind == "logmel":
            return logmel
        return torch.matmul(logmel.transpose(-1, -2), self.dct).transpose(-1, -2)


def frequency_features(
    waves: Sequence[np.ndarray],
    kind: str,
    config: FrequencyConfig = FrequencyConfig(),
    backend: str = "torchaudio",
    device: str | torch.device = "cpu",
    module: TorchFrequencyFeatures | None = None,
    batch_size: int = 32,
    time_major: bool = False,
) -> list[np.ndarray]:
    """MFCC, log-Mel, Mel or Chroma for a list of utterances, trimmed to each one's length.

    The torchaudio backend sorts the utterances by length and computes
    ``batch_size`` of them at a time, which keeps padding and memory small;
    outputs come back in input order and do not depend on the batching.

    Args:
        waves: Mono float32 waveforms (already validated or raw arrays).
        kind: ``"mfcc"``, ``"logmel"``, ``"mel"`` or ``"chroma"``.
        config: Shared parameters.
        backend: ``"torchaudio"`` (padded batches on ``device``) or ``"librosa"``.
        device: Torch device for the torchaudio backend.
        module: A ready :class:`TorchFrequencyFeatures` to reuse (torchaudio backend).
        batch_size: Utterances per torchaudio batch.
        time_major: Return ``(frames, F)`` arrays instead of ``(F, frames)``.

    Shape:
        each ``(T_i,)`` -> ``(F, 1 + T_i // hop_length)`` (transposed with ``time_major``)
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose from {BACKENDS}")
    waves = [check_waveform(w, f"utterance {i}") for i, w in enumerate(waves)]
    if backend == "librosa":
        feats = [librosa_features(w, kind, config) for w in waves]
        return [np.ascontiguousarray(f.T) for f in feats] if time_major else feats
    module = module if module is not None else TorchFrequencyFeatures(kind, config)
    module = module.to(device)
    order = sorted(range(len(waves)), key=lambda i: len(waves[i]))
    out: list[np.ndarray] = [np.zeros(0, np.float32)] * len(waves)
    for start in range(0, len(order), batch_size):
        chosen = order[start : start + batch_size]
        batch, lengths = pad_batch([waves[i] for i in chosen], min_samples=config.fft_size(kind))
        feats = module(batch.to(device)).cpu().numpy()
        if time_major:
            feats = feats.transpose(0, 2, 1)  # the memory layout of torch's output is already (B, T, F)
        for i, f, n in zip(chosen, feats, config.n_frames(lengths).tolist()):
            out[i] = np.ascontiguousarray(f[:n] if time_major else f[:, :n])
    return out


# --------------------------------------------------------------------------- statistical features


def frame_statistics(
    waves: torch.Tensor | np.ndarray, config: FrequencyConfig = FrequencyConfig()
) -> dict[str, torch.Tensor]:
    """Frame-level RMS, spectral centroid, spectral flux, zero-crossing rate and envelope.

    Frames are centred (zero padding), ``n_fft`` long, every ``hop_length``
    samples, exactly as in the frequency features. Definitions per frame:
    RMS = sqrt(mean(x^2)); envelope = max |x|; ZCR = fraction of neighbouring
    sample pairs with a sign change; centroid = magnitude-weighted mean
    frequency in Hz (0 for a silent frame); flux = L2 norm of the change of the
    magnitude spectrum from the previous frame (0 for the first frame).

    Shape:
        ``(B, T)`` or ``(T,)`` -> each value ``(B, 1 + T // hop_length)`` (or ``(frames,)``)
    """
    x = torch.as_tensor(np.asarray(waves, dtype=np.float32) if isinstance(waves, np.ndarray) else waves)
    single = x.dim() == 1
    x = x.unsqueeze(0) if single else x
    if x.shape[-1] < config.n_fft:
        x = torch.nn.functional.pad(x, (0, config.n_fft - x.shape[-1]))
    half = config.n_fft // 2
    frames = torch.nn.functional.pad(x, (half, half)).unfold(-1, config.n_fft, config.hop_length)
    window = torch.hann_window(config.n_fft, device=x.device)
    spectrum = torch.fft.rfft(frames * window, dim=-1)
    magnitude = (spectrum.real.square() + spectrum.imag.square()).sqrt()
    freqs = torch.fft.rfftfreq(config.n_fft, d=1.0 / config.sample_rate).to(x.device)
    total = magnitude.sum(-1)
    centroid = torch.where(total > 0, (magnitude * freqs).sum(-1) / total.clamp_min(_AMIN), 0.0)
    flux = torch.zeros_like(total)
    flux[..., 1:] = (magnitude[..., 1:, :] - magnitude[..., :-1, :]).norm(dim=-1)
    signs = torch.signbit(frames)
    out = {
        "rms": frames.pow(2).mean(-1).sqrt(),
        "centroid": centroid,
        "flux": flux,
        "zcr": (signs[..., 1:] != signs[..., :-1]).float().mean(-1),
        "envelope": frames.abs().amax(-1),
    }
    return {k: v.squeeze(0) if single else v for k, v in out.items()}


def summarize(frames: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
    """Utterance-level mean, std, min and max of frame-level features, ignoring padding.

    Args:
        frames: Frame features.
        lengths: Valid frames per item (all frames when None).

    Shape:
        ``(B, F, T)`` -> ``(B, 4 * F)`` ordered [mean(F), std(F), min(F), max(F)]
    """
    batch, _, steps = frames.shape
    if lengths is None:
        lengths = torch.full((batch,), steps, dtype=torch.long)
    mask = (torch.arange(steps)[None, :] < lengths[:, None]).to(frames.device)[:, None, :]
    count = mask.sum(-1).clamp_min(1)
    mean = (frames * mask).sum(-1) / count
    var = (((frames - mean[..., None]) * mask) ** 2).sum(-1) / count
    low = frames.masked_fill(~mask, float("inf")).amin(-1)
    high = frames.masked_fill(~mask, float("-inf")).amax(-1)
    return torch.cat([mean, var.sqrt(), low, high], dim=-1)


def statistical_features(
    waves: Sequence[np.ndarray],
    config: FrequencyConfig = FrequencyConfig(),
    device: str = "cpu",
    batch_size: int = 32,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Frame-level statistics and their utterance summaries for a list of utterances.

    Returns:
        ``(frames, summaries)``: per utterance an array ``(5, frames_i)`` in
        :data:`STAT_NAMES` order, and a ``(N, 20)`` array of
        [mean, std, min, max] x :data:`STAT_NAMES`.
    """
    waves = [check_waveform(w, f"utterance {i}") for i, w in enumerate(waves)]
    order = sorted(range(len(waves)), key=lambda i: len(waves[i]))
    per_item: list[np.ndarray] = [np.zeros(0, np.float32)] * len(waves)
    summaries = np.zeros((len(waves), 4 * len(STAT_NAMES)), dtype=np.float32)
    for start in range(0, len(order), batch_size):
        chosen = order[start : start + batch_size]
        batch, lengths = pad_batch([waves[i] for i in chosen], min_samples=config.n_fft)
        stats = frame_statistics(batch.to(device), config)
        stacked = torch.stack([stats[name] for name in STAT_NAMES], dim=1).cpu()
        n_frames = config.n_frames(lengths)
        summaries[chosen] = summarize(stacked, n_frames).numpy()
        for row, (i, n) in enumerate(zip(chosen, n_frames.tolist())):
            per_item[i] = stacked[row, :, :n].numpy().copy()
    return per_item, summaries


# --------------------------------------------------------------------------- extractor for the cache


def _record_audio(record: Any) -> tuple[np.ndarray, str]:
    """The waveform of a record with ``wav_path`` (or a path / array itself) and its name."""
    if isinstance(record, np.ndarray):
        return check_waveform(record), "<array>"
    path = getattr(record, "wav_path", record)
    name = str(getattr(record, "id", path))
    if path is None:
        raise BadAudioError(f"{name}: the record has no audio file")
    return load_audio(path), name


@dataclass
class AudioFeatures:
    """A cacheable audio feature extractor (see :func:`course_lib.features.cache.extract`).

    Calling it on a list of records (objects with ``wav_path`` and ``id``, or
    paths) returns one float32 array per record: ``(frames, F)`` time-major for
    frame features, or ``(F,)`` when ``pooled`` is set.

    Attributes:
        kind: ``"mfcc"``, ``"logmel"``, ``"mel"`` (un-logged, the IEMOCAP
            paper's MEL), ``"chroma"`` or ``"stats"``.
        backend: ``"torchaudio"`` or ``"librosa"`` (``"stats"`` always uses torch).
        max_seconds: Crop/pad every utterance to this duration (None keeps it whole).
        crop: ``"start"`` or ``"random"`` (seeded by ``seed`` and the record id).
        pooled: None for frames, or ``"meanstd"`` for an utterance vector
            (mean and std over valid frames; ``"stats"`` uses its 20-d summary).
        config: STFT / filter-bank parameters.
        seed: Seed of the random crops.
        device: Torch device of the torchaudio backend.
        batch_size: Utterances per torch batch (does not change the output).
    """

    kind: str = "logmel"
    backend: str = "torchaudio"
    max_seconds: float | None = None
    crop: str = "start"
    pooled: str | None = None
    config: FrequencyConfig = FrequencyConfig()
    seed: int = 0
    device: str = "cpu"
    batch_size: int = 32

    def __post_init__(self) -> None:
        if self.kind != "stats":
            _check_kind(self.kind)
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown backend {self.backend!r}; choose from {BACKENDS}")
        if self.pooled not in (None, "meanstd"):
            raise ValueError(f"pooled must be None or 'meanstd', got {self.pooled!r}")
        self._module: TorchFrequencyFeatures | None = None

    @property
    def name(self) -> str:
        """Short name used as the cache folder."""
        return f"audio-{self.kind}"

    @property
    def variable_length(self) -> bool:
        """Whether items have different numbers of frames."""
        return self.pooled is None and self.max_seconds is None

    def config_dict(self) -> dict[str, Any]:
        """Everything that changes the output (the device does not)."""
        out = {k: v for k, v in asdict(self).items() if k not in ("device", "batch_size")}
        out["version"] = 1
        return out

    def _crop(self, wav: np.ndarray, name: str) -> np.ndarray:
        if self.max_seconds is None:
            return wav
        digest = hashlib.sha256(f"{self.seed}:{name}".encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
        return crop_or_pad(wav, self.max_seconds, self.config.sample_rate, self.crop, rng)

    def __call__(self, records: Sequence[Any]) -> list[np.ndarray]:
        """Features of a chunk of records (see the class docstring for shapes)."""
        waves = [self._crop(*_record_audio(r)) for r in records]
        return self.compute(waves)

    def compute(self, waves: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Features of waveforms already loaded (same output as ``__call__``)."""
        if self.kind == "stats":
            frames, summaries = statistical_features(waves, self.config, self.device, self.batch_size)
            if self.pooled:
                return list(summaries.astype(np.float32))
            return [np.ascontiguousarray(f.T) for f in frames]
        if self.backend == "torchaudio" and self._module is None:
            self._module = TorchFrequencyFeatures(self.kind, self.config).to(self.device)
        feats = frequency_features(
            waves,
            self.kind,
            self.config,
            self.backend,
            self.device,
            self._module,
            self.batch_size,
            time_major=True,
        )
        if self.pooled:
            return [np.concatenate([f.mean(0), f.std(0)]).astype(np.float32) for f in feats]
        return feats


# --------------------------------------------------------------------------- lesson helpers


def summary_table(waves: Sequence[np.ndarray], config: FrequencyConfig = FrequencyConfig()) -> Any:
    """The 20 utterance statistics of :func:`statistical_features` as a pandas table.

    Columns are ``<summary>_<statistic>`` (e.g. ``std_rms``), one row per utterance.
    """
    import pandas as pd

    _, summaries = statistical_features(waves, config)
    names = [f"{summary}_{stat}" for summary in SUMMARY_NAMES for stat in STAT_NAMES]
    return pd.DataFrame(summaries, columns=names)


def compare_backends(
    waves: Sequence[np.ndarray], kinds: Sequence[str] = KINDS, config: FrequencyConfig = FrequencyConfig()
) -> Any:
    """Compute every kind with both backends; a pandas table of their agreement and speed.

    Columns: ``shape of one turn``, ``max |torchaudio - librosa|``, ``relative to the
    largest value``, ``torchaudio s``, ``librosa s``.
    """
    import time

    import pandas as pd

    rows = {}
    for kind in kinds:
        timed = {}
        for backend in ("torchaudio", "librosa"):
            started = time.perf_counter()
            timed[backend] = frequency_features(waves, kind, config, backend=backend)
            timed[f"{backend} s"] = time.perf_counter() - started
        fast, reference = timed["torchaudio"], timed["librosa"]
        scale = max(float(np.abs(r).max()) for r in reference) or 1.0
        error = max(float(np.abs(f - r).max()) for f, r in zip(fast, reference))
        rows[kind] = {
            "shape of one turn": str(fast[0].shape),
            "max |torchaudio - librosa|": error,
            "relative to the largest value": error / scale,
            "torchaudio s": timed["torchaudio s"],
            "librosa s": timed["librosa s"],
        }
    return pd.DataFrame(rows).T
