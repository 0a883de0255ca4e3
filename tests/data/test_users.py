"""Users of an MMSA corpus: target users, leave-users-out splits, k-shot draws."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.data.records import Sample
from course_lib.data.users import clips_per_user, kshot_draws, leave_users_out, target_users

#: Clips per video in each split; videos never cross splits, as in MOSI.
LAYOUT = {
    "train": {"t1": 4, "t2": 3},
    "valid": {"v1": 3},
    "test": {"a": 5, "b": 7, "c": 5, "d": 2},
}


def _sample(video: str, clip: int, split: str) -> Sample:
    return Sample(
        id=f"{video}$_${clip}",
        video_id=video,
        clip_id=str(clip),
        raw_text="a clip",
        text_bert=np.ones((3, 4), dtype=np.int64),
        audio=np.zeros((2, 5), np.float32),
        vision=np.zeros((2, 20), np.float32),
        label=0.5,
        annotation="Positive",
        split=split,
    )


@pytest.fixture
def corpus() -> dict[str, list[Sample]]:
    """Clips of the videos interleaved, so that file order differs from video order."""
    out = {}
    for split, videos in LAYOUT.items():
        clips = [(clip, video) for video, count in videos.items() for clip in range(count)]
        out[split] = [_sample(video, clip, split) for clip, video in sorted(clips)]
    return out


def test_clips_per_user_counts_in_order_of_first_appearance(corpus):
    assert clips_per_user(corpus["test"]) == {"a": 5, "b": 7, "c": 5, "d": 2}
    by_parity = clips_per_user(range(5), key=lambda n: n % 2)
    assert by_parity == {0: 3, 1: 2}


def test_target_users_most_clips_first_with_a_stable_tie_break(corpus):
    assert target_users(corpus["test"], 3) == ["b", "a", "c"]
    assert target_users(corpus["test"][::-1], 3) == ["b", "a", "c"]  # record order does not matter
    assert target_users(corpus["test"], 4, min_clips=2) == ["b", "a", "c", "d"]
    with pytest.raises(ValueError, match="only 3 user.*at least 3 clips"):
        target_users(corpus["test"], 4, min_clips=3)
    with pytest.raises(ValueError, match="n must be"):
        target_users(corpus["test"], 0)


def test_leave_users_out_keeps_target_users_out_of_pretraining(corpus):
    # A corpus split by clip rather than by video: user "a" also has training clips.
    corpus["train"].append(_sample("a", 99, "train"))
    train, valid, held_out = leave_users_out(corpus, ["b", "a"])
    assert {s.video_id for s in train} == {"t1", "t2"} and len(train) == 7
    assert {s.video_id for s in valid} == {"v1"} and len(valid) == 3
    assert list(held_out) == ["b", "a"]
    assert [s.clip_id for s in held_out["b"]] == [str(i) for i in range(7)]
    assert len(held_out["a"]) == 6 and held_out["a"][-1].split == "test"
    seen = {s.id for s in train + valid}
    assert not seen & {s.id for clips in held_out.values() for s in clips}


def test_leave_users_out_refuses_unknown_or_repeated_users(corpus):
    with pytest.raises(ValueError, match="no clip"):
        leave_users_out(corpus, ["a", "nobody"])
    with pytest.raises(ValueError, match="distinct"):
        leave_users_out(corpus, ["a", "a"])
    with pytest.raises(ValueError, match="valid"):
        leave_users_out({"train": corpus["train"]}, ["a"])


def test_kshot_draws_are_deterministic_disjoint_and_complete(corpus):
    clips = [s for s in corpus["test"] if s.video_id == "b"]
    draws = kshot_draws(clips, k=3, n_draws=6, seed=11)
    assert draws == kshot_draws(clips, k=3, n_draws=6, seed=11)
    assert len(draws) == 6
    for support, query in draws:
        assert len(support) == 3 and len(query) == 4
        assert not {s.id for s in support} & {s.id for s in query}
        assert sorted(s.id for s in support + query) == sorted(s.id for s in clips)
        assert [clips.index(s) for s in query] == sorted(clips.index(s) for s in query)
    assert len({tuple(s.id for s in support) for support, _ in draws}) > 1  # draws differ
    other_seed = kshot_draws(clips, k=3, n_draws=6, seed=(11, 1))
    assert [d[0] for d in other_seed] != [d[0] for d in draws]


def test_kshot_draws_need_a_query_clip():
    assert kshot_draws(["x", "y"], k=1, n_draws=1, seed=0)[0] in ((["x"], ["y"]), (["y"], ["x"]))
    with pytest.raises(ValueError, match=r"at least 6 clips \(5 support \+ 1 query\), the user has 5"):
        kshot_draws(list(range(5)), k=5, n_draws=1, seed=0)
    for k, n_draws in ((0, 1), (1, 0)):
        with pytest.raises(ValueError, match="must be >= 1"):
            kshot_draws(list(range(5)), k=k, n_draws=n_draws, seed=0)


@pytest.mark.slow
def test_five_shot_protocol_on_a_generated_tiny_mosi(tmp_path):
    from course_lib.data import mmsa
    from course_lib.data.synthetic import mmsa_gen

    mmsa_gen.write_mmsa_corpus(
        tmp_path, "tiny", seed=5, progress=False, corpora={"MOSI": mmsa_gen.PRESETS["tiny"]["MOSI"]}
    )
    corpus = mmsa.load(tmp_path / "MOSI" / "aligned_50.pkl")
    users = target_users(corpus["test"], 4, min_clips=6)
    train, valid, held_out = leave_users_out(corpus, users)
    assert len(train) == len(corpus["train"]) and len(valid) == len(corpus["valid"])  # split by video
    assert sum(map(len, held_out.values())) == len(corpus["test"])
    for index, user in enumerate(users):
        for support, query in kshot_draws(held_out[user], k=5, n_draws=3, seed=(0, index)):
            assert len(support) == 5 and len(query) >= 1
            assert {s.video_id for s in support + query} == {user}
