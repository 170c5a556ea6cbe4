"""The project's one sentence splitter: exact sentence spans of an article's cleaned text.

Paragraphs are the lines of the cleaned text; each is split by NLTK's Punkt model (shipped with
llama-index). Punkt cuts after "!" or "?" even when the sentence goes on (`"Stop!" he said.`);
a piece that starts in lower case is joined back to the sentence before it.
"""

from __future__ import annotations

import re
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


@lru_cache(maxsize=1024)
def split_sentences(text: str) -> tuple[Sentence, ...]:
    """The sentences of `text` with their spans, paragraph by paragraph, in order."""
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
