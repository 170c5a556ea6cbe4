"""What a question asks, in terms every later step can use without rules about its wording.

- `terms` and their weights: the question's index terms (folded, stemmed: see `lexical`),
  weighted by how rare they are in the index. Terms the index does not hold at all ("lol",
  "abt", "wat") weigh nothing, so slang and typos cost no coverage.
- `kind`: the kind of answer its first words ask for (a number, a time, a person, a place).
- `mentions`: short runs of its words, for the quote index to resolve to a speaker (a name, a
  surname in any spelling, or a role such as "the Polish interior minister").
- `years`: years it names, so an answer from older articles is not passed off as current.
- `names`: the terms of its capitalised words after the first: the names it is about, which an
  article that answers it will mention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.lexical import STOPWORDS, fold, terms, words

MAX_MENTION_WORDS = 4
_YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")
# The answer kind, from the question's opening words (after any "so"/"yo"/"and" chat lead-in).
_KINDS = (
    ("count", re.compile(r"\bhow (?:many|much|old|far|often|long)\b")),
    ("time", re.compile(r"(?:when|what (?:date|day|year|time)|on what (?:date|day))\b")),
    ("person", re.compile(r"(?:who|whom|whose)\b")),
    ("place", re.compile(r"(?:where|in what (?:city|country|place))\b")),
)
KINDS = ("count", "time", "person", "place", "other")


@dataclass(frozen=True)
class Question:
    text: str
    kind: str  # one of KINDS
    terms: tuple[str, ...]  # content terms, in order, once each
    mentions: tuple[str, ...]  # word runs that may name a speaker, longest first
    years: tuple[int, ...]
    names: tuple[str, ...] = ()


def analyze(question: str) -> Question:
    """Parse `question` into the parts the answer path uses."""
    low = " ".join(fold(question).split())
    return Question(
        text=question,
        kind=_kind(low),
        terms=tuple(dict.fromkeys(terms(question))),
        mentions=_mentions(question),
        years=tuple(sorted({int(y) for y in _YEAR.findall(question)})),
        names=_names(question),
    )


def _names(question: str) -> tuple[str, ...]:
    """Index terms of the capitalised words that do not open the question."""
    tokens = re.findall(r"[\w’'-]+", question)
    capital = [w for w in tokens[1:] if w[0].isupper() and w != "I"]
    return tuple(dict.fromkeys(t for w in capital for t in terms(w)))


def _kind(low: str) -> str:
    for kind, pattern in _KINDS:
        if kind == "count":
            if pattern.search(low[:40]):
                return kind
            continue
        # the wh-word may follow a short chat lead-in ("so who said ...")
        for start in (0, *[m.end() for m in re.finditer(r"\s", low[:12])]):
            if pattern.match(low, start):
                return kind
    return "other"


def _mentions(question: str) -> tuple[str, ...]:
    """Runs of up to MAX_MENTION_WORDS consecutive non-stopwords, longest first."""
    runs: list[list[str]] = [[]]
    for w in re.findall(r"[\w’'.-]+", question):
        if fold(w).strip("'’.") in STOPWORDS or not words(w):
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(w.strip("'’.").removesuffix("'s").removesuffix("’s"))
    out: list[str] = []
    for run in runs:
        for n in range(min(MAX_MENTION_WORDS, len(run)), 0, -1):
            for i in range(len(run) - n + 1):
                out.append(" ".join(run[i : i + n]))
    return tuple(dict.fromkeys(out))
