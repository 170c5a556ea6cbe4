"""A fitted check on the speaker the rules give each statement.

For every statement, the people and bodies the article mentions around it are candidates; each
gets generic features (mentioned in the statement's own sentence, distance and recency of its
last mention, being a sentence's subject, the previous statement's speaker, how often the
article names it, pronoun agreement with genders the article's honorifics give). A conditional
logit over the candidates, fitted on labelled articles (`python -m index.fit_speaker`), ranks
them without knowing what the rules chose. Where it puts the rules' speaker well below another
candidate, the two disagree and the statement's speaker is left unknown (None): a statement
shown without a name is better than one shown under the wrong name.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from index.attribution import Annotation, Found

WEIGHTS_FILE = "speaker_model.json"
WINDOW = 800  # characters before a statement's sentence in which candidates are looked for
FEATURES = (
    "here",
    "here_before",
    "inside_only",
    "log_distance",
    "log_rank",
    "subject_here",
    "subject_recent",
    "previous_speaker",
    "log_count",
    "person",
    "body",
    "full_name",
    "gender",
    "here_x_named",
    "previous_x_unnamed",
)
_PRONOUN = re.compile(r"\b(he|she|his|her)\b", re.IGNORECASE)
_GENDER_OF = {"he": "m", "his": "m", "she": "f", "her": "f"}


@dataclass(frozen=True)
class Model:
    """Weights over standardised FEATURES; `ratio`: the rules' speaker is kept while its
    probability is at least this share of the best candidate's."""

    weights: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    ratio: float
    info: dict[str, Any]

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        s = ((x - self.mean) / self.scale) @ self.weights
        p = np.exp(s - s.max())
        return np.asarray(p / p.sum())

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            "weights": [round(float(w), 6) for w in self.weights],
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "ratio": self.ratio,
            "info": self.info,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Model:
        if list(d["features"]) != list(FEATURES):
            raise ValueError(
                "the speaker model's weights were fitted on other features: "
                "run `python -m index.fit_speaker` again"
            )
        return cls(
            np.asarray(d["weights"], dtype=np.float64),
            np.asarray(d["mean"], dtype=np.float64),
            np.asarray(d["scale"], dtype=np.float64),
            float(d["ratio"]),
            dict(d.get("info", {})),
        )


@cache
def fitted() -> Model | None:
    """The packaged model, or None before one has been fitted."""
    path = resources.files("index.weights").joinpath(WEIGHTS_FILE)
    if not path.is_file():
        return None
    return Model.from_json(json.loads(path.read_text(encoding="utf-8")))


def candidates(ann: Annotation, text: str, k: int) -> tuple[list[str], np.ndarray]:
    """The candidate speakers of statement k and their features (one row each)."""
    f = ann.statements[k]
    prev = _previous(ann.statements, k)
    names: list[str] = []
    for p, n in ann.mentions:
        if f.sentence_start - WINDOW <= p < f.sentence_end and n not in names:
            names.append(n)
    for extra in (f.speaker, prev.speaker if prev else None):
        if extra is not None and extra not in names:
            names.append(extra)
    names = [n for n in names if n in ann.entities and not ann.entities[n].members]
    last = {n: _last_before(ann, n, f) for n in names}
    order = sorted(names, key=lambda n: _recency(last[n]))
    at = _At(ann, f, prev, _pronoun_gender(text, f))
    rows = [_features(at, n, last[n], order.index(n)) for n in names]
    return names, np.asarray(rows, dtype=np.float64).reshape(len(names), len(FEATURES))


def _recency(last: int | None) -> float:
    return -last if last is not None else math.inf


@dataclass(frozen=True)
class _At:
    """The statement whose candidates are scored, with what they are compared against."""

    ann: Annotation
    f: Found
    prev: Found | None  # the statement before it
    want: str  # the gender of a he/she in its sentence, "" without one


def _features(at: _At, name: str, last: int | None, rank: int) -> list[float]:
    ann, f, prev, want = at.ann, at.f, at.prev, at.want
    ent = ann.entities[name]
    pos = [p for p, n in ann.mentions if n == name]
    in_sentence = [p for p in pos if f.sentence_start <= p < f.sentence_end]
    narration = [p for p in in_sentence if not f.start <= p < f.end]
    here = float(bool(narration))
    subjects = [
        (p, n) for p, n in ann.subjects if f.sentence_start - WINDOW <= p < f.sentence_start
    ]
    distance = f.start - last if last is not None else 2 * WINDOW
    is_prev = float(prev is not None and prev.speaker == name and f.start - prev.end < WINDOW)
    gender = 0.0
    if want:
        if ent.kind != "person" or (ent.gender and ent.gender != want):
            gender = -1.0
        elif ent.gender == want:
            gender = 1.0
    named = float(f.mention in ("name", "role"))
    return [
        here,
        float(any(p < f.start for p in narration)),
        float(bool(in_sentence) and not narration),
        math.log1p(max(0, min(distance, 2 * WINDOW))),
        math.log1p(rank),
        float((f.sentence_start, name) in ann.subjects),
        float(bool(subjects) and subjects[-1][1] == name),
        is_prev,
        math.log1p(len(pos)),
        float(ent.kind == "person"),
        float(ent.kind == "body"),
        float(ent.kind == "person" and len(ent.name.split()) >= 2),
        gender,
        here * named,
        is_prev * (1.0 - named),
    ]


def _previous(statements: list[Found], k: int) -> Found | None:
    """The statement before k that is not k's own span said by a joint subject."""
    f = statements[k]
    for g in reversed(statements[:k]):
        if (g.start, g.end) != (f.start, f.end):
            return g
    return None


def _last_before(ann: Annotation, name: str, f: Found) -> int | None:
    """Position of the entity's last mention before the statement ends, outside its span."""
    ps = [p for p, n in ann.mentions if n == name and p < f.sentence_end]
    ps = [p for p in ps if not f.start <= p < f.end]
    return max(ps) if ps else None


def _pronoun_gender(text: str, f: Found) -> str:
    """The gender of the first he/she of the statement's sentence outside its span."""
    narration = text[f.sentence_start : f.start] + " " + text[f.end : f.sentence_end]
    m = _PRONOUN.search(narration)
    return _GENDER_OF[m.group(1).lower()] if m else ""


def agreement(ann: Annotation, text: str, model: Model, k: int) -> float | None:
    """The model's probability for the rules' speaker of statement k over the best
    candidate's (1.0 when they agree); None when there is nothing to compare."""
    f = ann.statements[k]
    names, x = candidates(ann, text, k)
    if f.speaker not in names or len(names) < 2:
        return None
    p = model.probabilities(x)
    return float(p[names.index(f.speaker)] / p.max())


def check(ann: Annotation, text: str, model: Model | None = None) -> Annotation:
    """The annotation with each speaker the model clearly prefers another to left unknown."""
    model = model or fitted()
    if model is None:
        return ann
    joint = {(f.start, f.end) for f in ann.statements if _is_joint(ann, f)}
    out = []
    for k, f in enumerate(ann.statements):
        keep = True
        if f.speaker is not None and (f.start, f.end) not in joint:
            share = agreement(ann, text, model, k)
            keep = share is None or share >= model.ratio
        out.append(f if keep else replace(f, speaker=None))
    return Annotation(out, ann.entities, ann.mentions, ann.subjects)


def _is_joint(ann: Annotation, f: Found) -> bool:
    return any(
        g is not f and (g.start, g.end) == (f.start, f.end) and g.speaker != f.speaker
        for g in ann.statements
    )
