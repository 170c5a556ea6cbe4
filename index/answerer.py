"""Answerers: the step that turns scored candidates into an `Answer`.

Both modes take the same `Job`. The extractive answerer shows the best candidates, or refuses
when the best one's probability is under the refusal threshold. The LLM answerer writes the
answer from the passages the scorer ranked highest and falls back to the extractive answer
when the LLM fails (`LLMError`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from index import present
from index.candidates import MAX_UNIT_CHARS, Candidate
from index.lexical import STOPWORDS, words
from index.models import Answer, Citation, Mode, Passage
from index.question import Question
from index.scoring import Scored
from index.sentences import split_sentences

log = logging.getLogger(__name__)


@dataclass
class Job:
    """Everything an answerer may use for one question."""

    question: Question
    passages: list[Passage]  # retrieved, reranked by their best candidate, best first
    scored: list[Scored]  # candidates, best first
    article_text: Callable[[str], str]
    speaker: str | None  # the speaker the question names (quote index), if any
    threshold: float
    second_ratio: float
    max_quotes: int
    on_token: Callable[[str], None] | None = None
    timings: dict[str, float] = field(default_factory=dict)  # ms per step so far


class Answerer(Protocol):
    mode: Mode

    def answer(self, job: Job) -> Answer: ...


class ExtractiveAnswerer:
    """The articles' own sentences that answer, or a refusal."""

    mode: Mode = "extractive"

    def answer(self, job: Job) -> Answer:
        chosen = whole_statements(
            select(job.scored, job.threshold, job.second_ratio, job.max_quotes), job
        )
        if job.question.kind == "person":
            chosen = with_speakers_named(chosen, job)
        confidence = job.scored[0].probability if job.scored else 0.0
        q = job.question
        if not chosen:
            return Answer(
                question=q.text,
                text=_refusal(job),
                refused=True,
                mode="extractive",
                confidence=confidence,
            )
        newest = asks_after(q, [s.candidate for s in chosen])
        if newest:
            # The question asks about a time after the articles: say what they say, and when.
            return Answer(
                question=q.text,
                text=present.with_reports(present.outdated_text(newest), chosen),
                refused=True,
                mode="extractive",
                citations=present.citations(chosen),
                confidence=confidence,
            )
        return Answer(
            question=q.text,
            text=present.body(chosen),
            refused=False,
            mode="extractive",
            citations=present.citations(chosen),
            confidence=confidence,
        )


class LLMModeAnswerer:
    """An LLM's verified answer over the best-ranked passages; offline when it fails."""

    mode: Mode = "llm"

    def __init__(self, llm: Any, fallback: Answerer) -> None:
        self.llm = llm
        self.fallback = fallback

    def answer(self, job: Job) -> Answer:
        from index.llm import LLMError

        refusal = _refusal(job)
        try:
            answer: Answer = self.llm.answer(
                job.question.text,
                job.passages,
                job.article_text,
                on_token=job.on_token,
                refusal=refusal,
                judge=lambda citations: relevance_gap(job, citations),
            )
        except LLMError as exc:
            log.warning("LLM answer failed, answering offline: %s", exc)
            answer = self.fallback.answer(job)
            answer.verification.append(f"LLM failed ({exc}); answered offline")
            return answer
        if job.scored:
            answer.confidence = job.scored[0].probability
        return answer


def relevance_gap(job: Job, citations: Sequence[Citation]) -> str | None:
    """Why `citations` do not answer `job` (None when they do): they must cover the candidate
    the offline answer leads with, the best scored one, and it must clear the refusal
    threshold. So both modes refuse the same questions and rest on the same statement: the
    calibrated scorer decides whether and with what the articles answer, the LLM how to say
    it (and which further passages to add). A reply resting only on a lesser candidate, such
    as a further quote of the offline answer, is off the question more often than not."""
    if not job.scored:
        return None
    need = max(job.threshold, job.scored[0].probability)
    got = max(
        (
            s.probability
            for s in job.scored
            if any(
                c.article.id == s.candidate.article.id
                and c.start < s.candidate.end
                and s.candidate.start < c.end
                for c in citations
            )
        ),
        default=0.0,
    )
    if got >= need:
        return None
    return (
        f"the LLM's verified quotes do not answer the question "
        f"(relevance {got:.2f}, needs {need:.2f})"
    )


def select(
    scored: Sequence[Scored], threshold: float, second_ratio: float, max_quotes: int
) -> list[Scored]:
    """The best candidate if it clears `threshold`, and the next ones, not overlapping it,
    that reach `second_ratio` of its probability (at most `max_quotes`)."""
    if not scored or scored[0].probability < threshold:
        return []
    best = scored[0].probability
    chosen = [scored[0]]
    for s in scored[1:]:
        if len(chosen) >= max_quotes or s.probability < max(threshold, second_ratio * best):
            break
        c = s.candidate
        if any(
            (
                x.candidate.article.id == c.article.id
                and x.candidate.start < c.end
                and c.start < x.candidate.end
            )
            or _same_text(x.candidate.text, c.text)
            for x in chosen
        ):
            continue
        chosen.append(s)
    return chosen


