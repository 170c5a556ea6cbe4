"""Judging whether the model's own words are supported by the passages they cite.

Lexical checks, cheap and explainable, on the words outside quotation marks ("glue"):

* content: every content word (index term, stemmed) must occur in a cited article, its
  metadata or the question. An invented event ("was arrested for fraud") brings words the
  article lacks. Paraphrase pays for this (the offline answer serves instead); measured.
* negation: a "not"/"never"/"no" the supporting article sentence lacks (or the reverse, for a
  claim without a quote) reverses its meaning; the sentence goes.
* names and numbers: capitalised words (after the first) and anything with a digit must be in
  a cited article or its metadata.
* instructions to the reader ("visit", "click", "reset your password"): a news answer reports,
  it never tells the reader what to do.
* a claim without a quote needs one sentence of its cited passage that holds at least half of
  its content words; that sentence becomes the citation's quote.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from index.lexical import terms
from index.models import Passage
from index.sentences import split_sentences
from index.verify.folding import fold
from index.verify.quotes import Found

MIN_CLAIM_OVERLAP = 0.5  # share of a claim's content words its cited sentence must hold
MIN_CLAIM_SHARED = 2  # ... and at least this many words (fewer if the claim is that short)

# Words that attribute rather than assert: reporting verbs and the names of what is reported.
_ATTRIBUTION = frozenset(
    terms(
        "said says saying stated states added noted told tells according explained quoted "
        "wrote writes reported reports asked answered replied commented remarked described "
        "called calling article articles report statement comments remarks words speaking "
        "spoke speech interview mentioned"
    )
)
_STOP = frozenset(
    (
        "the a an and or but of to in on at by for with from as is are was were be been being "
        "that this these those it its he she they them his her their we our you your i me my "
        "said says say told tells added adding according also not no than then there here "
        "which who whom whose what when where why how will would can could should may might "
        "has have had do does did into about over after before during while if so such"
    ).split()
)
_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nobody|nothing|neither|nor|without|cannot)\b|\Bn't\b"
)
# The reader addressed, or told what to do.
_SECOND_PERSON = re.compile(r"\b(?:you|your|yours|yourself|yourselves)\b", re.IGNORECASE)
_READERS_MUST = re.compile(
    r"\b(?:readers?|users?|everyone|subscribers?|members?)\b[^.!?]{0,40}"
    r"\b(?:must|should|need to|have to|are (?:asked|urged|advised))\b",
    re.IGNORECASE,
)
_IMPERATIVE = frozenset(
    (
        "visit click tap reset change update log sign go download install open enter call "
        "contact email text message follow subscribe share send buy donate register verify "
        "confirm check see read watch please ignore forget scan reply dm"
    ).split()
)


def negated(text: str) -> bool:
    """Whether `text` says "not", "never", "no", "n't" …"""
    return bool(_NEGATION.search(fold(text).text))


def instruction(glue: str) -> bool:
    """Whether the words outside quotes address the reader or tell them what to do."""
    if _SECOND_PERSON.search(glue) or _READERS_MUST.search(glue):
        return True
    first = re.match(r"\W*(\w+)", glue)
    return bool(first) and first.group(1).lower() in _IMPERATIVE  # type: ignore[union-attr]


def unknown_terms(
    glue: str,
    cited: Sequence[Passage],
    article_text: Callable[[str], str],
    question: str = "",
) -> list[str]:
    """Content terms of `glue` that no cited article, its metadata nor the question holds."""
    want = [
        t
        for t in dict.fromkeys(terms(glue))
        if len(t) > 2 and t not in _ATTRIBUTION and not any(c.isdigit() for c in t)
    ]
    if not want:
        return []
    vocab: set[str] = set(_terms_of(question))
    for p in cited:
        vocab |= _terms_of(article_text(p.article.id)) | _terms_of(_meta(p))
        vocab |= _terms_of(" ".join(_date_words(p.article.date)))
    return [t for t in want if t not in vocab]


@lru_cache(maxsize=128)
def _terms_of(text: str) -> frozenset[str]:
    return frozenset(terms(text))


def _meta(p: Passage) -> str:
    a = p.article
    return " ".join(x for x in (a.title, a.outlet, a.author, a.date, a.file) if x)


def negation_unsupported(
    glue: str, spans: Iterable[Found], article_text: Callable[[str], str]
) -> bool:
    """Whether the glue negates while no article sentence holding its quotes does."""
    if not negated(glue):
        return False
    for f in spans:
        text = article_text(f.passage.article.id)
        for a, b in article_sentences(text):
            if a < f.end and f.start < b and negated(text[a:b]):
                return False
    return True


def best_sentence(claim: str, passage: Passage, article_text: Callable[[str], str]) -> Found | None:
    """The sentence of `passage` sharing most of the claim's content words, if enough, and
    saying "not" exactly when the claim does."""
    want = _content_words(claim)
    if not want:
        return None
    text = article_text(passage.article.id)
    polarity = negated(claim)
    best: tuple[float, int, int] | None = None
    for a, b in article_sentences(text):
        if b <= passage.start or a >= passage.end:
            continue
        shared = len(want & _content_words(text[a:b]))
        score = shared / len(want)
        enough = shared >= min(MIN_CLAIM_SHARED, len(want)) and score >= MIN_CLAIM_OVERLAP
        if enough and negated(text[a:b]) == polarity and (best is None or score > best[0]):
            best = (score, a, b)
    if best is None:
        return None
    _, a, b = best
    return Found(passage, a, b, text[a:b])


def article_sentences(text: str) -> tuple[tuple[int, int], ...]:
    """Sentence spans of an article, from the project's one splitter."""
    return tuple((s.start, s.end) for s in split_sentences(text))


def _content_words(text: str) -> set[str]:
    words = re.findall(r"\w+", fold(text).text)
    return {w for w in words if len(w) > 2 and w not in _STOP}


def missing_specifics(
    glue: str, cited: Sequence[Passage], article_text: Callable[[str], str]
) -> list[str]:
    """Names (capitalised words after the first) and numbers of the sentence's own words that
    none of its cited articles (text or metadata) contains."""
    vocab: set[str] = set()
    for p in cited:
        a = p.article
        vocab |= _vocab(article_text(a.id)) | _vocab(_meta(p)) | _date_words(a.date)
    missing = []
    words = re.findall(r"[\w’'-]+", glue)
    for k, word in enumerate(words):
        specific = any(c.isdigit() for c in word) or (k > 0 and word[:1].isupper())
        if not specific or word in ("I", "I’m", "I'm"):
            continue
        if any(t not in vocab for t in _tokens(word) if len(t) > 1 or t.isdigit()):
            missing.append(word)
    return list(dict.fromkeys(missing))


def _tokens(text: str) -> list[str]:
    """Folded words; numbers as their digit groups without leading zeros ("19th" -> "19")."""
    out = []
    for w in re.findall(r"\w+", fold(text).text):
        if any(c.isdigit() for c in w):
            out += [g.lstrip("0") or "0" for g in re.findall(r"\d+", w)]
        else:
            out.append(w)
    return out


@lru_cache(maxsize=64)
def _vocab(text: str) -> frozenset[str]:
    return frozenset(_tokens(text))


_MONTHS = (
    "january february march april may june july august september october november december"
).split()


def _date_words(date: str | None) -> set[str]:
    """Month names for an ISO date, so "April 2" matches 2025-04-02."""
    m = re.fullmatch(r"\d{4}-(\d{2})-\d{2}", date or "")
    if not m or not 1 <= int(m.group(1)) <= 12:
        return set()
    month = _MONTHS[int(m.group(1)) - 1]
    return {month, month[:3]}
