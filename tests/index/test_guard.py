"""Questions newsdesk cannot serve are turned down with a reason; English ones are not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from index import guard
from index.lexical import LexicalIndex
from tests.conftest import REPO

DEV = REPO.parent / "shared" / "eval" / "dev.jsonl"


@pytest.fixture(scope="module")
def lexical(corpus: Any) -> LexicalIndex:
    return LexicalIndex(list(corpus.texts.values()))


def _questions(path: Path) -> list[str]:
    return [json.loads(line)["question"] for line in path.read_text().splitlines() if line.strip()]


def test_lone_surrogates_and_control_characters_are_cleaned_out() -> None:
    assert guard.clean("What did\ud800 Rutte\x00 say?\n") == "What did Rutte say?"


@pytest.mark.parametrize("question", ["xxxx", "bob", "???", "What about qwzx?"])
def test_questions_with_no_word_of_the_index_are_refused(
    lexical: LexicalIndex, question: str
) -> None:
    answer = guard.check(question, lexical)
    assert answer is not None and answer.refused and "none of the question's words" in answer.text


@pytest.mark.parametrize(
    "question",
    [
        "Šta je Vučić rekao o Kosovu?",
        "Шта је Вучић рекао о Косову?",
        "Sta je Vucic rekao o saradnji sa NATO?",
        "Was hat Rutte über die Verteidigung gesagt?",
    ],
)
def test_questions_in_another_language_are_refused_saying_why(
    lexical: LexicalIndex, question: str
) -> None:
    answer = guard.check(question, lexical)
    assert answer is not None and answer.refused and "in English" in answer.text


def test_english_questions_pass_including_the_dev_sets(lexical: LexicalIndex) -> None:
    own = _questions(REPO / "tests" / "data" / "demo_questions.jsonl")
    dev = _questions(DEV) if DEV.exists() else []
    questions = [*own, *dev, "What did Ruttte say about Dodik?", "Vucic?"]
    turned_down = [q for q in questions if guard.check(q, lexical) is not None]
    assert turned_down == []
