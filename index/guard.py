"""Questions newsdesk cannot serve, turned down before any search: text in another language,
and questions none of whose words the articles use ("xxxx", "bob").

Both checks use generic signals: the Unicode script of the letters, word frequencies in the
languages `wordfreq` knows, and the words of the serving index. Also cleans what cannot be
text (lone surrogates, control characters) out of a question.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from wordfreq import available_languages, zipf_frequency

import prompts
from index.lexical import FUZZY_MIN_LEN, STOPWORDS, LexicalIndex, fold, words
from index.models import Answer

log = logging.getLogger(__name__)

ENGLISH = "en"
MIN_WORDS_FOR_LANGUAGE = 3  # shorter questions are too short to tell their language by
WORDLIST = "small"  # wordfreq's lists of each language's commonest words (~1 MB each)
_WORD = re.compile(r"[^\W\d_]+")


def clean(question: str) -> str:
    """`question` without lone surrogates and control characters, whitespace collapsed."""
    kept = (
        " " if unicodedata.category(c) == "Cc" else c
        for c in question
        if unicodedata.category(c) != "Cs"
    )
    return " ".join("".join(kept).split())


def check(question: str, lexical: LexicalIndex) -> Answer | None:
    """A refusal for a question newsdesk cannot serve, or None to answer it."""
    if not _english(question, lexical):
        log.info("turned down a question not in English")
        return _refusal(question, "refusal_language")
    if not _informative(question, lexical):
        log.info("turned down a question with no word of the index")
        return _refusal(question, "refusal_nonsense")
    return None


def warm_up() -> None:
    """Load the English word list now, so the first question is as fast as the rest."""
    zipf_frequency("news", ENGLISH)


def _refusal(question: str, template: str) -> Answer:
    return Answer(
        question=question, text=prompts.render(template).strip(), refused=True, mode="extractive"
    )


def _english(question: str, lexical: LexicalIndex) -> bool:
    """False when the question is written in another script, or its words are another
    language's more than English's (names the index knows count for neither)."""
    letters = [c for c in question if c.isalpha()]
    if not letters:
        return True
    latin = sum(1 for c in letters if unicodedata.name(c, "").startswith("LATIN"))
    if latin * 2 < len(letters):
        return False
    tokens = [t.lower() for t in _WORD.findall(question)]
    unknown = [
        t for t in tokens if zipf_frequency(t, ENGLISH) == 0 and fold(t) not in lexical.words
    ]
    if not unknown or len(tokens) < MIN_WORDS_FOR_LANGUAGE:
        return True
    scores = {
        lang: sum(zipf_frequency(t, lang, wordlist=WORDLIST) for t in tokens)
        for lang in _languages()
    }
    best = max(scores, key=lambda lang: scores[lang])
    return best == ENGLISH or scores[best] <= scores[ENGLISH]


@cache
def _languages() -> tuple[str, ...]:
    """The languages wordfreq can score here (some need tokenizers that are not installed)."""
    usable = []
    for lang in sorted(available_languages("small")):
        try:
            zipf_frequency("a", lang, wordlist=WORDLIST)
        except Exception as exc:  # e.g. Japanese needs MeCab
            log.debug("no word frequencies for %s: %s", lang, exc)
            continue
        usable.append(lang)
    return tuple(usable)


def _informative(question: str, lexical: LexicalIndex) -> bool:
    """Whether any content word of the question is a word of the index, or one edit from
    one (a typo of a name). Folding joins spellings ("Vučić", "Vucic") but never shortens a
    word here, so "xxxx" does not pass for "x"."""
    content = [w for w in words(question) if w not in STOPWORDS]
    for w in content:
        if w in lexical.words:
            return True
    vocabulary = _vocabulary(lexical)
    for w in content:
        if len(w) >= FUZZY_MIN_LEN and process.extractOne(
            w, vocabulary, scorer=Levenshtein.distance, score_cutoff=1
        ):
            return True
    return False


_VOCABULARY: dict[int, tuple[LexicalIndex, list[str]]] = {}


def _vocabulary(lexical: LexicalIndex) -> list[str]:
    """The index's words as a list for fuzzy matching, built once per index."""
    held = _VOCABULARY.get(id(lexical))
    if held is None or held[0] is not lexical:
        _VOCABULARY.clear()  # one serving index at a time; the last one's list goes
        held = (lexical, sorted(w for w in lexical.words if len(w) >= FUZZY_MIN_LEN - 1))
        _VOCABULARY[id(lexical)] = held
    return held[1]
