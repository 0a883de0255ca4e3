"""Generation time and disk size of each corpus preset (``bench corpora``).

Generates every preset into a scratch folder (or ``--out``) and prints, per
corpus, the seconds taken and the bytes written, then the IEMOCAP-like class
distribution and the oracle's weighted F1 (text latents, audio latents, both).
A script that prints figures; nothing is asserted.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from course_lib.data.synthetic.corpora import CORPORA, PRESETS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m course_lib bench corpora``."""
    parser.add_argument(
        "--presets", nargs="+", choices=PRESETS, default=list(PRESETS), help="presets to time (default: all)"
    )
    parser.add_argument("--seed", type=int, default=0, help="generation seed (default: 0)")
    parser.add_argument(
        "--only", nargs="+", choices=list(CORPORA), default=None, help="time only these corpora"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="keep the corpora in OUT/<preset> (default: a scratch folder, deleted)",
    )


def disk_size(path: Path) -> int:
    """Bytes of the files under ``path`` (or of ``path`` itself)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _megabytes(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:8.1f} MB"


def _report(out: Path, preset: str, result: dict) -> None:
    from course_lib.data.synthetic.iemocap_gen import oracle_scores

    print(f"preset {preset} (seed {result['seed']}) in {out}")
    total_seconds = total_bytes = 0.0
    for name, seconds in result["seconds"].items():
        size = sum(disk_size(out / p) for p in CORPORA[name][2] if (out / p).exists())
        total_seconds += seconds
        total_bytes += size
        print(f"  {name:8s} {seconds:8.1f} s {_megabytes(size)}")
    print(f"  {'total':8s} {total_seconds:8.1f} s {_megabytes(int(total_bytes))}")
    summary = result["corpora"].get("iemocap")
    if summary:
        print(
            f"  IEMOCAP-like: {summary['turns']} turns, {summary['dialogues']} dialogues, "
            f"mean turn {summary['duration_mean_s']:.2f} s"
        )
        for split, counts in summary["labels"].items():
            print(f"    {split:6s} " + "  ".join(f"{label} {n}" for label, n in counts.items()))
        for side, scores in oracle_scores(out).items():
            shown = "  ".join(f"{split} {value:.3f}" for split, value in scores.items())
            print(f"    oracle weighted F1 ({side} latents): {shown}")


def run(args: argparse.Namespace) -> int:
    """Generate each preset and print its time and size."""
    from course_lib.data.synthetic.corpora import make_corpora

    with tempfile.TemporaryDirectory(prefix="corpora-bench-") as scratch:
        base = Path(args.out) if args.out is not None else Path(scratch)
        for preset in args.presets:
            out = base / preset
            result = make_corpora(out, preset=preset, seed=args.seed, progress=False, only=args.only)
            _report(out, preset, result)
    return 0
