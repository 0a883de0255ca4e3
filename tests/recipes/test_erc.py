"""The IEMOCAP recipe end to end on a very small generated corpus."""

from __future__ import annotations

import json

import numpy as np
import pytest

from course_lib.data.iemocap import utterances
from course_lib.data.records import IEMOCAP_CLASSES
from course_lib.models.conversation import ConversationalModel
from course_lib.recipes.erc import (
    SMOKE_SIZES,
    ERCConfig,
    build_model,
    compare,
    example_batch,
    load_erc_data,
    results_table,
    train_erc,
    widget_train_fn,
)

TINY = {
    "hidden_size": 8,
    "num_layers": 1,
    "conv_channels": (8,),
    "audio_pool": 4,
    "embed_dim": 16,
    "dense_size": 16,
    "max_epochs": 3,
    "patience": 2,
}


@pytest.fixture(scope="module")
def data(small_erc_data):
    """A 5-session corpus with 2 short dialogues per session, loaded by the recipe."""
    return small_erc_data


def config(**fields) -> ERCConfig:
    return ERCConfig(**{**TINY, **fields})


# ----------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"text": "glove"}, "unknown text embedder"),
        ({"audio": "mfccs"}, "unknown audio embedder"),
        ({"text": None, "audio": None}, "at least one modality"),
        ({"fusion": "multiply"}, "unknown fusion"),
        ({"conv_length": 0}, "conv_length"),
        ({"conv_length": 1.5}, "conv_length"),
        ({"crop_seconds": 0}, "crop_seconds"),
        ({"batch_size": 0}, "batch_size"),
        ({"dropout": 1.0}, "dropout"),
    ],
)
def test_config_rejects_bad_values(fields, message):
    with pytest.raises(ValueError, match=message):
        ERCConfig(**fields)


def test_config_fusion_ignored_for_one_modality_and_name():
    text_only = ERCConfig(text="bilstm_random", audio=None, fusion="not-a-fusion")
    assert text_only.modalities == ("text",) and not text_only.multimodal
    both = ERCConfig(
        text="minilm", audio="whisper", fusion="add", conv_length=3, class_weights=True, crop_seconds=2
    )
    assert both.modalities == ("text", "audio")
    assert both.name == "minilm + whisper | add | n=3 | weights | 2s"
    assert "add" not in ERCConfig(text=None, audio="mfcc", fusion="add").name
    with pytest.raises(ValueError, match="unknown fusion"):
        text_only.replace(audio="mfcc")


def test_sized_applies_smoke_sizes_but_explicit_fields_win():
    smoke = ERCConfig.sized(True, text="bilstm_glove", hidden_size=16)
    assert smoke.hidden_size == 16
    assert smoke.max_epochs == SMOKE_SIZES["max_epochs"] != ERCConfig().max_epochs
    assert ERCConfig.sized(False, text="bilstm_glove") == ERCConfig(text="bilstm_glove")


# ----------------------------------------------------------------------------- data


def test_load_splits_by_session_and_builds_vocabulary_on_train(data):
    assert {d.session for d in data.splits["train"]} == {1, 2, 3}
    assert {d.session for d in data.splits["valid"]} == {4}
    assert {d.session for d in data.splits["test"]} == {5}
    train_tokens = {t for u in utterances(data.splits["train"]) for t in data.vocab.tokenize(u.text)}
    assert set(data.vocab.tokens[2:]) <= train_tokens
    counts = data.class_counts()
    for split in ("train", "valid", "test"):
        assert sum(counts[split].values()) == len(data.labelled(split)) > 0
    assert list(data.describe().columns) == [*IEMOCAP_CLASSES, "total"]


def test_load_from_a_run_prefers_real_iemocap_in_the_data_folder(tmp_path, data):
    from course_lib.runtime import setup

    real = tmp_path / "datasets"
    real.mkdir()
    (real / "IEMOCAP_full_release").symlink_to(data.corpus_dir / "IEMOCAP_full_release")
    run = setup("smoke", data_dir=real, name="test", verbose=False)
    loaded = load_erc_data(run)
    assert loaded.corpus_dir == real / "IEMOCAP_full_release"
    assert loaded.cache_dir == run.cache_dir
    assert [u.id for u in loaded.utterances] == [u.id for u in data.utterances]


