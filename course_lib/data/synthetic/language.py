"""Short English sentences whose words carry a chosen valence or emotion.

The generated corpora need transcripts in which *text carries valence*:
positive turns use positive cue words ("wonderful", "I love it"), negative
turns negative ones ("awful", "I can't stand it"), and a tunable fraction of
turns is *uninformative* small talk ("Where did you put the keys?") whatever
the speaker feels. Text says little about arousal: happy and excited turns
draw from the same positive words, angry and frustrated turns from the same
negative words, unless an *emotion-specific* cue is asked for ("furious",
"can't wait"), which is how much text alone can tell those emotions apart.

Everything is drawn from a ``numpy.random.Generator`` passed in, so the same
generator state gives the same sentence.

Public API:
    :func:`sentence` (valence in [-1, 1]), :func:`emotion_sentence`,
    :func:`add_tags`, :data:`EMOTION_VALENCE`, :data:`CUE_WORDS`.
"""

from __future__ import annotations

import numpy as np

#: Valence in [-1, 1] that each emotion code's text conveys.
EMOTION_VALENCE: dict[str, float] = {
    "neu": 0.0,
    "hap": 0.65,
    "exc": 0.8,
    "sur": 0.3,
    "fru": -0.55,
    "ang": -0.8,
    "sad": -0.65,
    "oth": 0.0,
}

#: Emotion-specific cue phrases (used with probability ``specificity``).
CUE_WORDS: dict[str, tuple[str, ...]] = {
    "neu": ("fine", "okay", "alright", "normal"),
    "hap": ("glad", "pleased", "content", "cheerful", "relieved"),
    "exc": ("thrilled", "so excited", "pumped", "over the moon", "ecstatic"),
    "sur": ("surprised", "shocked", "amazed", "stunned"),
    "fru": ("fed up", "stuck", "annoyed", "tired of this", "sick of waiting"),
    "ang": ("furious", "outraged", "livid", "mad", "disgusted"),
    "sad": ("heartbroken", "lonely", "miserable", "down", "hopeless"),
    "oth": ("weird", "strange", "odd"),
}

_POSITIVE = {
    "mild": ("good", "nice", "fine by me", "pretty good", "pleasant", "lovely"),
    "strong": ("wonderful", "amazing", "fantastic", "great", "perfect", "brilliant"),
}
_NEGATIVE = {
    "mild": ("bad", "not great", "annoying", "disappointing", "unfair", "a problem"),
    "strong": ("terrible", "awful", "horrible", "ridiculous", "unbearable", "a disaster"),
}
_POSITIVE_VERBS = ("love", "like", "enjoy", "appreciate")
_NEGATIVE_VERBS = ("hate", "can't stand", "dislike", "regret")
_TOPICS = (
    "the job",
    "this place",
    "the trip",
    "your idea",
    "the wedding",
    "the news",
    "the plan",
    "the house",
    "the result",
    "this weekend",
    "the letter",
    "the interview",
    "the flight",
)
_PLACES = ("store", "office", "station", "bank", "airport", "library", "kitchen", "park")
_OBJECTS = ("keys", "ticket", "phone", "bag", "forms", "coat", "wallet", "papers")
_DAYS = ("Monday", "Tuesday", "Friday", "the weekend", "tomorrow", "tonight")
_NAMES = ("Mary", "John", "your mother", "the landlord", "Sam", "the doctor")
_OPENERS = ("", "", "", "Well, ", "Oh, ", "You know, ", "Honestly, ", "So ")

_POLAR_TEMPLATES = (
    "{opener}this is {adj}.",
    "{opener}that was {adj}.",
    "{opener}{topic} is {adj}.",
    "I think {topic} is {adj}.",
    "I {verb} {topic}.",
    "{opener}I really {verb} it.",
    "It's just {adj}.",
)
_EMOTION_TEMPLATES = (
    "{opener}I'm {cue}.",
    "I feel {cue} about {topic}.",
    "{opener}I'm {cue} right now.",
    "Honestly, I'm {cue}.",
)
_NEUTRAL_TEMPLATES = (
    "I went to the {place} on {day}.",
    "Did you call {name}?",
    "Where did you put the {object}?",
    "We need the {object} by {day}.",
    "I'll be at the {place} later.",
    "What time is it?",
    "Let's talk about {topic}.",
    "{name} said it starts {day}.",
    "Is the {place} open {day}?",
)

