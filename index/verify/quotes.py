"""Matching the reply's quotations to the articles: bind each to its citation marker, find it
verbatim (up to typography) in the cited article or another given one, and refuse what is too
short to be a quote."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from index.lexical import terms
from index.models import Passage
from index.verify.folding import find_quote, fold
from index.verify.reply import _INNER_MARKER, Parsed, short

MIN_QUOTE_WORDS = 3  # a quote is at least this many words, one of them with content


@dataclass
class Found:
    """A verified span: the passage (and so the article) it is cited to, and its exact text."""

    passage: Passage
    start: int
    end: int
    exact: str


@dataclass
class QuoteCheck:
    """The outcome for one quotation: `found` is None when it was removed."""

    found: Found | None
    marker: int | None  # index of the marker bound to it, if any


def substantive(text: str) -> bool:
    """Whether `text` is long enough to be a quote: MIN_QUOTE_WORDS words, one with content."""
    words = re.findall(r"\w+", fold(text).text)
    return len(words) >= MIN_QUOTE_WORDS and bool(terms(text))


def check_quotes(
    parsed: Parsed,
    passages: Sequence[Passage],
    article_text: Callable[[str], str],
    notes: list[str],
) -> list[QuoteCheck]:
    """Verify each quotation; notes say what was removed or re-attributed and why."""
    k = len(passages)

    def valid(numbers: Sequence[int]) -> list[int]:
        return [n for n in numbers if 1 <= n <= k]

    reply, markers = parsed.text, parsed.markers
    out = []
    for q in parsed.quotes:
        s0, s1 = parsed.sentence_at(q.start)
        after = [mi for mi, m in enumerate(markers) if q.end <= m.start < s1]
        before = [mi for mi, m in enumerate(markers) if s0 <= m.start < q.start]
        mi = after[0] if after else (before[-1] if before else None)
        inner = reply[q.inner_start : q.inner_end]
        own = _INNER_MARKER.search(inner)  # “… [2].”: the marker slipped inside the quote
        if own:
            inner = inner[: own.start()]
            cited = valid([int(n) for n in re.findall(r"\d+", own.group(1))])
            mi = None
        else:
            cited = valid(markers[mi].numbers) if mi is not None else []
        shown = short(inner)
        if not q.closed:
            notes.append(f"removed unclosed quote “{shown}”")
            out.append(QuoteCheck(None, mi))
            continue
        if not fold(inner).text.strip(" '.,;:!?-"):
            notes.append("removed an empty quote")
            out.append(QuoteCheck(None, mi))
            continue
        if not substantive(inner):
            notes.append(
                f"removed quote “{shown}”: under {MIN_QUOTE_WORDS} words or no content word"
            )
            out.append(QuoteCheck(None, mi))
            continue
        found = locate(inner, cited, passages, article_text)
        if found is None:
            where = f" cited to [{', '.join(map(str, cited))}]" if cited else ""
            notes.append(f"removed quote “{shown}”{where}: not found verbatim in any given passage")
        else:
            n_found = passages.index(found.passage) + 1
            if n_found not in cited:
                if cited:
                    notes.append(
                        f"quote “{shown}” was cited to [{', '.join(map(str, cited))}] but is "
                        f"in passage [{n_found}] ({found.passage.article.label()}); re-attributed"
                    )
                else:
                    notes.append(
                        f"quote “{shown}” had no valid citation; attributed to passage "
                        f"[{n_found}] ({found.passage.article.label()})"
                    )
            if found.exact != inner.strip():
                notes.append(
                    f"quote “{shown}” matched with typographic differences; "
                    "shown with the article's exact characters"
                )
        out.append(QuoteCheck(found, mi))
    return out


def locate(
    quote: str,
    cited: Sequence[int],
    passages: Sequence[Passage],
    article_text: Callable[[str], str],
) -> Found | None:
    """Find the quote in the cited passages' articles, else in any given passage's article."""
    order = [passages[n - 1] for n in cited]
    order += [p for p in passages if p not in order]
    for p in order:
        text = article_text(p.article.id)
        span = find_quote(quote, text, prefer=(p.start, p.end))
        if span is None:
            continue
        # Cite the given passage that holds the span, if another one of this article does.
        holder = next(
            (
                o
                for o in order
                if o.article.id == p.article.id and o.start <= span[0] and span[1] <= o.end
            ),
            p,
        )
        return Found(holder, span[0], span[1], text[span[0] : span[1]])
    return None
