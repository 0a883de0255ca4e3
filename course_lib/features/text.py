"""Text features: a word vocabulary, GloVe embedding matrices and transformer sentence embeddings.

* :func:`tokenize` / :class:`Vocabulary` -- the tokenisation of GloVe's
  training text (Penn Treebank clitics: ``don't`` -> ``do n't``; curly
  apostrophes made ASCII; letters of any script), lower-casing, punctuation as
  tokens (or dropped), IEMOCAP tags such as ``[LAUGHTER]`` kept as special
  tokens or stripped, minimum frequency, ``<pad>`` = 0 and ``<unk>`` = 1;
  saved and loaded as JSON. An empty text encodes to ``[<unk>]`` so every
  sequence has at least one step (RNN packing needs length >= 1).
* :func:`glove_matrix` -- rows of the GloVe 6B 50-d vectors for a vocabulary,
  read from a memory-mapped ``.npy`` (only the needed rows are touched), with
  coverage statistics; :func:`embedding_layer` makes it an ``nn.Embedding``,
  frozen or trainable.
* :class:`TextEncoder` / :func:`embed_texts` -- ``AutoTokenizer`` +
  ``AutoModel`` sentence embeddings with ``cls``, mask-aware ``mean`` or
  ``max`` pooling, batched under ``torch.inference_mode`` with a progress bar.
  The offline default is the packaged MiniLM-L6; any hub id (e.g.
  ``albert-base-v2``) or local folder works the same way.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from course_lib.features import assets
from course_lib.features.encoders import from_pretrained, masked_pool

PAD, UNK = "<pad>", "<unk>"
_TOKEN = re.compile(
    r"(?P<tag>\[[A-Za-z_]+\])"  # IEMOCAP tags such as [LAUGHTER]
    r"|(?P<word>\d+(?:[.,]\d+)+|[^\W_]+(?:'[^\W_]+)*)"  # 3.5, 1,000; words of any script, don't, o'clock
    r"|(?P<punct>\.\.\.|--|[^\w\s])"  # one mark per token, except ... and --
)
# PTB clitics split off the end of a word: do|n't, it|'s, i|'m, they|'re, we|'ve, i|'ll, i|'d.
_CLITIC = re.compile(r"(?<=[^\W_])(?:n't|'(?:s|m|d|re|ve|ll))$", re.IGNORECASE)
# Typographic apostrophes and double quotes to their ASCII forms.
_QUOTES = str.maketrans("\u2018\u2019\u201a\u201b\u02bc\u201c\u201d\u201e\u201f", "'''''" + '""""')


# --------------------------------------------------------------------------- tokenizer and vocabulary


def normalize_text(text: str) -> str:
    """NFKC-normalise ``text`` and turn curly apostrophes and quotes into ASCII ones.

    NFKC composes accented letters (``e`` + combining acute -> ``é``) and
    unfolds compatibility forms (``…`` -> ``...``, the ligature ``ﬁ`` -> ``fi``).
    """
    return unicodedata.normalize("NFKC", text).translate(_QUOTES)


def split_clitics(word: str) -> list[str]:
    """Split English clitics off a word the Penn Treebank way, as GloVe's training text was.

    Examples:
        >>> split_clitics("don't"), split_clitics("can't"), split_clitics("wouldn't've")
        (['do', "n't"], ['ca', "n't"], ['would', "n't", "'ve"])
        >>> split_clitics("o'clock")
        ["o'clock"]
    """
    clitics: list[str] = []
    while match := _CLITIC.search(word):
        word, clitics = word[: match.start()], [match.group(), *clitics]
    return [word, *clitics]


def tokenize(text: str, lower: bool = True, keep_tags: bool = True, punctuation: bool = True) -> list[str]:
    """Split a transcript into word, punctuation and tag tokens, the way GloVe's text was tokenised.

    The text is normalised first (:func:`normalize_text`); words keep letters
    of any script (``Québec`` -> ``québec``); clitics are split off Penn
    Treebank style (:func:`split_clitics`: ``don't`` -> ``do n't``, ``it's``
    -> ``it 's``) and count as words; every punctuation mark is its own token
    (``...`` and ``--`` stay whole).

    Args:
        text: The text (``None`` is refused with a clear error).
        lower: Lower-case words (tags stay upper-case, e.g. ``[LAUGHTER]``).
        keep_tags: Keep bracketed tags as single tokens; otherwise drop them.
        punctuation: Keep punctuation marks as tokens; otherwise drop them.

    Examples:
        >>> tokenize("Oh, [LAUGHTER] I don’t know!")
        ['oh', ',', '[LAUGHTER]', 'i', 'do', "n't", 'know', '!']
    """
    if text is None:
        raise ValueError("cannot tokenize None; pass an empty string for an empty text")
    tokens = []
    for match in _TOKEN.finditer(normalize_text(text)):
        token, kind = match.group(), match.lastgroup
        if kind == "tag":
            if keep_tags:
                tokens.append(token.upper())
        elif kind == "word":
            tokens.extend(split_clitics(token.lower() if lower else token))
        elif punctuation:
            tokens.append(token)
    return tokens


