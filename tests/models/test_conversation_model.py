"""The conversational model and the utterance classifier."""

from __future__ import annotations

import pytest
import torch

from course_lib.models.audio import SimpleAudioEmbedder
from course_lib.models.conversation import ConversationalModel, UtteranceClassifier, select_current_turn
from course_lib.models.fusion import AddFusion, LateFusion
from course_lib.models.text import BiLSTMTextEmbedder


def _embedders() -> dict[str, torch.nn.Module]:
    return {
        "text": BiLSTMTextEmbedder(vocab_size=30, embedding_dim=6, hidden_size=4),
        "audio": SimpleAudioEmbedder(5, conv_channels=(6,), kernel_size=3, hidden_size=3),
    }


def _window(generator: torch.Generator, batch: int = 3, turns: int = 4) -> dict[str, torch.Tensor]:
    return {
        "text": torch.randint(1, 30, (batch, turns, 6), generator=generator),
        "audio": torch.randn(batch, turns, 10, 5, generator=generator),
        "label": torch.tensor([0, 1, 2])[:batch],
    }


def _model(fusion_dims: int = 8) -> ConversationalModel:
    torch.manual_seed(0)
    embedders = _embedders()
    fusion = AddFusion({"text": 8, "audio": 6}, dim=fusion_dims)
    return ConversationalModel(embedders, fusion, num_classes=6, dense_size=5).eval()


def test_output_shape_and_lstm_size_defaults_to_fusion_size():
    model = _model()
    batch = _window(torch.Generator().manual_seed(0))
    batch["mask"] = torch.ones(3, 4)
    assert model(batch).shape == (3, 6)
    assert model.lstm.hidden_size == 8 and isinstance(model.skip, torch.nn.Identity)


def test_padding_turns_do_not_change_the_output():
    model = _model()
    batch = _window(torch.Generator().manual_seed(0))
    batch["mask"] = torch.tensor([[1, 1, 1, 1], [0, 0, 1, 1], [0, 1, 1, 1]])
    out = model(batch)
    noisy = _window(torch.Generator().manual_seed(5))
    for key in ("text", "audio"):
        keep = batch["mask"].bool()
        noisy[key][keep] = batch[key][keep]
    noisy["mask"] = batch["mask"]
    torch.testing.assert_close(model(noisy), out)


def test_a_turn_shared_by_windows_is_embedded_once_with_the_same_output():
    model = _model()
    generator = torch.Generator().manual_seed(0)
    turns = _window(generator, batch=1, turns=5)  # five consecutive turns of one dialogue
    windows = {  # the windows of turns 3, 4 and 5 (conv_length 3) share turns 3 and 4
        key: torch.stack([turns[key][0, i : i + 3] for i in range(3)]) for key in ("text", "audio")
    }
    windows["mask"] = torch.ones(3, 3, dtype=torch.bool)
    plain = model(windows)
    seen = []
    model.encoder.embedders["text"].register_forward_hook(lambda _m, args, _o: seen.append(args[0].shape[0]))
    indexed = model({**windows, "turn_index": torch.tensor([[0, 1, 2], [1, 2, 3], [2, 3, 4]])})
    torch.testing.assert_close(indexed, plain)
    assert seen == [5], "five distinct turns, not nine"
    windows["mask"] = torch.tensor([[0, 1, 1], [1, 1, 1], [1, 1, 1]], dtype=torch.bool)
    index = torch.tensor([[-1, 1, 2], [1, 2, 3], [2, 3, 4]])
    torch.testing.assert_close(model({**windows, "turn_index": index}), model(windows))


def test_left_and_right_padding_agree():
    model = _model()
    batch = _window(torch.Generator().manual_seed(0), batch=1, turns=4)
    left = {"text": batch["text"], "audio": batch["audio"], "mask": torch.tensor([[0, 0, 1, 1]])}
    right = {
        "text": torch.roll(batch["text"], -2, dims=1),
        "audio": torch.roll(batch["audio"], -2, dims=1),
        "mask": torch.tensor([[1, 1, 0, 0]]),
    }
    torch.testing.assert_close(model(left), model(right))


