"""Writer of the MVSA-like corpus (tweets with images) in MVSA's on-disk format.

Two trees are written, as in the real release::

    <out>/MVSA_Single/labelResultAll.txt   <out>/MVSA_Single/data/<id>.txt, <id>.jpg
    <out>/MVSA/labelResultAll.txt          <out>/MVSA/data/<id>.txt, <id>.jpg     (Multiple)

plus a ground-truth manifest ``ground_truth.csv`` in each tree (not part of
the real release; the loader never reads it).

How a post is made:

* Every post has a latent sentiment (negative / neutral / positive) drawn
  from ``prior``; the default makes the cleaned Single tree about 60 %
  positive, 10 % neutral and 30 % negative, like the real one. The text's
  sentiment equals it with probability ``text_agreement`` and the image's with
  ``image_agreement``; otherwise the modality shows another sentiment, so text
  and image disagree on some posts (the fusion lesson's point).
* The tweet is built from templates and cue words of its sentiment, with
  hashtags, emoji, @mentions, ``http://t.co/...`` links and retweets. A
  fraction ``uninformative_text`` of tweets carries no cue at all. About 8 %
  of the text files are written in latin-1 (with accented words and no emoji),
  the others in UTF-8: the real set mixes encodings too.
* The 128x128 JPEG image carries its sentiment through palette and shapes:
  warm, bright gradients with suns, smiles and rising shapes (positive); dark,
  cold gradients with jagged lines, frowns and rain (negative); greyish scenes
  with boxes and lines (neutral). Hue, brightness and shape counts are jittered,
  and a few images are drawn with another sentiment's style (noise).
* Annotators see the modality's sentiment and report it correctly with
  probability ``annotator_accuracy``, else a neighbouring label. The Single
  file has one annotator, the Multiple file three (so some posts have no
  2-of-3 agreement, and some have positive text against a negative image).
* A few images are broken: truncated JPEG files and empty files.

``ground_truth.csv`` has one row per post with the columns of
:data:`TRUTH_COLUMNS`: ``latent``; ``text_sentiment`` (drawn for the text),
``text_informative`` (1 when the tweet carries a cue) and ``text_shown`` (what
the words show: ``text_sentiment``, or neutral without a cue);
``image_sentiment`` (what the annotators see in the image) and ``image_style``
(the sentiment whose palette and shapes were drawn); ``informative_cue``
(``both``, ``text``, ``image`` or ``none``: which of ``text_shown`` and
``image_style`` equals the latent); ``latin1`` (1 for a latin-1 text file);
``broken`` (``truncated``, ``empty`` or empty); ``shapes`` (JSON list of
``[kind, x0, y0, x1, y1]`` pixel boxes of the drawn shapes: sun, smile,
triangle, jagged_line, frown, rain, box, line).

``labelResultAll.txt`` has the header line ``ID<TAB>text,image`` (Single) or
``ID<TAB>text,image<TAB>text,image<TAB>text,image`` (Multiple), then one line
per post. Post ids start at 1 with small gaps, as in the real files.

Sizes (posts written / posts left after the usual cleaning, which depends on
the seed and is returned in the summary):

======  ===========  ============
preset  MVSA_Single  MVSA (Multi)
======  ===========  ============
tiny    240          300
full    4800         4000
======  ===========  ============

Same seed -> byte-identical files.
"""

from __future__ import annotations

import colorsys
import csv
import io
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from course_lib.data.records import MVSA_CLASSES

NEG, NEU, POS = MVSA_CLASSES
IMAGE_SIZE = 128