def test_load_refuses_a_split_without_labelled_turns(tmp_path, data):
    with pytest.raises(ValueError, match="valid split"):
        load_erc_data(data.corpus_dir, cache_dir=tmp_path, valid_sessions=(6,))


def test_audio_features_are_cropped_and_standardised_on_train(data):
    short = data.audio_features("mfcc", crop_seconds=1.0)
    long = data.audio_features("mfcc", crop_seconds=2.0)
    assert set(short) == {u.id for u in data.utterances}
    assert max(x.shape[0] for x in short.values()) == 101  # 1 + 1 s / 10 ms, some turns are longer
    assert max(x.shape[0] for x in long.values()) > 101
    assert all(x.shape[1] == 40 for x in short.values())
    train = np.concatenate([long[u.id].numpy() for u in utterances(data.splits["train"])])
    np.testing.assert_allclose(train.mean(axis=0), 0.0, atol=1e-3)
    np.testing.assert_allclose(train.std(axis=0), 1.0, atol=1e-2)
    combo = data.audio_features("mfcc+chroma", crop_seconds=1.0)
    assert all(x.shape[1] == 52 for x in combo.values())
    assert data.audio_features("mfcc", crop_seconds=1.0) is short  # memoised


def test_text_tokens_are_padded_ids(data):
    tokens = data.text_features("bilstm_random", max_tokens=5)
    widths = {tuple(x.shape) for x in tokens.values()}
    assert len(widths) == 1 and next(iter(widths))[0] <= 5
    first = data.utterances[0]
    expected = data.vocab.encode(first.text)[:5]
    assert tokens[first.id][: len(expected)].tolist() == expected


# ----------------------------------------------------------------------------- training


def test_train_erc_gives_consistent_metrics(data):
    result = train_erc(config(text="bilstm_glove", audio="mfcc", crop_seconds=1.0), data, seed=1)
    assert isinstance(result.model, ConversationalModel), "conv_length 1 is the same model family"
    test_turns = data.labelled("test")
    assert sorted(result.test_ids) == sorted(u.id for u in test_turns)
    label_of = {u.id: IEMOCAP_CLASSES.index(u.label) for u in test_turns}
    assert result.y_true.tolist() == [label_of[i] for i in result.test_ids]
    assert result.confusion.sum() == len(test_turns)
    assert np.trace(result.confusion) / len(test_turns) == pytest.approx(result.test["accuracy"])
    for metrics in (result.valid, result.test):
        assert 0.0 <= metrics["weighted_f1"] <= 1.0 and metrics["loss"] > 0
    assert set(result.per_class_f1) == set(IEMOCAP_CLASSES)
    assert 1 <= result.best_epoch <= len(result.history) <= TINY["max_epochs"]
    summary = result.summary()
    assert summary["test_weighted_f1"] == result.test["weighted_f1"]
    assert summary["val_weighted_f1"] == result.valid["weighted_f1"]
    assert result.scores()["test"]["weighted"] == result.test["weighted_f1"]
    assert result.scores()["valid"]["weighted"] == result.valid["weighted_f1"]
    table = result.predictions()
    assert list(table["id"]) == result.test_ids
    assert table["correct"].mean() == pytest.approx(result.test["accuracy"])
    assert all(data.turn(i).label == label for i, label in zip(table["id"], table["true"]))
    with pytest.raises(KeyError, match="no turn"):
        data.turn("Ses09X_none")


def test_modality_reliance_scores_the_intact_model_as_its_test_split(data):
    from course_lib.recipes.erc import modality_reliance

    result = train_erc(
        config(text="bilstm_glove", audio="mfcc", crop_seconds=1.0, conv_length=2), data, seed=1
    )
    table = modality_reliance(result, data, repeats=2)
    assert list(table.index) == ["intact", "text shuffled", "audio shuffled"]
    assert table.loc["intact", "score"] == pytest.approx(result.test["weighted_f1"])
    assert (table["drop"] == table.loc["intact", "score"] - table["score"]).all()


def test_train_erc_is_deterministic_for_a_seed(data):
    chosen = config(text="bilstm_random", audio="chroma", crop_seconds=1.0, class_weights=True)
    first, second = train_erc(chosen, data, seed=5), train_erc(chosen, data, seed=5)
    assert first.y_pred.tolist() == second.y_pred.tolist()
    assert [h["train_loss"] for h in first.history] == [h["train_loss"] for h in second.history]
    assert first.valid == second.valid


