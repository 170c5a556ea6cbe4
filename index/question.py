"""What a question asks, in terms every later step can use without rules about its wording.

- `terms` and their weights: the question's index terms (folded, stemmed: see `lexical`),
  weighted by how rare they are in the index. Terms the index does not hold at all ("lol",
  "abt", "wat") weigh nothing, so slang and typos cost no coverage.
- `kind`: the kind of answer its first words ask for (a number, a time, a person, a place).
- `mentions`: short runs of its words, for the quote index to resolve to a speaker (a name, a
  surname in any spelling, or a role such as "the Polish interior minister").
- `speaker_slot`: when it asks what someone said (a verb of saying, as the quote index reads
  articles), the mentions in that verb's subject ("what did *the IMF's managing director*
  say", "according to *X*"): only they may name the speaker; empty for "who said".
- `years`: years it names, so an answer from older articles is not passed off as current.
- `names`: the terms of its capitalised words after the first: the names it is about, which an
  article that answers it will mention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.attribution import REPORTING_VERBS
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
    # mentions in the subject of its verb of saying; None when it has none
    speaker_slot: tuple[str, ...] | None = None


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
        speaker_slot=_speaker_slot(question),
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


def _runs(tokens: list[str]) -> list[tuple[int, int, list[str]]]:
    """The runs of consecutive non-stopwords among `tokens`: (first, end, words)."""
    runs: list[tuple[int, int, list[str]]] = []
    for i, w in enumerate(tokens):
        if fold(w).strip("'’.") in STOPWORDS or not words(w):
            continue
        word = w.strip("'’.").removesuffix("'s").removesuffix("’s")
        if runs and runs[-1][1] == i:
            runs[-1] = (runs[-1][0], i + 1, [*runs[-1][2], word])
        else:
            runs.append((i, i + 1, [word]))
    return runs


def _mentions(question: str) -> tuple[str, ...]:
    """Runs of up to MAX_MENTION_WORDS consecutive non-stopwords, longest first."""
    return _sub_runs([r for _, _, r in _runs(_tokens(question))])


def _speaker_slot(question: str) -> tuple[str, ...] | None:
    """The mentions of the run of words right before the question's first verb of saying
    ("what did *the IMF's managing director* say"), or right after "according to" (an article
    word between them allowed); () when that place holds no such run ("who said"); None when
    the question has neither."""
    tokens = _tokens(question)
    low = [fold(w).strip("'’.") for w in tokens]
    for i, w in enumerate(low):
        if w == "according" and low[i + 1 : i + 2] == ["to"]:
            after = [r for r in _runs(tokens[i + 2 :]) if r[0] <= 1]
            return _head_first(after[0][2]) if after else ()
        if w in REPORTING_VERBS and i:
            before = [r for r in _runs(tokens[:i]) if r[1] == i]
            return _head_first(before[0][2]) if before else ()
    return None


def _head_first(run: list[str]) -> tuple[str, ...]:
    """A noun phrase's mentions, those that end with its head (last) word first, longest first:
    "IMF managing director", "managing director", "director", then the rest."""
    run = run[-MAX_MENTION_WORDS:]
    heads = [" ".join(run[i:]) for i in range(len(run))]
    return tuple(dict.fromkeys([*heads, *_sub_runs([run])]))


def _tokens(question: str) -> list[str]:
    return re.findall(r"[\w’'.-]+", question)


def _sub_runs(runs: list[list[str]]) -> tuple[str, ...]:
    """Every stretch of up to MAX_MENTION_WORDS words of each run, longest first."""
    out: list[str] = []
    for run in runs:
        for n in range(min(MAX_MENTION_WORDS, len(run)), 0, -1):
            for i in range(len(run) - n + 1):
                out.append(" ".join(run[i : i + n]))
    return tuple(dict.fromkeys(out))