@dataclass(frozen=True)
class MVSAPreset:
    """Sizes and noise levels of one MVSA-like corpus.

    Attributes:
        single_posts: Posts in ``MVSA_Single``.
        multiple_posts: Posts in ``MVSA`` (Multiple, three annotators).
        prior: Probability of negative, neutral, positive latent sentiment. The
            default gives, after the usual cleaning of the Single tree, about
            30 % negative, 10 % neutral and 60 % positive posts, the shares of
            the real cleaned MVSA-Single (30.1 / 10.4 / 59.5 %); neutral posts
            survive cleaning only when both labels are neutral, so the latent
            neutral share is much smaller than the cleaned one.
        text_agreement: P(text sentiment == latent sentiment).
        image_agreement: P(image sentiment == latent sentiment).
        uninformative_text: Fraction of tweets without any sentiment cue.
        image_style_noise: Fraction of images drawn with another sentiment's style.
        annotator_accuracy: P(an annotator reports the modality's sentiment).
        latin1_fraction: Fraction of text files written in latin-1.
        truncated_images: Number of truncated JPEG files per tree.
        empty_images: Number of empty image files per tree.
    """

    single_posts: int
    multiple_posts: int
    prior: tuple[float, float, float] = (0.27, 0.05, 0.68)
    text_agreement: float = 0.8
    image_agreement: float = 0.7
    uninformative_text: float = 0.12
    image_style_noise: float = 0.1
    annotator_accuracy: float = 0.85
    latin1_fraction: float = 0.08
    truncated_images: int = 2
    empty_images: int = 1


PRESETS: dict[str, MVSAPreset] = {
    "tiny": MVSAPreset(single_posts=240, multiple_posts=300),
    "full": MVSAPreset(single_posts=4800, multiple_posts=4000, truncated_images=3, empty_images=2),
}

# ----------------------------------------------------------------------------- text

_CUES = {
    POS: [
        "love",
        "amazing",
        "so happy",
        "best day ever",
        "beautiful",
        "great",
        "awesome",
        "so proud",
        "wonderful",
        "can't stop smiling",
        "blessed",
        "fantastic",
        "perfect",
    ],
    NEG: [
        "hate",
        "terrible",
        "so sad",
        "worst day ever",
        "awful",
        "so angry",
        "disgusting",
        "heartbroken",
        "can't believe this",
        "ruined",
        "horrible",
        "disappointed",
        "sick of",
    ],
    NEU: [
        "new post",
        "watching",
        "at the station",
        "meeting today",
        "reading about",
        "just posted",
        "update on",
        "live from",
        "photo of",
        "thinking about",
    ],
}
_TEMPLATES = {
    POS: [
        "{cue} {topic} {emoji}",
        "{topic} is {cue} {emoji}",
        "{cue}! {topic} with {mention}",
        "Feeling {cue} about {topic}",
        "{topic} today, {cue} {emoji} {emoji}",
    ],
    NEG: [
        "{cue} {topic} {emoji}",
        "{topic} is {cue} {emoji}",
        "{cue}... {topic} again",
        "Feeling {cue} about {topic}",
        "{topic} today, {cue} {emoji}",
    ],
    NEU: [
        "{cue} {topic}",
        "{topic}: {cue}",
        "{cue} {topic} with {mention}",
        "{topic} at 5pm",
        "{cue} the {topic}",
    ],
}
_EMOJI = {
    POS: ["\U0001f60d", "\U0001f60a", "\U0001f389", "\u2764\ufe0f", "\U0001f44d", "\u2600\ufe0f", ":)", ":D"],
    NEG: ["\U0001f622", "\U0001f621", "\U0001f494", "\U0001f44e", "\U0001f61e", ":(", ":'("],
    NEU: ["\U0001f4f7", "\U0001f914", "\U0001f4f0"],
}
_HASHTAGS = {
    POS: ["#love", "#happy", "#blessed", "#win", "#sunshine", "#goodvibes"],
    NEG: ["#fail", "#sad", "#angry", "#worst", "#rip", "#ugh"],
    NEU: ["#news", "#photo", "#tbt", "#Monday", "#travel", "#football", "#music"],
}
_TOPICS = [
    "the new album",
    "my team",
    "this city",
    "the weather",
    "the game",
    "our trip",
    "the concert",
    "the match",
    "my phone",
    "the election",
    "the beach",
    "the traffic",
    "this movie",
    "the food",
    "the train",
    "my birthday",
    "the final",
    "the show",
]
_ACCENTED = [
    "café",
    "naïve",
    "déjà vu",
    "jalapeño",
    "señor",
    "crème brûlée",
    "façade",
    "fiancée",
    "résumé",
    "piñata",
    "Zürich",
    "São Paulo",
]
_UNINFORMATIVE = ["{topic}", "{topic} {url}", "RT {mention}: {topic}", "{mention} {topic}?", "{topic} #photo"]