def test_a_result_round_trips_through_its_record_and_its_model_is_trained_again(data, tmp_path):
    from course_lib.recipes.erc import ERCResult, trained_model
    from course_lib.recipes.references import ReferenceSlot

    chosen = config(text="bilstm_random", audio=None, conv_length=2)
    assert data.fingerprint() is None, "a corpus without corpus.json is never matched to shipped results"
    saved = compare({"text": chosen}, data, seeds=(3,), reference=ReferenceSlot("nb", "k", "train", tmp_path))
    result = saved.runs["text"][0]
    record = json.loads(json.dumps(result.to_record()))
    loaded = ERCResult.from_record(record, config=chosen, test_ids=result.test_ids, y_true=result.y_true)
    assert loaded.summary() == result.summary()
    assert loaded.y_pred.tolist() == result.y_pred.tolist()
    assert [h["train_loss"] for h in loaded.history] == pytest.approx(
        [h["train_loss"] for h in result.history]
    )
    assert np.array_equal(loaded.confusion, result.confusion) and loaded.model is None
    model = trained_model(loaded, data)
    assert isinstance(model, ConversationalModel) and loaded.model is model
    again = train_erc(chosen, data, seed=3)
    assert again.y_pred.tolist() == result.y_pred.tolist(), "training again gives the shipped predictions"


def test_parallel_runs_train_the_same_models_as_one_at_a_time(data):
    configs = {"text": config(text="bilstm_random", audio=None), "audio": config(text=None, audio="mfcc")}
    alone = compare(configs, data, seeds=(1, 2), jobs=1)
    together = compare(configs, data, seeds=(1, 2), jobs=2)
    for name in configs:
        for a, b in zip(alone.runs[name], together.runs[name]):
            assert a.seed == b.seed and a.y_pred.tolist() == b.y_pred.tolist() and a.valid == b.valid
            assert b.model is not None


def test_conversation_windows_predict_every_labelled_turn_once(data):
    result = train_erc(config(text="bilstm_random", audio=None, conv_length=3), data, seed=0)
    assert isinstance(result.model, ConversationalModel)
    assert sorted(result.test_ids) == sorted(u.id for u in data.labelled("test"))
    features = data.features_for(config(text="bilstm_random", audio="mfcc"))
    model = build_model(
        config(text="bilstm_random", audio="mfcc", fusion="late", conv_length=2), data, features
    )
    assert isinstance(model, ConversationalModel)


def test_window_lengths_change_the_context_and_nothing_else(data):
    features = data.features_for(config(text="bilstm_random", audio="mfcc"))
    sizes = {
        n: sum(
            p.numel()
            for p in build_model(config(text="bilstm_random", conv_length=n), data, features).parameters()
        )
        for n in (1, 3)
    }
    assert sizes[1] == sizes[3], "the same layers whatever the window length"


def test_the_papers_configuration_and_its_cross_attention_train(data):
    paper = ERCConfig.paper(True, audio="mfcc", max_epochs=1, conv_length=2)
    assert (paper.text, paper.fusion, paper.class_weights, paper.crop_seconds) == (
        "bilstm_random",
        "add",
        True,
        2.0,
    )
    assert ERCConfig.paper(False).audio == "whisper" and ERCConfig.paper(False).conv_length == 3
    result = train_erc(
        paper.replace(fusion="paper_cross_attention", **{**TINY, "max_epochs": 1}), data, seed=0
    )
    assert result.model.encoder.fusion.last_attention is not None
    assert 0.0 <= result.test["weighted_f1"] <= 1.0


