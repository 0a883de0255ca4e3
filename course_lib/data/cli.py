"""``python -m course_lib data make|verify|info``: generate, check and describe corpora.

* ``data make --preset tiny|full [--out DIR] [--seed N] [--only NAME ...] [--variant nobias]
  [--if-missing | --force]``
  writes the embedded corpora (default folder ``<data dir>/corpora/<preset>``)
  into an empty folder; an identical complete corpus is kept. A folder holding
  another generated corpus is replaced only with ``--if-missing`` (which keeps
  an identical one and regenerates anything else) or ``--force`` (which always
  regenerates); a folder holding anything the generator did not write is
  always refused, and nothing in it is touched.
* ``data verify DIR`` re-hashes a generated corpus against its manifest.
* ``data stats DIR [--json]`` prints the facts of every corpus in ``DIR``
  (durations, vocabulary, overlap, ``xxx`` share, clipping, clips per speaker,
  class shares...) and ``data probe DIR [--json]`` the scores of linear probes on
  observable features per modality and fused, with the generator's oracle where
  a ground truth is present (:mod:`course_lib.data.diagnostics`).
* ``data info DIR`` prints, for each corpus found in ``DIR`` (IEMOCAP-like,
  MOSI/MOSEI pickles, MVSA Single/Multiple), counts per split, class and
  speaker, and durations where the format has them.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from course_lib.data.synthetic.corpora import CORPORA, PRESETS, VARIANTS


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``data`` command with its ``make`` and ``info`` sub-commands."""
    data = subparsers.add_parser("data", help="generate the embedded corpora or describe a corpus folder")
    commands = data.add_subparsers(dest="data_command", required=True)
    make = commands.add_parser("make", help="generate the IEMOCAP-, MOSI- and MVSA-like corpora")
    make.add_argument("--preset", choices=PRESETS, default="tiny", help="corpus size (default: tiny)")
    make.add_argument(
        "--out", type=Path, default=None, help="destination folder (default: <data dir>/corpora/<preset>)"
    )
    make.add_argument("--seed", type=int, default=0, help="generation seed (default: 0)")
    make.add_argument(
        "--only", nargs="+", choices=list(CORPORA), default=None, help="generate only these corpora"
    )
    make.add_argument(
        "--variant",
        action="append",
        choices=sorted(VARIANTS),
        default=[],
        help="also write a control corpus: nobias = MOSI without speaker bias (MOSI_nobias/); repeatable",
    )
    make.add_argument("--quiet", action="store_true", help="no progress bars")
    policy = make.add_mutually_exclusive_group()
    policy.add_argument(
        "--if-missing",
        action="store_true",
        help="keep complete corpora of this preset and seed; regenerate a damaged or different generated one",
    )
    policy.add_argument(
        "--force", action="store_true", help="regenerate even over a complete generated corpus"
    )
    make.set_defaults(func=run_make)
    verify = commands.add_parser("verify", help="check a generated corpus file by file against its manifest")
    verify.add_argument("dir", type=Path, help="generated corpus folder (e.g. data/corpora/tiny)")
    verify.set_defaults(func=run_verify)
    for name, text in (
        ("stats", "facts of every corpus in DIR (durations, vocabulary, label shares, speakers...)"),
        ("probe", "linear probes per modality, fused, and the generator's oracle, on validation and test"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("dir", type=Path, help="data or corpus folder (e.g. data/corpora/full)")
        command.add_argument("--json", action="store_true", help="print one JSON object")
        command.set_defaults(func=run_diagnostics, diagnostic=name)
    info = commands.add_parser("info", help="counts per split, class and speaker of the corpora in DIR")
    info.add_argument("dir", type=Path, help="corpus folder (e.g. data/corpora/tiny)")
    info.set_defaults(func=run_info)


def run_make(args: argparse.Namespace) -> int:
    """Generate the corpora and print where they went and how long each took."""
    from course_lib.data.synthetic.corpora import make_corpora

    if args.seed < 0:
        raise ValueError(f"--seed must be a non-negative integer, got {args.seed}")
    out = args.out
    if out is None:
        from course_lib.runtime import resolve_data_dir

        out = resolve_data_dir() / "corpora" / args.preset
    replace = "always" if args.force else "stale" if args.if_missing else "never"
    result = make_corpora(
        out,
        preset=args.preset,
        seed=args.seed,
        progress=not args.quiet,
        only=args.only,
        replace=replace,
        variants=args.variant,
    )
    if not result["generated"]:
        print(
            f"corpora ({args.preset}, seed {args.seed}) ready in {out}: already complete (--force regenerates)"
        )
        return 0
    print(f"wrote {', '.join(result['corpora'])} ({args.preset}, seed {args.seed}) to {out}")
    for name, seconds in result["seconds"].items():
        print(f"  {name}: {seconds:.1f} s")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    """Re-hash a generated corpus; 0 when intact, 1 (with what is wrong) otherwise."""
    from course_lib.data.synthetic.corpora import check_folder

    check = check_folder(args.dir, content=True)
    if check.record is None:
        print(f"{args.dir}: not a generated corpus (no corpus.json)")
        return 1
    files = check.record.get("files", {})
    if check.intact:
        print(
            f"{args.dir}: intact: {files.get('count')} files, {files.get('bytes')} bytes, "
            f"tree sha256 {files.get('tree_sha256')}"
        )
        return 0
    for label, names in (("damaged or missing", check.damaged), ("not generated", check.foreign)):
        if names:
            print(
                f"{args.dir}: {len(names)} {label}: "
                + ", ".join(names[:10])
                + (" ..." if len(names) > 10 else "")
            )
    return 1


def _table(title: str, rows: dict[str, Counter], columns: Iterable[str]) -> list[str]:
    columns = list(columns)
    width = max([len(c) for c in columns] + [5])
    lines = [title, "  " + "split".ljust(8) + "".join(c.rjust(width + 1) for c in columns) + "total".rjust(8)]
    for name, counts in rows.items():
        cells = "".join(str(counts.get(c, 0)).rjust(width + 1) for c in columns)
        lines.append("  " + name.ljust(8) + cells + str(sum(counts.values())).rjust(8))
    return lines


def iemocap_info(root: Path) -> list[str]:
    """Summary lines of an IEMOCAP(-like) tree."""
    from course_lib.data import iemocap

    report = iemocap.LoadReport()
    dialogues = iemocap.load(root, classes=iemocap.IEMOCAP_CLASSES, errors="skip", report=report)
    turns = iemocap.utterances(dialogues)
    rows = {}
    for split, part in iemocap.split_sessions(dialogues).items():
        rows[split] = Counter(u.label or "masked" for u in iemocap.utterances(part))
    lines = _table(
        f"IEMOCAP ({root}): {len(dialogues)} dialogues, {len(turns)} turns",
        rows,
        [*iemocap.IEMOCAP_CLASSES, "masked"],
    )
    durations = [u.duration for u in turns]
    if durations:
        lines.append(
            f"  duration: total {sum(durations) / 3600:.2f} h, mean {sum(durations) / len(durations):.2f} s,"
            f" min {min(durations):.2f} s, max {max(durations):.2f} s"
        )
    speakers = Counter(u.speaker for u in turns)
    lines.append("  turns per speaker: " + ", ".join(f"{s} {n}" for s, n in sorted(speakers.items())))
    lines.append(f"  {report}")
    return lines


def mmsa_info(path: Path) -> list[str]:
    """Summary lines of one MMSA pickle."""
    from course_lib.data import mmsa

    splits = mmsa.load(path)
    rows = {name: Counter(s.annotation for s in samples) for name, samples in splits.items()}
    total = sum(len(s) for s in splits.values())
    lines = _table(f"MMSA ({path}): {total} segments", rows, ["Negative", "Neutral", "Positive"])
    for name, samples in splits.items():
        if not samples:
            continue
        videos = len({s.video_id for s in samples})
        audio = [s.audio.shape[0] for s in samples]
        vision = [s.vision.shape[0] for s in samples]
        lines.append(
            f"  {name}: {videos} videos (speakers), audio {samples[0].audio.shape[1]}-d "
            f"{min(audio)}-{max(audio)} frames, vision {samples[0].vision.shape[1]}-d "
            f"{min(vision)}-{max(vision)} frames"
        )
    return lines


def mvsa_info(root: Path, variant: str) -> list[str]:
    """Summary lines of an MVSA Single or Multiple folder."""
    from course_lib.data import mvsa

    report = mvsa.MVSAReport()
    posts = mvsa.load(root, variant=variant, report=report)
    parts = dict(zip(("train", "valid", "test"), mvsa.split_posts(posts)))
    rows = {name: Counter(p.label for p in part) for name, part in parts.items()}
    lines = _table(
        f"MVSA {variant} ({root}): {len(posts)} posts after cleaning",
        rows,
        ["negative", "neutral", "positive"],
    )
    lines.append(f"  {report}")
    return lines


@dataclass(frozen=True)
class FoundCorpus:
    """A corpus found in a folder: its report key, kind (iemocap, mmsa, mvsa), path and MVSA variant."""

    key: str
    kind: str
    path: Path
    variant: str = ""


def find_corpora(folder: Path, all_pickles: bool = False) -> list[FoundCorpus]:
    """Every IEMOCAP tree, MMSA pickle and MVSA tree in ``folder`` (the layout of the real datasets).

    Args:
        folder: A data or corpus folder.
        all_pickles: Every ``*_50.pkl`` (aligned and unaligned); otherwise one
            per MMSA folder, the aligned file when there is one.
    """
    found = []
    for candidate in (folder, folder / "IEMOCAP_full_release"):
        if candidate.is_dir() and any(candidate.glob("Session[0-9]*")):
            found.append(FoundCorpus("iemocap", "iemocap", candidate))
            break
    pickles = sorted(folder.glob("*/*_50.pkl")) + sorted(folder.glob("*_50.pkl"))
    if not all_pickles:
        per_folder: dict[Path, Path] = {}
        for path in pickles:  # sorted: aligned_50 before unaligned_50
            per_folder.setdefault(path.parent, path)
        pickles = list(per_folder.values())
    for path in pickles:
        key = str(path) if all_pickles else (path.parent.name if path.parent != folder else path.stem)
        found.append(FoundCorpus(key, "mmsa", path))
    for name, variant in (("MVSA_Single", "single"), ("MVSA", "multiple")):
        if (folder / name / "labelResultAll.txt").is_file():
            found.append(FoundCorpus(f"mvsa_{variant}", "mvsa", folder / name, variant))
    return found


def describe(folder: Path) -> list[str]:
    """Summary lines of every corpus found in ``folder``."""
    describers: dict[str, Callable[[FoundCorpus], list[str]]] = {
        "iemocap": lambda c: iemocap_info(c.path),
        "mmsa": lambda c: mmsa_info(c.path),
        "mvsa": lambda c: mvsa_info(c.path, c.variant),
    }
    sections = [(c.key, lambda c=c: describers[c.kind](c)) for c in find_corpora(folder, all_pickles=True)]
    lines: list[str] = []
    record = folder / "corpus.json"
    if record.is_file():
        meta = json.loads(record.read_text(encoding="utf-8"))
        lines.append(
            f"generated corpus: preset {meta.get('preset')}, seed {meta.get('seed')}, "
            f"generator version {meta.get('generator_version')}"
        )
    for name, describe_one in sections:
        try:
            lines.extend(describe_one())
        except (OSError, ValueError) as error:
            lines.append(f"{name}: cannot be read: {error}")
    return lines


def run_info(args: argparse.Namespace) -> int:
    """Print the summary of the corpora in ``args.dir``; 1 when none is found."""
    folder = Path(args.dir).expanduser()
    if not folder.is_dir():
        print(f"no such folder: {folder}")
        return 1
    lines = describe(folder)
    if not any(not line.startswith("generated corpus") for line in lines):
        print(f"no IEMOCAP, MMSA or MVSA corpus found in {folder}")
        return 1
    print("\n".join(lines))
    return 0


def diagnose(folder: Path, which: str) -> dict[str, Any]:
    """``{corpus key: stats or probe result}`` for every corpus in ``folder``.

    Args:
        folder: A data or corpus folder.
        which: ``"stats"`` or ``"probe"``.
    """
    from course_lib.data.diagnostics import iemocap as iemocap_diag
    from course_lib.data.diagnostics import mmsa as mmsa_diag
    from course_lib.data.diagnostics import mvsa as mvsa_diag

    functions: dict[tuple[str, str], Callable[[FoundCorpus], dict[str, Any]]] = {
        ("iemocap", "stats"): lambda c: iemocap_diag.iemocap_stats(c.path),
        ("iemocap", "probe"): lambda c: iemocap_diag.iemocap_probe(c.path),
        ("mmsa", "stats"): lambda c: mmsa_diag.mmsa_stats(c.path),
        ("mmsa", "probe"): lambda c: mmsa_diag.mmsa_probe(c.path),
        ("mvsa", "stats"): lambda c: mvsa_diag.mvsa_stats(c.path, c.variant),
        ("mvsa", "probe"): lambda c: mvsa_diag.mvsa_probe(c.path, c.variant),
    }
    return {c.key: functions[(c.kind, which)](c) for c in find_corpora(folder)}


def _tree_lines(value: Any, indent: int = 0) -> list[str]:
    """Nested dicts as indented ``key: value`` lines (floats with 3 decimals)."""
    pad = "  " * indent
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if isinstance(item, dict):
                lines += [f"{pad}{key}:", *_tree_lines(item, indent + 1)]
            else:
                lines.append(f"{pad}{key}: {_tree_lines(item)[0]}")
        return lines
    if isinstance(value, float):
        return [f"{value:.3f}"]
    if isinstance(value, list):
        return ["[" + ", ".join(_tree_lines(v)[0] for v in value) + "]"]
    return [str(value)]


def run_diagnostics(args: argparse.Namespace) -> int:
    """Print ``data stats`` or ``data probe`` of the corpora in ``args.dir``; 1 when none is found."""
    folder = Path(args.dir).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder: {folder}")
    report = diagnose(folder, args.diagnostic)
    if not report:
        print(f"no IEMOCAP, MMSA or MVSA corpus found in {folder}")
        return 1
    print(json.dumps(report, indent=1, sort_keys=False) if args.json else "\n".join(_tree_lines(report)))
    return 0
