"""The answer as a newsroom would show it: who said it, in the article's own sentences.

Quotes are grouped by article, in the order of their best quote; each article is one source
(one citation number, however many of its sentences are shown). A group opens with the
speaker's name when the quote index knows it, and each quote is the article's sentence,
verbatim, as a block quote line: no quotation marks are added, so none are doubled or nested.
"""

from __future__ import annotations

from collections.abc import Sequence

import prompts
from index.models import Citation
from index.scoring import Scored


def citations(chosen: Sequence[Scored]) -> list[Citation]:
    """One citation per quote, numbered per article, in the order the groups are shown."""
    numbers: dict[str, int] = {}
    out: list[Citation] = []
    for s in _grouped(chosen):
        c = s.candidate
        n = numbers.setdefault(c.article.id, len(numbers) + 1)
        out.append(Citation(n, c.article, c.text, c.start, c.end))
    return out


def _grouped(chosen: Sequence[Scored]) -> list[Scored]:
    """Grouped by article, groups in the order of their best quote, best quote first."""
    order: dict[str, int] = {}
    for s in chosen:
        order.setdefault(s.candidate.article.id, len(order))
    return sorted(chosen, key=lambda s: order[s.candidate.article.id])


def body(chosen: Sequence[Scored]) -> str:
    """The quotes, grouped by source, each group headed by its speakers and citation."""
    lines: list[str] = []
    cites = citations(chosen)
    by_quote = {(c.article.id, c.start): c.n for c in cites}
    current: int | None = None
    for s in _grouped(chosen):
        c = s.candidate
        n = by_quote[(c.article.id, c.start)]
        if n != current:
            current = n
            speakers = list(
                dict.fromkeys(
                    x.candidate.speaker
                    for x in chosen
                    if x.candidate.article.id == c.article.id and x.candidate.speaker
                )
            )
            if lines:
                lines.append("")
            lines.append(f"{', '.join(speakers)} [{n}]:" if speakers else f"[{n}]:")
        lines.append(f"> {c.text}")
    return "\n".join(lines)


def refusal_text(speaker: str | None) -> str:
    """The answer when the articles do not say."""
    if speaker:
        return prompts.render("refusal_speaker", speaker=speaker)
    return prompts.render("refusal")


def with_reports(refusal: str, chosen: Sequence[Scored]) -> str:
    """A refusal followed by what the articles themselves report."""
    return prompts.render("reported", refusal=refusal, quotes=body(chosen))


def outdated_text(date: str) -> str:
    return prompts.render("outdated", date=date)