def test_compare_summarises_seeds_keeps_results_and_tests_claims(data):
    from course_lib.papers import femia

    configs = {
        "text": config(text="bilstm_random", audio=None, max_epochs=1),
        "add": config(text="bilstm_random", audio="mfcc", fusion="add", crop_seconds=1.0, max_epochs=1),
    }
    comparison = compare(configs, data, seeds=(1, 2))
    assert list(comparison.summaries) == ["text", "add"]
    for name, summary in comparison.summaries.items():
        assert summary["seeds"] == [1, 2]
        runs = [r.test["weighted_f1"] for r in comparison.runs[name]]
        assert summary["mean"]["test_weighted_f1"] == pytest.approx(np.mean(runs))
        assert summary["std"]["test_weighted_f1"] == pytest.approx(np.std(runs))
    for table in (results_table(comparison), results_table(comparison, split="valid")):
        assert list(table.index) == ["text", "add"] and "weighted" in table.columns
    assert comparison.best() == max(configs, key=lambda n: comparison.summaries[n]["mean"]["val_weighted_f1"])
    record = comparison.claim(femia.CLAIMS["fusion_beats_text"], "add", "text", n_resamples=100)
    assert record["ci_low"] <= record["observed"] <= record["ci_high"]
    assert record["verdict"] in ("holds", "does not hold", "inconclusive")


def test_widget_train_fn_maps_the_widget_controls(data):
    train_fn = widget_train_fn(
        data, config(text="bilstm_random", audio="mfcc", crop_seconds=1.0, max_epochs=1)
    )
    scores = train_fn(
        {"fusion": "concat", "class_weights": True, "conv_length": 1, "audio_features": "chroma"}
    )
    assert set(scores) == {"valid", "test"}
    assert set(scores["valid"]) == {*IEMOCAP_CLASSES, "weighted"}
    assert all(0.0 <= v <= 1.0 for split in scores.values() for v in split.values())


def test_prosody_like_frame_statistics_are_an_audio_choice(data):
    frames = data.audio_features("stats", crop_seconds=1.0)
    shapes = {tuple(x.shape[1:]) for x in frames.values()}
    assert shapes == {(5,)} and max(x.shape[0] for x in frames.values()) <= 101
    result = train_erc(config(text=None, audio="stats", crop_seconds=1.0, max_epochs=1), data, seed=0)
    assert 0.0 <= result.test["weighted_f1"] <= 1.0


def test_example_batch_gives_a_model_and_a_window_batch(data):
    model, batch = example_batch(
        config(text="bilstm_random", audio="mfcc", conv_length=3), data, batch_size=2
    )
    assert batch["mask"].shape == (2, 3) and batch["text"].shape[:2] == (2, 3) and batch["audio"].dim() == 4
    assert model(batch).shape == (2, len(data.classes))


def test_window_table_and_context_groups(data):
    table = data.window_table("test", conv_length=4, index=0)
    assert len(table) == 4 and table["real turn"].tolist()[-1] and not table["real turn"].tolist()[0]
    assert table.loc[0, "text"] == "(padding)"
    groups = data.context_groups("test")
    assert set(groups) == {u.id for u in data.labelled("test")}
    assert set(groups.values()) <= {"first scored turn", "emotion continues", "emotion changes"}
    assert sum(g == "first scored turn" for g in groups.values()) == len(data.splits["test"])
    result = train_erc(config(text="bilstm_random", audio=None, max_epochs=1), data, seed=0)
    by_group = result.accuracy_by(groups)
    assert by_group["turns"].sum() == len(result.test_ids)
    assert (by_group["accuracy"] * by_group["turns"]).sum() / len(result.test_ids) == pytest.approx(
        result.test["accuracy"]
    )


def test_word_probe_reports_accuracy_and_the_majority_share(data):
    table = data.word_probe(("stats",), crop_seconds=1.0)
    row = table.loc["stats"]
    assert (
        row["test turns"] > 0 and 0.0 <= row["test accuracy"] <= 1.0 and 0.5 <= row["majority share"] <= 1.0
    )


def test_misclassified_turns_and_their_context(data):
    result = train_erc(config(text="bilstm_random", audio=None, max_epochs=1), data, seed=0)
    wrong = result.misclassified(prefer=[("hap", "exc")])
    assert len(wrong) == int((result.y_true != result.y_pred).sum())
    in_pair = [frozenset(w[1:]) == frozenset(("hap", "exc")) for w in wrong]
    assert in_pair == sorted(in_pair, reverse=True)
    turn_id = wrong[0][0]
    assert result.predicted(turn_id) == wrong[0][2]
    assert (
        all(":" in line for line in data.context_of(turn_id, n=2)) and len(data.context_of(turn_id, n=2)) <= 2
    )
