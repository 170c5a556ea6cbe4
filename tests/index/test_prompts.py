"""Each prompt template has exactly the placeholders the code fills."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest

import prompts
from index.llm import build_messages
from index.models import ArticleRef, Passage

# What the code fills, per template (the LLM answerer's, and the extractive answerer's refusals).
FILLED = {
    "system": {"refusal"},
    "answer": {"passages", "question", "refusal"},
    "passage": {"n", "outlet", "title", "date", "text"},
    "unknown": set(),
    "refusal": set(),
    "refusal_speaker": {"speaker"},
    "reported": {"refusal", "quotes"},
    "outdated": {"date"},
}


def test_every_template_is_accounted_for() -> None:
    files = {
        f.name.removesuffix(".txt")
        for f in resources.files("prompts").iterdir()
        if f.name.endswith(".txt")
    }
    assert files == set(FILLED)


@pytest.mark.parametrize("name", sorted(FILLED))
def test_template_placeholders(name: str) -> None:
    assert prompts.placeholders(name) == FILLED[name]


def test_llm_answerer_fills_exactly_the_placeholders(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, set[str]]] = []
    real = prompts.render

    def recording(name: str, **values: Any) -> str:
        calls.append((name, set(values)))
        return real(name, **values)

    monkeypatch.setattr(prompts, "render", recording)
    ref = ArticleRef("a", "a.txt")  # no outlet or date: the `unknown` wording fills in
    passage = Passage(ref, "a:0", "Some text {with braces} and {n}.", 0, 32)
    messages = build_messages("What {question}?", [passage, passage], "No answer.")
    assert {name for name, _ in calls} == {"system", "answer", "passage", "unknown"}
    for name, keys in calls:
        assert keys == prompts.placeholders(name) == FILLED[name], name
    assert "Some text {with braces} and {n}." in messages[1]["content"]
    assert "What {question}?" in messages[1]["content"]


def test_refusal_wording_is_one_plain_sentence() -> None:
    text = prompts.render("refusal").strip()
    assert text and "\n" not in text
