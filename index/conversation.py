"""Follow-up questions resolved against the conversation: the question rewrite.

A follow-up leans on the turn before it: "and what did he say about Kosovo?" (a pronoun for
the last speaker), "what about Vučić?" (an ellipsis: keep the topic, change who is asked
about, or keep the speaker and change the topic), "when was that?" (a reference to what the
last answer was about). `resolve` rewrites such a question into one that stands alone, from the
previous turn's question, speaker and sources; a question that refers to nothing earlier is
left alone, so a change of topic never carries the old speaker.

Whether a name is a speaker is asked of the articles (`speaks`): a name the articles quote
changes the speaker, anything else changes the topic.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from index.attribution import SPEECH_VERBS as _SPEECH_WORDS
from index.lexical import terms
from index.models import Answer, Passage

SPEECH_VERBS = "|".join(sorted(map(re.escape, _SPEECH_WORDS), key=len, reverse=True))
_SPEECH = re.compile(rf"\b(?:{SPEECH_VERBS}|according to)\b", re.IGNORECASE)

_CONNECTOR = re.compile(r"^(?:and|but|so|ok(?:ay)?|also|then|well|now)\b[\s,]*", re.IGNORECASE)
_WHAT_ABOUT = re.compile(r"^(?:what|how)\s+about\s+(?P<x>.+)$", re.IGNORECASE)
_SPEAKER_Q = re.compile(
    rf"^(?P<wh>what|how)\s+(?P<aux>did|does|do|has|have|had|will|would|was|is)\s+"
    rf"(?P<speaker>.+?)\s+(?P<verb>{SPEECH_VERBS})\b(?P<rest>.*)$",
    re.IGNORECASE,
)
_TOPIC = re.compile(r"\b(?:about|on|regarding|concerning|over)\s+(?P<topic>.+)$", re.IGNORECASE)
_SUBJECT = r"he|she|they"
_OBJECT = r"him|them"
_POSSESSIVE = r"his|their|hers"
_PRONOUN = re.compile(rf"\b(?:{_SUBJECT}|{_OBJECT}|{_POSSESSIVE}|her)\b", re.IGNORECASE)
# "her" is possessive unless a preposition, a conjunction or the end follows it
_HER_OBJECT = re.compile(
    r"\bher\b(?=\s*(?:$|[?.!,;]|\b(?:about|on|to|in|at|for|with|that|and|or|if|when|after|"
    r"before|during|again)\b))",
    re.IGNORECASE,
)
_LAST_OBJECT = re.compile(
    r"\b(?:in|on|about|for|of|at|from|with|against|to|by|regarding)\s+(?P<obj>[^,;]+)$", re.I
)
_DEMONSTRATIVE = re.compile(r"\b(?:that|this|it|those|these|then|there)\b", re.IGNORECASE)
SUBJECT_WORDS = 4  # "Serbian President Aleksandar Vučić said": a name and its title
AFTER_VERB_WORDS = 2  # "said Vučić", "according to Vučić"
MAX_ELLIPSIS_WORDS = 5  # "and the EU's sanctions?": a bare phrase standing for a question
OWN_TERMS_FOR_A_FULL_QUESTION = 2  # content terms a question needs to stand on its own


@dataclass(frozen=True)
class Turn:
    """What a follow-up can refer to: the last question answered, its speaker and topic."""

    question: str
    speaker: str | None
    topic: str | None
    source: str | None  # the title of the last answer's first source

    @classmethod
    def of(cls, answer: Answer) -> Turn:
        question = _clean(answer.rewritten or answer.question)
        speaker = answer.speaker or speaker_of(question)
        source = None
        if answer.citations:
            art = answer.citations[0].article
            source = art.title or art.file
        return cls(question, speaker, topic_of(question, speaker), source)


def speaker_of(question: str) -> str | None:
    """Who a "what did X say" question asks about, or None."""
    m = _SPEAKER_Q.match(_clean(question))
    if m is None or _PRONOUN.fullmatch(m.group("speaker").strip()):
        return None
    return m.group("speaker").strip()


def topic_of(question: str, speaker: str | None) -> str | None:
    """What a question is about: the phrase after "about"/"on", or after the speech verb."""
    q = _clean(question)
    m = _SPEAKER_Q.match(q)
    if m:
        rest = m.group("rest").strip()
        t = _TOPIC.match(rest) or _TOPIC.search(rest)
        topic = t.group("topic") if t else rest
        return topic.strip() or None
    t = _TOPIC.search(q)
    if t:
        return t.group("topic").strip() or None
    body = q
    if speaker:
        body = re.sub(re.escape(speaker), " ", body, flags=re.IGNORECASE)
    wh = re.match(r"^\s*(?:what|who|when|where|why|how|which)\b\s*(?:\w+\s+)?", body, re.I)
    if wh is None:
        return None
    return " ".join(body[wh.end() :].split()) or None


def resolve(
    question: str,
    history: Sequence[Answer],
    speaks: Callable[[str], bool] | None = None,
) -> str | None:
    """`question` rewritten to stand alone, from the last turn of `history`; None when it
    refers to nothing earlier (or there is nothing earlier)."""
    if not history:
        return None
    turn = Turn.of(history[-1])
    q = _clean(question)
    had_connector = bool(_CONNECTOR.match(q))
    q = _CONNECTOR.sub("", q).strip()
    if not q:
        return None
    is_speaker = speaks or _looks_like_a_name
    ellipsis = _ellipsis(q, had_connector)
    if ellipsis is not None:
        return _resolve_ellipsis(ellipsis, turn, is_speaker)
    rewritten = q
    if turn.speaker and _PRONOUN.search(q) and not _own_speaker(q):
        rewritten = _replace_pronouns(q, turn.speaker)
    if _refers_back(rewritten):
        context = _context(turn, rewritten)
        if context:
            rewritten = f"{rewritten} ({context})"
    if rewritten == q:
        return None
    return _as_question(rewritten)


def _resolve_ellipsis(x: str, turn: Turn, is_speaker: Callable[[str], bool]) -> str | None:
    if turn.speaker:
        if is_speaker(x) and not _same(x, turn.speaker):
            return f"What did {x} say about {turn.topic}?" if turn.topic else f"What did {x} say?"
        return f"What did {turn.speaker} say about {x}?"
    if is_speaker(x) and turn.topic:
        return f"What did {x} say about {turn.topic}?"
    last = _LAST_OBJECT.search(turn.question)
    if last:  # "how many were arrested in Belgrade?" → "what about Novi Sad?"
        return _as_question(turn.question[: last.start("obj")] + x)
    return None


def _ellipsis(q: str, had_connector: bool) -> str | None:
    """The phrase of "what about X?" (or of a bare "and X?"), or None."""
    m = _WHAT_ABOUT.match(q)
    if m:
        return m.group("x").strip(" ?.!") or None
    bare = q.strip(" ?.!")
    if had_connector and bare and len(bare.split()) <= MAX_ELLIPSIS_WORDS:
        first = bare.split()[0].lower()
        if first not in {
            "what",
            "who",
            "when",
            "where",
            "why",
            "how",
            "which",
            "did",
            "does",
            "do",
            "is",
            "are",
            "was",
            "were",
            "has",
            "have",
            "can",
            "could",
        }:
            return bare
    return None


def _own_speaker(q: str) -> bool:
    """Whether the question names its own speaker (then its pronouns are not the old one)."""
    m = _SPEAKER_Q.match(q)
    return bool(m and not _PRONOUN.fullmatch(m.group("speaker").strip()))


def _replace_pronouns(q: str, speaker: str) -> str:
    possessive = f"{speaker}’s" if "’" in q else f"{speaker}'s"
    objects = {m.start() for m in _HER_OBJECT.finditer(q)}

    def swap(m: re.Match[str]) -> str:
        word = m.group(0).lower()
        if word in ("his", "their", "hers") or (word == "her" and m.start() not in objects):
            return possessive
        return speaker

    return _PRONOUN.sub(swap, q)


def _refers_back(q: str) -> bool:
    """A demonstrative ("when was that?") in a question with too little of its own."""
    if not _DEMONSTRATIVE.search(" ".join(q.split()[-3:])):
        return False
    own = [t for t in terms(_DEMONSTRATIVE.sub(" ", q)) if t not in _FRAME_TERMS]
    return len(own) < OWN_TERMS_FOR_A_FULL_QUESTION


def _context(turn: Turn, q: str) -> str | None:
    """What "that" stands for: the last speaker on the last topic, else the last source."""
    speaker = turn.speaker if turn.speaker and not _mentions(q, turn.speaker) else None
    if speaker and turn.topic:
        return f"{speaker} on {turn.topic}"
    if turn.topic:
        return turn.topic if not speaker else f"{speaker} on {turn.topic}"
    return turn.source


def _mentions(q: str, name: str) -> bool:
    return set(terms(name)) <= set(terms(q))


def _same(a: str, b: str) -> bool:
    return set(terms(a)) == set(terms(b))


def _looks_like_a_name(x: str) -> bool:
    """Without the articles to ask: a capitalised phrase is taken for a person."""
    return bool(re.fullmatch(r"(?:[A-Z][\w’'-]*\s*){1,3}", x.strip()))


def _clean(q: str) -> str:
    return " ".join(q.strip().split()).rstrip("?!. ")


def _as_question(q: str) -> str:
    q = q.strip().rstrip("?!. ")
    return (q[:1].upper() + q[1:] + "?") if q else q


def speech_spans(sentence: str) -> list[tuple[int, int]]:
    """Where `sentence` has a verb of speech ("said", "told", "according to")."""
    return [m.span() for m in _SPEECH.finditer(sentence)]


def quoted_in(name: str, passages: Sequence[Passage]) -> bool:
    """Whether some passage quotes `name`: a sentence where the name stands as the subject of a
    verb of speech ("Vučić said", "said Vučić", "according to Vučić")."""
    want = set(terms(name))
    if not want:
        return False
    for passage in passages:
        for sentence in re.split(r"(?<=[.!?])\s+", passage.text):
            for start, end in speech_spans(sentence):
                before = sentence[:start].split()[-SUBJECT_WORDS:]
                after = sentence[end:].split()[:AFTER_VERB_WORDS]
                for window in (before, after):
                    text = " ".join(window)
                    if want <= set(terms(text)) and not re.search(r"[’']s\b", text):
                        return True
    return False


_FRAME_TERMS = frozenset(
    terms(
        "when where why how who what which was were is are did does do happen happened say said "
        "mean meant",
        keep_stopwords=True,
    )
)
