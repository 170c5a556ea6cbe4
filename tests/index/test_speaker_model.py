"""The fitted speaker check: candidates and features, the packaged weights, and leaving a
speaker unknown when the model prefers another. The articles are made up here."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from index.attribution import annotate, annotate_rules
from index.fit_scorer import _fit_ranking
from index.fit_speaker import question_labels
from index.speaker_model import FEATURES, Model, agreement, candidates, check, fitted

TEXT = (
    "Helen Marsh leads the nurses' union. Marsh said the pay offer was an insult.\n\n"
    "Hospital managers met on Monday. Peter Cole, the hospital's director, spoke after them. "
    '"We cannot pay more this year," Cole said.'
)


def _model(weights: dict[str, float], ratio: float) -> Model:
    w = np.asarray([weights.get(f, 0.0) for f in FEATURES])
    n = len(FEATURES)
    return Model(w, np.zeros(n), np.ones(n), ratio, {})


def test_candidates_are_the_people_around_a_statement_with_one_row_each() -> None:
    ann = annotate_rules(TEXT)
    k = next(i for i, f in enumerate(ann.statements) if f.speaker == "Peter Cole")
    names, x = candidates(ann, TEXT, k)
    assert {"Peter Cole", "Helen Marsh"} <= set(names)
    assert x.shape == (len(names), len(FEATURES))
    here = x[:, FEATURES.index("here")]
    assert here[names.index("Peter Cole")] == 1.0
    assert here[names.index("Helen Marsh")] == 0.0


def test_a_speaker_the_model_ranks_far_below_another_is_left_unknown() -> None:
    ann = annotate_rules(TEXT)
    k = next(i for i, f in enumerate(ann.statements) if f.speaker == "Peter Cole")
    # a model that trusts the earliest-named person disagrees with the rules
    contrary = _model({"log_rank": 5.0, "here": -5.0}, ratio=0.5)
    assert agreement(ann, TEXT, contrary, k) is not None
    assert agreement(ann, TEXT, contrary, k) < 0.5  # type: ignore[operator]
    assert check(ann, TEXT, contrary).statements[k].speaker is None
    # the same model with no keep ratio keeps every speaker
    lenient = _model({"log_rank": 5.0, "here": -5.0}, ratio=0.0)
    assert check(ann, TEXT, lenient).statements[k].speaker == "Peter Cole"


def test_the_packaged_model_keeps_a_speaker_named_in_the_quote_sentence() -> None:
    model = fitted()
    assert model is not None and model.info.get("split") == "dev"
    by_words = {TEXT[f.start : f.end]: f.speaker for f in annotate(TEXT).statements}
    assert by_words["We cannot pay more this year"] == "Peter Cole"
    assert by_words["the pay offer was an insult"] == "Helen Marsh"


def test_the_ranking_fit_learns_which_feature_marks_the_speaker() -> None:
    rng = np.random.default_rng(0)
    groups = []
    for _ in range(60):
        x = rng.normal(size=(4, 2))
        x[:, 0] = 0.0
        right = int(rng.integers(4))
        x[right, 0] = 1.0  # feature 0 marks the speaker; feature 1 is noise
        y = np.zeros(4)
        y[right] = 1.0
        groups.append((x, y))
    w, _mean, _scale = _fit_ranking(groups, l2=1.0)
    assert w[0] > 1.0 and abs(w[1]) < w[0] / 3


def test_speaker_questions_become_labels_of_the_asked_person(tmp_path: Path) -> None:
    rows = [
        {"category": "speaker_quote", "question": "What did Helen Marsh say about pay?",
         "source_ids": ["a1"], "evidence": ["the pay offer was an insult"], "notes": ""},
        {"category": "role_speaker", "question": "What did the hospital's director say?",
         "source_ids": ["a1"], "evidence": ["We cannot pay more"],
         "notes": "Speaker: Peter Cole, the hospital's director."},
        {"category": "fact", "question": "How many nurses?", "source_ids": ["a1"],
         "evidence": ["300"], "notes": ""},
    ]  # fmt: skip
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    got = {(r["speaker"], r["quote"]) for r in question_labels(path)}
    assert got == {
        ("Helen Marsh", "the pay offer was an insult"),
        ("Peter Cole", "We cannot pay more"),
    }