def _pick(rng: np.random.Generator, items: list[str]) -> str:
    return items[int(rng.integers(len(items)))]


def _mention(rng: np.random.Generator) -> str:
    return (
        "@"
        + _pick(rng, ["news", "best", "the", "real", "its", "mr", "miss"])
        + "_"
        + "".join(chr(ord("a") + int(c)) for c in rng.integers(0, 26, size=int(rng.integers(3, 8))))
    )


def _url(rng: np.random.Generator) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "http://t.co/" + "".join(alphabet[int(i)] for i in rng.integers(0, len(alphabet), size=10))


def make_tweet(rng: np.random.Generator, sentiment: str, informative: bool, latin1: bool) -> str:
    """One tweet expressing ``sentiment`` (or nothing when not ``informative``).

    Latin-1 tweets get an accented word and no emoji (latin-1 cannot encode them).
    """
    fill = {
        "topic": _pick(rng, _TOPICS),
        "mention": _mention(rng),
        "url": _url(rng),
        "cue": _pick(rng, _CUES[sentiment]),
    }
    template = _pick(rng, _TEMPLATES[sentiment] if informative else _UNINFORMATIVE)
    parts = template.split("{emoji}")
    text = parts[0].format(**fill)
    for part in parts[1:]:
        text += ("" if latin1 else _pick(rng, _EMOJI[sentiment])) + part.format(**fill)
    words = [" ".join(text.split())]
    if latin1:
        words.insert(int(rng.integers(0, 2)), _pick(rng, _ACCENTED))
    if rng.random() < 0.6:
        tags = _HASHTAGS[sentiment] if informative else _HASHTAGS[NEU]
        words.extend(sorted({_pick(rng, tags) for _ in range(int(rng.integers(1, 4)))}))
    if rng.random() < 0.35:
        words.append(_url(rng))
    if rng.random() < 0.15:
        words.insert(0, f"RT {_mention(rng)}:")
    return " ".join(words)


# ---------------------------------------------------------------------------- image

_STYLE = {  # hue range (0-1), saturation range, value range of the background
    POS: ((0.02, 0.17), (0.5, 0.9), (0.75, 1.0)),
    NEG: ((0.55, 0.72), (0.3, 0.7), (0.15, 0.45)),
    NEU: ((0.0, 1.0), (0.0, 0.15), (0.45, 0.7)),
}


def _colour(rng: np.random.Generator, style: str, shift: float = 0.0) -> tuple[int, int, int]:
    (h0, h1), (s0, s1), (v0, v1) = _STYLE[style]
    h = rng.uniform(h0, h1) % 1.0
    s = rng.uniform(s0, s1)
    v = min(1.0, max(0.0, rng.uniform(v0, v1) + shift))
    r, g, b = colorsys.hsv_to_rgb(h, s, v)
    return int(r * 255), int(g * 255), int(b * 255)


def _gradient(top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    t = np.linspace(0.0, 1.0, IMAGE_SIZE, dtype=np.float64)[:, None, None]
    rows = (1 - t) * np.array(top, dtype=np.float64) + t * np.array(bottom, dtype=np.float64)
    pixels = np.broadcast_to(rows, (IMAGE_SIZE, IMAGE_SIZE, 3)).round().astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(pixels), mode="RGB")


#: A drawn shape: (kind, x0, y0, x1, y1), its bounding box in pixels clipped to the image.
Shape = tuple[str, int, int, int, int]


def _shape(kind: str, x0: float, y0: float, x1: float, y1: float) -> Shape:
    def inside(v: float) -> int:
        return int(min(max(v, 0), IMAGE_SIZE - 1))

    return kind, inside(x0), inside(y0), inside(x1), inside(y1)


