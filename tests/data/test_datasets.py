"""Torch datasets: padding collate, utterance/sample/post datasets, conversation windows, k-shot split."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from course_lib.data.datasets import (
    ConversationWindowDataset,
    FeatureDataset,
    WindowRunSampler,
    kshot_split,
    pad_collate,
    post_dataset,
    sample_dataset,
    utterance_dataset,
)
from course_lib.data.records import Dialogue, Post, Sample, Utterance


def _utterance(dialogue: str, index: int, speaker: str, label: str | None) -> Utterance:
    return Utterance(
        id=f"{dialogue}_{speaker[-1]}{index:03d}",
        dialogue_id=dialogue,
        session=int(dialogue[3:5]),
        speaker=speaker,
        gender=speaker[-1],
        start=float(index),
        end=index + 0.5,
        text_raw="hi",
        text="hi",
        wav_path=None,
        label=label,
    )


@pytest.fixture
def dialogues() -> list[Dialogue]:
    first = Dialogue(
        "Ses01F_impro01",
        1,
        [
            _utterance("Ses01F_impro01", 0, "Ses01_F", "neu"),
            _utterance("Ses01F_impro01", 1, "Ses01_M", None),
            _utterance("Ses01F_impro01", 2, "Ses01_F", "ang"),
            _utterance("Ses01F_impro01", 3, "Ses01_M", "sad"),
        ],
    )
    second = Dialogue(
        "Ses02M_script01_1",
        2,
        [
            _utterance("Ses02M_script01_1", 0, "Ses02_M", "exc"),
            _utterance("Ses02M_script01_1", 1, "Ses02_F", "hap"),
        ],
    )
    return [first, second]


def _features(dialogues: list[Dialogue]) -> dict[str, dict[str, torch.Tensor]]:
    text, audio = {}, {}
    for d_index, dialogue in enumerate(dialogues):
        for t_index, u in enumerate(dialogue.utterances):
            code = 10 * d_index + t_index + 1
            text[u.id] = torch.full((4,), float(code))
            audio[u.id] = torch.full((2 + t_index, 3), float(code))
    return {"text": text, "audio": audio}


def test_pad_collate_pads_sequences_with_lengths_and_mask():
    batch = [
        {"id": "a", "audio": torch.ones(2, 3), "text": torch.zeros(4), "label": torch.tensor(1)},
        {"id": "b", "audio": torch.ones(5, 3), "text": torch.zeros(4), "label": torch.tensor(0)},
    ]
    out = pad_collate(batch, sequence_keys=("audio",))
    assert out["id"] == ["a", "b"]
    assert out["audio"].shape == (2, 5, 3) and out["text"].shape == (2, 4)
    assert out["audio_lengths"].tolist() == [2, 5]
    assert out["audio_mask"].tolist() == [[True, True, False, False, False], [True] * 5]
    assert out["audio"][0, 2:].abs().sum() == 0 and out["audio"][0, :2].sum() == 6
    with pytest.raises(ValueError, match="sequence_keys"):
        pad_collate(batch)
    with pytest.raises(ValueError, match="different keys"):
        pad_collate([batch[0], {"id": "c"}])


def test_utterance_dataset_leaves_out_masked_turns_and_batches(dialogues):
    dataset = utterance_dataset(dialogues, _features(dialogues))
    assert len(dataset) == 5 and dataset.left_out == 1
    assert dataset.sequence_keys == ("audio",)
    batch = next(iter(DataLoader(dataset, batch_size=5, collate_fn=dataset.collate)))
    assert batch["label"].tolist() == [0, 2, 3, 5, 4]  # neu ang sad exc hap in IEMOCAP_CLASSES order
    assert batch["audio"].shape == (5, 5, 3) and batch["audio_lengths"].tolist() == [2, 4, 5, 2, 3]
    assert batch["speaker"].tolist() == [
        dataset.speaker_names.index(s) for s in ("Ses01_F", "Ses01_F", "Ses01_M", "Ses02_M", "Ses02_F")
    ]
    assert list(batch)[:3] == ["id", "text", "audio"]


def test_missing_features_are_named(dialogues):
    features = _features(dialogues)
    del features["text"]["Ses01F_impro01_F000"]
    with pytest.raises(KeyError, match="Ses01F_impro01_F000"):
        utterance_dataset(dialogues, features)
    with pytest.raises(ValueError, match="entries"):
        FeatureDataset(["a", "b"], {"text": [torch.zeros(2)]}, [0, 1])


def test_aligned_feature_sequences_and_numpy_inputs():
    dataset = FeatureDataset(
        ["a", "b"], {"vision": [np.ones((3, 2)), np.ones((1, 2))]}, np.array([0.5, -1.0])
    )
    batch = dataset.collate([dataset[0], dataset[1]])
    assert batch["vision"].dtype == torch.float32 and batch["vision"].shape == (2, 3, 2)
    assert batch["vision_mask"].tolist() == [[True] * 3, [True, False, False]]
    assert batch["label"].dtype == torch.float32


def test_conversation_windows_are_front_padded_with_mask(dialogues):
    dataset = ConversationWindowDataset(dialogues, _features(dialogues), conv_length=3)
    assert len(dataset) == 5 and dataset.left_out == 1
    first = dataset[0]
    assert first["id"] == "Ses01F_impro01_F000"
    assert first["mask"].tolist() == [False, False, True]
    assert first["text"][:, 0].tolist() == [0.0, 0.0, 1.0]
    fourth = dataset[2]  # Ses01F_impro01 turn 4 (label sad): context turns 2-4, masked turn 2 included
    assert fourth["mask"].tolist() == [True, True, True]
    assert fourth["text"][:, 0].tolist() == [2.0, 3.0, 4.0]
    assert fourth["audio_lengths"].tolist() == [3, 4, 5] and fourth["audio"].shape == (3, 5, 3)
    assert fourth["same_speaker"].tolist() == [True, False, True]
    second_dialogue = dataset[4]  # windows never cross dialogues
    assert second_dialogue["text"][:, 0].tolist() == [0.0, 11.0, 12.0]
    batch = next(iter(DataLoader(dataset, batch_size=5, collate_fn=dataset.collate)))
    assert batch["text"].shape == (5, 3, 4) and batch["mask"].shape == (5, 3)
    assert batch["audio"].shape == (5, 3, 5, 3) and batch["audio_lengths"].shape == (5, 3)
    assert batch["label"].tolist() == [0, 2, 3, 5, 4]
    single = ConversationWindowDataset(dialogues, _features(dialogues), conv_length=1)[2]
    assert single["mask"].tolist() == [True] and single["text"][0, 0] == 4.0
    with pytest.raises(ValueError, match="conv_length"):
        ConversationWindowDataset(dialogues, _features(dialogues), conv_length=0)


def test_windows_name_their_turns_so_shared_turns_can_be_embedded_once(dialogues):
    dataset = ConversationWindowDataset(dialogues, _features(dialogues), conv_length=3)
    assert dataset[0]["turn_index"].tolist() == [-1, -1, 0]
    assert dataset[2]["turn_index"].tolist() == [1, 2, 3]
    assert dataset[4]["turn_index"].tolist() == [-1, 4, 5]
    batch = dataset.collate([dataset[i] for i in range(len(dataset))])
    index, text = batch["turn_index"], batch["text"][..., 0]
    for turn in index.unique().tolist():  # equal indices hold equal inputs
        if turn >= 0:
            assert text[index == turn].unique().numel() == 1


def test_runs_never_cross_a_dialogue_and_the_sampler_draws_each_window_once_per_epoch(dialogues):
    dataset = ConversationWindowDataset(dialogues * 3, _features(dialogues), conv_length=2)
    assert dataset.runs(2) == [[0, 1], [2], [3, 4], [5, 6], [7], [8, 9], [10, 11], [12], [13, 14]]
    assert dataset.runs(1) == [[i] for i in range(len(dataset))]
    with pytest.raises(ValueError, match="run_length"):
        dataset.runs(0)

    def epochs(seed: int, run_length: int) -> list[list[list[int]]]:
        sampler = WindowRunSampler(dataset, 4, run_length, torch.Generator().manual_seed(seed))
        return [list(sampler) for _ in range(3)]

    drawn = epochs(0, 2)
    for batches in drawn:
        assert sorted(w for b in batches for w in b) == list(range(15))
        assert [len(b) for b in batches] == [4, 4, 4, 3] and len(WindowRunSampler(dataset, 4, 2)) == 4
        flat = [w for b in batches for w in b]
        for run in dataset.runs(2):  # a run's windows are drawn together, in order
            start = flat.index(run[0])
            assert flat[start : start + len(run)] == run
    assert drawn == epochs(0, 2) and drawn != epochs(1, 2)
    assert drawn[0] != drawn[1], "a new order every epoch"


def test_kshot_split_is_within_speaker_and_deterministic(dialogues):
    turns = [replace(u, id=f"{u.id}_{copy}") for copy in range(3) for d in dialogues for u in d.utterances]
    support, query = kshot_split(turns, k=2, seed=5)
    again = kshot_split(turns, k=2, seed=5)
    assert (support, query) == again
    assert len(support) + len(query) == len(turns)
    per_speaker = {}
    for u in support:
        per_speaker[u.speaker] = per_speaker.get(u.speaker, 0) + 1
    assert per_speaker == {s: 2 for s in {u.speaker for u in turns}}
    orders = {tuple(u.id for u in kshot_split(turns, k=2, seed=s)[0]) for s in range(8)}
    assert len(orders) > 1  # the seed changes the draw
    positions = [turns.index(u) for u in query]
    assert positions == sorted(positions)
    all_support, no_query = kshot_split(turns[:2], k=5)
    assert len(all_support) == 2 and no_query == []
    with pytest.raises(TypeError, match="key"):
        kshot_split([object()], k=1)
    groups, _ = kshot_split(list(range(10)), k=1, key=lambda n: n % 2)
    assert len(groups) == 2 and {n % 2 for n in groups} == {0, 1}


def _sample(video: str, clip: int, label: float, frames: int) -> Sample:
    return Sample(
        id=f"{video}$_${clip}",
        video_id=video,
        clip_id=str(clip),
        raw_text="good movie",
        text_bert=np.ones((3, 50), dtype=np.int64),
        audio=np.ones((frames, 5), np.float32),
        vision=np.ones((frames + 1, 20), np.float32),
        label=label,
        annotation="Positive",
        split="train",
    )


def test_sample_dataset_uses_the_records_arrays():
    samples = [_sample("vidA", 1, 1.5, 4), _sample("vidB", 2, -2.0, 7), _sample("vidA", 3, 0.0, 2)]
    dataset = sample_dataset(samples)
    batch = dataset.collate([dataset[i] for i in range(3)])
    assert batch["text_bert"].shape == (3, 3, 50) and batch["text_bert"].dtype == torch.long
    assert batch["audio"].shape == (3, 7, 5) and batch["audio_lengths"].tolist() == [4, 7, 2]
    assert batch["vision_lengths"].tolist() == [5, 8, 3]
    assert "text_bert_mask" not in batch
    assert batch["label"].tolist() == [1.5, -2.0, 0.0] and batch["speaker"].tolist() == [0, 1, 0]
    extra = sample_dataset(samples, features={"text": {s.id: torch.zeros(8) for s in samples}})
    assert extra[0]["text"].shape == (8,)


def test_post_dataset_indexes_mvsa_labels():
    posts = [
        Post(str(i), "t", Path(f"{i}.jpg"), "positive", "neutral", label)
        for i, label in enumerate(["positive", "negative", "neutral"])
    ]
    features = {
        "text": {p.id: torch.zeros(6) for p in posts},
        "image": {p.id: torch.zeros(3, 8, 8) for p in posts},
    }
    dataset = post_dataset(posts, features)
    assert dataset.sequence_keys == ()
    batch = dataset.collate([dataset[i] for i in range(3)])
    assert batch["label"].tolist() == [2, 0, 1] and batch["image"].shape == (3, 3, 8, 8)
