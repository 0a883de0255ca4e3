"""Loader for MVSA (Twitter text + image sentiment), Single and Multiple.

Reads the real release or the course's generated corpus, which share the layout::

    MVSA_Single/labelResultAll.txt   MVSA_Single/data/<id>.txt   MVSA_Single/data/<id>.jpg
    MVSA/labelResultAll.txt          MVSA/data/<id>.txt          MVSA/data/<id>.jpg   (Multiple)

``labelResultAll.txt`` holds a header line (``ID<TAB>text,image...``), then per
post its id and one ``text,image`` pair (Single, one annotator) or three
tab-separated pairs (Multiple, three annotators); labels are ``positive``,
``neutral`` and ``negative``.

Cleaning (the rules used in the MVSA papers), applied in this order; each
dropped post is counted under the first reason that applies:

1. Multiple only: a modality's label is the one at least 2 of the 3 annotators
   gave; a modality without such agreement drops the post (``no_agreement``).
2. Text and image labels equal -> that label; one neutral -> the other one;
   positive against negative -> the post is dropped (``conflicting``).
3. The post's text file is missing (``missing_text``) or its image is missing
   (``missing_image``), empty, truncated or otherwise unreadable by Pillow
   (``broken_image``), or its text is in no encoding that can be told
   (``undecodable_text``, see below).

``<id>.txt`` and ``<id>.jpg`` are found whatever the case of their names
(``12.JPG``), the lower-case name first.

Text files come in mixed encodings, decoded as described in
:mod:`course_lib.data.fileio`: UTF-8 (a byte-order mark is dropped); the
latin-1 (or cp1252) fallback when that gives Western text (``latin1_texts``);
UTF-16 or a Chinese, Japanese or Korean encoding when detected
(``other_encoding_texts``); posts whose bytes fit none of them are dropped
rather than kept as mojibake (``undecodable_text``). Duplicate ids keep their
first line (``duplicate_ids``). Posts skipped for missing or broken files, and
texts not in UTF-8 nor latin-1, are also logged as a warning. A label line with
the wrong number of fields, an unknown label or an unusable id raises
:class:`MVSAFormatError` naming the file and line.
"""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from course_lib.data.fileio import WESTERN_ENCODINGS, read_text_file
from course_lib.data.records import MVSA_CLASSES, Post

__all__ = [
    "VARIANTS",
    "MVSAFormatError",
    "MVSAReport",
    "find_root",
    "image_is_readable",
    "load",
    "parse_label_line",
    "read_ground_truth",
    "read_text",
    "resolve_labels",
    "shape_boxes",
    "split_posts",
]

LOG = logging.getLogger(__name__)

#: Folder name and annotator count of each variant.
VARIANTS: dict[str, tuple[str, int]] = {"single": ("MVSA_Single", 1), "multiple": ("MVSA", 3)}
LABEL_FILE = "labelResultAll.txt"
#: The generator's per-post manifest (absent from the real release).
TRUTH_FILE = "ground_truth.csv"
_ID = re.compile(r"^[A-Za-z0-9_-]+$")
_NEG, _NEU, _POS = MVSA_CLASSES


class MVSAFormatError(ValueError):
    """A malformed MVSA file (the message names the file and line)."""


