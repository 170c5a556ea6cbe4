"""Candidate answers: the statements and sentences of the retrieved passages.

A candidate is a run of whole sentences of one paragraph: a sentence, widened to the
statement the quote index found there (a quotation that runs over several sentences stays
whole) and to the ends of any quotation it would otherwise cut. Each carries what scoring needs:
its sentence rows (for the stored vectors), its neighbours, its index terms, and its speaker
as the quote index resolved it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from index.lexical import terms
from index.models import ArticleRef, Passage
from index.sentences import Sentence, split_sentences

MAX_UNIT_CHARS = 900  # a quotation longer than this is shown from its own sentence only
_OPEN = "“"
_CLOSE = "”"


@dataclass(frozen=True)
class Candidate:
    article: ArticleRef
    lo: int  # sentence indices (inclusive) in the article's `split_sentences`
    hi: int
    start: int  # character span in the article's cleaned text
    end: int
    text: str
    rank: int  # rank of the best retrieved passage holding it (0 = best)
    passage_score: float
    speaker: str | None  # who says it, per the quote index (None: nobody / unknown)
    quoted: bool  # it holds quoted words


@lru_cache(maxsize=1024)
def sentence_terms(text: str) -> tuple[frozenset[str], ...]:
    """The index terms of each sentence of an article's text."""
    return tuple(frozenset(terms(s.text)) for s in split_sentences(text))


@lru_cache(maxsize=1024)
def _inside_quote(text: str) -> tuple[tuple[bool, bool], ...]:
    """For each sentence: whether it starts inside a quotation, and whether it ends inside one
    (curly marks, and straight double quotes by parity, within a paragraph)."""
    out = []
    para, is_open = -1, False
    for s in split_sentences(text):
        if s.para != para:
            para, is_open = s.para, False
        began = is_open
        for ch in s.text:
            if ch == _OPEN or (ch == '"' and not is_open):
                is_open = True
            elif ch == _CLOSE or (ch == '"' and is_open):
                is_open = False
        out.append((began, is_open))
    return tuple(out)


def build(
    passages: Sequence[Passage],
    article_text: Callable[[str], str],
    quotes: Any | None = None,
) -> list[Candidate]:
    """Every candidate of `passages`, in retrieval order, each once."""
    found: dict[tuple[str, int, int], Candidate] = {}
    for rank, p in enumerate(passages):
        text = article_text(p.article.id)
        sents = split_sentences(text)
        spans = _statement_spans(quotes, p.article.id)
        for i, s in enumerate(sents):
            if s.end <= p.start or s.start >= p.end:
                continue
            lo, hi = _widen(text, sents, i, spans)
            key = (p.article.id, lo, hi)
            if key in found:
                continue
            start, end = sents[lo].start, sents[hi].end
            speaker = quotes.speaker_at(p.article.id, start, end) if quotes is not None else None
            unit = text[start:end]
            found[key] = Candidate(
                p.article,
                lo,
                hi,
                start,
                end,
                unit,
                rank,
                p.score,
                speaker,
                any(ch in unit for ch in '“”"'),
            )
    return list(found.values())


def _statement_spans(quotes: Any | None, article_id: str) -> list[tuple[int, int]]:
    if quotes is None:
        return []
    try:
        return [(st.sentence_start, st.sentence_end) for st in quotes.statements(article_id)]
    except KeyError:
        return []


def _widen(
    text: str, sents: Sequence[Sentence], i: int, statements: Sequence[tuple[int, int]]
) -> tuple[int, int]:
    """Sentence `i`, widened to the statement around it and to whole quotations."""
    lo = hi = i
    s = sents[i]
    for a, b in statements:
        if a < s.end and s.start < b and b - a <= MAX_UNIT_CHARS:
            while lo > 0 and sents[lo - 1].end > a and sents[lo - 1].para == s.para:
                lo -= 1
            while hi + 1 < len(sents) and sents[hi + 1].start < b and sents[hi + 1].para == s.para:
                hi += 1
    inside = _inside_quote(text)
    while (
        inside[lo][0]
        and lo > 0
        and sents[lo - 1].para == s.para
        and sents[hi].end - sents[lo - 1].start <= MAX_UNIT_CHARS
    ):
        lo -= 1
    while (
        inside[hi][1]
        and hi + 1 < len(sents)
        and sents[hi + 1].para == s.para
        and sents[hi + 1].end - sents[lo].start <= MAX_UNIT_CHARS
    ):
        hi += 1
    return lo, hi


def cuts_quotation(text: str, c: Candidate) -> bool:
    """Whether showing `c` alone would begin or end inside a quotation."""
    inside = _inside_quote(text)
    return inside[c.lo][0] or inside[c.hi][1]