@dataclass
class Vocabulary:
    """Token <-> id mapping with the tokenizer settings it was built with.

    Attributes:
        tokens: Id-ordered tokens; ``tokens[0] = "<pad>"``, ``tokens[1] = "<unk>"``.
        counts: Training-split frequency of each token (0 for specials).
        lower, keep_tags, punctuation: Tokenizer settings (see :func:`tokenize`).
    """

    tokens: list[str]
    counts: list[int]
    lower: bool = True
    keep_tags: bool = True
    punctuation: bool = True
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.tokens[:2] != [PAD, UNK]:
            raise ValueError(f"a vocabulary must start with {PAD!r}, {UNK!r}")
        self.index = {token: i for i, token in enumerate(self.tokens)}

    pad_id = 0
    unk_id = 1

    def __len__(self) -> int:
        return len(self.tokens)

    def tokenize(self, text: str) -> list[str]:
        """Tokenize with this vocabulary's settings."""
        return tokenize(text, self.lower, self.keep_tags, self.punctuation)

    def unknown_share(self, texts: Iterable[str]) -> float:
        """Share of the tokens of ``texts`` that are not in the vocabulary (they become ``<unk>``)."""
        tokens = [token for text in texts for token in self.tokenize(text)]
        return sum(token not in self.index for token in tokens) / max(len(tokens), 1)

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (``[unk_id]`` for an empty text)."""
        ids = [self.index.get(token, self.unk_id) for token in self.tokenize(text)]
        return ids or [self.unk_id]

    def encode_batch(
        self, texts: Sequence[str], max_len: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Padded id batch and lengths.

        Shape:
            returns ids ``(B, L)`` long, lengths ``(B,)`` long
        """
        encoded = [self.encode(t)[:max_len] for t in texts]
        lengths = torch.tensor([len(e) for e in encoded], dtype=torch.long)
        ids = torch.full((len(encoded), int(lengths.max()) if encoded else 0), self.pad_id, dtype=torch.long)
        for row, seq in enumerate(encoded):
            ids[row, : len(seq)] = torch.tensor(seq)
        return ids, lengths

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens of ids (padding removed)."""
        return [self.tokens[i] for i in ids if i != self.pad_id]

    def save(self, path: str | Path) -> Path:
        """Write the vocabulary as JSON."""
        path = Path(path)
        payload = {
            "tokens": self.tokens,
            "counts": self.counts,
            "lower": self.lower,
            "keep_tags": self.keep_tags,
            "punctuation": self.punctuation,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Vocabulary:
        """Read a vocabulary written by :meth:`save`."""
        path = Path(path)
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            return cls(**payload)
        except (json.JSONDecodeError, TypeError, KeyError) as error:
            raise ValueError(f"{path}: not a vocabulary file ({error})") from error


def build_vocabulary(
    texts: Iterable[str],
    min_freq: int = 1,
    max_size: int | None = None,
    lower: bool = True,
    keep_tags: bool = True,
    punctuation: bool = True,
) -> Vocabulary:
    """Build a vocabulary from training texts.

    Tokens are ordered by decreasing frequency, ties alphabetically, so the
    same texts always give the same ids.

    Args:
        texts: Training-split texts only (never validation or test).
        min_freq: Drop tokens seen fewer times (they become ``<unk>``).
        max_size: Keep at most this many tokens besides the two specials.
        lower, keep_tags, punctuation: Tokenizer settings.
    """
    counter: Counter[str] = Counter()
    for text in texts:
        counter.update(tokenize(text, lower, keep_tags, punctuation))
    kept = sorted((t for t, c in counter.items() if c >= min_freq), key=lambda t: (-counter[t], t))
    kept = kept[:max_size] if max_size is not None else kept
    return Vocabulary([PAD, UNK, *kept], [0, 0, *(counter[t] for t in kept)], lower, keep_tags, punctuation)


# --------------------------------------------------------------------------- GloVe


@lru_cache(maxsize=1)
def glove_index() -> dict[str, int]:
    """GloVe's 400k lower-case words mapped to their row in the vectors file (read once, then cached).

    Use it to check whether a token has a vector: ``"n't" in glove_index()``.
    """
    import pandas as pd

    _, index_file = assets.glove_files()
    words = pd.read_parquet(index_file)["index"].tolist()
    return {word: row for row, word in enumerate(words)}


def split_on_words_only(text: str) -> list[str]:
    """A naive tokenizer kept for comparison: lower-case words and punctuation, contractions whole.

    ``"Don't go!"`` -> ``["don't", "go", "!"]``: GloVe has no vector for ``don't``,
    which is why :func:`tokenize` splits clitics instead.
    """
    return re.findall(r"[\w']+|[^\w\s]", text.lower())


NEGATORS = frozenset({"not", "n't", "never", "no"})


@lru_cache(maxsize=1)
def _valence_words() -> dict[str, int]:
    from course_lib.data.synthetic import lexicon

    words: dict[str, int] = {}
    for table in (lexicon.FEELINGS, lexicon.JUDGEMENTS):
        for (valence, _), entries in table.items():
            for word in entries:
                if valence in ("neg", "pos") and " " not in word:
                    words[word] = -1 if valence == "neg" else 1
    return words


def lexicon_polarity(text: str) -> int:
    """-1, 0 or +1: the sign of (positive - negative) emotion words of ``text``.

    Words come from the course's lists of feeling and judging words (grouped by
    valence); a word within three tokens after a negator (*not*, *n't*,
    *never*, *no*) counts with the opposite sign ("not happy" is negative). A
    crude reading of what the *words* say, used to probe what other features know
    about them.
    """
    valence = _valence_words()
    tokens = tokenize(text, punctuation=False)
    total = 0
    for i, token in enumerate(tokens):
        if token in valence:
            negated = any(t in NEGATORS for t in tokens[max(0, i - 3) : i])
            total += -valence[token] if negated else valence[token]
    return int(np.sign(total))


def glove_token_share(texts: Iterable[str], tokenizer: Callable[[str], list[str]] = tokenize) -> float:
    """Share of the tokens of ``texts`` (split by ``tokenizer``) that have a GloVe vector."""
    words = glove_index()
    tokens = [token for text in texts for token in tokenizer(text)]
    return sum(token in words for token in tokens) / max(len(tokens), 1)


@dataclass
class GloveResult:
    """An embedding matrix for a vocabulary and how much of it GloVe covers.

    Attributes:
        matrix: ``(V, 50)`` float32; pad row zeros, uncovered rows random.
        found: Mask of rows filled from GloVe.
        stats: ``type_coverage`` (share of vocabulary types found),
            ``token_coverage`` (share of training tokens found), counts and a
            few missing words (the specials left out).
    """

    matrix: np.ndarray
    found: np.ndarray
    stats: dict[str, Any]


def glove_matrix(vocab: Vocabulary, seed: int = 0, oov_scale: float | None = None) -> GloveResult:
    """Look up GloVe 6B 50-d vectors for a vocabulary (memory-mapped, only needed rows read).

    GloVe is lower-case: a token is looked up as is, then lower-cased (tags such
    as ``[LAUGHTER]`` are looked up without brackets). Uncovered tokens get
    ``N(0, oov_scale^2)`` rows (default: the std of the found vectors) from a
    seeded generator; ``<pad>`` gets zeros.

    Shape:
        returns matrix ``(len(vocab), 50)``
    """
    vectors_file, _ = assets.glove_files()
    vectors = np.load(vectors_file, mmap_mode="r")
    index = glove_index()
    rows = np.full(len(vocab), -1, dtype=np.int64)
    for i, token in enumerate(vocab.tokens[2:], start=2):
        for candidate in (token, token.lower(), token.strip("[]").lower()):
            if candidate in index:
                rows[i] = index[candidate]
                break
    found = rows >= 0
    matrix = np.zeros((len(vocab), vectors.shape[1]), dtype=np.float32)
    order = np.argsort(rows[found])  # read the memory map in file order
    matrix[np.flatnonzero(found)[order]] = vectors[rows[found][order]]
    scale = float(matrix[found].std()) if oov_scale is None and found.any() else (oov_scale or 0.1)
    missing = ~found
    missing[vocab.pad_id] = False
    matrix[missing] = np.random.default_rng(seed).normal(0.0, scale, (int(missing.sum()), matrix.shape[1]))
    counts = np.asarray(vocab.counts, dtype=np.float64)
    stats = {
        "vocab_size": len(vocab),
        "found": int(found.sum()),
        "type_coverage": float(found[2:].mean()) if len(vocab) > 2 else 0.0,
        "token_coverage": float(counts[found].sum() / counts.sum()) if counts.sum() else 0.0,
        "missing_examples": [vocab.tokens[i] for i in np.flatnonzero(missing[2:])[:20] + 2],
    }
    return GloveResult(matrix, found, stats)


def embedding_layer(matrix: np.ndarray, freeze: bool = True, padding_idx: int = 0) -> torch.nn.Embedding:
    """An ``nn.Embedding`` initialised from a matrix, frozen or trainable.

    Shape:
        matrix ``(V, D)`` -> layer mapping ``(B, L)`` ids to ``(B, L, D)``
    """
    return torch.nn.Embedding.from_pretrained(
        torch.as_tensor(matrix, dtype=torch.float32), freeze=freeze, padding_idx=padding_idx
    )


# --------------------------------------------------------------------------- transformer embeddings


class TextEncoder:
    """A transformers text model with its tokenizer, for sentence embeddings.

    Args:
        name: Hub id or local folder; the packaged MiniLM-L6 when None.
        device: Torch device.
        max_length: Truncate texts to this many tokens.
    """

    def __init__(
        self, name: str | Path | None = None, device: str | torch.device = "cpu", max_length: int = 128
    ) -> None:
        from transformers import AutoModel, AutoTokenizer

        self.name = str(name) if name is not None else str(assets.minilm_dir())
        self.label = "all-MiniLM-L6-v2" if name is None else str(name)
        self.device = torch.device(device)
        self.max_length = max_length
        self.tokenizer = from_pretrained(AutoTokenizer, self.name, "tokenizer")
        self.model = from_pretrained(AutoModel, self.name, "text model").to(self.device).eval()
        self.dim = int(self.model.config.hidden_size)

    def token_states(
        self, texts: Sequence[str], pad_to_max: bool = False, layer: int = -1
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Hidden states (the last layer's by default) and attention mask of a batch (no gradients).

        Args:
            texts: The texts.
            pad_to_max: Pad every text to ``max_length`` tokens (as code that pads
                to 128 does) instead of to the longest text of the batch.
            layer: Index into the model's hidden states (-1: the output of the last
                layer, -2: what enters it).

        Shape:
            returns states ``(B, L, D)``, mask ``(B, L)``
        """
        bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
        if bad:
            raise ValueError(f"texts must be strings; item {bad[0]} is {texts[bad[0]]!r}")
        batch = self.tokenizer(
            list(texts),
            padding="max_length" if pad_to_max else True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        ).to(self.device)
        with torch.inference_mode():
            if layer == -1:
                states = self.model(**batch).last_hidden_state
            else:
                states = self.model(**batch, output_hidden_states=True).hidden_states[layer]
        return states, batch["attention_mask"]

    def embed(
        self, texts: Sequence[str], pooling: str = "mean", batch_size: int = 32, progress: bool = True
    ) -> torch.Tensor:
        """Sentence embeddings with ``cls``, ``mean`` (mask-aware) or ``max`` pooling.

        Empty strings are valid (they encode to the special tokens only).

        Shape:
            ``N`` texts -> ``(N, D)`` float32 on the CPU
        """
        from tqdm.auto import tqdm

        if pooling not in ("cls", "mean", "max"):
            raise ValueError(f"pooling must be 'cls', 'mean' or 'max', got {pooling!r}")
        starts = range(0, len(texts), batch_size)
        out = []
        for start in tqdm(starts, desc="text embeddings", disable=not progress or len(starts) < 2):
            states, mask = self.token_states(texts[start : start + batch_size])
            out.append(masked_pool(states, mask, pooling).float().cpu())
        return torch.cat(out) if out else torch.zeros(0, self.dim)


