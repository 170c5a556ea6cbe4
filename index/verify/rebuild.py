"""Rebuilding the answer from the sentences that survived: quotes in the article's exact
characters, citations numbered [1..k] in order of first appearance, one per quoted span."""

from __future__ import annotations

import re
from collections.abc import Sequence

from index.models import Citation
from index.verify.quotes import Found, QuoteCheck
from index.verify.reply import Parsed


def rebuild(
    parsed: Parsed,
    keep: Sequence[tuple[int, int]],
    checks: Sequence[QuoteCheck],
    claims: dict[int, list[Found]],
) -> tuple[str, list[Citation]]:
    """The text of the kept sentences and its citations."""
    reply, quotes, markers = parsed.text, parsed.quotes, parsed.markers
    numbers: dict[tuple[str, int, int], int] = {}
    citations: list[Citation] = []

    def cite(f: Found) -> str:
        key = (f.passage.article.id, f.start, f.end)
        if key not in numbers:
            numbers[key] = len(citations) + 1
            citations.append(Citation(numbers[key], f.passage.article, f.exact, f.start, f.end))
        return f"[{numbers[key]}]"

    parts: list[tuple[str, str]] = []  # (separator before, sentence)
    prev_end = 0  # where the previous kept sentence's text ends
    for s0, s1 in keep:
        events: list[tuple[int, int, str, int]] = []  # (start, end, kind, index)
        events += [(q.start, q.end, "q", qi) for qi, q in enumerate(quotes) if s0 <= q.start < s1]
        events += [(m.start, m.end, "m", mi) for mi, m in enumerate(markers) if s0 <= m.start < s1]
        events.sort()
        out = []
        pos = s0
        for a, b, kind, idx in events:
            if a < pos:
                continue
            out.append(reply[pos:a])
            if kind == "q":
                f = checks[idx].found
                assert f is not None
                q = quotes[idx]
                out.append(f"{reply[q.start]}{f.exact}{reply[q.end - 1]} {cite(f)}")
            else:
                out.append("".join(cite(f) for f in claims.get(idx, [])))
            pos = b
        out.append(reply[pos:s1])
        raw = reply[s0:s1]
        gap = reply[prev_end : s0 + len(raw) - len(raw.lstrip())]
        sep = "\n\n" if "\n\n" in gap else "\n" if "\n" in gap else " "
        parts.append((sep, tidy("".join(out)).strip()))
        prev_end = s0 + len(raw.rstrip())
    text = "".join(sep + body for sep, body in parts if body).strip()
    return text, citations


def tidy(sentence: str) -> str:
    """Spaces left by removed markers: none before punctuation, one between words."""
    sentence = re.sub(r"[ \t]+([.,;:!?)])", r"\1", sentence)
    return re.sub(r"[ \t]{2,}", " ", sentence)
