"""MMSA sequence features: word-piece spans, frame pooling, train-only standardisation, datasets."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.data import mmsa
from course_lib.features import sequences as seq


def test_word_piece_spans_drop_cls_and_sep():
    rows = np.zeros((3, 10), dtype=np.int64)
    rows[1, :6] = 1  # [CLS] w w w w [SEP]
    assert seq.word_piece_spans(rows) == (1, 5)
    rows[1] = 0
    rows[1, :2] = 1  # empty transcript: [CLS] [SEP]
    assert seq.word_piece_spans(rows) == (1, 2)


def test_pool_frames_to_averages_windows_and_keeps_the_tail():
    frames = np.arange(25, dtype=np.float32).reshape(25, 1)
    pooled = seq.pool_frames_to(frames, rate=100.0, target_hz=10.0)
    assert pooled.shape == (3, 1)
    np.testing.assert_allclose(pooled[:, 0], [4.5, 14.5, 22.0])
    assert seq.pool_frames_to(frames, 30.0, 30.0) is frames
    with pytest.raises(ValueError):
        seq.pool_frames_to(frames, 100.0, 0.0)


def test_standardise_uses_training_statistics_only():
    train = [np.array([[0.0, 5.0], [2.0, 5.0]], np.float32)]
    test = [np.array([[4.0, 7.0]], np.float32)]
    (mean, std), (train_out, test_out) = seq.standardise(train, test)
    np.testing.assert_allclose(mean, [1.0, 5.0])
    np.testing.assert_allclose(std, [1.0, 1.0])  # a constant feature keeps std 1
    np.testing.assert_allclose(test_out[0], [[3.0, 2.0]])
    np.testing.assert_allclose(train_out[0], [[-1.0, 0.0], [1.0, 0.0]])


def test_load_sequences_one_step_per_word_piece(small_mmsa, tmp_path):
    data = seq.load_sequences(small_mmsa, cache_dir=tmp_path)
    assert data.aligned and data.dims == {"text": 50, "audio": 5, "vision": 20}
    clip = data.splits["train"][0]
    start, stop = seq.word_piece_spans(clip.text_bert)
    for modality in ("text", "audio", "vision"):
        assert data.features[modality][clip.id].shape[0] == stop - start
    train_audio = np.concatenate([data.features["audio"][s.id] for s in data.splits["train"]])
    np.testing.assert_allclose(train_audio.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(train_audio.std(0), 1.0, atol=1e-4)
    test_audio = np.concatenate([data.features["audio"][s.id] for s in data.splits["test"]])
    assert np.abs(test_audio.mean(0)).max() > 1e-3  # test frames are scaled, not re-centred
    again = seq.load_sequences(small_mmsa, cache_dir=tmp_path)  # from the cache
    np.testing.assert_array_equal(again.features["text"][clip.id], data.features["text"][clip.id])


def test_glove_rows_are_the_words_vectors(small_mmsa):
    from course_lib.features.assets import glove_files
    from course_lib.features.text import glove_index

    data = seq.load_sequences(small_mmsa)
    clip = next(s for s in data.splits["train"] if s.raw_text == "the film was great")
    steps = data.features["text"][clip.id]
    assert steps.shape == (4, 50)  # four words, one word piece each
    vectors = np.load(glove_files()[0], mmap_mode="r")
    np.testing.assert_allclose(steps[1], vectors[glove_index()["film"]], rtol=1e-6)


def test_dataset_items_carry_index_user_and_masks(small_mmsa):
    data = seq.load_sequences(small_mmsa)
    dataset = data.dataset("train", users={"tr2": 2})
    item = dataset[7]
    assert int(item["index"]) == 7 and int(item["user"]) == 2  # clip 7 belongs to tr2
    assert int(dataset[0]["user"]) == 0  # users outside the mapping are the generic user
    batch = next(iter(dataset.loader(batch_size=4)))
    assert batch["text"].shape[:2] == batch["text_mask"].shape
    assert torch.equal(batch["text_mask"].sum(1), batch["text_lengths"])
    assert batch["index"].tolist() == [0, 1, 2, 3]


def test_bad_input_names_the_file(tmp_path):
    bad = tmp_path / "aligned_50.pkl"
    bad.write_bytes(b"not a pickle")
    with pytest.raises(mmsa.MMSAError, match="aligned_50.pkl"):
        seq.load_sequences(bad)
    with pytest.raises(ValueError, match="text must be one of"):
        seq.TextSequences("word2vec")


def test_word_pieces_match_the_text_steps(small_mmsa):
    data = seq.load_sequences(small_mmsa)
    clip = next(s for s in data.splits["train"] if s.raw_text == "the film was great")
    assert seq.word_pieces(clip) == ["the", "film", "was", "great"]


def test_minilm_text_kinds(small_mmsa):
    tokens = seq.TextSequences("minilm_tokens")
    pooled = seq.TextSequences("minilm_pooled")
    clips = seq.load_sequences(small_mmsa).splits["train"][:3]
    states = tokens(clips)
    means = pooled(clips)
    for clip, state, mean in zip(clips, states, means):
        start, stop = seq.word_piece_spans(clip.text_bert)
        assert state.shape == (stop - start, 384) and mean.shape == (1, 384)
        np.testing.assert_allclose(mean[0], state.mean(0), atol=1e-5)


def test_truncated_and_unstandardised_copies(small_mmsa):
    data = seq.load_sequences(small_mmsa)
    clip = data.splits["train"][0]
    short = data.truncated(2)
    assert all(len(x) <= 2 for v in short.features.values() for x in v.values())
    np.testing.assert_array_equal(short.features["audio"][clip.id], data.features["audio"][clip.id][:2])
    raw = data.unstandardised()
    mean, std = data.stats["audio"]
    np.testing.assert_allclose(
        raw.features["audio"][clip.id], data.features["audio"][clip.id] * std + mean, rtol=1e-6
    )
    np.testing.assert_array_equal(raw.features["text"][clip.id], data.features["text"][clip.id])
    assert raw.stats == {} and data.stats  # the original is left alone
    with pytest.raises(ValueError, match="max_len"):
        data.truncated(0)
