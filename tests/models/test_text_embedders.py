"""Text embedders: shapes, padding invariance, frozen vs trainable embeddings."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.models.text import (
    BiLSTMEncoder,
    BiLSTMTextEmbedder,
    ProjectionEmbedder,
    TransformerTextEmbedder,
)


@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
def test_bilstm_shape_and_padding_invariance(pooling):
    torch.manual_seed(0)
    model = BiLSTMTextEmbedder(vocab_size=20, embedding_dim=6, hidden_size=5, num_layers=2, pooling=pooling)
    model.eval()
    short = torch.tensor([[3, 4, 5, 0], [7, 8, 0, 0]])
    longer = torch.cat([short, torch.zeros(2, 5, dtype=torch.long)], dim=1)
    out = model(short)
    assert out.shape == (2, 10)
    torch.testing.assert_close(model(longer), out)
    # lengths given explicitly agree with the lengths inferred from padding id 0
    torch.testing.assert_close(model(short, torch.tensor([3, 2])), out)


def test_bilstm_depends_on_tokens():
    torch.manual_seed(0)
    model = BiLSTMTextEmbedder(vocab_size=20, embedding_dim=6, hidden_size=5).eval()
    a = model(torch.tensor([[3, 4, 5]]))
    b = model(torch.tensor([[3, 4, 6]]))
    assert not torch.allclose(a, b)


def test_embedding_matrix_initialises_and_freezes():
    matrix = np.random.default_rng(0).normal(size=(10, 4)).astype(np.float32)
    matrix[0] = 0.0
    frozen = BiLSTMTextEmbedder(embeddings=matrix, freeze=True, hidden_size=3)
    np.testing.assert_allclose(frozen.embedding.weight.detach().numpy(), matrix)
    assert not frozen.embedding.weight.requires_grad
    trainable = BiLSTMTextEmbedder(embeddings=matrix, freeze=False, hidden_size=3)
    trainable(torch.tensor([[1, 2, 3]])).sum().backward()
    assert trainable.embedding.weight.grad is not None
    assert trainable.embedding.weight.grad[1].abs().sum() > 0


def test_random_embeddings_can_be_frozen_and_need_a_vocabulary():
    model = BiLSTMTextEmbedder(vocab_size=5, embedding_dim=3, freeze=True)
    assert not model.embedding.weight.requires_grad
    with pytest.raises(ValueError, match="vocab_size"):
        BiLSTMTextEmbedder()


def test_encoder_handles_empty_sequences():
    encoder = BiLSTMEncoder(3, hidden_size=2)
    out = encoder(torch.randn(2, 4, 3), torch.tensor([4, 0]))
    assert out.shape == (2, 4) and torch.isfinite(out).all()


def test_projection_embedder_pools_frames_over_valid_length():
    torch.manual_seed(0)
    model = ProjectionEmbedder(4, dim=3)
    frames = torch.randn(2, 5, 4)
    lengths = torch.tensor([5, 2])
    pooled = torch.stack([frames[0].mean(0), frames[1, :2].mean(0)])
    torch.testing.assert_close(model(frames, lengths), model(pooled))
    with pytest.raises(ValueError, match="expected features"):
        model(torch.randn(2, 7))


def test_transformer_embedder_forward_offline():
    model = TransformerTextEmbedder(pooling="mean", fine_tune=False)
    batch = model.tokenize(["what a lovely day", "no"])
    out = model(batch["input_ids"], attention_mask=batch["attention_mask"])
    assert out.shape == (2, model.output_dim) and model.output_dim == 384
    assert not any(p.requires_grad for p in model.parameters())
    # lengths and the inferred padding mask give the same result as the attention mask
    lengths = batch["attention_mask"].sum(1)
    torch.testing.assert_close(model(batch["input_ids"], lengths), out)
    torch.testing.assert_close(model(batch["input_ids"]), out)
    model.train()
    assert not model.encoder.training