def embed_texts(
    texts: Sequence[str],
    model: str | Path | TextEncoder | None = None,
    pooling: str = "mean",
    batch_size: int = 32,
    device: str | torch.device = "cpu",
    progress: bool = True,
) -> torch.Tensor:
    """Sentence embeddings in one call (loads the model unless a :class:`TextEncoder` is given).

    Shape:
        ``N`` texts -> ``(N, D)``
    """
    encoder = model if isinstance(model, TextEncoder) else TextEncoder(model, device)
    return encoder.embed(list(texts), pooling, batch_size, progress)


@dataclass
class TextEmbeddings:
    """A cacheable extractor: sentence embeddings of records with ``text``.

    Attributes:
        encoder: A loaded :class:`TextEncoder`.
        pooling: ``cls``, ``mean`` or ``max``.
        batch_size: Texts per forward pass.
    """

    encoder: TextEncoder
    pooling: str = "mean"
    batch_size: int = 32

    name = "text-encoder"
    variable_length = False

    def config_dict(self) -> dict[str, Any]:
        """Model, pooling and truncation."""
        return {
            "model": self.encoder.label,
            "pooling": self.pooling,
            "max_length": self.encoder.max_length,
            "version": 1,
        }

    def __call__(self, records: Sequence[Any]) -> list[np.ndarray]:
        """``(D,)`` float32 vectors, one per record (or string)."""
        texts = [r if isinstance(r, str) else r.text for r in records]
        return list(self.encoder.embed(texts, self.pooling, self.batch_size, progress=False).numpy())


