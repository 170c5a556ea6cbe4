"""Typographic folding, and finding a quote in an article up to typography only."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Typographic equivalence classes, folded to one character each.
_QUOTE_CHARS = "\"'`´‘’‚‛“”„‟«»‹›′″"
_DASH_CHARS = "-‐‑‒–—―−⁃"
_DROPPED = {"\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}  # soft hyphen, zero-widths
_EXPAND = {"…": "...", "ﬁ": "fi", "ﬂ": "fl"}


# -- typographic folding --------------------------------------------------------------------


@dataclass(frozen=True)
class Folded:
    """A folded text and, per folded character, the span of original text it came from."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, i: int, j: int) -> tuple[int, int]:
        """The original span of folded characters i..j (exclusive)."""
        return self.starts[i], self.ends[j - 1]


@lru_cache(maxsize=64)
def fold(text: str) -> Folded:
    """Fold typographic differences: all quote marks to ', all dashes (with the spaces around
    them) to -, whitespace runs to one space, diacritics and zero-width characters dropped,
    … to ..., letter case folded."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for pos, ch in enumerate(text):
        if ch in _DROPPED or unicodedata.combining(ch):
            if ends:
                ends[-1] = pos + 1
            continue
        if ch.isspace():
            if chars and chars[-1] in " -":
                ends[-1] = pos + 1
                continue
            out = " "
        elif ch in _QUOTE_CHARS:
            out = "'"
        elif ch in _DASH_CHARS:
            if chars and chars[-1] == "-":
                ends[-1] = pos + 1
                continue
            if chars and chars[-1] == " ":  # "a — b" folds like "a—b"
                chars[-1] = "-"
                ends[-1] = pos + 1
                continue
            out = "-"
        elif ch in _EXPAND:
            out = _EXPAND[ch]
        else:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
            )
            out = base.casefold() if base else ch.casefold()
        for c in out:
            chars.append(c)
            starts.append(pos)
            ends.append(pos + 1)
    return Folded("".join(chars), tuple(starts), tuple(ends))


def find_quote(
    quote: str, text: str, prefer: tuple[int, int] | None = None
) -> tuple[int, int] | None:
    """Where `quote` stands in `text` up to typographic differences, as an exact span of `text`;
    an occurrence overlapping `prefer` wins. None when it is not there (or is empty)."""
    hay = fold(text)
    for candidate in _quote_variants(quote):
        spans = []
        i = hay.text.find(candidate)
        while i != -1:
            spans.append(hay.span(i, i + len(candidate)))
            i = hay.text.find(candidate, i + 1)
        if not spans:
            continue
        if prefer:
            for s, e in spans:
                if s < prefer[1] and prefer[0] < e:
                    return s, e
        return spans[0]
    return None


def _quote_variants(quote: str) -> list[str]:
    """The folded quote, then without the punctuation a quoting sentence may add around it."""
    core = fold(quote).text.strip(" ")
    if not core.strip(" '.,;:!?-"):
        return []
    out = [core]
    trimmed = core.rstrip(" .,;:").lstrip(" ")
    trimmed = re.sub(r"\A(?:\.\.\.)\s*|\s*(?:\.\.\.)\Z", "", trimmed).strip(" .,;:")
    if trimmed and trimmed != core:
        out.append(trimmed)
    return out
