"""The offline answer: verbatim sentences from the retrieved passages, with numbered citations.

No LLM is involved. Candidate quotes are the sentences of the retrieved passages; for "what did X
say" questions a quote is the run of consecutive sentences of one paragraph that X speaks (a
statement split over sentences stays whole). A quote is scored by how much of the question's
topic it covers (IDF-weighted, spelling variants matched), whether the speaker says it, and
whether it holds the kind of thing asked for (a number for "how many", a date for "when"). When
the best quote covers too little, the answer is a refusal: the articles do not say.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import prompts
from index.lexical import fuzzy_equal, terms
from index.models import Answer, ArticleRef, Citation, Passage
from index.question import ROLE_WORDS, Question, speech_spans

MIN_SCORE = 0.58  # below this the best quote does not answer the question: refuse
SECOND_QUOTE_RATIO = 0.8  # further quotes must score at least this share of the best
NOT_SPOKEN = 0.4  # weight of a quote the asked-about speaker does not say
WRONG_KIND = 0.35  # weight of a quote without the kind of thing asked for
SAME_VERB_BONUS = 0.05
REPORTED_SCORE = 0.75  # a refusal adds what the articles report when it covers this much
MISSING_FOCUS = 0.5  # weight of a quote that leaves out what the topic is about
ANSWER_TYPE_MISSING = 0.3
CONTEXT_WEIGHT = 0.5  # a topic term found only in a neighbouring sentence counts this much
MAX_QUOTE_CHARS = 700  # a speaker's statement is cut to the sentences nearest its best one
_PLAIN_NAME = re.compile(r"[^\W\d_][\w .’'-]{0,60}")  # safe to echo back in a refusal
_NOT_NAMES = frozenset(
    (
        "I The A An In On At As But And Or If When While After Before According Asked Responding He "
        "She They It We You This That These Those There His Her Their Our"
    ).split()
)


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    para: int
    text: str
    terms: frozenset[str]


@dataclass(frozen=True)
class Quote:
    article: ArticleRef
    start: int
    end: int
    text: str
    score: float
    terms: frozenset[str]
    reported: bool = False  # told by the article itself, not by the asked-about speaker


@lru_cache(maxsize=512)
def sentences_of(text: str) -> tuple[Sentence, ...]:
    """The article's sentences with their spans, paragraph by paragraph."""
    out = []
    for para, m in enumerate(re.finditer(r"[^\n]+", text)):
        line_start = m.start()
        for a, b in _punkt().span_tokenize(m.group()):
            chunk = m.group()[a:b]
            out.append(
                Sentence(line_start + a, line_start + b, para, chunk, frozenset(terms(chunk)))
            )
    return tuple(out)


@lru_cache(maxsize=1)
def _punkt() -> Any:
    from llama_index.core.utils import globals_helper
    from nltk.tokenize import PunktTokenizer

    globals_helper.wait_for_nltk_check()  # puts llama-index's bundled NLTK data on the path
    return PunktTokenizer("english")


