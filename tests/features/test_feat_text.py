"""Tokenizer, vocabulary, GloVe matrices and transformer sentence embeddings."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.features import text as T

TRAIN = ["I'm so happy, really happy!", "[LAUGHTER] That is great.", "I am not happy [BREATHING] at all"]


def test_tokenize_options():
    expected = ["oh", ",", "[LAUGHTER]", "i", "do", "n't", "know", "!"]
    assert T.tokenize("Oh, [LAUGHTER] I don't KNOW!") == expected
    assert T.tokenize("Oh, [laughter] I", keep_tags=False, punctuation=False) == ["oh", "i"]
    assert T.tokenize("Big Cat", lower=False) == ["Big", "Cat"]
    assert T.tokenize("   ") == []
    with pytest.raises(ValueError, match="None"):
        T.tokenize(None)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("don't", ["do", "n't"]),
        ("can't", ["ca", "n't"]),
        ("won't", ["wo", "n't"]),
        ("isn't", ["is", "n't"]),
        ("it's", ["it", "'s"]),
        ("I'm", ["i", "'m"]),
        ("they're", ["they", "'re"]),
        ("we've", ["we", "'ve"]),
        ("I'll", ["i", "'ll"]),
        ("I'd", ["i", "'d"]),
        ("Mary's", ["mary", "'s"]),
        ("wouldn't've", ["would", "n't", "'ve"]),
        ("DON'T", ["do", "n't"]),
    ],
)
def test_tokenize_splits_clitics_like_glove(text, tokens):
    assert T.tokenize(text) == tokens


def test_tokenize_keeps_words_with_an_inner_apostrophe_that_is_no_clitic():
    assert T.tokenize("o'clock, ma'am") == ["o'clock", ",", "ma'am"]


def test_tokenize_normalises_curly_apostrophes_and_quotes():
    assert T.tokenize("I don\u2019t \u2018know\u2019") == ["i", "do", "n't", "'", "know", "'"]
    assert T.tokenize("\u201cFine\u201d, it\u02bcs") == ['"', "fine", '"', ",", "it", "'s"]


def test_tokenize_keeps_letters_of_any_script():
    assert T.tokenize("Qu\u00e9bec") == ["qu\u00e9bec"]
    assert T.tokenize("Que\u0301bec") == ["qu\u00e9bec"]  # decomposed accent composed first
    assert T.tokenize("Z\u00fcrich na\u00efve", lower=False) == ["Z\u00fcrich", "na\u00efve"]


def test_tokenize_keeps_numbers_ellipsis_and_double_dash_whole():
    expected = ["it", "costs", "3.5", "or", "1,000", "...", "i", "--", "no"]
    assert T.tokenize("It costs 3.5 or 1,000... I -- no") == expected
    assert T.tokenize("wait\u2026") == ["wait", "..."]


def test_clitics_are_words_kept_without_punctuation():
    words = ["i", "'m", "sure", "it", "'s", "fine", "is", "n't", "it"]
    assert T.tokenize("I'm sure it's fine, isn't it?", punctuation=False) == words


def test_tokenizer_decisions_match_the_glove_vocabulary():
    index = T.glove_index()
    text = "Don't! It's Qu\u00e9bec's; I'm sure they're, we've, I'll, I'd... can't won't -- 3.5 o'clock"
    tokens = T.tokenize(text)
    assert {
        "n't",
        "'s",
        "'m",
        "'re",
        "'ve",
        "'ll",
        "'d",
        "ca",
        "wo",
        "qu\u00e9bec",
        "...",
        "--",
        "3.5",
    } <= set(tokens)
    assert [token for token in tokens if token not in index] == []
    assert "don't" not in index and "it's" not in index  # why contractions must be split


def test_vocabulary_build_order_and_min_freq():
    vocab = T.build_vocabulary(TRAIN, min_freq=2)
    assert vocab.tokens[:2] == [T.PAD, T.UNK]
    assert vocab.tokens[2:] == ["happy", "i"]  # the tokens seen at least twice ("I'm" gives "i", "'m")
    assert T.build_vocabulary(["b a", "a c b"]).tokens[2:] == ["a", "b", "c"]  # by count, ties alphabetical
    assert "great" not in vocab.index
    assert vocab.encode("happy great") == [vocab.index["happy"], vocab.unk_id]
    full = T.build_vocabulary(TRAIN)
    assert "[LAUGHTER]" in full.index and "[BREATHING]" in full.index
    assert "[LAUGHTER]" not in T.build_vocabulary(TRAIN, keep_tags=False).index
    assert len(T.build_vocabulary(TRAIN, max_size=3)) == 5


def test_empty_text_encodes_to_one_unknown_token():
    vocab = T.build_vocabulary(TRAIN)
    assert vocab.encode("") == [vocab.unk_id]
    ids, lengths = vocab.encode_batch(["happy", "", "that is great"])
    assert ids.shape == (3, 3) and lengths.tolist() == [1, 1, 3]
    assert ids[0, 1:].tolist() == [vocab.pad_id, vocab.pad_id]
    assert vocab.decode(ids[2].tolist()) == ["that", "is", "great"]


def test_vocabulary_json_round_trip(tmp_path):
    vocab = T.build_vocabulary(TRAIN, keep_tags=False, punctuation=False)
    loaded = T.Vocabulary.load(vocab.save(tmp_path / "vocab.json"))
    assert loaded.tokens == vocab.tokens and loaded.counts == vocab.counts
    assert loaded.encode("Happy, [LAUGHTER] great!") == vocab.encode("Happy, [LAUGHTER] great!")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="bad.json"):
        T.Vocabulary.load(tmp_path / "bad.json")


def test_glove_matrix_rows_and_coverage():
    vocab = T.build_vocabulary(["the happy dog barked", "the qzxqzx frobnicated [LAUGHTER]"])
    result = T.glove_matrix(vocab, seed=0)
    vectors_file, _ = T.assets.glove_files()
    vectors = np.load(vectors_file, mmap_mode="r")
    index = T.glove_index()
    np.testing.assert_array_equal(result.matrix[vocab.index["the"]], vectors[index["the"]])
    np.testing.assert_array_equal(result.matrix[vocab.index["[LAUGHTER]"]], vectors[index["laughter"]])
    assert not result.found[vocab.index["qzxqzx"]] and result.found[vocab.index["dog"]]
    assert np.all(result.matrix[vocab.pad_id] == 0)
    assert result.matrix.shape == (len(vocab), 50) and result.matrix.dtype == np.float32
    assert result.stats["type_coverage"] == pytest.approx(5 / 7)  # qzxqzx and frobnicated are missing
    assert result.stats["token_coverage"] == pytest.approx(6 / 8)
    assert "qzxqzx" in result.stats["missing_examples"] and T.UNK not in result.stats["missing_examples"]
    again = T.glove_matrix(vocab, seed=0).matrix
    np.testing.assert_array_equal(result.matrix, again)  # deterministic, random OOV rows included


def test_glove_similarity_is_meaningful():
    vocab = T.build_vocabulary(["happy glad table"])
    m = T.glove_matrix(vocab).matrix
    h, g, t = (m[vocab.index[w]] for w in ("happy", "glad", "table"))
    cos = lambda a, b: a @ b / np.linalg.norm(a) / np.linalg.norm(b)
    assert cos(h, g) > cos(h, t)


def test_embedding_layer_frozen_or_trainable():
    matrix = np.arange(12, dtype=np.float32).reshape(4, 3)
    frozen = T.embedding_layer(matrix)
    assert not frozen.weight.requires_grad
    np.testing.assert_array_equal(frozen(torch.tensor([[2]])).numpy()[0, 0], [6, 7, 8])
    assert T.embedding_layer(matrix, freeze=False).weight.requires_grad


def test_minilm_related_sentences_are_closer(minilm):
    emb = minilm.embed(["I am so happy today", "I feel great and joyful", "The train leaves at noon"], "mean")
    assert emb.shape == (3, 384) and emb.dtype == torch.float32
    cos = torch.nn.functional.cosine_similarity
    assert cos(emb[0:1], emb[1:2]) > cos(emb[0:1], emb[2:3]) + 0.2


@pytest.mark.parametrize("pooling", ["cls", "mean", "max"])
def test_minilm_poolings_and_batching(minilm, pooling):
    texts = ["short", "a much longer sentence with many more tokens in it", ""]
    together = minilm.embed(texts, pooling, batch_size=3, progress=False)
    apart = minilm.embed(texts, pooling, batch_size=1, progress=False)
    assert together.shape == (3, 384) and torch.isfinite(together).all()
    torch.testing.assert_close(together, apart, atol=1e-4, rtol=1e-4)  # padding is masked


def test_minilm_poolings_differ_and_are_deterministic(minilm):
    texts = ["what a wonderful day", "nothing works"]
    mean = minilm.embed(texts, "mean", progress=False)
    assert not torch.allclose(mean, minilm.embed(texts, "cls", progress=False))
    torch.testing.assert_close(mean, minilm.embed(texts, "mean", progress=False), atol=0, rtol=0)


def test_minilm_refuses_non_strings(minilm):
    with pytest.raises(ValueError, match="strings"):
        minilm.embed(["fine", None])
    with pytest.raises(ValueError, match="pooling"):
        minilm.embed(["fine"], "meanstd")


def test_embed_texts_and_extractor(minilm):
    out = T.embed_texts(["hello"], minilm, progress=False)
    assert out.shape == (1, 384)
    extractor = T.TextEmbeddings(minilm, pooling="max")
    items = extractor(["hello", "bye"])
    assert [i.shape for i in items] == [(384,), (384,)]
    assert extractor.config_dict()["model"] == "all-MiniLM-L6-v2"


def test_unknown_hub_model_fails_clearly_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OSError, match="cannot load the tokenizer 'no-such-org/no-such-model'"):
        T.TextEncoder("no-such-org/no-such-model")


def test_naive_tokenizer_loses_glove_vectors_that_clitic_splitting_keeps():
    texts = ["I don't know.", "It's fine, isn't it?"]
    assert T.split_on_words_only("Don't go!") == ["don't", "go", "!"]
    assert T.glove_token_share(texts) == 1.0
    assert T.glove_token_share(texts, T.split_on_words_only) < 1.0


def test_unknown_share_of_a_vocabulary():
    vocab = T.build_vocabulary(["good day", "bad day"])
    assert vocab.unknown_share(["good night"]) == 0.5 and vocab.unknown_share([]) == 0.0


@pytest.mark.parametrize(
    ("sentence", "polarity"),
    [
        ("I'm so happy today!", 1),
        ("This is terrible.", -1),
        ("I'm not happy.", -1),
        ("We went to the shop.", 0),
    ],
)
def test_lexicon_polarity_reads_the_words_with_negation(sentence, polarity):
    assert T.lexicon_polarity(sentence) == polarity


def test_token_states_keep_real_tokens_and_their_mean_is_the_masked_mean(minilm):
    from course_lib.features.text import TokenStates

    texts = ["so happy today", "the weather report for tomorrow morning in the city"]
    items = TokenStates(minilm)(texts)
    lengths = [len(minilm.tokenizer(t)["input_ids"]) for t in texts]
    assert [len(x) for x in items] == lengths
    pooled = minilm.embed(texts, "mean", progress=False).numpy()
    np.testing.assert_allclose(np.stack([x.mean(0) for x in items]), pooled, atol=1e-5)


def test_padding_to_max_length_changes_a_naive_mean_but_not_the_masked_one(minilm):
    from course_lib.features.encoders import masked_pool

    states, mask = minilm.token_states(["so happy today"], pad_to_max=True)
    assert states.shape[1] == minilm.max_length and int(mask.sum()) < minilm.max_length
    naive, masked = masked_pool(states, None, "mean"), masked_pool(states, mask, "mean")
    short_states, short_mask = minilm.token_states(["so happy today"])
    torch.testing.assert_close(masked, masked_pool(short_states, short_mask, "mean"), atol=1e-5, rtol=1e-4)
    assert not torch.allclose(naive, masked, atol=1e-3)
