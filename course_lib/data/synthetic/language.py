"""A small compositional English for the generated transcripts.

A turn is one to several sentences, generated until it reaches a drawn number
of words. Each sentence is either *content* (what people talk about: names,
places, objects, plans, questions) or *expressive* (how the speaker feels or
judges something). Expressive sentences follow an :class:`Expression`:

* its **valence** picks positive, neutral or negative words, and how often a
  sentence is expressive at all (strong feelings colour more of the turn);
* its **arousal** (how much of the latent arousal leaks into the words is the
  generator's knob) picks calm, middling or aroused words (``sad`` or
  ``furious``), intensifiers (``really``, ``absolutely``) or hedges
  (``kind of``, ``a bit``) and exclamation marks;
* with probability ``specificity`` a sentence names the emotion itself
  (``I'm so frustrated``), the clearest cue text can give.

Negation flips a judgement (``that's not fair`` is negative, ``not bad at all``
positive), so a bag of words is not enough to read a turn perfectly, and
context phrases (``that's exactly what I mean``) say nothing without the
previous turns. Words come from :mod:`.lexicon` (about 2,500 word types), so
improvised turns rarely repeat verbatim.

Everything is drawn from a ``numpy.random.Generator`` passed in, so the same
generator state gives the same text.

Public API:
    :class:`Expression`, :func:`turn_text`, :func:`add_tags`, :func:`vocabulary`,
    :data:`CUE_WORDS`, :data:`TAGS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from course_lib.data.synthetic import lexicon as lx

#: Emotion-naming phrases (``I'm so <cue>``), used with probability ``specificity``.
CUE_WORDS: dict[str, tuple[str, ...]] = {
    "neu": ("fine", "okay", "alright", "calm about it"),
    "hap": ("happy", "glad", "pleased", "cheerful"),
    "exc": ("excited", "thrilled", "so excited", "over the moon"),
    "sur": ("surprised", "shocked", "amazed", "stunned"),
    "fru": ("frustrated", "fed up", "sick of waiting", "tired of this"),
    "ang": ("angry", "furious", "mad", "livid"),
    "sad": ("sad", "heartbroken", "miserable", "down"),
    "oth": ("weird", "strange", "odd"),
}

#: Non-speech tags used in IEMOCAP transcripts.
TAGS: tuple[str, ...] = ("[LAUGHTER]", "[BREATHING]", "[GARBAGE]")

#: Phrases whose meaning depends on what was said before.
CONTEXT_PHRASES: tuple[str, ...] = (
    "That's exactly what I mean.",
    "You heard me.",
    "Say that again.",
    "Just like last time.",
    "I told you so.",
    "You always say that.",
    "Of course it is.",
    "Here we go again.",
    "That's not what I said.",
    "You know what I mean.",
    "Don't start with me.",
    "I can't believe you just said that.",
    "Are you serious?",
    "Well, there you go.",
    "So what now?",
)


@dataclass(frozen=True)
class Expression:
    """What the words of one turn express.

    Attributes:
        emotion: The turn's emotion code (used only when the emotion is named).
        valence: Valence the words express, in [-1, 1].
        arousal: Arousal the words express, in [-1, 1].
        informative: False makes every sentence content (no emotional words).
        specificity: Probability that an expressive sentence names the emotion.
    """

    emotion: str
    valence: float
    arousal: float
    informative: bool = True
    specificity: float = 0.0

    @property
    def valence_group(self) -> str:
        """``neg``, ``zero`` or ``pos``."""
        return "zero" if abs(self.valence) < 0.2 else ("pos" if self.valence > 0 else "neg")

    @property
    def arousal_group(self) -> str:
        """``low``, ``mid`` or ``high``."""
        return "low" if self.arousal < -0.3 else ("high" if self.arousal > 0.3 else "mid")


def _pick(rng: np.random.Generator, options: tuple) -> str:
    return options[int(rng.integers(len(options)))]


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


# ----------------------------------------------------------------------------- content sentences


def _person(rng: np.random.Generator) -> str:
    roll = rng.random()
    if roll < 0.5:
        return _pick(rng, lx.NAMES)
    if roll < 0.8:
        return f"my {_pick(rng, lx.RELATIONS)}"
    return f"{_pick(rng, ('Mister', 'Missus', 'Doctor', 'Professor'))} {_pick(rng, lx.SURNAMES)}"


def _thing(rng: np.random.Generator) -> str:
    if rng.random() < 0.35:
        return f"the {_pick(rng, lx.DESCRIPTIONS)} {_pick(rng, lx.OBJECTS)}"
    return f"the {_pick(rng, lx.OBJECTS)}"


def _with_article(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _content_slots(rng: np.random.Generator) -> dict[str, str]:
    base, past, ing = _pick(rng, lx.ACTIVITIES)
    return {
        "person": _person(rng),
        "other": _pick(rng, lx.NAMES),
        "thing": _thing(rng),
        "place": _pick(rng, lx.PLACES),
        "city": _pick(rng, lx.CITIES),
        "food": _pick(rng, lx.FOODS),
        "topic": _pick(rng, lx.TOPICS),
        "time": _pick(rng, lx.TIMES),
        "animal": _pick(rng, lx.ANIMALS),
        "pastime": _pick(rng, lx.PASTIMES),
        "job": _with_article(_pick(rng, lx.JOBS)),
        "verb": base,
        "past": past,
        "ing": ing,
    }


_CONTENT_TEMPLATES: tuple[str, ...] = (
    "{person} {past} {thing} at the {place} {time}.",
    "Did you {verb} {thing} {time}?",
    "We could {verb} {thing} with {other} {time}.",
    "I was {ing} {thing} when {person} called.",
    "{person} lives near the {place} in {city}.",
    "Where did {person} put {thing}?",
    "Are we still {ing} {thing} {time}?",
    "{person} wants {food} and {food2} {time}.",
    "I have to {verb} {thing} before the {topic}.",
    "The {topic} is {time}, at the {place}.",
    "{person} is flying to {city} {time}.",
    "Have you seen {thing}?",
    "Who is {ing} the {topic}?",
    "My {animal} got into {thing} again.",
    "{person} started {pastime} {time}.",
    "{person} works as {job} in {city}.",
    "Can you {verb} {thing} for me?",
    "What time is the {topic}?",
    "We talked about the {topic} over {food}.",
    "I left {thing} at the {place}.",
    "{person} and {other} are {ing} {thing}.",
    "Is the {place} open {time}?",
    "I {past} {thing} and then went to the {place}.",
    "Tell {person} about the {topic}.",
    "Why did {person} {verb} {thing}?",
    "How long does it take to get to {city}?",
)


def content_sentence(rng: np.random.Generator) -> str:
    """A sentence about everyday matters, carrying no emotion."""
    template = _pick(rng, _CONTENT_TEMPLATES)
    slots = _content_slots(rng)
    slots["food2"] = _pick(rng, lx.FOODS)
    return _cap(template.format(**slots))


# ----------------------------------------------------------------------------- expressive sentences


def _modifier(rng: np.random.Generator, arousal: float) -> str:
    """An intensifier (aroused), a hedge (calm), or nothing; followed by a space."""
    roll = rng.random()
    if roll < 0.12 + 0.45 * max(arousal, 0.0):
        return _pick(rng, lx.INTENSIFIERS) + " "
    if roll > 0.88 - 0.35 * max(-arousal, 0.0):
        return _pick(rng, lx.HEDGES) + " "
    return ""


def _end(rng: np.random.Generator, arousal: float, question: bool = False) -> str:
    if question:
        return "?"
    return "!" if rng.random() < 0.6 * max(arousal, 0.0) else "."


def _feeling(rng: np.random.Generator, e: Expression) -> str:
    word = _pick(rng, lx.FEELINGS[(e.valence_group, e.arousal_group)])
    mod = _modifier(rng, e.arousal)
    template = _pick(
        rng,
        (
            "I'm {mod}{word}",
            "I feel {mod}{word} about the {topic}",
            "I've been {mod}{word} since {time}",
            "Honestly, I'm {mod}{word}",
            "You make me {mod}{word}",
            "{person} is {mod}{word} too",
        ),
    )
    slots = _content_slots(rng)
    return _cap(template.format(mod=mod, word=word, **slots)) + _end(rng, e.arousal)


def _judgement(rng: np.random.Generator, e: Expression) -> str:
    word = _pick(rng, lx.JUDGEMENTS[(e.valence_group, e.arousal_group)])
    mod = _modifier(rng, e.arousal)
    template = _pick(
        rng,
        (
            "This is {mod}{word}",
            "That was {mod}{word}",
            "The {topic} is {mod}{word}",
            "I think the {topic} was {mod}{word}",
            "It's just {mod}{word}",
            "Everything about the {topic} is {mod}{word}",
            "Isn't it {mod}{word}",
        ),
    )
    text = _cap(template.format(mod=mod, word=word, **_content_slots(rng)))
    return text + _end(rng, e.arousal, question=text.startswith("Isn't"))


def _attitude(rng: np.random.Generator, e: Expression) -> str:
    options = lx.ATTITUDES.get((e.valence_group, e.arousal_group))
    if options is None:
        return _feeling(rng, e)
    mod = _modifier(rng, e.arousal) if e.arousal_group != "low" else ""
    template = _pick(rng, ("I {mod}{attitude} the {topic}", "I {mod}{attitude} it when {person} does that"))
    return _cap(template.format(mod=mod, attitude=_pick(rng, options), **_content_slots(rng))) + _end(
        rng, e.arousal
    )


def _negated(rng: np.random.Generator, e: Expression) -> str:
    """A judgement of the opposite valence, negated (``that's not fair``)."""
    if e.valence_group == "zero":
        return _judgement(rng, e)
    opposite = "pos" if e.valence_group == "neg" else "neg"
    word = _pick(rng, lx.JUDGEMENTS[(opposite, _pick(rng, ("low", "mid")))])
    template = _pick(
        rng,
        (
            "That's not {word} at all",
            "It wasn't {word}",
            "The {topic} is not {word}",
            "I don't think it's {word}",
        ),
    )
    return _cap(template.format(word=word, **_content_slots(rng))) + _end(rng, e.arousal)


def _named(rng: np.random.Generator, e: Expression) -> str:
    cue = _pick(rng, CUE_WORDS[e.emotion])
    template = _pick(
        rng, ("I'm {cue}", "I'm just {cue}", "I'm {cue} right now", "I feel {cue} about the {topic}")
    )
    return _cap(template.format(cue=cue, **_content_slots(rng))) + _end(rng, e.arousal)


_EXPRESSIVE: tuple[Callable[[np.random.Generator, Expression], str], ...] = (
    _feeling,
    _judgement,
    _judgement,
    _attitude,
    _negated,
)


def expressive_sentence(rng: np.random.Generator, e: Expression) -> tuple[str, bool]:
    """One sentence expressing ``e``.

    Returns:
        ``(sentence, named)``: ``named`` is True when the emotion itself is named.
    """
    if e.emotion in CUE_WORDS and rng.random() < e.specificity:
        return _named(rng, e), True
    return _pick(rng, _EXPRESSIVE)(rng, e), False


# ----------------------------------------------------------------------------- turns


_PROPER: frozenset[str] = frozenset(
    {*lx.NAMES, *lx.CITIES, "I", "I'm", "I've", "Mister", "Missus", "Doctor", "Professor"}
)


def _with_opener(rng: np.random.Generator, sentence: str) -> str:
    """Now and then a discourse opener before the first sentence (``Well, ...``)."""
    if rng.random() >= 0.25:
        return sentence
    first = sentence.split(" ", 1)[0].rstrip(",.?!")
    body = sentence if first in _PROPER else sentence[0].lower() + sentence[1:]
    return f"{_cap(_pick(rng, lx.OPENERS))}, {body}"


def turn_text(rng: np.random.Generator, e: Expression, n_words: int) -> tuple[str, bool]:
    """The transcript of one turn: sentences until about ``n_words`` words.

    Very short targets (one or two words) give a backchannel (``Yeah.``,
    ``Mm-hmm.``). A sentence is expressive with a probability growing with
    ``|e.valence|`` (never when ``e.informative`` is False), otherwise content
    or, now and then, a context phrase.

    Args:
        rng: Random generator (the only source of randomness).
        e: What the words express.
        n_words: Target length in words (the last sentence may overshoot).

    Returns:
        ``(text, named)``: the transcript and whether it names the emotion.
    """
    if n_words <= 2:
        return _cap(_pick(rng, lx.BACKCHANNELS)) + _end(rng, e.arousal), False
    share = (0.3 + 0.55 * min(abs(e.valence), 1.0)) if e.informative else 0.0
    sentences: list[str] = []
    named = False
    count = 0
    while count < n_words:
        roll = rng.random()
        if roll < share:
            sentence, was_named = expressive_sentence(rng, e)
            named = named or was_named
        elif roll > 0.94:
            sentence = _pick(rng, CONTEXT_PHRASES)
        else:
            sentence = content_sentence(rng)
        if not sentences:
            sentence = _with_opener(rng, sentence)
        sentences.append(sentence)
        count += len(sentence.split())
    return " ".join(sentences), named


def add_tags(rng: np.random.Generator, text: str, probability: float, laughter_bias: float = 0.0) -> str:
    """Sometimes add a non-speech tag (``[LAUGHTER]``, ``[BREATHING]``) before or after the text.

    Args:
        rng: Random generator.
        text: The transcript.
        probability: Chance of adding one tag.
        laughter_bias: Extra chance, in [0, 1], that the tag is ``[LAUGHTER]``
            (the generator raises it for positive, aroused turns).
    """
    if rng.random() >= probability:
        return text
    tag = "[LAUGHTER]" if rng.random() < laughter_bias else _pick(rng, TAGS)
    return f"{tag} {text}" if rng.random() < 0.5 else f"{text} {tag}"


def vocabulary() -> list[str]:
    """Every word of the lexicon, the emotion cues and the context phrases, sorted."""
    words: set[str] = set()
    groups: list = [CONTEXT_PHRASES, *CUE_WORDS.values()]
    for name in dir(lx):
        value = getattr(lx, name)
        if name.isupper():
            groups.extend(value.values() if isinstance(value, dict) else [value])
    for group in groups:
        for entry in group:
            for text in entry if isinstance(entry, tuple) else (entry,):
                words.update(_plain_words(text))
    return sorted(words)


def _plain_words(text: str) -> list[str]:
    cleaned = "".join(c if c.isalpha() or c in "'-" else " " for c in text)
    return [w.strip("'-") for w in cleaned.split() if w.strip("'-")]