def _draw_positive(draw: ImageDraw.ImageDraw, rng: np.random.Generator) -> list[Shape]:
    x, y, r = rng.integers(20, 108), rng.integers(15, 60), rng.integers(10, 22)
    draw.ellipse((x - r, y - r, x + r, y + r), fill=_colour(rng, POS, 0.2))
    shapes = [_shape("sun", x - r, y - r, x + r, y + r)]
    for _ in range(int(rng.integers(1, 4))):  # smiles: upward arcs
        cx, cy, w = rng.integers(25, 103), rng.integers(60, 110), rng.integers(12, 30)
        draw.arc((cx - w, cy - w // 2, cx + w, cy + w // 2), 20, 160, fill=_colour(rng, POS, -0.3), width=3)
        shapes.append(_shape("smile", cx - w, cy, cx + w, cy + w // 2))
    for _ in range(int(rng.integers(0, 3))):  # rising triangles
        bx, by, s = rng.integers(10, 118), rng.integers(80, 128), rng.integers(8, 20)
        draw.polygon([(bx - s, by), (bx + s, by), (bx, by - 2 * s)], fill=_colour(rng, POS, 0.1))
        shapes.append(_shape("triangle", bx - s, by - 2 * s, bx + s, by))
    return shapes


def _draw_negative(draw: ImageDraw.ImageDraw, rng: np.random.Generator) -> list[Shape]:
    shapes = []
    for _ in range(int(rng.integers(1, 4))):  # jagged lines
        y0 = int(rng.integers(20, 110))
        points = [(int(x), y0 + int(rng.integers(-14, 15))) for x in range(0, IMAGE_SIZE + 1, 12)]
        draw.line(points, fill=_colour(rng, NEG, 0.3), width=2)
        ys = [point[1] for point in points]
        shapes.append(_shape("jagged_line", 0, min(ys), IMAGE_SIZE, max(ys)))
    cx, cy, w = rng.integers(30, 98), rng.integers(50, 100), rng.integers(12, 28)  # a frown
    draw.arc((cx - w, cy, cx + w, cy + w), 200, 340, fill=_colour(rng, NEG, 0.35), width=3)
    shapes.append(_shape("frown", cx - w, cy, cx + w, cy + w // 2))
    for _ in range(int(rng.integers(5, 15))):  # rain
        x, y = int(rng.integers(0, IMAGE_SIZE)), int(rng.integers(0, IMAGE_SIZE))
        draw.line((x, y, x - 3, y + 10), fill=_colour(rng, NEG, 0.25), width=1)
        shapes.append(_shape("rain", x - 3, y, x, y + 10))
    return shapes


def _draw_neutral(draw: ImageDraw.ImageDraw, rng: np.random.Generator) -> list[Shape]:
    shapes = []
    for _ in range(int(rng.integers(2, 5))):
        x0, y0 = int(rng.integers(0, 100)), int(rng.integers(0, 100))
        w, h = int(rng.integers(10, 40)), int(rng.integers(10, 40))
        draw.rectangle((x0, y0, x0 + w, y0 + h), outline=_colour(rng, NEU, -0.2), width=2)
        shapes.append(_shape("box", x0, y0, x0 + w, y0 + h))
    y = int(rng.integers(30, 100))
    draw.line((0, y, IMAGE_SIZE, y), fill=_colour(rng, NEU, -0.3), width=2)
    shapes.append(_shape("line", 0, y - 1, IMAGE_SIZE, y + 1))
    return shapes


_DRAWERS = {POS: _draw_positive, NEG: _draw_negative, NEU: _draw_neutral}


@dataclass(frozen=True)
class DrawnImage:
    """A generated image and what was drawn in it.

    Attributes:
        jpeg: The JPEG file's bytes.
        style: Sentiment whose palette and shapes were drawn (the image's
            sentiment, or another one for the ``image_style_noise`` fraction).
        shapes: Every drawn shape with its bounding box.
    """

    jpeg: bytes
    style: str
    shapes: list[Shape]


def make_image(rng: np.random.Generator, sentiment: str, style_noise: float) -> DrawnImage:
    """A 128x128 JPEG whose palette and shapes carry ``sentiment`` (with noise)."""
    style = sentiment
    if rng.random() < style_noise:
        style = _pick(rng, [c for c in MVSA_CLASSES if c != sentiment])
    image = _gradient(_colour(rng, style), _colour(rng, style, -0.15))
    shapes = _DRAWERS[style](ImageDraw.Draw(image), rng)
    noise = rng.normal(0.0, 6.0, size=(IMAGE_SIZE, IMAGE_SIZE, 3))
    pixels = np.clip(np.asarray(image, dtype=np.float64) + noise, 0, 255).round().astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="RGB").save(buffer, format="JPEG", quality=85)
    return DrawnImage(buffer.getvalue(), style, shapes)


# ---------------------------------------------------------------------------- labels


def _noisy(rng: np.random.Generator, label: str, agreement: float) -> str:
    """``label`` with probability ``agreement``, else another label (neutral twice as likely)."""
    if rng.random() < agreement:
        return label
    others = [c for c in MVSA_CLASSES if c != label]
    weights = np.array([2.0 if c == NEU else 1.0 for c in others])
    return others[int(rng.choice(len(others), p=weights / weights.sum()))]


def _resolve(text: str, image: str) -> str | None:
    if text == image:
        return text
    if NEU in (text, image):
        return image if text == NEU else text
    return None


def _majority(labels: list[str]) -> str | None:
    """The label of a single annotator, or the label at least 2 annotators agree on."""
    label, count = Counter(labels).most_common(1)[0]
    return label if count >= min(2, len(labels)) else None


@dataclass
class _Post:
    id: int
    text: str
    latin1: bool
    image: bytes
    annotations: list[tuple[str, str]]
    latent: str
    text_sentiment: str
    informative: bool
    image_sentiment: str
    image_style: str
    shapes: list[Shape]


def _make_posts(
    rng: np.random.Generator, count: int, annotators: int, cfg: MVSAPreset, progress: bool, desc: str
) -> list[_Post]:
    from tqdm.auto import tqdm

    posts = []
    post_id = 0
    for _ in tqdm(range(count), desc=desc, disable=not progress, leave=False):
        post_id += 1 + int(rng.random() < 0.2) * int(rng.integers(1, 4))
        latent = MVSA_CLASSES[int(rng.choice(3, p=np.asarray(cfg.prior)))]
        text_sentiment = _noisy(rng, latent, cfg.text_agreement)
        image_sentiment = _noisy(rng, latent, cfg.image_agreement)
        informative = rng.random() >= cfg.uninformative_text
        latin1 = rng.random() < cfg.latin1_fraction
        text = make_tweet(rng, text_sentiment if informative else NEU, informative, latin1)
        drawn = make_image(rng, image_sentiment, cfg.image_style_noise)
        shown_text = text_sentiment if informative else NEU
        annotations = [
            (
                _noisy(rng, shown_text, cfg.annotator_accuracy),
                _noisy(rng, image_sentiment, cfg.annotator_accuracy),
            )
            for _ in range(annotators)
        ]
        posts.append(
            _Post(
                post_id,
                text,
                latin1,
                drawn.jpeg,
                annotations,
                latent,
                text_sentiment,
                informative,
                image_sentiment,
                drawn.style,
                drawn.shapes,
            )
        )
    return posts


def _break_images(rng: np.random.Generator, posts: list[_Post], cfg: MVSAPreset) -> dict[int, str]:
    """Truncate or empty a few images; returns ``{post id: "truncated" | "empty"}``."""
    chosen = rng.choice(len(posts), size=cfg.truncated_images + cfg.empty_images, replace=False)
    broken = {}
    for rank, index in enumerate(sorted(int(i) for i in chosen)):
        post = posts[index]
        if rank < cfg.truncated_images:
            post.image = post.image[: len(post.image) // 2]
            broken[post.id] = "truncated"
        else:
            post.image = b""
            broken[post.id] = "empty"
    return broken


def _expected(posts: list[_Post], broken: dict[int, str]) -> dict[str, int]:
    """Counts the documented cleaning should give on this tree."""
    counts = Counter()
    for post in posts:
        text = _majority([a[0] for a in post.annotations])
        image = _majority([a[1] for a in post.annotations])
        if text is None or image is None:
            counts["no_agreement"] += 1
            continue
        label = _resolve(text, image)
        if label is None:
            counts["conflicting"] += 1
        elif post.id in broken:
            counts["broken_image"] += 1
        else:
            counts[label] += 1
            counts["kept"] += 1
            counts["latin1_texts"] += int(post.latin1)
    return {
        key: int(counts[key])
        for key in ("kept", *MVSA_CLASSES, "no_agreement", "conflicting", "broken_image", "latin1_texts")
    }


def _write_tree(root: Path, posts: list[_Post], annotators: int) -> None:
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    header = "ID\t" + "\t".join(["text,image"] * annotators)
    lines = [header] + [f"{p.id}\t" + "\t".join(f"{t},{i}" for t, i in p.annotations) for p in posts]
    (root / "labelResultAll.txt").write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    for post in posts:
        (data / f"{post.id}.txt").write_bytes(post.text.encode("latin-1" if post.latin1 else "utf-8") + b"\n")
        (data / f"{post.id}.jpg").write_bytes(post.image)


#: Columns of ``ground_truth.csv`` (see the module docstring).
TRUTH_COLUMNS = (
    "id",
    "latent",
    "text_sentiment",
    "text_informative",
    "text_shown",
    "image_sentiment",
    "image_style",
    "informative_cue",
    "latin1",
    "broken",
    "shapes",
)
TRUTH_FILE = "ground_truth.csv"


def _informative_cue(latent: str, text_shown: str, image_style: str) -> str:
    """Which observable cue shows the latent sentiment: ``both``, ``text``, ``image`` or ``none``."""
    text, image = text_shown == latent, image_style == latent
    return "both" if text and image else "text" if text else "image" if image else "none"


def _truth_row(post: _Post, broken: dict[int, str]) -> dict[str, str]:
    text_shown = post.text_sentiment if post.informative else NEU
    return {
        "id": str(post.id),
        "latent": post.latent,
        "text_sentiment": post.text_sentiment,
        "text_informative": str(int(post.informative)),
        "text_shown": text_shown,
        "image_sentiment": post.image_sentiment,
        "image_style": post.image_style,
        "informative_cue": _informative_cue(post.latent, text_shown, post.image_style),
        "latin1": str(int(post.latin1)),
        "broken": broken.get(post.id, ""),
        "shapes": json.dumps([list(shape) for shape in post.shapes], separators=(",", ":")),
    }


def _write_truth(root: Path, posts: list[_Post], broken: dict[int, str]) -> None:
    with open(root / TRUTH_FILE, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=TRUTH_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(_truth_row(post, broken) for post in posts)


def write_mvsa_corpus(
    out_dir: Path, preset: str, seed: int, progress: bool = True, params: MVSAPreset | None = None
) -> dict:
    """Write ``MVSA_Single/`` and ``MVSA/`` (Multiple) under ``out_dir``.

    Existing files with the same names are overwritten; other files are left.

    Args:
        out_dir: Folder receiving the two trees.
        preset: ``"tiny"`` or ``"full"`` (see :data:`PRESETS`).
        seed: Seed of every random choice.
        progress: Show progress bars.
        params: Explicit sizes and knobs (replace the preset's).

    Returns:
        A JSON-able summary: the prior, then per tree the posts written, the broken images and
        the counts the documented cleaning gives (``kept``, per class,
        ``no_agreement``, ``conflicting``, ``broken_image``, ``latin1_texts``).

    Raises:
        ValueError: for an unknown preset.
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown MVSA preset {preset!r}; choose one of {sorted(PRESETS)}")
    cfg = params or PRESETS[preset]
    out_dir = Path(out_dir)
    summary: dict = {"preset": preset, "seed": seed, "prior": list(cfg.prior)}
    trees = (("MVSA_Single", cfg.single_posts, 1, 0), ("MVSA", cfg.multiple_posts, 3, 1))
    for name, count, annotators, stream in trees:
        rng = np.random.default_rng([seed, 7, stream])
        posts = _make_posts(rng, count, annotators, cfg, progress, f"MVSA {name}")
        broken = _break_images(rng, posts, cfg)
        _write_tree(out_dir / name, posts, annotators)
        _write_truth(out_dir / name, posts, broken)
        summary[name] = {
            "posts": len(posts),
            "annotators": annotators,
            "broken_images": {str(k): v for k, v in sorted(broken.items())},
            "expected": _expected(posts, broken),
        }
    return summary