@dataclass
class TokenStates:
    """A cacheable extractor: the token states of records with ``text`` (variable length).

    Each item holds the real tokens only, ``[CLS]`` and ``[SEP]`` included, so
    their mean is the mask-aware mean of :meth:`TextEncoder.embed`.

    Attributes:
        encoder: A loaded :class:`TextEncoder` (its ``max_length`` truncates).
        batch_size: Texts per forward pass.
    """

    encoder: TextEncoder
    batch_size: int = 32

    name = "text-token-states"
    variable_length = True
    layer: ClassVar[int] = -1  # the hidden states kept (subclasses pick another layer)

    def config_dict(self) -> dict[str, Any]:
        """Model and truncation."""
        return {"model": self.encoder.label, "max_length": self.encoder.max_length, "version": 1}

    def __call__(self, records: Sequence[Any]) -> list[np.ndarray]:
        """``(L_i, D)`` float32 arrays, one per record (or string)."""
        texts = [r if isinstance(r, str) else r.text for r in records]
        out: list[np.ndarray] = []
        for start in range(0, len(texts), self.batch_size):
            states, mask = self.encoder.token_states(texts[start : start + self.batch_size], layer=self.layer)
            for row, valid in zip(states.float().cpu().numpy(), mask.cpu().numpy()):
                out.append(np.ascontiguousarray(row[: int(valid.sum())], dtype=np.float32))
        return out


