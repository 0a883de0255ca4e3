"""Text embedders: token ids of one utterance -> one utterance embedding.

Three embedders, each registered in :mod:`course_lib.models.registry`:

* ``"bilstm"`` — :class:`BiLSTMTextEmbedder`: an embedding layer (random, or
  initialised from a given matrix such as GloVe; trainable or frozen) and a
  stacked bidirectional LSTM over the packed token sequence;
* ``"transformer"`` — :class:`TransformerTextEmbedder`: a pretrained
  transformer (offline MiniLM by default, any hub id such as
  ``albert-base-v2`` online) with ``cls``/``mean``/``max`` pooling, frozen or
  fine-tuned;
* ``"pooled"`` — :class:`ProjectionEmbedder`: precomputed sentence vectors and
  a small trainable projection.

Every embedder has ``forward(x, lengths=None)`` and an ``output_dim``
attribute, so the classifiers can treat them alike.

This module also holds the building blocks shared with the audio embedders:
:class:`BiLSTMEncoder`, :class:`ProjectionEmbedder` and :func:`length_mask`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from course_lib.models.registry import register
from course_lib.models.sequence import LSTMEncoder, length_mask, masked_pool

POOLINGS = ("last", "mean", "max")
TRANSFORMER_POOLINGS = ("cls", "mean", "max")


def _clean_lengths(lengths: torch.Tensor | None, batch: int, max_len: int) -> torch.Tensor:
    if lengths is None:
        return torch.full((batch,), max_len, dtype=torch.long)
    lengths = torch.as_tensor(lengths).reshape(-1).long().cpu()
    if lengths.shape[0] != batch:
        raise ValueError(f"got {lengths.shape[0]} lengths for a batch of {batch}")
    # Empty sequences (e.g. a turn with no words) are read as one padding step.
    return lengths.clamp(min=1, max=max_len)


class BiLSTMEncoder(LSTMEncoder):
    """Stacked bidirectional :class:`~course_lib.models.sequence.LSTMEncoder` -> one vector per sequence.

    Unlike the generic encoder it accepts missing lengths (full length) and
    empty sequences (a turn with no words is read as one padding step).

    Args:
        input_dim: Features per time step.
        hidden_size: LSTM units per direction.
        num_layers: Stacked layers.
        dropout: Dropout between stacked layers.
        pooling: ``"last"`` (final forward and backward states of the top
            layer), ``"mean"`` or ``"max"`` over the valid steps.

    Shape:
        x ``(B, T, input_dim)``, lengths ``(B,)`` -> ``(B, 2 * hidden_size)``.
    """

    def __init__(
        self,
        input_dim: int,
        hidden_size: int = 64,
        num_layers: int = 2,
        dropout: float = 0.0,
        pooling: str = "last",
    ) -> None:
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
        super().__init__(
            input_dim, hidden_size, num_layers, bidirectional=True, dropout=dropout, readout=pooling
        )
        self.pooling = pooling

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return super().forward(x, _clean_lengths(lengths, x.shape[0], x.shape[1]))


class ProjectionEmbedder(nn.Module):
    """Precomputed (pooled) features -> Linear + ReLU + dropout.

    A ``(B, T, D)`` input with lengths is mean-pooled over its valid frames
    first, so frame-level encoder outputs can be used directly.

    Shape:
        x ``(B, input_dim)`` or ``(B, T, input_dim)`` -> ``(B, dim)``.
    """

    def __init__(self, input_dim: int, dim: int = 128, dropout: float = 0.0) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(input_dim, dim), nn.ReLU(), nn.Dropout(dropout))
        self.input_dim = input_dim
        self.output_dim = dim

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        if x.dim() == 3:
            valid = _clean_lengths(lengths, x.shape[0], x.shape[1]).to(x.device)
            x = masked_pool(x, length_mask(valid, x.shape[1]), "mean")
        if x.dim() != 2 or x.shape[-1] != self.input_dim:
            raise ValueError(f"expected features (B, {self.input_dim}), got {tuple(x.shape)}")
        return self.net(x.float())


class BiLSTMTextEmbedder(nn.Module):
    """Word embeddings + stacked BiLSTM -> utterance embedding.

    Args:
        vocab_size: Vocabulary size for a randomly initialised embedding
            layer (ignored when ``embeddings`` is given).
        embedding_dim: Size of random embeddings.
        hidden_size: LSTM units per direction.
        num_layers: Stacked BiLSTM layers.
        dropout: Dropout on the embeddings and between LSTM layers.
        embeddings: Optional ``(V, E)`` matrix (numpy or tensor), e.g. GloVe
            rows in vocabulary order, to initialise the embedding layer.
        freeze: Keep the embedding layer fixed during training.
        padding_idx: Id of the padding token (its embedding is zero and it
            marks the end of a sequence when no lengths are given).
        pooling: ``"last"``, ``"mean"`` or ``"max"`` (see :class:`BiLSTMEncoder`).

    Shape:
        tokens ``(B, L)`` int64, lengths ``(B,)`` -> ``(B, 2 * hidden_size)``.
    """

    def __init__(
        self,
        vocab_size: int | None = None,
        embedding_dim: int = 50,
        hidden_size: int = 64,
        num_layers: int = 2,
        dropout: float = 0.0,
        embeddings: np.ndarray | torch.Tensor | None = None,
        freeze: bool = False,
        padding_idx: int = 0,
        pooling: str = "last",
    ) -> None:
        super().__init__()
        if embeddings is not None:
            matrix = torch.as_tensor(np.asarray(embeddings), dtype=torch.float32)
            if matrix.dim() != 2:
                raise ValueError(f"embeddings must be a (V, E) matrix, got shape {tuple(matrix.shape)}")
            self.embedding = nn.Embedding.from_pretrained(matrix, freeze=freeze, padding_idx=padding_idx)
        else:
            if vocab_size is None:
                raise ValueError("give vocab_size (random embeddings) or an embeddings matrix")
            self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx)
            self.embedding.weight.requires_grad_(not freeze)
        self.padding_idx = padding_idx
        self.dropout = nn.Dropout(dropout)
        self.encoder = BiLSTMEncoder(self.embedding.embedding_dim, hidden_size, num_layers, dropout, pooling)
        self.output_dim = self.encoder.output_dim

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        if tokens.dim() != 2:
            raise ValueError(f"expected token ids (B, L), got shape {tuple(tokens.shape)}")
        if lengths is None:
            lengths = (tokens != self.padding_idx).sum(dim=1)
        return self.encoder(self.dropout(self.embedding(tokens.long())), lengths)


class TransformerTextEmbedder(nn.Module):
    """A pretrained transformer encoder with pooling, frozen or fine-tuned.

    Args:
        model_name_or_path: A local model folder or a hub id (e.g.
            ``albert-base-v2`` when the hub is reachable). Default: the
            offline MiniLM-L6 of :func:`course_lib.features.assets.minilm_dir`.
        pooling: ``"cls"`` (first token), ``"mean"`` or ``"max"`` over the
            attended tokens.
        fine_tune: Train the encoder's weights; when False they are frozen,
            the encoder stays in eval mode (no dropout) and runs without
            gradients.

    Shape:
        input_ids ``(B, L)``, lengths ``(B,)`` or attention_mask ``(B, L)``
        -> ``(B, hidden_size)``.
    """

    def __init__(
        self,
        model_name_or_path: str | os.PathLike | None = None,
        pooling: str = "mean",
        fine_tune: bool = False,
    ) -> None:
        super().__init__()
        from transformers import AutoModel

        if pooling not in TRANSFORMER_POOLINGS:
            raise ValueError(f"pooling must be one of {TRANSFORMER_POOLINGS}, got {pooling!r}")
        if model_name_or_path is None:
            from course_lib.features.assets import minilm_dir

            model_name_or_path = minilm_dir()
        self.source = str(model_name_or_path)
        self.encoder = AutoModel.from_pretrained(self.source)
        self.pooling = pooling
        self.fine_tune = fine_tune
        self.pad_token_id = self.encoder.config.pad_token_id or 0
        self.output_dim = int(self.encoder.config.hidden_size)
        self._tokenizer = None
        if not fine_tune:
            self.encoder.requires_grad_(False)
            self.encoder.eval()

    def train(self, mode: bool = True) -> TransformerTextEmbedder:
        """Switch mode; a frozen encoder always stays in eval mode."""
        super().train(mode)
        if not self.fine_tune:
            self.encoder.eval()
        return self

    def tokenize(self, texts: Sequence[str], max_length: int = 64) -> dict[str, torch.Tensor]:
        """Tokenise raw sentences with the encoder's own tokenizer.

        Returns:
            ``{"input_ids": (B, L), "attention_mask": (B, L)}`` padded to the
            longest sentence (at most ``max_length``).
        """
        if self._tokenizer is None:
            from transformers import AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(self.source)
        encoded = self._tokenizer(
            list(texts), padding=True, truncation=True, max_length=max_length, return_tensors="pt"
        )
        return {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"]}

    def forward(
        self,
        input_ids: torch.Tensor,
        lengths: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        input_ids = input_ids.long()
        if attention_mask is None:
            if lengths is not None:
                valid = torch.as_tensor(lengths, device=input_ids.device).reshape(-1).clamp(min=1)
                attention_mask = length_mask(valid, input_ids.shape[1]).long()
            else:
                attention_mask = (input_ids != self.pad_token_id).long()
                attention_mask[:, 0] = 1
        with torch.set_grad_enabled(self.fine_tune and torch.is_grad_enabled()):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        if self.pooling == "cls":
            return hidden[:, 0]
        return masked_pool(hidden, attention_mask.bool(), self.pooling)


# ----------------------------------------------------------------------------- registry builders


@register("text", "bilstm")
def build_bilstm(**options: Any) -> BiLSTMTextEmbedder:
    """Embedding layer (random or from ``embeddings=``) + BiLSTM; see :class:`BiLSTMTextEmbedder`."""
    return BiLSTMTextEmbedder(**options)


@register("text", "transformer")
def build_transformer(**options: Any) -> TransformerTextEmbedder:
    """Pretrained transformer with pooling; see :class:`TransformerTextEmbedder`."""
    return TransformerTextEmbedder(**options)


@register("text", "pooled")
def build_pooled_text(input_dim: int, dim: int = 128, dropout: float = 0.0) -> ProjectionEmbedder:
    """Precomputed sentence vectors ``(B, input_dim)`` + projection; see :class:`ProjectionEmbedder`."""
    return ProjectionEmbedder(input_dim, dim, dropout)
