"""Users of an MMSA corpus: target users, leave-users-out splits and k-shot draws.

In CMU-MOSI and CMU-MOSEI every video has one speaker, so a *user* is a
``video_id`` (the personalisation lesson follows the MulT + User Adapter
paper in this). Every function takes ``key`` to group records otherwise, e.g.
``key=lambda u: u.speaker`` for IEMOCAP turns.

The personalisation protocol built from these pieces:

1. :func:`target_users` picks the test-split users with the most clips, as
   the paper picks its 10 subjects;
2. :func:`leave_users_out` pre-trains on the train and valid splits without
   any clip of those users, and returns each target user's clips;
3. :func:`kshot_draws` draws ``k`` support clips to adapt on, the user's other
   clips forming the query set the adapted model is evaluated on, several
   times per user so that results come with a spread over draws.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np

__all__ = ["clips_per_user", "kshot_draws", "leave_users_out", "target_users", "video_user"]

R = TypeVar("R")
UserKey = Callable[[R], Hashable]


def video_user(record: R) -> Hashable:
    """The user of an MMSA :class:`~course_lib.data.records.Sample`: its ``video_id``."""
    return record.video_id


def clips_per_user(samples: Sequence[R], key: UserKey = video_user) -> dict[Hashable, int]:
    """Number of clips of every user, in order of first appearance.

    Args:
        samples: Records (MMSA samples by default).
        key: The user of a record.
    """
    counts: dict[Hashable, int] = {}
    for record in samples:
        user = key(record)
        counts[user] = counts.get(user, 0) + 1
    return counts


def target_users(
    samples: Sequence[R], n: int, min_clips: int = 1, key: UserKey = video_user
) -> list[Hashable]:
    """The ``n`` users with the most clips, as the paper picks its target users.

    Pass the test split: its users are never seen in training. Ties are broken
    by the user id (its ``str``), so the choice does not depend on the order
    of the records.

    Args:
        samples: The records to choose from (the test split).
        n: Number of users.
        min_clips: Clips a user needs to be eligible, e.g. ``k + 1`` for
            ``k``-shot adaptation with at least one query clip.
        key: The user of a record.

    Returns:
        The users, most clips first.

    Raises:
        ValueError: when ``n < 1`` or fewer than ``n`` users have ``min_clips`` clips.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    counts = clips_per_user(samples, key)
    eligible = sorted(
        (user for user, count in counts.items() if count >= min_clips), key=lambda u: (-counts[u], str(u))
    )
    if len(eligible) < n:
        raise ValueError(
            f"only {len(eligible)} user(s) have at least {min_clips} clips, {n} asked "
            f"(clips per user: {sorted(counts.values(), reverse=True)})"
        )
    return eligible[:n]


def leave_users_out(
    samples_by_split: Mapping[str, Sequence[R]], users: Sequence[Hashable], key: UserKey = video_user
) -> tuple[list[R], list[R], dict[Hashable, list[R]]]:
    """Pre-training data without the target users, and the target users' own clips.

    Args:
        samples_by_split: ``{"train": [...], "valid": [...], "test": [...]}``
            as returned by :func:`course_lib.data.mmsa.load`.
        users: The target users (e.g. from :func:`target_users`).
        key: The user of a record.

    Returns:
        ``(pretrain_train, pretrain_valid, held_out)``: the train and valid
        splits minus every clip of a target user, and ``{user: clips}`` for
        each target user (in the order of ``users``) gathered from all splits
        in their file order. Pre-training never sees a target user.

    Raises:
        ValueError: for a user given twice or with no clip in any split, or
            a missing ``train``/``valid`` split.
    """
    missing = [name for name in ("train", "valid") if name not in samples_by_split]
    if missing:
        raise ValueError(f"samples_by_split needs the split(s) {missing}")
    if len(set(users)) != len(users):
        raise ValueError(f"users must be distinct, got {list(users)}")
    targets = set(users)
    held_out: dict[Hashable, list[R]] = {user: [] for user in users}
    for records in samples_by_split.values():
        for record in records:
            if key(record) in targets:
                held_out[key(record)].append(record)
    absent = [user for user, clips in held_out.items() if not clips]
    if absent:
        raise ValueError(f"user(s) {absent} have no clip in any split")

    def without_targets(split: str) -> list[R]:
        return [record for record in samples_by_split[split] if key(record) not in targets]

    return without_targets("train"), without_targets("valid"), held_out


def kshot_draws(
    clips: Sequence[R], k: int, n_draws: int, seed: int | Sequence[int]
) -> list[tuple[list[R], list[R]]]:
    """``n_draws`` random k-shot splits of one user's clips.

    Each draw picks ``k`` support clips at random; the query set is the
    user's other clips. Both keep the order of ``clips``. Draws are
    independent, so two draws may share support clips.

    Args:
        clips: One user's clips.
        k: Support clips per draw (>= 1).
        n_draws: Number of draws (>= 1).
        seed: Seed of the draws; the same seed gives the same draws. Give each
            user its own seed, e.g. ``(seed, user_index)``, so that users with
            equally many clips do not get the same positions.

    Returns:
        ``[(support, query), ...]``, one pair per draw.

    Raises:
        ValueError: when ``k`` or ``n_draws`` is below 1, or the user has
            fewer than ``k + 1`` clips (no query clip would be left).
    """
    if k < 1 or n_draws < 1:
        raise ValueError(f"k and n_draws must be >= 1, got k={k}, n_draws={n_draws}")
    if len(clips) < k + 1:
        raise ValueError(
            f"a {k}-shot draw needs at least {k + 1} clips ({k} support + 1 query), the user has {len(clips)}"
        )
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n_draws):
        support = set(rng.choice(len(clips), size=k, replace=False).tolist())
        draws.append(
            (
                [clip for i, clip in enumerate(clips) if i in support],
                [clip for i, clip in enumerate(clips) if i not in support],
            )
        )
    return draws
