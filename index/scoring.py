"""The answer scorer: how likely each candidate is to be what the question asks for.

Features are generic signals, the same for any article and any wording:

- dense similarity of the question to the candidate's sentences, alone and with their
  neighbours as context (stored sentence vectors: the query costs one embedding);
- lexical coverage of the question's terms, weighted by rarity in the index, with spelling
  variants one edit away (`lexical`), in the candidate and in its neighbourhood;
- whether the quote index gives the candidate the speaker the question names, another
  speaker, or none;
- whether it holds the kind of thing asked for (a number, a time, a name, quoted words);
- its standing among the other candidates and in retrieval.

A logistic regression over them, fitted on part of the development questions by
`python -m index.fit_scorer`, gives a probability; `weights/answer_scorer.json` holds the
fitted weights and the refusal threshold, with the split they were fitted on.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
from rapidfuzz.distance import Levenshtein

from index.candidates import Candidate, sentence_terms
from index.lexical import STOPWORDS, LexicalIndex, fold, terms
from index.question import Question
from index.sentences import split_sentences
from index.sentvec import SentenceVectors

WEIGHTS_FILE = "answer_scorer.json"
SPEAKER_MATCH = 0.7  # quote-index score from which a mention is taken to name a speaker

FEATURES = (
    "dense",
    "dense_ctx",
    "dense_gap",
    "dense_article_gap",
    "dense_topic",
    "dense_topic_ctx",
    "dense_topic_gap",
    "lex",
    "lex_ctx",
    "lex_gap",
    "lex_article",
    "missing_rare",
    "missing_name",
    "speaker_same",
    "speaker_other",
    "speaker_asked",
    "person_named",
    "kind_count_number",
    "kind_time_time",
    "kind_person_name",
    "kind_place_name",
    "kind_mismatch",
    "quoted",
    "quoted_speaker_q",
    "rank",
    "lead",
    "log_chars",
)
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
    r"thirty|forty|fifty|hundred|thousand|million|billion|dozens?|half)\b",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\b(?:mon|tues|wednes|thurs|"
    r"fri|satur|sun)day\b|\b(?:19|20)\d\d\b|\b(?:yesterday|today|tomorrow|week|month|year)s?\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"(?<=[a-z,;:] )[A-Z][\w’'-]+(?: [A-Z][\w’'-]+)*")


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    probability: float


@dataclass(frozen=True)
class Model:
    """Fitted weights over FEATURES, with the refusal threshold and the fit's provenance."""

    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray
    threshold: float
    second_ratio: float  # further quotes must reach this share of the best one's probability
    info: dict[str, Any]

    def probability(self, x: np.ndarray) -> np.ndarray:
        if not len(x):
            return np.zeros(0)
        z = ((x - self.mean) / self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.info.get("version", 1),
            "features": list(FEATURES),
            "weights": [round(float(w), 6) for w in self.weights],
            "bias": round(self.bias, 6),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "threshold": round(self.threshold, 4),
            "second_ratio": round(self.second_ratio, 4),
            "info": self.info,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Model:
        if list(d["features"]) != list(FEATURES):
            raise ValueError(
                "the answer scorer's weights were fitted on other features: "
                "run `python -m index.fit_scorer` again"
            )
        return cls(
            np.asarray(d["weights"], dtype=np.float64),
            float(d["bias"]),
            np.asarray(d["mean"], dtype=np.float64),
            np.asarray(d["scale"], dtype=np.float64),
            float(d["threshold"]),
            float(d["second_ratio"]),
            dict(d.get("info", {})),
        )


def unfitted() -> Model:
    """A model that scores every candidate 0.5: what feature extraction runs with, before
    there are weights for the current features."""
    n = len(FEATURES)
    return Model(np.zeros(n), 0.0, np.zeros(n), np.ones(n), 0.5, 1.0, {})


@cache
def fitted() -> Model:
    """The packaged fitted model."""
    raw = resources.files("index.weights").joinpath(WEIGHTS_FILE).read_text(encoding="utf-8")
    return Model.from_json(json.loads(raw))


@dataclass
class Context:
    """What features need beyond the candidates: the question, its vector, the index."""

    question: Question
    vector: np.ndarray
    lexical: LexicalIndex
    article_text: Callable[[str], str]
    sentence_vectors: dict[str, SentenceVectors]
    speaker: str | None  # the speaker the question names, resolved by the quote index
    # the question without the words naming its speaker: what it asks about them (the
    # question's own vector when it names nobody)
    topic_vector: np.ndarray | None = None


def asked_speaker(
    question: Question,
    quotes: Any | None,
    article_ids: Sequence[str],
    article_text: Callable[[str], str] | None = None,
) -> tuple[str, str] | None:
    """The speaker a question's words name, per the quote index, with the words that name
    them (None if none does).

    A question that asks what someone said names them in the subject of its verb of saying
    (`Question.speaker_slot`): the first of those mentions, head first, that the index
    resolves is the speaker, and a subject it cannot resolve (or "who said") names nobody;
    the people it asks about elsewhere ("say about *John Luk Jok's* death") are no speaker.
    The subject's other names must occur where the speaker is quoted ("Scotland's finance
    minister" is no finance minister quoted only in articles that never mention Scotland).
    Any other question names a speaker only by name, not by role. Between speakers as good,
    the one quoted in the better-ranked article wins."""
    if quotes is None:
        return None
    slot = question.speaker_slot
    mentions = slot if slot is not None else question.mentions
    rank = {a: i for i, a in reversed(list(enumerate(article_ids)))}
    best: tuple[float, int, str, str] | None = None
    for order, mention in enumerate(mentions):
        try:
            found = quotes.find_speakers(mention, article_ids, roles=slot is not None)
        except Exception:  # an index without statements
            return None
        good = [(name, score) for name, score in found if score >= SPEAKER_MATCH]
        if slot and article_text is not None:
            names = [w for w in slot[0].split() if w[:1].isupper()]
            rest = {t for w in names for t in terms(w)} - set(terms(mention))
            good = [(n, sc) for n, sc in good if _quoted_near(quotes, n, rest, article_text)]
        if not good:
            continue
        top = max(score for _, score in good)
        name = min(
            (n for n, score in good if score == top),
            key=lambda n: min(rank.get(st.article_id, len(rank)) for st in quotes.by_speaker(n)),
        )
        if slot is not None:
            return name, mention
        key = (top, -order, name, mention)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is None and slot:
        return _by_first_name(slot, quotes, article_ids)
    return (best[2], best[3]) if best else None


def _by_first_name(
    slot: Sequence[str], quotes: Any, article_ids: Sequence[str]
) -> tuple[str, str] | None:
    """The one person quoted in `article_ids` whose first name a one-word subject is ("what did
    boris say"), None when nobody or several are."""
    if len(slot) != 1 or " " in slot[0]:
        return None
    want = fold(slot[0])
    people = {
        st.speaker
        for a in article_ids
        for st in quotes.statements(a)
        if st.speaker and len(st.speaker.split()) >= 2 and fold(st.speaker.split()[0]) == want
    }
    return (people.pop(), slot[0]) if len(people) == 1 else None


def _quoted_near(
    quotes: Any, speaker: str, words_: set[str], article_text: Callable[[str], str]
) -> bool:
    """Whether some article quoting `speaker` uses every one of the index terms `words_`."""
    if not words_:
        return True
    for aid in {st.article_id for st in quotes.by_speaker(speaker)}:
        try:
            if words_ <= frozenset().union(*sentence_terms(article_text(aid))):
                return True
        except KeyError:
            continue
    return False


def _mention_pattern(mention: str) -> str:
    return r"(?<!\w)" + r"\W+".join(re.escape(w) for w in mention.split()) + r"(?:['’]s)?(?!\w)"


def topic_text(question: str, mention: str) -> str:
    """`question` without the words of `mention`: what it asks about the speaker."""
    out = re.sub(_mention_pattern(mention), " ", question, flags=re.IGNORECASE)
    return " ".join(out.split()) or question


_STOP_WORDS = tuple(sorted(w for w in STOPWORDS if len(w) >= 3))


def chat_terms(question: Question, lexical: LexicalIndex) -> frozenset[str]:
    """The question's terms that are chat spellings of words with no topic: a lower-case
    letter ("w" for "with"; "X" is a name), a stop word with a suffix ("whats"), or a
    lower-case word of up to three letters one edit from a stop word ("wat", "dat", "tho")
    that the index holds in under 1% of its passages. A rare word next to one in every passage
    is far likelier a misspelling of it; a real word such as "war" (one edit from "was") is
    frequent enough to stay, and a capitalised one ("Ian") is a name."""
    out: set[str] = set()
    for raw in re.findall(r"[\w’'-]+", question.text):
        low = fold(raw).lower()
        letter = len(low) == 1 and raw.isalpha() and raw.islower()
        near_stop = (
            raw.islower()
            and len(low) <= 3
            and any(Levenshtein.distance(low, w) <= 1 for w in _STOP_WORDS)
        )
        for t in terms(raw):
            rare = lexical.doc_freq(t) * 100 < max(lexical.size, 1)
            if letter or t in STOPWORDS or (near_stop and rare):
                out.add(t)
    return frozenset(out)


def term_weights(
    question: Question, lexical: LexicalIndex
) -> dict[str, tuple[float, frozenset[str]]]:
    """Each question term's rarity weight and the index terms that count as it (itself and
    spellings one edit away). A term the index lacks in every spelling weighs nothing."""
    n = max(lexical.size, 1)
    out: dict[str, tuple[float, frozenset[str]]] = {}
    chat = chat_terms(question, lexical)
    for t in question.terms:
        if t in chat:
            continue
        variants = lexical.expand(t)
        if not variants:
            continue
        idf = max(w * math.log(1 + n / max(lexical.doc_freq(v), 1)) for v, w in variants)
        out[t] = (idf, frozenset(v for v, _ in variants) | {t})
    return out


def features(ctx: Context, candidates: Sequence[Candidate]) -> np.ndarray:
    """The feature matrix of `candidates` (rows) over FEATURES (columns)."""
    if not candidates:
        return np.zeros((0, len(FEATURES)))
    q = ctx.question
    weights = term_weights(q, ctx.lexical)
    total = sum(w for w, _ in weights.values()) or 1.0
    rarest = max((w for w, _ in weights.values()), default=1.0) or 1.0
    unknown = (math.log(1 + max(ctx.lexical.size, 1)), frozenset[str]())
    article_bags: dict[str, frozenset[str]] = {}
    rows = []
    for c in candidates:
        text = ctx.article_text(c.article.id)
        sents = split_sentences(text)
        bags = sentence_terms(text)
        unit = frozenset().union(*bags[c.lo : c.hi + 1])
        near = [
            j
            for j in (c.lo - 1, c.hi + 1)
            if 0 <= j < len(sents) and sents[j].para == sents[c.lo].para
        ]
        ctx_bag = unit.union(*(bags[j] for j in near)) if near else unit
        lex = sum(w for w, vs in weights.values() if vs & unit) / total
        lex_ctx = sum(w for w, vs in weights.values() if vs & ctx_bag) / total
        if c.article.id not in article_bags:
            article_bags[c.article.id] = frozenset().union(*bags) if bags else frozenset()
        in_article = article_bags[c.article.id]
        lex_article = sum(w for w, vs in weights.values() if vs & in_article) / total
        # the rarest question term the article never uses: the topic it does not cover
        missing = max((w for w, vs in weights.values() if not vs & in_article), default=0.0)
        # the question's names (capitalised words) the article never uses, by weight
        # (a name the index lacks in every spelling weighs as much as the rarest term can:
        # unlike slang, a name nobody mentions is a topic the articles do not cover)
        named = [weights.get(t, unknown) for t in q.names]
        missing_name = sum(w for w, vs in named if not vs & in_article) / (
            sum(w for w, _ in named) or 1.0
        )
        dense, dense_ctx = _dense(ctx, c, len(sents), ctx.vector)
        topic, topic_ctx = (
            _dense(ctx, c, len(sents), ctx.topic_vector)
            if ctx.topic_vector is not None
            else (dense, dense_ctx)
        )
        has_number = bool(_NUMBER.search(c.text))
        has_time = bool(_TIME.search(c.text))
        has_name = bool(_NAME.search(c.text))
        kind = q.kind
        mismatch = (
            (kind == "count" and not has_number)
            or (kind == "time" and not has_time)
            or (kind in ("person", "place") and not has_name)
        )
        speaker_q = ctx.speaker is not None
        rows.append(
            [
                dense,
                dense_ctx,
                0.0,
                0.0,
                topic,
                topic_ctx,
                0.0,
                lex,
                lex_ctx,
                0.0,
                lex_article,
                missing / rarest,
                missing_name,
                float(speaker_q and c.speaker == ctx.speaker),
                float(speaker_q and c.speaker is not None and c.speaker != ctx.speaker),
                float(speaker_q),
                float(kind == "person" and c.speaker is not None),
                float(kind == "count" and has_number),
                float(kind == "time" and has_time),
                float(kind == "person" and has_name),
                float(kind == "place" and has_name),
                float(mismatch),
                float(c.quoted),
                float(c.quoted and speaker_q),
                1.0 / (1 + c.rank),
                float(c.lo == 0),
                math.log(1 + len(c.text)),
            ]
        )
    return relative(np.asarray(rows, dtype=np.float64), [c.article.id for c in candidates])


def relative(x: np.ndarray, article_ids: Sequence[str]) -> np.ndarray:
    """Fill in the features that compare a candidate with the others of its question."""
    if not len(x):
        return x
    i = FEATURES.index
    for gap, of in (("dense_gap", "dense"), ("dense_topic_gap", "dense_topic"), ("lex_gap", "lex")):
        x[:, i(gap)] = x[:, i(of)] - x[:, i(of)].max()
    best_in_article: dict[str, float] = {}
    for a, d in zip(article_ids, x[:, i("dense")], strict=True):
        best_in_article[a] = max(best_in_article.get(a, -1.0), float(d))
    x[:, i("dense_article_gap")] = [
        x[k, i("dense")] - best_in_article[a] for k, a in enumerate(article_ids)
    ]
    return x


def _dense(ctx: Context, c: Candidate, n_sents: int, query: np.ndarray) -> tuple[float, float]:
    sv = ctx.sentence_vectors.get(c.article.id)
    if sv is None or not sv.vectors.size or len(sv.spans) != n_sents:
        rows = sv.index_of(c.start, c.end) if sv is not None and sv.vectors.size else []
        if not rows or sv is None:
            return 0.0, 0.0
        lo, hi = rows[0], rows[-1]
    else:
        lo, hi = c.lo, c.hi
    vecs = sv.vectors
    own = vecs[lo : hi + 1] @ query
    near = vecs[max(0, lo - 1) : min(len(vecs), hi + 2)].mean(axis=0)
    norm = float(np.linalg.norm(near)) or 1.0
    return float(own.max()), float(near @ query / norm)


def score(
    ctx: Context, candidates: Sequence[Candidate], model: Model | None = None
) -> list[Scored]:
    """Candidates with their probability of answering, best first."""
    model = model or fitted()
    probs = model.probability(features(ctx, candidates))
    ranked = sorted(
        zip(candidates, probs, strict=True), key=lambda cp: (-cp[1], cp[0].rank, cp[0].start)
    )
    return [Scored(c, float(p)) for c, p in ranked]