def test_context_turns_matter_and_current_turn_matters():
    model = _model()
    batch = _window(torch.Generator().manual_seed(0), batch=1)
    batch["mask"] = torch.ones(1, 4)
    out = model(batch)
    older = {k: v.clone() for k, v in batch.items()}
    older["audio"][:, 0] += 3.0
    assert not torch.allclose(model(older), out)
    current = {k: v.clone() for k, v in batch.items()}
    current["text"][:, -1] = torch.randint(1, 30, (6,), generator=torch.Generator().manual_seed(9))
    assert not torch.allclose(model(current), out)


def test_projection_skip_when_sizes_differ_and_lengths_keys():
    torch.manual_seed(0)
    model = ConversationalModel(_embedders(), None, num_classes=4, hidden_size=3)
    assert isinstance(model.skip, torch.nn.Linear)
    batch = _window(torch.Generator().manual_seed(0))
    batch["mask"] = torch.ones(3, 4)
    batch["audio_lengths"] = torch.full((3, 4), 7)
    assert model(batch).shape == (3, 4)


def test_windows_without_real_turns_are_rejected():
    model = _model()
    batch = _window(torch.Generator().manual_seed(0))
    batch["mask"] = torch.tensor([[1, 1, 1, 1], [0, 0, 0, 0], [1, 0, 0, 0]])
    with pytest.raises(ValueError, match="at least one"):
        model(batch)


def test_select_current_turn_and_utterance_classifier():
    batch = _window(torch.Generator().manual_seed(0))
    batch["mask"] = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0], [0, 0, 1, 0]])
    batch["text_lengths"] = torch.arange(12).reshape(3, 4)
    current = select_current_turn(batch)
    torch.testing.assert_close(current["text"][1], batch["text"][1, 1])
    torch.testing.assert_close(current["audio"][2], batch["audio"][2, 2])
    assert current["text_lengths"].tolist() == [3, 5, 10]
    assert "mask" not in current and current["label"].tolist() == [0, 1, 2]
    torch.manual_seed(0)
    classifier = UtteranceClassifier(_embedders(), None, num_classes=6)
    current.pop("text_lengths")
    assert classifier(current).shape == (3, 6)


def test_utterance_classifier_unimodal_and_late_fusion():
    torch.manual_seed(0)
    unimodal = UtteranceClassifier({"text": BiLSTMTextEmbedder(vocab_size=10, hidden_size=2)}, num_classes=3)
    assert unimodal({"text": torch.randint(1, 10, (4, 5))}).shape == (4, 3)
    late = UtteranceClassifier(_embedders(), LateFusion({"text": 8, "audio": 6}, num_classes=6))
    assert late.head is None
    with pytest.raises(ValueError, match="classes"):
        UtteranceClassifier(_embedders(), LateFusion({"text": 8, "audio": 6}, num_classes=4), num_classes=6)


def test_conversational_model_with_late_fusion_runs():
    torch.manual_seed(0)
    model = ConversationalModel(_embedders(), LateFusion({"text": 8, "audio": 6}, num_classes=6))
    batch = _window(torch.Generator().manual_seed(0))
    batch["mask"] = torch.ones(3, 4)
    assert model(batch).shape == (3, 6)


def test_conversational_model_with_the_papers_window_cross_attention():
    from course_lib.models.fusion import WindowCrossAttentionFusion

    torch.manual_seed(0)
    fusion = WindowCrossAttentionFusion({"text": 8, "audio": 6}, dim=8, num_heads=2)
    model = ConversationalModel(_embedders(), fusion, num_classes=6, dense_size=5).eval()
    batch = _window(torch.Generator().manual_seed(0))
    batch["mask"] = torch.tensor([[1, 1, 1, 1], [0, 0, 1, 1], [0, 1, 1, 1]])
    assert model(batch).shape == (3, 6)
    assert fusion.last_attention.shape == (3, 4, 4)
    with pytest.raises(TypeError, match="window of turns"):
        UtteranceClassifier(_embedders(), fusion)(select_current_turn(batch))