def whole_statements(chosen: Sequence[Scored], job: Job) -> list[Scored]:
    """For a speaker question, each chosen candidate the asked-about speaker says, grown over
    the next and previous candidates of its paragraph that the same speaker says (a statement
    that goes on past its first quotation is shown whole), within MAX_UNIT_CHARS."""
    if not job.speaker:
        return list(chosen)
    out: list[Scored] = []
    for s in chosen:
        c = s.candidate
        if c.speaker != job.speaker:
            out.append(s)
            continue
        text = job.article_text(c.article.id)
        sents = split_sentences(text)
        same = [
            x.candidate
            for x in job.scored
            if x.candidate.article.id == c.article.id and x.candidate.speaker == job.speaker
        ]
        lo, hi = c.lo, c.hi
        grew = True
        while grew:
            grew = False
            for o in same:
                after = o.lo == hi + 1 and sents[o.lo].para == sents[hi].para
                before = o.hi == lo - 1 and sents[o.hi].para == sents[lo].para
                if after and sents[o.hi].end - sents[lo].start <= MAX_UNIT_CHARS:
                    hi, grew = o.hi, True
                elif before and sents[hi].end - sents[o.lo].start <= MAX_UNIT_CHARS:
                    lo, grew = o.lo, True
        grown = s
        if (lo, hi) != (c.lo, c.hi):
            start, end = sents[lo].start, sents[hi].end
            c = replace(c, lo=lo, hi=hi, start=start, end=end, text=text[start:end])
            grown = replace(s, candidate=c)
        if not any(
            x.candidate.article.id == c.article.id
            and x.candidate.start < c.end
            and c.start < x.candidate.end
            for x in out
        ):
            out.append(grown)
    return out


NAMING_LOOKBACK = 2  # sentences before a statement searched for its speaker's name


def with_speakers_named(chosen: Sequence[Scored], job: Job) -> list[Scored]:
    """For a "who" question: before each statement whose own words do not name its speaker
    ("..., he added."), the sentence just before it that does, so the answer shows who said
    it in the article's words and not only by the quote index's say-so."""
    out: list[Scored] = []
    for s in chosen:
        c = s.candidate
        names = {w for w in words(c.speaker or "") if w not in STOPWORDS}
        if names and not names & set(words(c.text)):
            sents = split_sentences(job.article_text(c.article.id))
            for i in range(c.lo - 1, max(-1, c.lo - 1 - NAMING_LOOKBACK), -1):
                sent = sents[i]
                taken = any(
                    x.candidate.article.id == c.article.id
                    and x.candidate.start < sent.end
                    and sent.start < x.candidate.end
                    for x in (*chosen, *out)
                )
                if taken:
                    break
                if names & set(words(sent.text)):
                    namer = replace(
                        c, lo=i, hi=i, start=sent.start, end=sent.end, text=sent.text, quoted=False
                    )
                    out.append(replace(s, candidate=namer))
                    break
        out.append(s)
    return out


def rerank(passages: Sequence[Passage], scored: Sequence[Scored], k: int) -> list[Passage]:
    """The `k` passages holding the most probable candidates, best first."""
    best: dict[str, float] = {}
    for s in scored:
        c = s.candidate
        for p in passages:
            if p.article.id == c.article.id and c.start < p.end and p.start < c.end:
                best[p.chunk_id] = max(best.get(p.chunk_id, 0.0), s.probability)
    # ranked by the score they carry: the best candidate's probability, plus retrieval's score
    # to order passages that hold equally probable candidates (or none)
    ranked = sorted(
        ((best.get(p.chunk_id, 0.0) + p.score, i, p) for i, p in enumerate(passages)),
        key=lambda sip: (-sip[0], sip[1]),
    )
    return [replace(p, score=s) for s, _, p in ranked[:k]]


def _same_text(a: str, b: str) -> bool:
    """Near-duplicates, such as one statement quoted by two articles."""
    wa, wb = set(a.lower().split()), set(b.lower().split())
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) > 0.6


def asks_after(question: Question, chosen: Sequence[Candidate]) -> str | None:
    """The newest date of the `chosen` candidates' articles when the question asks about a
    later year, else None. A question about what was said is not asking after the articles
    when the statements chosen name that year themselves ("who said trading could start on
    July 1, 2020", in a 2019 article): the answer is what they said about it."""
    dates = [c.article.date for c in chosen if c.article.date]
    if not question.years or not dates:
        return None
    newest = max(dates)
    later = [y for y in question.years if y > int(newest[:4])]
    if question.speaker_slot is not None:
        later = [y for y in later if not any(str(y) in c.text for c in chosen)]
    return newest if later else None


def _refusal(job: Job) -> str:
    """The refusal, naming the speaker only when the question asks what they said ("What
    happened in False Bay?" names a place, not someone who is not quoted)."""
    asks_speaker = job.question.speaker_slot is not None
    return present.refusal_text(_echo(job.speaker) if asks_speaker else None)


def _echo(speaker: str | None) -> str | None:
    """A speaker name safe to repeat in a refusal (plain words, not too long)."""
    if speaker and len(speaker) <= 60 and all(ch.isalnum() or ch in " .’'-" for ch in speaker):
        return speaker
    return None