def padding_pitfall(encoder: TextEncoder, texts: Sequence[str]) -> dict[str, Any]:
    """What a naive mean over padded positions does to sentence embeddings.

    Each text is padded to ``encoder.max_length`` tokens (as code padding to 128
    does) and pooled twice: the mean over every position (padding included) and
    the mask-aware mean over the real tokens.

    Returns:
        ``{"tokens": real tokens per text, "cosine_naive_vs_masked": per text,
        "mean_pairwise_cosine": {"naive": ..., "masked": ...}}`` -- naive
        embeddings of different texts are pulled together by the shared padding.
    """
    from course_lib.features.encoders import masked_pool

    states, mask = encoder.token_states(list(texts), pad_to_max=True)
    naive = torch.nn.functional.normalize(masked_pool(states, None, "mean"), dim=-1)
    masked = torch.nn.functional.normalize(masked_pool(states, mask, "mean"), dim=-1)
    off_diagonal = ~torch.eye(len(texts), dtype=torch.bool)

    def pairwise(x: torch.Tensor) -> float:
        return float((x @ x.T)[off_diagonal].mean()) if len(texts) > 1 else float("nan")

    return {
        "tokens": [int(n) for n in mask.sum(1)],
        "cosine_naive_vs_masked": [float(c) for c in (naive * masked).sum(-1)],
        "mean_pairwise_cosine": {"naive": pairwise(naive), "masked": pairwise(masked)},
    }