@dataclass
class MVSAReport:
    """What the loader read, decoded and dropped.

    Attributes:
        label_lines: Post lines read from ``labelResultAll.txt``.
        duplicate_ids: Lines repeating an earlier id (ignored).
        no_agreement: Posts without a 2-of-3 majority for text or image (Multiple).
        conflicting: Posts with positive against negative labels.
        missing_text: Posts whose ``<id>.txt`` is absent.
        missing_image: Posts whose ``<id>.jpg`` is absent.
        broken_image: Posts whose image is empty, truncated or unreadable.
        undecodable_text: Posts whose text is in no encoding that can be told.
        latin1_texts: Kept posts whose text was not UTF-8 and was decoded as
            latin-1 (or cp1252).
        other_encoding_texts: Kept posts whose text was decoded from a detected
            UTF-16 or CJK encoding (GB2312, Big5, ...).
        kept: Posts returned.
    """

    label_lines: int = 0
    duplicate_ids: int = 0
    no_agreement: int = 0
    conflicting: int = 0
    missing_text: int = 0
    missing_image: int = 0
    broken_image: int = 0
    undecodable_text: int = 0
    latin1_texts: int = 0
    other_encoding_texts: int = 0
    kept: int = 0

    @property
    def dropped(self) -> int:
        """Posts read but not returned (duplicates excluded)."""
        return (
            self.no_agreement
            + self.conflicting
            + self.missing_text
            + self.missing_image
            + self.broken_image
            + self.undecodable_text
        )

    def as_dict(self) -> dict[str, int]:
        """The counts as a plain dict (JSON-able)."""
        return asdict(self)

    def __str__(self) -> str:
        counts = ", ".join(f"{key}={value}" for key, value in self.as_dict().items())
        return f"MVSA: {counts}"


def find_root(root: Path, variant: str) -> Path:
    """The folder holding ``labelResultAll.txt`` for ``variant``.

    ``root`` may be that folder itself or its parent (holding ``MVSA_Single/``
    and ``MVSA/``).

    Raises:
        ValueError: for an unknown variant.
        FileNotFoundError: when no label file is found.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {sorted(VARIANTS)}, got {variant!r}")
    root = Path(root)
    for candidate in (root, root / VARIANTS[variant][0]):
        if (candidate / LABEL_FILE).is_file():
            return candidate
    raise FileNotFoundError(
        f"no {LABEL_FILE} in {root} or {root / VARIANTS[variant][0]} (MVSA {variant} expected there)"
    )


def parse_label_line(
    line: str, annotators: int, path: Path | str = "<labels>", line_number: int = 0
) -> tuple[str, list[tuple[str, str]]]:
    """Parse one post line of ``labelResultAll.txt``.

    Args:
        line: The line, e.g. ``"12\\tpositive,neutral"``.
        annotators: Number of ``text,image`` pairs expected (1 or 3).
        path: The file, for error messages.
        line_number: 1-based line number, for error messages.

    Returns:
        ``(post id, [(text label, image label), ...])`` with one pair per annotator.

    Raises:
        MVSAFormatError: for a wrong number of fields, an unusable id, a pair
            that is not ``text,image`` or an unknown label.
    """
    where = f"{path}:{line_number}"
    fields = line.rstrip("\r\n").split("\t")
    if len(fields) != annotators + 1:
        raise MVSAFormatError(
            f"{where}: expected an id and {annotators} text,image pair(s) separated by tabs, "
            f"got {len(fields)} field(s)"
        )
    post_id = fields[0].strip()
    if not _ID.match(post_id):
        raise MVSAFormatError(f"{where}: post id {post_id!r} is not made of letters, digits, '_' or '-'")
    pairs = []
    for field in fields[1:]:
        labels = [part.strip().lower() for part in field.split(",")]
        if len(labels) != 2:
            raise MVSAFormatError(f"{where}: expected 'text,image' labels, got {field!r}")
        for label in labels:
            if label not in MVSA_CLASSES:
                raise MVSAFormatError(f"{where}: unknown label {label!r}; expected one of {MVSA_CLASSES}")
        pairs.append((labels[0], labels[1]))
    return post_id, pairs


def _agreed(labels: list[str]) -> str | None:
    label, count = Counter(labels).most_common(1)[0]
    return label if count >= min(2, len(labels)) else None


def resolve_labels(pairs: list[tuple[str, str]]) -> tuple[str, str, str] | str:
    """Apply the cleaning rules to one post's annotations.

    Returns:
        ``(text label, image label, post label)``, or the reason the post is
        dropped: ``"no_agreement"`` or ``"conflicting"``.
    """
    text = _agreed([pair[0] for pair in pairs])
    image = _agreed([pair[1] for pair in pairs])
    if text is None or image is None:
        return "no_agreement"
    if text == image:
        return text, image, text
    if _NEU in (text, image):
        return text, image, image if text == _NEU else text
    return "conflicting"


def read_text(path: Path) -> tuple[str, bool]:
    """Decode a tweet file (see :mod:`course_lib.data.fileio` for the encodings tried).

    Returns:
        ``(text with surrounding whitespace stripped, whether the latin-1 or
        cp1252 fallback was used)``; :func:`course_lib.data.fileio.read_text_file`
        also tells the other encodings and whether the text is plausible.
    """
    decoded = read_text_file(path)
    return decoded.text.strip(), decoded.encoding in WESTERN_ENCODINGS


def _data_files(data: Path) -> dict[str, Path]:
    """File name in lower case -> file in ``data`` (a lower-case name wins over ``12.JPG``)."""
    files: dict[str, Path] = {}
    if data.is_dir():
        with os.scandir(data) as entries:
            for entry in entries:
                key = entry.name.lower()
                if entry.is_file() and (key not in files or entry.name == key):
                    files[key] = Path(entry.path)
    return files


def image_is_readable(path: Path) -> bool:
    """Whether Pillow can fully decode the image (empty or truncated files fail)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False
    return True


