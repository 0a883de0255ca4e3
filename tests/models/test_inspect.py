"""Looking inside a model: parameters per block and shapes through one batch."""

from __future__ import annotations

import torch

from course_lib.models.audio import SimpleAudioEmbedder
from course_lib.models.conversation import ConversationalModel
from course_lib.models.fusion import AddFusion
from course_lib.models.inspect import modality_reliance, parameter_table, shuffle_modality, trace_shapes
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


class _TextOnly(torch.nn.Module):
    """Logits from the text input alone (the audio input is read and ignored)."""

    def forward(self, batch):
        _ = batch["audio"].sum()
        return torch.nn.functional.one_hot(batch["text"][:, -1, 0] % 3, 3).float()


def test_shuffle_modality_permutes_rows_within_a_mask_pattern_and_keeps_the_rest():
    batch = {
        "text": torch.arange(6).reshape(6, 1, 1).repeat(1, 2, 1),
        "text_lengths": torch.arange(6).reshape(6, 1).repeat(1, 2),
        "audio": torch.arange(6).float().reshape(6, 1),
        "mask": torch.tensor([[1, 1], [0, 1], [1, 1], [0, 1], [1, 1], [0, 1]]),
        "label": torch.arange(6),
        "turn_index": torch.arange(12).reshape(6, 2),
    }
    shuffled = shuffle_modality(batch, "text", torch.Generator().manual_seed(3))
    assert "turn_index" not in shuffled, "a shuffled row no longer holds the turn its index names"
    rows = shuffled["text"][:, 0, 0]
    assert sorted(rows.tolist()) == list(range(6)) and rows.tolist() != list(range(6))
    assert all(row % 2 == index % 2 for index, row in enumerate(rows.tolist())), "same mask pattern only"
    assert torch.equal(shuffled["text_lengths"][:, 0], rows), "lengths travel with their rows"
    assert torch.equal(shuffled["audio"], batch["audio"]) and torch.equal(shuffled["label"], batch["label"])


def test_modality_reliance_sees_the_modality_a_model_uses_and_not_the_one_it_ignores():
    generator = torch.Generator().manual_seed(0)
    batches = []
    for _ in range(4):
        text = torch.randint(0, 9, (16, 1, 2), generator=generator)
        batches.append(
            {
                "text": text,
                "audio": torch.randn(16, 1, 4),
                "mask": torch.ones(16, 1),
                "label": text[:, -1, 0] % 3,
            }
        )
    table = modality_reliance(
        _TextOnly(), batches, ["text", "audio"], lambda t, p: float((t == p).mean()), repeats=3
    )
    assert table.loc["intact", "score"] == 1.0
    assert table.loc["audio shuffled", "drop"] == 0.0
    assert table.loc["text shuffled", "drop"] > 0.3
