"""Feature-extraction benchmark: throughput, peak memory and cache-hit time per extractor.

For every extractor and backend it prints

* compute throughput in audio-seconds per second on an in-memory sample of
  utterances (and utterances per second), and its ratio to raw ``torch.stft``
  (same ``n_fft``/hop, same batches) measured in the same run;
* end-to-end throughput of ``cache.extract`` (read wav files, compute, write
  the cache) on the corpus, and the time of the second, cached call;
* the process's peak resident memory after the step (a running maximum).

It uses the generated IEMOCAP-like corpus when one is found (``--corpus``, or
``<data dir>/corpora/<preset>/``), otherwise it writes ``--n`` test utterances
of ``--seconds`` seconds (synthesised speech with noise, or tones when the
synthesiser is unavailable) to a temporary folder. ``--n 10000`` gives the
10,000-utterance memory figure. Figures are noisy on a shared machine.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from course_lib.features.audio import SAMPLE_RATE, AudioFeatures, FrequencyConfig, load_audio


@dataclass(frozen=True)
class WavRecord:
    """A minimal record for generated test signals."""

    id: str
    wav_path: Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m course_lib bench features``."""
    parser.add_argument(
        "--corpus",
        type=Path,
        default=None,
        help="IEMOCAP-format folder (default: the generated corpus, if any)",
    )
    parser.add_argument("--synthetic", action="store_true", help="ignore any corpus; use generated signals")
    parser.add_argument(
        "--n",
        type=int,
        default=None,
        help="utterances to use: the first N of the corpus (default all), or N generated (default 512)",
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="length of generated utterances")
    parser.add_argument(
        "--sample", type=int, default=256, help="utterances held in memory for compute timing"
    )
    parser.add_argument("--batch", type=int, default=32, help="utterances per compute batch")
    parser.add_argument("--chunk", type=int, default=256, help="utterances per cache chunk")
    parser.add_argument(
        "--extractors",
        default="mfcc,logmel,chroma,stats,whisper",
        help="comma-separated subset of mfcc,logmel,chroma,stats,whisper",
    )
    parser.add_argument("--backends", default="torchaudio,librosa", help="frequency-feature backends")
    parser.add_argument("--librosa-limit", type=int, default=64, help="utterances for the librosa backend")
    parser.add_argument(
        "--encoder-limit", type=int, default=512, help="utterances for end-to-end encoder runs"
    )
    parser.add_argument("--device", default="cpu", help="torch device of the torchaudio backend")
    parser.add_argument(
        "--cache-dir", type=Path, default=None, help="cache folder (default: a temporary one)"
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed repetitions (the best one is kept)")


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


# --------------------------------------------------------------------------- inputs


def _corpus_records(args: argparse.Namespace) -> list[Any] | None:
    """Utterances of the IEMOCAP-like corpus with audio, or None when unavailable."""
    if args.synthetic:
        return None
    try:
        from course_lib.data import iemocap
        from course_lib.runtime import resolve_data_dir
    except ImportError:
        return None
    roots = [args.corpus] if args.corpus else [resolve_data_dir() / "corpora" / p for p in ("full", "tiny")]
    for root in roots:
        if root is None or not Path(root).exists():
            continue
        try:
            loaded = iemocap.load(root, check_audio=False)
        except Exception as error:  # noqa: BLE001 -- report and fall back to generated signals
            print(f"could not load {root}: {error}")
            continue
        utterances = [u for u in _flatten(loaded) if getattr(u, "wav_path", None)]
        if utterances:
            print(f"corpus: {root} ({len(utterances)} utterances with audio)")
            return utterances[: args.n] if args.n else utterances
    return None


def _flatten(value: Any) -> list[Any]:
    """Utterances inside whatever a loader returns (list, dict of splits, dialogues...)."""
    if hasattr(value, "wav_path"):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if hasattr(value, "utterances"):
        value = value.utterances
    if isinstance(value, (list, tuple)):
        return [u for item in value for u in _flatten(item)]
    return []


def _base_signals(seconds: float) -> list[np.ndarray]:
    """A few seconds-long speech clips (synthesised) or harmonic tones as a fallback."""
    size = int(seconds * SAMPLE_RATE)
    try:
        from course_lib.data.synthetic.speech import Voice, synthesize

        sentences = [
            "I can't believe you did that again, it is so unfair.",
            "Well, that sounds wonderful, let's go there tomorrow morning.",
            "Nothing ever changes around here, does it?",
            "Oh my goodness, this is the best news I have heard all year!",
        ]
        voices = [Voice(pitch=40, rate=150), Voice(variant="f3", pitch=60, rate=190)]
        clips = [synthesize(s, v) for s in sentences for v in voices]
    except Exception as error:  # noqa: BLE001 -- the benchmark still runs on tones
        print(f"speech synthesis unavailable ({error}); using harmonic tones")
        t = np.arange(size) / SAMPLE_RATE
        clips = [
            sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6)).astype(np.float32) * 0.2
            for f0 in (110, 150, 220, 260)
        ]
    return [np.resize(c, size) if len(c) < size else c[:size] for c in clips]


