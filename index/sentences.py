"""The project's one sentence splitter: exact sentence spans of an article's cleaned text.

Paragraphs are the lines of the cleaned text; each is split by NLTK's Punkt model (shipped with
llama-index). Punkt cuts after "!" or "?" even when the sentence goes on (`"Stop!" he said.`);
a piece that starts in lower case is joined back to the sentence before it.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_LINE = re.compile(r"[^\n]+")


@dataclass(frozen=True)
class Sentence:
    """One sentence: `text == article_text[start:end]`, in paragraph `para` (a line)."""

    start: int
    end: int
    para: int
    text: str


CACHE = 1024  # articles whose sentences are kept
_cache: OrderedDict[str, tuple[Sentence, ...]] = OrderedDict()
_lock = threading.Lock()


def split_sentences(text: str) -> tuple[Sentence, ...]:
    """The sentences of `text` with their spans, paragraph by paragraph, in order (cached)."""
    with _lock:
        hit = _cache.get(text)
        if hit is not None:
            _cache.move_to_end(text)
            return hit
    out = _split(text)
    _keep(text, out)
    return out


def remember(text: str, spans: Iterable[tuple[int, int]]) -> None:
    """Take the sentences of `text` from spans this splitter gave at ingest (the index stores
    them with the sentence vectors), so that serving does not run Punkt again."""
    with _lock:
        if text in _cache:
            return
    starts = [m.start() for m in _LINE.finditer(text) if m.group().strip()]
    out = tuple(
        Sentence(int(a), int(b), bisect.bisect_right(starts, int(a)) - 1, text[a:b])
        for a, b in spans
    )
    _keep(text, out)


def clear_cache() -> None:
    """Forget every article's sentences (benchmarks measure the splitter from cold)."""
    with _lock:
        _cache.clear()


def _keep(text: str, sentences: tuple[Sentence, ...]) -> None:
    with _lock:
        _cache[text] = sentences
        while len(_cache) > CACHE:
            _cache.popitem(last=False)


def _split(text: str) -> tuple[Sentence, ...]:
    out: list[Sentence] = []
    para = -1
    for line in _LINE.finditer(text):
        if not line.group().strip():
            continue
        para += 1
        spans: list[list[int]] = []
        for i, j in _punkt().span_tokenize(line.group()):
            a, b = i + line.start(), j + line.start()
            if spans and _continues(text[a]):
                spans[-1][1] = b
            else:
                spans.append([a, b])
        out.extend(Sentence(a, b, para, text[a:b]) for a, b in spans)
    return tuple(out)


def _continues(first: str) -> bool:
    """Whether a piece starting with `first` carries on the previous sentence."""
    return first.islower() or first in ",;:)]”’"


@lru_cache(maxsize=1)
def _punkt() -> Any:
    from llama_index.core.utils import globals_helper
    from nltk.tokenize import PunktTokenizer

    globals_helper.wait_for_nltk_check()  # puts llama-index's bundled NLTK data on the path
    return PunktTokenizer("english")
