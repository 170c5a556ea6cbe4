"""Checking an LLM-written answer against the articles before anyone sees it.

`verify_answer` takes the model's reply, the numbered passages it was given and the question,
and returns the text that may be shown, its citations and notes on what was changed. The work
is in four parts:

* `reply`: parsing the reply. Prompt markup the model echoes (tags, the passage template's
  field lines, "passage 2") and markdown are taken out first; then quotations, [n] markers
  and sentences are found, and links, masked links and mentions are flagged.
* `quotes`: matching quotes. A quote is bound to the [n] marker inside its closing mark, else
  the first one after it in its sentence, else the last one before it. It must be at least
  three words with content, and stand in the cited passage's article up to typography (see
  `folding`); it is then shown with the article's exact characters. A quote found in another
  given article is re-attributed; one found nowhere is removed with its sentence.
* `support`: judging the model's own words. A sentence without a quote needs a sentence of
  its cited passage holding half its content words, with the same negation. Around quotes,
  the words must be the cited articles' own (content, names, numbers, negation), and never an
  instruction to the reader.
* `rebuild`: rebuilding the answer from what survived, citations numbered [1..k] in order of
  first appearance, one per quoted span.

A sentence goes whole when any check fails, and also when it repeats an earlier one or holds
a link, masked link or mention (a link stays only when a cited article's metadata holds it).
No citation left means no support: the caller falls back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from index.lexical import terms
from index.models import Citation, Passage
from index.verify.folding import Folded, find_quote, fold
from index.verify.quotes import MIN_QUOTE_WORDS, Found, QuoteCheck, check_quotes, substantive
from index.verify.rebuild import rebuild
from index.verify.reply import (
    URL,
    Marker,
    Parsed,
    QuoteSpan,
    find_markers,
    find_quotes,
    hazards,
    prepare,
    sentences,
    short,
)
from index.verify.support import (
    article_sentences,
    best_sentence,
    instruction,
    missing_specifics,
    negation_unsupported,
    unknown_terms,
)

__all__ = [
    "MIN_QUOTE_WORDS",
    "Folded",
    "Marker",
    "QuoteSpan",
    "Verified",
    "article_sentences",
    "find_markers",
    "find_quote",
    "find_quotes",
    "fold",
    "sentences",
    "substantive",
    "verify_answer",
]


@dataclass
class Verified:
    """What may be shown: the checked text, its citations and what checking changed."""

    text: str
    citations: list[Citation]
    notes: list[str] = field(default_factory=list)
    quotes: int = 0  # quotations the reply made
    markers: int = 0  # citation markers the reply made

    @property
    def supported(self) -> bool:
        return bool(self.citations)


@dataclass(frozen=True)
class _Context:
    passages: Sequence[Passage]
    article_text: Callable[[str], str]
    question: str
    urls: frozenset[str]  # the given articles' own URLs, bare (see `_bare_url`)


def verify_answer(
    reply: str,
    passages: Sequence[Passage],
    article_text: Callable[[str], str],
    *,
    question: str = "",
) -> Verified:
    """Check `reply` (citing passages as [1..len(passages)]) against the articles; see the
    module docstring for the rules."""
    prepared, notes = prepare(reply.strip())
    parsed = Parsed.of(prepared)
    k = len(passages)
    for m in parsed.markers:
        for n in m.numbers:
            if not 1 <= n <= k:
                notes.append(f"citation [{n}] refers to no passage ({k} given); ignored")
    urls = frozenset(_bare_url(p.article.url) for p in passages if p.article.url)
    ctx = _Context(passages, article_text, question, urls)
    checks = check_quotes(parsed, passages, article_text, notes)
    claims = _check_claims(parsed, checks, ctx, notes)

    keep: list[tuple[int, int]] = []
    seen: set[object] = set()
    for span in parsed.sents:
        body = prepared[span[0] : span[1]].strip()
        if not body:
            continue
        why = _judge(parsed, span, checks, claims, ctx)
        if why is None:
            key = _repeat_key(parsed, span, checks)
            if key in seen:
                why = "it repeats an earlier sentence"
            seen.add(key)
        if why is not None:
            notes.append(f"removed “{short(body)}”: {why}")
            continue
        keep.append(span)
    text, citations = rebuild(parsed, keep, checks, claims)
    return Verified(text, citations, notes, quotes=len(parsed.quotes), markers=len(parsed.markers))


def _check_claims(
    parsed: Parsed, checks: Sequence[QuoteCheck], ctx: _Context, notes: list[str]
) -> dict[int, list[Found]]:
    """For each marker not bound to a quote: the passage sentences supporting its claim."""
    consumed = {c.marker for c in checks if c.marker is not None}
    out: dict[int, list[Found]] = {}
    for mi, m in enumerate(parsed.markers):
        if mi in consumed:
            continue
        claim = parsed.strip(parsed.sentence_at(m.start))
        supports = []
        for n in m.numbers:
            if not 1 <= n <= len(ctx.passages):
                continue
            best = best_sentence(claim, ctx.passages[n - 1], ctx.article_text)
            if best is None:
                notes.append(
                    f"citation [{n}] of “{short(claim)}”: passage [{n}] does not support it"
                )
            else:
                supports.append(best)
        out[mi] = supports
    return out


def _in(parsed: Parsed, span: tuple[int, int]) -> tuple[list[int], list[int]]:
    """Indexes of the quotations and markers that start in the sentence at `span`."""
    s0, s1 = span
    in_q = [qi for qi, q in enumerate(parsed.quotes) if s0 <= q.start < s1]
    in_m = [mi for mi, m in enumerate(parsed.markers) if s0 <= m.start < s1]
    return in_q, in_m


def _judge(
    parsed: Parsed,
    span: tuple[int, int],
    checks: Sequence[QuoteCheck],
    claims: dict[int, list[Found]],
    ctx: _Context,
) -> str | None:
    """Why the sentence at `span` must go, or None when it may stay."""
    in_q, in_m = _in(parsed, span)
    for kind, what in hazards(parsed.text[span[0] : span[1]]):
        if kind != "link" or _bare_url(what) not in ctx.urls:
            return f"a {kind} ({short(what)}) no cited article's metadata holds"
    if any(checks[qi].found is None for qi in in_q):
        return "it rests on a quote that failed verification"
    founds = [f for qi in in_q if (f := checks[qi].found) is not None]
    supports = [f for mi in in_m for f in claims.get(mi, [])]
    if not founds and not supports:
        return "no quote or citation" if not (in_q or in_m) else "unsupported by its passage"
    glue = URL.sub(" ", parsed.strip(span, blank_quotes=True))  # links left are the article's
    if instruction(glue):
        return "an instruction to the reader"
    cited = [f.passage for f in [*founds, *supports]]
    missing = missing_specifics(glue, cited, ctx.article_text)
    if missing:
        return f"{', '.join(missing)} not in the cited articles"
    unknown = unknown_terms(glue, cited, ctx.article_text, ctx.question)
    if unknown:
        return f"its own words ({', '.join(unknown)}) are not in the cited articles"
    if founds and negation_unsupported(glue, founds, ctx.article_text):
        return "it negates what the quoted article sentence says"
    return None


def _repeat_key(parsed: Parsed, span: tuple[int, int], checks: Sequence[QuoteCheck]) -> object:
    """Sentences with the same quoted spans and the same own words repeat each other."""
    in_q, _ = _in(parsed, span)
    spans = frozenset(
        (f.passage.article.id, f.start, f.end) for qi in in_q if (f := checks[qi].found)
    )
    if spans:
        return spans, frozenset(terms(parsed.strip(span, blank_quotes=True)))
    return " ".join(re.findall(r"\w+", fold(parsed.strip(span)).text))


def _bare_url(url: str | None) -> str:
    """A URL without scheme, "www." and trailing slash or punctuation, for comparing."""
    u = (url or "").strip().lower()
    u = re.sub(r"\A(?:https?://)?(?:www\.)?", "", u)
    return u.rstrip("/.,;:!?")