class Extractor:
    """Picks the quotes that answer a question from the retrieved passages."""

    def __init__(self, max_quotes: int = 3) -> None:
        self.max_quotes = max_quotes

    def answer(self, q: Question, quotes: Sequence[Quote]) -> Answer:
        """The offline answer from `quotes` (best first, as `quotes()` gives them)."""
        if not quotes or quotes[0].score < MIN_SCORE:
            return self._refusal_with_reports(q, quotes)
        citations = _cite(self._select(quotes))
        return Answer(
            question=q.text,
            text=_body(citations),
            refused=False,
            mode="extractive",
            citations=citations,
        )

    def _refusal_with_reports(self, q: Question, quotes: Sequence[Quote]) -> Answer:
        """A refusal; when the speaker is not quoted but the articles report on the topic
        themselves, what they report follows, with its citations (still a refusal)."""
        answer = refusal(q)
        reported = [qt for qt in quotes if qt.reported and qt.score / NOT_SPOKEN >= REPORTED_SCORE]
        specific = q.focus_terms or len(q.topic_terms) >= 2
        if q.kind != "speaker" or not specific or not reported:
            return answer
        answer.citations = _cite(self._select(reported, floor=REPORTED_SCORE * NOT_SPOKEN))
        answer.text = prompts.render(
            "reported", refusal=answer.text, quotes=_body(answer.citations)
        )
        return answer

    @staticmethod
    def rerank(passages: Sequence[Passage], quotes: Sequence[Quote], k: int) -> list[Passage]:
        """The `k` passages holding the best quotes, best first; retrieval order breaks ties."""
        best: dict[str, float] = {}
        for p in passages:
            best[p.chunk_id] = max(
                (
                    qt.score
                    for qt in quotes
                    if qt.article.id == p.article.id and qt.start < p.end and p.start < qt.end
                ),
                default=0.0,
            )
        ranked = sorted(passages, key=lambda p: -(best[p.chunk_id] + p.score))
        return [replace(p, score=best[p.chunk_id] + p.score) for p in ranked[:k]]

    def quotes(
        self, q: Question, passages: Sequence[Passage], article_text: Callable[[str], str]
    ) -> list[Quote]:
        """Every candidate quote from `passages`, best first."""
        weights = q.weights or dict.fromkeys(q.topic_terms, 1.0)
        found: dict[tuple[str, int, int], Quote] = {}
        for rank, p in enumerate(passages):
            text = article_text(p.article.id)
            sents = sentences_of(text)
            spoken, others = _spoken_by(q, sents) if q.kind == "speaker" else (None, None)
            for i, s in enumerate(sents):
                if s.end <= p.start or s.start >= p.end:
                    continue
                lo, hi = _statement(spoken, sents, i) if spoken and spoken[i] else (i, i)
                key = (p.article.id, sents[lo].start, sents[hi].end)
                if key in found:
                    continue
                unit = sents[lo : hi + 1]
                unit_terms = frozenset().union(*(u.terms for u in unit))
                context = _neighbour_terms(sents, lo, hi)
                score = _coverage(weights, unit_terms, context, q.answer_type)
                if spoken is not None and not spoken[i]:
                    score *= NOT_SPOKEN
                if any(not _has(unit_terms, t) for t in q.focus_terms):
                    score *= MISSING_FOCUS
                unit_text = text[sents[lo].start : sents[hi].end]
                if q.verb and _has(unit_terms, q.verb):
                    score += SAME_VERB_BONUS  # "what did X call Y": X *calling* Y ...
                if not q.expects(unit_text):
                    score *= WRONG_KIND
                score += 0.02 * (1 - rank / max(len(passages), 1))  # retrieval rank breaks ties
                found[key] = Quote(
                    p.article,
                    sents[lo].start,
                    sents[hi].end,
                    unit_text,
                    score,
                    unit_terms,
                    reported=spoken is not None
                    and others is not None
                    and not any(spoken[lo : hi + 1])
                    and not any(others[lo : hi + 1]),
                )
        return sorted(found.values(), key=lambda qt: -qt.score)

    def _select(self, quotes: Sequence[Quote], floor: float = MIN_SCORE) -> list[Quote]:
        best = quotes[0]
        chosen = [best]
        floor = max(floor, SECOND_QUOTE_RATIO * best.score)
        for cand in quotes[1:]:
            if len(chosen) >= self.max_quotes or cand.score < floor:
                break
            if any(_overlaps(cand, c) or _similar(cand, c) for c in chosen):
                continue
            chosen.append(cand)
        return chosen


def _cite(quotes: Sequence[Quote]) -> list[Citation]:
    return [Citation(n, qt.article, qt.text, qt.start, qt.end) for n, qt in enumerate(quotes, 1)]


def _body(citations: Sequence[Citation]) -> str:
    return "\n".join(f"“{c.quote}” [{c.n}]" for c in citations)


def refusal(q: Question) -> Answer:
    """The answer when the articles do not say."""
    if q.kind == "speaker" and q.speaker and _PLAIN_NAME.fullmatch(q.speaker):
        text = prompts.render("refusal_speaker", speaker=q.speaker)
    else:
        text = prompts.render("refusal")
    return Answer(question=q.text, text=text, refused=True, mode="extractive")


def _coverage(
    weights: dict[str, float],
    unit: frozenset[str],
    context: frozenset[str],
    answer_type: str | None = None,
) -> float:
    """The weighted share of the question's terms the quote holds. The answer-type noun
    ("which *laws*") counts when present; when absent it costs only ANSWER_TYPE_MISSING of
    its weight, since answers name instances ("the law on the voter roll", "Russia")."""
    total = got = 0.0
    for term, w in weights.items():
        if _has(unit, term):
            got += w
        elif _has(context, term):
            got += CONTEXT_WEIGHT * w
        total += w * (ANSWER_TYPE_MISSING if term == answer_type and not _has(unit, term) else 1)
    return got / total if total else 0.0


def _has(bag: frozenset[str], term: str) -> bool:
    if term in bag:
        return True
    return len(term) >= 5 and any(fuzzy_equal(term, t) for t in bag)


def _neighbour_terms(sents: Sequence[Sentence], lo: int, hi: int) -> frozenset[str]:
    para = sents[lo].para
    near = [sents[j] for j in (lo - 1, hi + 1) if 0 <= j < len(sents) and sents[j].para == para]
    return frozenset().union(*(s.terms for s in near)) if near else frozenset()