def _read_label_file(path: Path, annotators: int, report: MVSAReport) -> list[tuple[str, list]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise MVSAFormatError(f"{path}: not UTF-8 text ({error})") from error
    entries, seen = [], set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or (number == 1 and line.strip().lower().startswith("id")):
            continue
        post_id, pairs = parse_label_line(line, annotators, path, number)
        report.label_lines += 1
        if post_id in seen:
            report.duplicate_ids += 1
            continue
        seen.add(post_id)
        entries.append((post_id, pairs))
    return entries


def load(
    root: Path | str, variant: str = "single", verify_images: bool = True, report: MVSAReport | None = None
) -> list[Post]:
    """Load MVSA posts after the documented cleaning.

    Args:
        root: The variant's folder (``.../MVSA_Single``) or its parent.
        variant: ``"single"`` or ``"multiple"``.
        verify_images: Decode every image with Pillow to catch broken files
            (otherwise only missing and empty files are caught).
        report: Optional :class:`MVSAReport` filled with the counts.

    Returns:
        Posts in file order.

    Raises:
        FileNotFoundError: when the label file is missing.
        MVSAFormatError: for a malformed label line (file and line named).
    """
    folder = find_root(Path(root), variant)
    report = report if report is not None else MVSAReport()
    entries = _read_label_file(folder / LABEL_FILE, VARIANTS[variant][1], report)
    files = _data_files(folder / "data")
    posts, unusual = [], []
    for post_id, pairs in entries:
        resolved = resolve_labels(pairs)
        if isinstance(resolved, str):
            setattr(report, resolved, getattr(report, resolved) + 1)
            continue
        text_path, image_path = files.get(f"{post_id}.txt".lower()), files.get(f"{post_id}.jpg".lower())
        if text_path is None:
            report.missing_text += 1
            continue
        if image_path is None:
            report.missing_image += 1
            continue
        if image_path.stat().st_size == 0 or (verify_images and not image_is_readable(image_path)):
            report.broken_image += 1
            continue
        decoded = read_text_file(text_path)
        if not decoded.plausible:
            report.undecodable_text += 1
            unusual.append(f"{text_path.name} (undecodable)")
            continue
        if decoded.encoding in WESTERN_ENCODINGS:
            report.latin1_texts += 1
        elif not decoded.is_utf8:
            report.other_encoding_texts += 1
            unusual.append(f"{text_path.name} ({decoded.encoding})")
        posts.append(Post(post_id, decoded.text.strip(), image_path, resolved[0], resolved[1], resolved[2]))
    report.kept = len(posts)
    _warn_unusable(folder, report, unusual)
    LOG.info("%s", report)
    return posts


def _warn_unusable(folder: Path, report: MVSAReport, unusual: list[str]) -> None:
    """Log the posts dropped for their files and the texts neither UTF-8 nor latin-1."""
    unusable = report.missing_text + report.missing_image + report.broken_image + report.undecodable_text
    if unusable:
        LOG.warning(
            "%s: skipped %d post(s) with missing or broken files (missing_text=%d, missing_image=%d, "
            "broken_image=%d, undecodable_text=%d)",
            folder,
            unusable,
            report.missing_text,
            report.missing_image,
            report.broken_image,
            report.undecodable_text,
        )
    if unusual:
        LOG.warning(
            "%s: %d text file(s) neither UTF-8 nor latin-1: %s",
            folder,
            len(unusual),
            ", ".join(unusual[:10]) + (", ..." if len(unusual) > 10 else ""),
        )


def split_posts(
    posts: list[Post], ratios: tuple[float, float, float] = (0.8, 0.1, 0.1), seed: int = 0
) -> tuple[list[Post], list[Post], list[Post]]:
    """Stratified, deterministic train/validation/test split.

    Within each label, posts are ordered by id, shuffled with ``seed`` and cut
    by ``ratios`` (rounded down for validation and test); each part keeps the
    input order. The same posts and seed always give the same split.

    Raises:
        ValueError: when the ratios are negative or do not sum to 1.
    """
    if len(ratios) != 3 or min(ratios) < 0 or abs(sum(ratios) - 1.0) > 1e-6:
        raise ValueError(f"ratios must be three non-negative numbers summing to 1, got {ratios}")
    rng = np.random.default_rng(seed)
    part_of: dict[str, int] = {}
    for label in sorted({post.label for post in posts}):
        ids = sorted((post.id for post in posts if post.label == label), key=lambda i: (len(i), i))
        order = [ids[int(i)] for i in rng.permutation(len(ids))]
        n_valid, n_test = int(len(ids) * ratios[1]), int(len(ids) * ratios[2])
        n_train = len(ids) - n_valid - n_test
        for rank, post_id in enumerate(order):
            part_of[post_id] = 0 if rank < n_train else (1 if rank < n_train + n_valid else 2)
    parts: tuple[list[Post], list[Post], list[Post]] = ([], [], [])
    for post in posts:
        parts[part_of[post.id]].append(post)
    return parts


def read_ground_truth(root: Path | str, variant: str = "single") -> dict[str, dict[str, str]] | None:
    """The generated corpus's ground truth by post id, or None for the real release.

    The rows of ``ground_truth.csv`` (written by
    :mod:`course_lib.data.synthetic.mvsa_gen`, whose docstring lists the
    columns) as strings; :func:`shape_boxes` parses the ``shapes`` column.

    Raises:
        MVSAFormatError: when the file lacks the ``id`` or ``shapes`` column.
    """
    import csv

    path = find_root(Path(root), variant) / TRUTH_FILE
    if not path.is_file():
        return None
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"id", "shapes"} - set(reader.fieldnames or ())
        if missing:
            raise MVSAFormatError(f"{path}:1: missing column(s) {sorted(missing)}")
        return {row["id"]: row for row in reader}


def shape_boxes(row: dict[str, str]) -> list[tuple[str, int, int, int, int]]:
    """The drawn shapes of one ground-truth row: ``[(kind, x0, y0, x1, y1), ...]`` in pixels.

    Raises:
        MVSAFormatError: when the ``shapes`` field is not a JSON list of 5-item lists.
    """
    import json

    try:
        shapes = json.loads(row["shapes"] or "[]")
        return [(str(k), int(x0), int(y0), int(x1), int(y1)) for k, x0, y0, x1, y1 in shapes]
    except (ValueError, TypeError) as error:
        raise MVSAFormatError(
            f"post {row.get('id')}: bad shapes field {row.get('shapes')!r} ({error})"
        ) from error
