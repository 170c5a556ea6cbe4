"""`newsdesk eval`: both dev-set formats, the README's evidence normalisation, per category."""

from __future__ import annotations

import json
from pathlib import Path

from index.evaluate import Case, by_category, load_cases, normalize, score_case, sweep
from index.models import Answer, ArticleRef, Citation

ART = "Mr Smith said the plan was “null and void” and “geographically ridiculous”. It cost 5.7  million."


def test_both_source_fields_are_read(tmp_path: Path) -> None:
    f = tmp_path / "q.jsonl"
    rows = [
        {"id": "d1", "question": "a?", "sources": ["x.txt"], "evidence": ["e"], "answerable": True},
        {
            "id": "n1",
            "question": "b?",
            "source_ids": ["bbc-1"],
            "evidence": ["e"],
            "answerable": True,
            "category": "fact",
        },
    ]
    f.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    a, b = load_cases(f)
    assert a.is_gold("x", "x.txt") and b.is_gold("bbc-1", "bbc-1") and b.category == "fact"


def test_normalisation_spans_quote_marks_and_odd_spacing() -> None:
    assert normalize('null and void" and "geographically ridiculous') in normalize(ART)
    assert normalize("5.7  million") in normalize(ART)
    assert normalize("Don’t") == normalize("don't")


def _answer(text: str, refused: bool, aid: str, conf: float) -> Answer:
    ref = ArticleRef(aid, aid)
    return Answer(
        "q", text, refused, "extractive", [Citation(1, ref, ART, 0, len(ART))], confidence=conf
    )


def test_strict_lenient_citation_and_refusals_per_category() -> None:
    good = Case("1", "q", ["bbc-1"], ["null and void", "5.7 million"], True, "fact")
    half = Case("2", "q", ["bbc-1"], ["null and void", "not there"], True, "fact")
    wrong = Case("3", "q", ["bbc-2"], ["null and void"], True, "describe")
    none = Case("4", "q", [], [], False, "unanswerable")
    text = lambda _aid: ART  # noqa: E731
    results = [
        score_case(good, _answer(f"> {ART} [1]", False, "bbc-1", 0.9), text, 5),
        score_case(half, _answer(f"> {ART} [1]", False, "bbc-1", 0.6), text, 5),
        score_case(wrong, _answer(f"> {ART} [1]", False, "bbc-1", 0.4), text, 5),
        score_case(
            none, _answer("The articles I have do not answer that.", True, "bbc-1", 0.2), text, 5
        ),
    ]
    cats = by_category(results, 5)
    assert cats["fact"]["evidence_strict"] == 0.5 and cats["fact"]["evidence_lenient"] == 1.0
    assert cats["describe"]["citation_accuracy"] == 0.0
    assert cats["all"]["refusal_accuracy"] == 1.0 and cats["all"]["quote_faithfulness"] == 1.0
    rows = {r["threshold"]: r for r in sweep(results)}
    assert rows[0.05]["answer_rate"] == 1.0 and rows[0.95]["answer_rate"] == 0.0
    assert rows[0.5]["answer_rate"] == round(2 / 3, 4)