def _spoken_by(q: Question, sents: Sequence[Sentence]) -> tuple[list[bool], list[bool]]:
    """For each sentence, whether the question's speaker says it, and whether someone else
    is said to speak in it."""
    names = [t for t in q.speaker_terms if t not in ROLE_WORDS] or list(q.speaker_terms)
    aliases = _aliases(names, sents)

    def names_speaker(s: Sentence) -> bool:
        return any(_has(s.terms, n) for n in names)

    narration = _narration(sents)
    spoken = [False] * len(sents)
    others = [False] * len(sents)
    for i, _s in enumerate(sents):
        who = _speech_subject(narration[i], names, aliases)
        others[i] = who == "other"
        if who == "speaker":
            spoken[i] = True
        elif who == "pronoun" and any(names_speaker(sents[j]) for j in range(max(0, i - 2), i)):
            spoken[i] = True  # "he said", with the speaker named just before
    # A quotation continues the statement of the paragraph's speaker.
    for i, s in enumerate(sents):
        if spoken[i] or narration[i] == s.text:  # not spoken, and quotes nothing
            continue
        same_para = [j for j in range(len(sents)) if sents[j].para == s.para and j != i]
        if (
            any(spoken[j] for j in same_para)
            and _speech_subject(narration[i], names, aliases) != "other"
        ):
            spoken[i] = True
    return spoken, others


def _speech_subject(text: str, names: Sequence[str], aliases: frozenset[str]) -> str | None:
    """Who speaks in `text`, judged by the words around each speech verb: "speaker" (named,
    or described by words used for the speaker earlier), "other" (someone else is named),
    "pronoun" (he/she/they), or None (no speech)."""
    tokens = [(m.start(), m.group()) for m in re.finditer(r"[\w’'-]+", text)]
    verdict: str | None = None
    for verb in speech_spans(text):
        before = [w.lower() for pos, w in tokens if verb[0] - 25 <= pos < verb[0]]
        if any(w in ("he", "she") for w in before[-3:]):
            verdict = verdict or "pronoun"  # "he said", "he also reminded"
            continue
        window = [w for pos, w in tokens if verb[0] - 60 <= pos <= verb[1] + 40]
        caps = [w for w in window if w[:1].isupper() and w not in _NOT_NAMES]
        cap_terms = {t for w in caps for t in terms(w)}
        if any(fuzzy_equal(n, t) for n in names for t in cap_terms):
            return "speaker"
        described = {t for w in window for t in terms(w)} & aliases
        if len(described) >= 2 and described & ROLE_WORDS:
            return "speaker"  # "the Serbian president said"
        if caps and cap_terms - aliases:
            verdict = "other" if verdict in (None, "pronoun") else verdict
        elif any(w.lower() in ("he", "she", "they") for w in window):
            verdict = verdict or "pronoun"
    return verdict


def _narration(sents: Sequence[Sentence]) -> list[str]:
    """Each sentence with its quoted words blanked out: what the narrator says around quotes.
    Also tells, by what is left, which sentences quote (see `_quotes`)."""
    out = []
    is_open = False
    para = -1
    for s in sents:
        if s.para != para:
            para, is_open = s.para, False
        chars = []
        for ch in s.text:
            if ch == "“" or (ch == '"' and not is_open):
                is_open = True
                chars.append(" ")
            elif ch == "”" or (ch == '"' and is_open):
                is_open = False
                chars.append(" ")
            else:
                chars.append(" " if is_open else ch)
        out.append("".join(chars))
    return out


def _aliases(names: Sequence[str], sents: Sequence[Sentence]) -> frozenset[str]:
    """Title words written right before the speaker's name ("Serbian *President* Aleksandar
    Vucic" gives serbian, president, aleksandar), so "the Serbian president said" is theirs."""
    found: set[str] = set()
    for s in sents:
        toks = list(re.finditer(r"[\w’'-]+", s.text))
        for k, tok in enumerate(toks):
            if not any(fuzzy_equal(n, t) for n in names for t in terms(tok.group())):
                continue
            j = k
            while j > 0 and k - j < 4:
                prev = toks[j - 1]
                if not prev.group()[:1].isupper() or s.text[prev.end() : toks[j].start()].strip():
                    break
                found.update(terms(prev.group()))
                j -= 1
    return frozenset(found - set(names))


def _statement(spoken: Sequence[bool], sents: Sequence[Sentence], i: int) -> tuple[int, int]:
    """The run of spoken sentences of `i`'s paragraph around `i`, within MAX_QUOTE_CHARS."""
    lo = hi = i
    para = sents[i].para
    while True:
        grew = False
        if (
            lo > 0
            and spoken[lo - 1]
            and sents[lo - 1].para == para
            and sents[hi].end - sents[lo - 1].start <= MAX_QUOTE_CHARS
        ):
            lo -= 1
            grew = True
        if (
            hi + 1 < len(sents)
            and spoken[hi + 1]
            and sents[hi + 1].para == para
            and sents[hi + 1].end - sents[lo].start <= MAX_QUOTE_CHARS
        ):
            hi += 1
            grew = True
        if not grew:
            return lo, hi


def _overlaps(a: Quote, b: Quote) -> bool:
    return a.article.id == b.article.id and a.start < b.end and b.start < a.end


def _similar(a: Quote, b: Quote) -> bool:
    """Near-duplicates, such as a post quoted in two articles."""
    if not a.terms or not b.terms:
        return False
    return len(a.terms & b.terms) / len(a.terms | b.terms) > 0.6