def _generated_records(n: int, seconds: float, folder: Path) -> list[WavRecord]:
    """Write ``n`` noisy variants of the base signals as 16-bit wav files."""
    import soundfile as sf

    rng = np.random.default_rng(0)
    base = _base_signals(seconds)
    records = []
    for i in range(n):
        wav = base[i % len(base)] * rng.uniform(0.5, 1.0) + rng.normal(0, 0.005, len(base[0]))
        path = folder / f"utt{i:06d}.wav"
        sf.write(path, np.clip(wav, -1, 1).astype(np.float32), SAMPLE_RATE, subtype="PCM_16")
        records.append(WavRecord(f"utt{i:06d}", path))
    print(f"generated {n} utterances of {seconds:.1f} s in {folder}")
    return records


# --------------------------------------------------------------------------- measurements


def _duration(records: Sequence[Any]) -> float:
    """Total seconds of audio of records with ``wav_path`` (read from the file headers)."""
    import soundfile as sf

    return sum(sf.info(str(r.wav_path)).duration for r in records)


def _batches(waves: Sequence[np.ndarray], size: int) -> list[list[np.ndarray]]:
    return [list(waves[i : i + size]) for i in range(0, len(waves), size)]


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _stft_runner(
    waves: Sequence[np.ndarray], config: FrequencyConfig, batch: int, device: str
) -> Callable[[], None]:
    """A function running raw ``torch.stft`` (complex output, nothing else) over padded batches."""
    from course_lib.features.audio import pad_batch

    padded = [pad_batch(b)[0].to(device) for b in _batches(waves, batch)]
    window = torch.hann_window(config.n_fft, device=device)

    def run() -> None:
        with torch.inference_mode():
            for x in padded:
                torch.stft(x, config.n_fft, config.hop_length, window=window, return_complex=True)

    return run


def paired_throughput(
    work: Callable[[], Any], stft: Callable[[], Any], seconds: float, repeats: int
) -> tuple[float, float]:
    """Audio-seconds per second of ``work`` and of ``stft`` (raw ``torch.stft`` on the same audio).

    The two are timed alternately and the best time of each is kept, so that
    bursts of load on a shared machine affect both alike.
    """
    work()
    stft()
    best_work = best_stft = float("inf")
    for _ in range(max(1, repeats)):
        best_stft = min(best_stft, _timed(stft))
        best_work = min(best_work, _timed(work))
    return seconds / best_work, seconds / best_stft


def _backend_runner(
    kind: str, backend: str, waves: Sequence[np.ndarray], config: FrequencyConfig, batch: int, device: str
) -> Callable[[], None]:
    """The backend alone: torch modules on ready padded batches, librosa on each waveform."""
    from course_lib.features.audio import (
        TorchFrequencyFeatures,
        frame_statistics,
        librosa_features,
        pad_batch,
    )

    if backend == "librosa":
        return lambda: [librosa_features(w, kind, config) for w in waves]
    padded = [pad_batch(b)[0].to(device) for b in _batches(waves, batch)]
    if kind == "stats":

        def stats() -> None:
            with torch.inference_mode():
                for x in padded:
                    frame_statistics(x, config)

        return stats
    module = TorchFrequencyFeatures(kind, config).to(device)
    return lambda: [module(x) for x in padded]


def _end_to_end(records: Sequence[Any], extractor: Any, cache_dir: Path, chunk: int) -> tuple[float, float]:
    """Seconds of a cache miss (compute + write) and of the following cache hit."""
    from course_lib.features.cache import extract

    miss = extract(records, extractor, cache_dir, chunk_size=chunk, force=True, progress=False)
    hit = extract(records, extractor, cache_dir, chunk_size=chunk, progress=False)
    assert hit.hit and len(hit) == len(miss)
    return miss.seconds, hit.seconds


