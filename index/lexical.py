"""Lexical matching: one normaliser for BM25, question analysis and sentence scoring.

Names in translated news come in several spellings ("Vučić", "Vucic"; "Rutte", "Rute";
"defence", "defense"). Tokens are folded to ASCII, lower-cased, stemmed, and doubled letters
collapse, so most variants meet; the rest are caught at query time by expanding each query term
to the index's terms one edit away.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

import bm25s
import numpy as np
import Stemmer
from rapidfuzz.distance import Levenshtein

# bm25s sets its own logger to DEBUG on import; keep its per-index chatter out of our logs.
logging.getLogger("bm25s").setLevel(logging.WARNING)

_TOKEN = re.compile(r"[a-z0-9]+")
_DOUBLE = re.compile(r"([a-z])\1+")
# Letters that Unicode does not decompose into an ASCII base letter.
_FOLD_EXTRA = str.maketrans(
    {
        "đ": "d",
        "Đ": "D",
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ı": "i",
        "’": "'",
    }
)
FUZZY_MIN_LEN = 5  # shorter terms are too easily one edit from another word
MAX_VARIANTS = 8  # spellings one edit away that a query term expands to, itself included

STOPWORDS = frozenset(
    (
        "a about above after again against all also am an and any are as at be because been before "
        "being below between both but by can could did do does doing down during each few for from "
        "further had has have having he her here hers herself him himself his how i if in into is "
        "it its itself just me more most my myself no nor not now of off on once only or other our "
        "ours ourselves out over own same she should so some such than that the their theirs them "
        "themselves then there these they this those through to too under until up very was we were "
        "what when where which while who whom why will with would you your yours yourself "
        "yourselves s t d ll m re ve y according"
    ).split()
)

_stemmer = Stemmer.Stemmer("english")

# Irregular verb forms the stemmer cannot join to their base ("sent" -> "send").
_IRREGULAR = {
    form: base
    for base, forms in {
        "be": "was were been",
        "begin": "began begun",
        "break": "broke broken",
        "bring": "brought",
        "build": "built",
        "buy": "bought",
        "catch": "caught",
        "choose": "chose chosen",
        "come": "came",
        "do": "did done",
        "draw": "drew drawn",
        "drive": "drove driven",
        "eat": "ate eaten",
        "fall": "fell fallen",
        "feel": "felt",
        "fight": "fought",
        "find": "found",
        "fly": "flew flown",
        "forget": "forgot forgotten",
        "get": "got gotten",
        "give": "gave given",
        "go": "went gone",
        "grow": "grew grown",
        "have": "had has",
        "hear": "heard",
        "hold": "held",
        "keep": "kept",
        "know": "knew known",
        "lead": "led",
        "leave": "left",
        "lend": "lent",
        "lose": "lost",
        "make": "made",
        "mean": "meant",
        "meet": "met",
        "pay": "paid",
        "rise": "rose risen",
        "run": "ran",
        "say": "said says",
        "see": "saw seen",
        "seek": "sought",
        "sell": "sold",
        "send": "sent",
        "shoot": "shot",
        "speak": "spoke spoken",
        "spend": "spent",
        "stand": "stood",
        "steal": "stole stolen",
        "strike": "struck",
        "swear": "swore sworn",
        "take": "took taken",
        "teach": "taught",
        "tell": "told",
        "think": "thought",
        "throw": "threw thrown",
        "understand": "understood",
        "win": "won",
        "write": "wrote written",
    }.items()
    for form in forms.split()
}


class _NoCombining(dict[int, int | None]):
    """A `str.translate` table that drops combining marks and keeps the rest (memoized)."""

    def __missing__(self, cp: int) -> int | None:
        value = None if unicodedata.combining(chr(cp)) else cp
        self[cp] = value
        return value


_NO_COMBINING = _NoCombining()


def fold(text: str) -> str:
    """ASCII-fold and lower-case: "Vučić" -> "vucic"."""
    # translate() instead of a per-character generator: same result, ~2x faster (BM25 build).
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_EXTRA))
    return decomposed.translate(_NO_COMBINING).lower()


@lru_cache(maxsize=200_000)
def normalize_word(word: str) -> str:
    """A folded word's index term: stemmed, doubled letters collapsed, a final e dropped, so
    that spelling variants meet ("Rutte", "Rute" -> "rut"; "meeting", "met" -> "met")."""
    term = _DOUBLE.sub(r"\1", _stemmer.stemWord(_IRREGULAR.get(word, word)))
    return term[:-1] if len(term) > 3 and term.endswith("e") else term


def words(text: str) -> list[str]:
    """Folded words, stopwords kept."""
    return _TOKEN.findall(fold(text))


def terms(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """Index terms of `text`, in order."""
    return [normalize_word(w) for w in words(text) if keep_stopwords or w not in STOPWORDS]


class LexicalIndex:
    """BM25 over a fixed list of passages, with fuzzy query-term expansion."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.size = len(texts)
        self._bm25 = bm25s.BM25()
        seen: set[str] = set()  # every folded word of the passages, stopwords and all
        corpus = []
        for t in texts:
            ws = words(t)
            seen.update(ws)
            corpus.append([normalize_word(w) for w in ws if w not in STOPWORDS] or ["\u2205"])
        self.words = frozenset(seen)
        if corpus:
            self._bm25.index(corpus, show_progress=False)
        self._vocab: dict[str, int] = dict(self._bm25.vocab_dict) if corpus else {}
        # sorted: bm25s builds its vocabulary from a set, whose order changes with every
        # process (string hashing); `expand` keeps the first of tied variants, and answers
        # must not change with a restart
        self._near = OneEdit(sorted(self._vocab))
        self._doc_freq = self._doc_frequencies() if corpus else {}

    def _doc_frequencies(self) -> dict[str, int]:
        indptr = self._bm25.scores["indptr"]
        counts = np.diff(indptr)
        return {t: int(counts[i]) for t, i in self._vocab.items() if i < len(counts)}

    def doc_freq(self, term: str) -> int:
        return self._doc_freq.get(term, 0)

    def expand(self, term: str) -> list[tuple[str, float]]:
        """`term` and the index's terms one edit away, with weights (1.0 exact, 0.7 variant)."""
        found = [(term, 1.0)] if term in self._vocab else []
        if len(term) >= FUZZY_MIN_LEN:
            near = self._near.near(term)[:MAX_VARIANTS]
            found += [(o, 0.7) for o in near if o != term and len(o) >= FUZZY_MIN_LEN - 1]
        return found

    def scores(self, query_terms: Iterable[str]) -> np.ndarray:
        """BM25 score of every passage for the query terms (variants included, down-weighted)."""
        total = np.zeros(self.size, dtype=np.float32)
        if not self.size:
            return total
        for term in dict.fromkeys(query_terms):
            for variant, weight in self.expand(term):
                total += weight * self._bm25.get_scores([variant])
        return total

    def top(self, query_terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The best `k` passages as (position, score), best first; zero scores left out."""
        s = self.scores(query_terms)
        if not self.size:
            return []
        k = min(k, self.size)
        idx = np.argpartition(-s, k - 1)[:k]
        idx = idx[np.argsort(-s[idx])]
        return [(int(i), float(s[i])) for i in idx if s[i] > 0]


class OneEdit:
    """The words of a fixed list within one edit (Levenshtein) of a given word, found without
    a scan of the list: two words one edit apart share a key among each word and its
    single-letter deletions (the symmetric-delete method). Keys are kept as sorted hashes, so a
    vocabulary of 100k words costs a few MB; every hit is checked with the real distance."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = list(words)
        keys: list[int] = []
        owners: list[int] = []
        for n, w in enumerate(self.words):
            for k in _deletions(w):
                keys.append(hash(k))
                owners.append(n)
        order = np.argsort(np.asarray(keys, dtype=np.int64), kind="stable")
        self._keys = np.asarray(keys, dtype=np.int64)[order]
        self._owners = np.asarray(owners, dtype=np.int32)[order]

    def near(self, word: str) -> list[str]:
        """Words at distance 0 or 1 from `word`: the word itself first, then in list order."""
        if not self.words:
            return []
        probe = np.asarray([hash(k) for k in _deletions(word)], dtype=np.int64)
        lo = np.searchsorted(self._keys, probe, "left")
        hi = np.searchsorted(self._keys, probe, "right")
        ids = sorted({int(i) for a, b in zip(lo, hi, strict=True) for i in self._owners[a:b]})
        hits = [(Levenshtein.distance(word, self.words[i], score_cutoff=1), i) for i in ids]
        return [self.words[i] for d, i in sorted(hits) if d <= 1]


def _deletions(word: str) -> set[str]:
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def fuzzy_equal(a: str, b: str) -> bool:
    """Two index terms that name the same thing in different spellings."""
    if a == b:
        return True
    if min(len(a), len(b)) < FUZZY_MIN_LEN:
        return False
    return Levenshtein.distance(a, b, score_cutoff=1) <= 1
