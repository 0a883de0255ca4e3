"""Pretrained speech encoders: Whisper (offline, CTranslate2) and a local transformers folder."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.features.encoders import (
    SpeechEmbeddings,
    TransformersSpeechEncoder,
    WhisperEncoder,
    load_speech_encoder,
    whisper_log_mel,
)


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_whisper_log_mel_matches_the_transformers_feature_extractor(make_tone):
    from transformers import WhisperFeatureExtractor

    wav = make_tone(3.0, 180) * np.linspace(0, 1, 48000, dtype=np.float32)
    reference = WhisperFeatureExtractor()(wav, sampling_rate=16000, return_tensors="np")["input_features"][0]
    ours = whisper_log_mel(torch.from_numpy(wav)[None])[0].numpy()
    assert ours.shape == (80, 300)
    # the last frame differs: the reference sees the zeros of its 30 s padding there
    np.testing.assert_allclose(ours[:, :-1], reference[:, :299], atol=1e-4)


def test_whisper_frames_are_trimmed_to_each_utterance(whisper, make_tone):
    assert isinstance(whisper, WhisperEncoder)
    waves = [make_tone(3.0), make_tone(1.0), make_tone(0.01), make_tone(4.5)]
    frames = whisper.frames(waves)
    assert [f.shape for f in frames] == [(150, 384), (50, 384), (1, 384), (225, 384)]
    assert all(f.dtype == np.float32 and np.isfinite(f).all() for f in frames)


def test_whisper_output_does_not_depend_on_the_batch(whisper, make_tone):
    wav = make_tone(1.3, 300)
    alone = whisper.frames([wav])[0]
    batched = whisper.frames([make_tone(2.9, 120), wav, make_tone(0.4)])[1]
    np.testing.assert_allclose(alone, batched, atol=1e-4)
    np.testing.assert_array_equal(alone, whisper.frames([wav])[0])  # deterministic


def test_whisper_pooled_embeddings(whisper, make_tone):
    waves = [make_tone(1.0), make_tone(2.0, 300)]
    assert whisper.embed(waves, "mean").shape == (2, 384)
    assert whisper.embed(waves, "max").shape == (2, 384)
    assert whisper.embed(waves, "meanstd").shape == (2, 768)


def test_whisper_embeddings_reflect_speech_content(whisper, speech):
    rng = np.random.default_rng(0)
    noise = (0.05 * rng.standard_normal(len(speech["a"]))).astype(np.float32)
    a, a_other, b, n = whisper.embed([speech["a"], speech["a_other_voice"], speech["b"], noise], "mean")
    assert _cos(a, a_other) > _cos(a, b) > _cos(a, n)


def test_whisper_refuses_nan(whisper):
    with pytest.raises(ValueError, match="NaN"):
        whisper.frames([np.array([0.0, np.nan] * 400, dtype=np.float32)])


def test_speech_embeddings_extractor(whisper, wav_files):
    pooled = SpeechEmbeddings(whisper, pooling="meanstd")
    out = pooled(wav_files)
    assert [o.shape for o in out] == [(768,)] * 3 and not pooled.variable_length
    frames = SpeechEmbeddings(whisper, pooling=None)(wav_files)
    assert [f.shape[0] for f in frames] == [25, 50, 85]
    assert pooled.config_dict() != SpeechEmbeddings(whisper, pooling="mean").config_dict()


@pytest.fixture(scope="module")
def tiny_wav2vec2(tmp_path_factory):
    """A small randomly initialised wav2vec 2.0 saved as a local folder (tests the online code path)."""
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny-wav2vec2")
    config = Wav2Vec2Config(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        conv_dim=(16, 16, 16, 16, 16, 16, 16),
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
    )
    Wav2Vec2Model(config).save_pretrained(folder)
    Wav2Vec2FeatureExtractor(return_attention_mask=True).save_pretrained(folder)
    return folder


def test_transformers_encoder_from_a_local_folder(tiny_wav2vec2, make_tone):
    encoder = load_speech_encoder(tiny_wav2vec2, batch_size=2)
    assert isinstance(encoder, TransformersSpeechEncoder) and encoder.dim == 32
    frames = encoder.frames([make_tone(1.0), make_tone(0.5), make_tone(0.25)])
    assert [f.shape for f in frames] == [(49, 32), (24, 32), (12, 32)]
    assert encoder.embed([make_tone(1.0)], "meanstd").shape == (1, 64)
    assert encoder.config()["model"] == str(tiny_wav2vec2)


def test_whisper_window_must_fit_the_encoder():
    with pytest.raises(ValueError, match="multiple of 0.02"):
        WhisperEncoder(window_seconds=0.015)
    with pytest.raises(ValueError, match="30"):
        WhisperEncoder(window_seconds=31.0)