def _row(
    name: str,
    backend: str,
    n: int,
    audio_s: float,
    compute: float,
    stft: float,
    e2e: float | None,
    hit: float | None,
    utt_per_s: float | None = None,
) -> dict[str, Any]:
    return {
        "extractor": name,
        "backend": backend,
        "n": n,
        "compute_xrt": compute,
        "ratio_stft": compute / stft,
        "utt_s": utt_per_s,
        "e2e_xrt": (audio_s / e2e) if e2e else None,
        "hit_s": hit,
        "rss_mb": peak_rss_mb(),
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    """Print the result rows as an aligned text table."""
    header = (
        f"{'extractor':<10} {'backend':<11} {'n':>6} {'backend audio-s/s':>18} {'x stft':>7} "
        f"{'utt/s':>8} {'extract audio-s/s':>21} {'cache hit s':>12} {'peak RSS MB':>12}"
    )
    print(header)
    print("-" * len(header))

    def fmt(value: float | None, spec: str) -> str:
        return format(value, spec) if value is not None else format("-", spec[0] + spec[1:].split(".")[0])

    for r in rows:
        print(
            f"{r['extractor']:<10} {r['backend']:<11} {r['n']:>6} {fmt(r['compute_xrt'], '>18.1f')} "
            f"{fmt(r['ratio_stft'], '>7.2f')} {fmt(r['utt_s'], '>8.1f')} {fmt(r['e2e_xrt'], '>21.1f')} "
            f"{fmt(r['hit_s'], '>12.3f')} {fmt(r['rss_mb'], '>12.0f')}"
        )


def run(args: argparse.Namespace) -> int:
    """Run the benchmark and print its table; returns 0.

    Columns: ``backend audio-s/s`` -- the backend alone on the in-memory
    sample (torch modules on ready padded batches, librosa per waveform,
    Whisper from waveforms including its log-Mel) -- and its ratio to raw
    ``torch.stft`` timed alternately on the same batches (for Whisper, to the
    run's best ``torch.stft`` figure); utterances per second for encoders;
    ``extract audio-s/s``, the end-to-end ``cache.extract`` throughput (read
    wav files, validate, compute, write the cache) on ``n`` utterances; the
    cached call's time; the peak RSS so far.
    """
    wanted = [x.strip() for x in args.extractors.split(",") if x.strip()]
    backends = [x.strip() for x in args.backends.split(",") if x.strip()]
    with tempfile.TemporaryDirectory(prefix="course-bench-") as tmp:
        records = _corpus_records(args)
        if records is None:
            (Path(tmp) / "wav").mkdir()
            records = _generated_records(args.n or 512, args.seconds, Path(tmp) / "wav")
        cache_dir = args.cache_dir or Path(tmp) / "cache"
        sample = sorted((load_audio(r.wav_path) for r in records[: args.sample]), key=len)
        sample_s = sum(len(w) for w in sample) / SAMPLE_RATE
        config = FrequencyConfig()
        print(
            f"{len(records)} utterances; compute timing on {len(sample)} ({sample_s:.0f} s of audio); "
            f"torch threads {torch.get_num_threads()}; device {args.device}"
        )
        stft_run = _stft_runner(sample, config, args.batch, args.device)
        stft_run()
        stft = sample_s / min(_timed(stft_run) for _ in range(max(1, args.repeats)))
        rows = [_row("stft", "torch", len(sample), sample_s, stft, stft, None, None)]
        audio_s = _duration(records)
        for kind in [k for k in wanted if k != "whisper"]:
            for backend in ["torchaudio"] if kind == "stats" else backends:
                rows.append(_frequency_row(kind, backend, records, sample, args, cache_dir, audio_s))
        if "whisper" in wanted:
            rows.append(_whisper_row(records, sample, args, cache_dir, stft))
        print()
        print_table(rows)
    return 0


def _frequency_row(
    kind: str,
    backend: str,
    records: Sequence[Any],
    sample: list[np.ndarray],
    args: argparse.Namespace,
    cache_dir: Path,
    audio_s: float,
) -> dict[str, Any]:
    extractor = AudioFeatures(kind=kind, backend=backend, device=args.device, batch_size=args.batch)
    limit = args.librosa_limit if backend == "librosa" else len(records)
    part = sample[:limit]
    work = _backend_runner(kind, backend, part, extractor.config, args.batch, args.device)
    stft = _stft_runner(part, extractor.config, args.batch, args.device)
    seconds = sum(len(w) for w in part) / SAMPLE_RATE
    repeats = 1 if backend == "librosa" else args.repeats
    compute, stft_adjacent = paired_throughput(work, stft, seconds, repeats)
    subset = records[:limit]
    subset_s = audio_s if limit >= len(records) else _duration(subset)
    miss, hit = _end_to_end(subset, extractor, cache_dir, args.chunk)
    return _row(kind, backend, len(subset), subset_s, compute, stft_adjacent, miss, hit)


def _whisper_row(
    records: Sequence[Any], sample: list[np.ndarray], args: argparse.Namespace, cache_dir: Path, stft: float
) -> dict[str, Any]:
    from course_lib.features.encoders import SpeechEmbeddings, load_speech_encoder

    encoder = load_speech_encoder(batch_size=args.batch)
    part = sample[: args.encoder_limit]
    encoder.frames(part[: args.batch])  # warm-up
    seconds = min(_timed(lambda: encoder.frames(part)) for _ in range(2))
    part_s = sum(len(w) for w in part) / SAMPLE_RATE
    subset = records[: args.encoder_limit]
    miss, hit = _end_to_end(subset, SpeechEmbeddings(encoder, pooling="mean"), cache_dir, args.chunk)
    return _row(
        "whisper",
        "ctranslate2",
        len(subset),
        _duration(subset),
        part_s / seconds,
        stft,
        miss,
        hit,
        utt_per_s=len(part) / seconds,
    )