#: Non-speech tags used in IEMOCAP transcripts.
TAGS: tuple[str, ...] = ("[LAUGHTER]", "[BREATHING]", "[GARBAGE]")


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(len(options)))]


def _fill(rng: np.random.Generator, template: str, **slots: str) -> str:
    values = {
        "opener": _pick(rng, _OPENERS),
        "topic": _pick(rng, _TOPICS),
        "place": _pick(rng, _PLACES),
        "object": _pick(rng, _OBJECTS),
        "day": _pick(rng, _DAYS),
        "name": _pick(rng, _NAMES),
    }
    values.update(slots)
    text = template.format(**values)
    return text[0].upper() + text[1:]


def neutral_sentence(rng: np.random.Generator) -> str:
    """Small talk that carries no valence (the uninformative turns)."""
    return _fill(rng, _pick(rng, _NEUTRAL_TEMPLATES))


def sentence(rng: np.random.Generator, valence: float, informative: bool = True) -> str:
    """A short sentence whose words express ``valence``.

    Args:
        rng: Random generator (the only source of randomness).
        valence: In [-1, 1]; the sign picks positive or negative cue words and
            ``|valence| > 0.6`` picks the strong ones. ``|valence| < 0.2`` gives
            a neutral sentence.
        informative: False gives neutral small talk whatever the valence.

    Returns:
        One sentence of about 3-8 words.
    """
    if not informative or abs(valence) < 0.2:
        return neutral_sentence(rng)
    strength = "strong" if abs(valence) > 0.6 else "mild"
    adjectives = (_POSITIVE if valence > 0 else _NEGATIVE)[strength]
    verbs = _POSITIVE_VERBS if valence > 0 else _NEGATIVE_VERBS
    template = _pick(rng, _POLAR_TEMPLATES)
    return _fill(rng, template, adj=_pick(rng, adjectives), verb=_pick(rng, verbs))


def emotion_sentence(
    rng: np.random.Generator, emotion: str, informative: bool = True, specificity: float = 0.0
) -> tuple[str, bool]:
    """A sentence for an emotion code (``neu``, ``hap``, ``ang``, ...).

    Args:
        rng: Random generator.
        emotion: A key of :data:`EMOTION_VALENCE`.
        informative: False gives neutral small talk.
        specificity: Probability that an informative turn names the emotion
            itself with a cue from :data:`CUE_WORDS` (otherwise only the
            emotion's valence is expressed).

    Returns:
        ``(text, specific)``: the sentence and whether an emotion-specific cue
        was used.

    Raises:
        ValueError: for an unknown emotion code.
    """
    if emotion not in EMOTION_VALENCE:
        raise ValueError(f"unknown emotion {emotion!r}; expected one of {sorted(EMOTION_VALENCE)}")
    if informative and rng.random() < specificity:
        template = _pick(rng, _EMOTION_TEMPLATES)
        return _fill(rng, template, cue=_pick(rng, CUE_WORDS[emotion])), True
    return sentence(rng, EMOTION_VALENCE[emotion], informative), False


def add_tags(rng: np.random.Generator, text: str, probability: float, laughter_bias: float = 0.0) -> str:
    """Sometimes add a non-speech tag (``[LAUGHTER]``, ``[BREATHING]``) before or after the text.

    Args:
        rng: Random generator.
        text: The sentence.
        probability: Chance of adding one tag.
        laughter_bias: Extra chance, in [0, 1], that the tag is ``[LAUGHTER]``
            (the generator raises it for positive, aroused turns).
    """
    if rng.random() >= probability:
        return text
    tag = "[LAUGHTER]" if rng.random() < laughter_bias else _pick(rng, TAGS)
    return f"{tag} {text}" if rng.random() < 0.5 else f"{text} {tag}"
