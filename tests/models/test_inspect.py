"""Looking inside a model: parameters per block and shapes through one batch."""

from __future__ import annotations

import torch

from course_lib.models.audio import SimpleAudioEmbedder
from course_lib.models.conversation import ConversationalModel
from course_lib.models.fusion import AddFusion
from course_lib.models.inspect import parameter_table, trace_shapes
from course_lib.models.text import BiLSTMTextEmbedder


def _model() -> ConversationalModel:
    torch.manual_seed(0)
    embedders = {
        "text": BiLSTMTextEmbedder(vocab_size=30, embedding_dim=6, hidden_size=4),
        "audio": SimpleAudioEmbedder(5, conv_channels=(6,), kernel_size=3, hidden_size=3),
    }
    return ConversationalModel(
        embedders, AddFusion({"text": 8, "audio": 6}, dim=8), num_classes=6, dense_size=5
    )


def test_parameter_table_counts_every_block_and_frozen_parameters():
    model = _model()
    model.encoder.embedders["text"].requires_grad_(False)
    table = parameter_table(model, depth=3)
    total = sum(p.numel() for p in model.parameters())
    assert table.loc["total", "trainable"] + table.loc["total", "frozen"] == total
    assert table.loc["encoder.embedders.text", "trainable"] == 0
    assert table.loc["lstm", "type"] == "LSTM"


def test_trace_shapes_follows_one_batch_through_the_model():
    model = _model().train()
    generator = torch.Generator().manual_seed(0)
    batch = {
        "text": torch.randint(1, 30, (2, 3, 6), generator=generator),
        "audio": torch.randn(2, 3, 10, 5, generator=generator),
        "mask": torch.tensor([[1, 1, 1], [0, 1, 1]]),
    }
    table = trace_shapes(model, batch, depth=3)
    shapes = dict(zip(table["block"], table["output"]))
    assert shapes["encoder.fusion"] == "(5, 8)", "the 5 real turns, fused"
    assert shapes["head"] == "(2, 6)" and shapes["(model)"] == "(2, 6)"
    assert shapes["lstm"].startswith("packed")
    assert model.training, "the model's mode is restored"
