"""Page furniture removal: every rule that decides what of a scraped page is not the article.

Cleaning only ever drops whole lines; it never edits the characters of a kept line, so every
sentence of the cleaned text stands verbatim in the source file too. Each rule has a name so
that a test (and a person) can see which rule dropped what.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_I = re.IGNORECASE


@dataclass(frozen=True)
class LineRule:
    """Drop a line for which `test` holds (given the stripped line); with `drop_next`, also
    the next non-empty line (the teaser headline under "Read more")."""

    name: str
    test: Callable[[str], bool]
    drop_next: bool = False


def _rule(name: str, pattern: str, *, drop_next: bool = False) -> LineRule:
    """A rule that drops lines matching `pattern` as a whole, ignoring case."""
    return LineRule(name, re.compile(rf"(?:{pattern})\Z", _I).match, drop_next)  # type: ignore[arg-type]


_STRAY_WORDY = re.compile(r"[A-Za-z]{4,}")


def _is_stray_id(line: str) -> bool:
    """Token lines like `655cdc6885f5405cc909c793 Us0eb6`; not a word like `2025` or `COVID19`."""
    tokens = line.split()
    if not tokens:
        return False
    noisy = 0
    for tok in tokens:
        letters = sum(c.isalpha() for c in tok)
        digits = sum(c.isdigit() for c in tok)
        mixed_case = any(c.isupper() for c in tok[1:]) and any(c.islower() for c in tok)
        if (len(tok) >= 16 and re.fullmatch(r"[0-9a-f]+", tok)) or (
            letters and digits and (mixed_case or digits >= 2) and not _STRAY_WORDY.search(tok)
        ):
            noisy += 1
    return noisy == len(tokens)


# Whole-line rules, matched against the stripped line. Keep them specific: an article sentence
# must never match.
LINE_RULES: tuple[LineRule, ...] = (
    # Subscription and login prompts.
    _rule("paywall", r"to get full access to all content of interest see our"),
    _rule("paywall", r"subscription offer|subscribe( now| today)?[.!]?|or|register for free"),
    _rule("paywall", r"and read up to \d+ articles each month\.?"),
    _rule("paywall", r"already have an account\?.*log ?in\.?"),
    _rule("paywall", r"(please )?(log ?in|sign ?in|sign up)( to .{0,60})?[.!]?"),
    # Comment widgets.
    _rule("comments", r"leave a (reply|comment)"),
    _rule("comments", r"your email address will not be published\..*"),
    _rule("comments", r"\d[\d.,kKmM]*\s+views?\s+\d+\s+comments?(\(s\))?"),
    _rule("comments", r"\d+ comments?(\(s\))?"),
    # View counters such as "6:14 PM · Mar 19, 2025 · **21.7K** Views".
    _rule("counter", r".{0,60}·\s*\**[\d.,]+[kKmM]?\**\s+views?"),
    _rule("counter", r"\**[\d.,]+[kKmM]?\**\s+(views?|shares?|likes?)"),
    # Media furniture.
    _rule("media", r"bonus video:?|watch( the)? video:?|video:?"),
    _rule("media", r"(photo|photos|image|foto)( credit)?\s*:.{0,80}"),
    _rule("media", r"(share|share this|share on|tweet|email|print)(\s*[:|]?\s*)"),
    _rule("media", r"(facebook|twitter|x|whatsapp|telegram|linkedin|viber)"),
    # Teasers of other stories: "Read more" and the headline under it.
    _rule(
        "teaser", r"(read more|read also|see also|related( articles?)?|also read):?", drop_next=True
    ),
    _rule("teaser", r"(read more|read also|see also|also read):\s*.+"),
    # Hashtag lists and tag clouds.
    _rule("hashtags", r"(#[\w-]+\s*)+"),
    _rule("hashtags", r"tags?:\s*.*"),
    # Disclaimers that speak about the page, not the news.
    _rule("disclaimer", r"disclaimer:.*"),
    _rule("disclaimer", r"this material is distributed by .{0,200} on behalf of .*"),
    # Site navigation left at the top of a page.
    _rule("navigation", r"search|menu|home|skip to (main )?content|advertisement|ad"),
    # Stray ids: a line made only of tokens with digits mixed into hex or base62 noise.
    LineRule("stray-id", _is_stray_id),
)


@dataclass(frozen=True)
class Dropped:
    """A line that cleaning removed, and the rule that removed it."""

    line_no: int
    rule: str
    text: str


@dataclass(frozen=True)
class Cleaned:
    text: str
    dropped: tuple[Dropped, ...]


def clean(raw: str) -> Cleaned:
    """Drop page furniture and duplicate paragraphs; keep every article line as it is."""
    lines = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    keep: list[str] = []
    dropped: list[Dropped] = []
    seen: set[str] = set()
    skip_next = False
    for no, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped:
            keep.append("")
            continue
        if skip_next:
            skip_next = False
            dropped.append(Dropped(no, "teaser", stripped))
            continue
        rule = _match(stripped)
        if rule is not None:
            dropped.append(Dropped(no, rule.name, stripped))
            skip_next = rule.drop_next
            continue
        if len(stripped) > 80 and stripped in seen:
            # Scraped pages often repeat the lead paragraph as a teaser.
            dropped.append(Dropped(no, "duplicate", stripped))
            continue
        seen.add(stripped)
        keep.append(stripped)
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(keep)).strip()
    return Cleaned(text, tuple(dropped))


def _match(stripped: str) -> LineRule | None:
    return next((rule for rule in LINE_RULES if rule.test(stripped)), None)
