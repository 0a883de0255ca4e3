"""The generated English: vocabulary, speakability, and what the words express."""

from __future__ import annotations

import re

import numpy as np
import pytest

from course_lib.data.synthetic import lexicon
from course_lib.data.synthetic.language import CUE_WORDS, Expression, turn_text, vocabulary
from course_lib.data.synthetic.speech import SAMPLE_RATE, synthesize

AROUSED = {
    w
    for group in (lexicon.FEELINGS, lexicon.JUDGEMENTS)
    for key in (("neg", "high"), ("pos", "high"))
    for w in group[key]
}


def _turns(seed: int, expression: Expression, n: int = 200, words: int = 12) -> list[str]:
    rng = np.random.default_rng(seed)
    return [turn_text(rng, expression, words)[0] for _ in range(n)]


def test_vocabulary_is_large_and_plain():
    words = vocabulary()
    assert len(words) >= 2000
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z'-]*", w) for w in words), [
        w for w in words if not re.fullmatch(r"[A-Za-z][A-Za-z'-]*", w)
    ]


@pytest.mark.slow
def test_every_word_is_speakable():
    words = vocabulary()
    for start in range(0, len(words), 50):
        chunk = words[start : start + 50]
        audio = synthesize(", ".join(chunk))
        assert audio.size / SAMPLE_RATE > 0.15 * len(chunk), chunk


def test_turns_are_deterministic_and_reach_the_word_count():
    expression = Expression("hap", 0.6, 0.1)
    assert _turns(3, expression, 20) == _turns(3, expression, 20)
    assert all(len(t.split()) >= 12 for t in _turns(3, expression, 50))
    short = _turns(4, expression, 20, words=1)
    assert all(len(t.split()) <= 2 for t in short)


def test_uninformative_turns_carry_no_emotion_words():
    turns = _turns(5, Expression("ang", -0.9, 0.9, informative=False))
    words = {w.strip(".,!?").lower() for t in turns for w in t.split()}
    assert not words & AROUSED


def test_arousal_picks_intensifiers_and_aroused_words():
    def aroused_share(arousal: float) -> float:
        turns = _turns(6, Expression("ang", -0.8, arousal))
        words = [w.strip(".,!?").lower() for t in turns for w in t.split()]
        return np.mean([w in AROUSED or w in lexicon.INTENSIFIERS for w in words])

    assert aroused_share(0.9) > 3 * aroused_share(-0.9)


def test_negation_and_named_emotions():
    negative = _turns(7, Expression("fru", -0.8, 0.0))
    assert any(" not " in t or "wasn't" in t for t in negative)
    rng = np.random.default_rng(8)
    text, named = turn_text(rng, Expression("sad", -0.7, -0.7, specificity=1.0), 6)
    assert named and any(cue in text for cue in CUE_WORDS["sad"])
