"""Folding and spelling variants in lexical matching; question analysis."""

from __future__ import annotations

from index.lexical import LexicalIndex, fold, terms
from index.question import analyze


def test_diacritics_fold() -> None:
    assert fold("Vučić Đukanović Dodík") == "vucic dukanovic dodik"
    assert terms("Vučić") == terms("Vucic")


def test_translation_spelling_variants_meet() -> None:
    assert terms("Rutte") == terms("Rute")
    assert terms("meeting") == terms("met")
    assert terms("sentenced") == terms("sentence")


def test_bm25_finds_variants_one_edit_away() -> None:
    index = LexicalIndex(
        ["Defense spending rose sharply.", "The weather was cold.", "Spending on schools fell."]
    )
    best = index.top(terms("defence spending"), 3)
    assert best[0][0] == 0
    assert ("defens", 0.7) in index.expand("defenc")


def test_bm25_ranks_folded_names() -> None:
    index = LexicalIndex(["Vučić met Rute in Brussels.", "Stoltenberg visited Belgrade."])
    assert index.top(terms("Vucic Rutte"), 2)[0][0] == 0
    assert index.top(terms("Kurti"), 2) == []


def test_speaker_question_is_parsed() -> None:
    q = analyze("What did Rutte say about Dodik?")
    assert (q.kind, q.speaker) == ("speaker", "Rutte")
    assert q.topic_terms == tuple(terms("Dodik"))
    q = analyze("According to Rutte, what has the US been saying for 15 years?")
    assert (q.kind, q.speaker) == ("speaker", "Rutte")
    q = analyze("What did Vucic tell Stoltenberg about joint exercises with NATO?")
    assert q.speaker == "Vucic" and "stoltenberg" in q.topic_terms


def test_question_kinds_and_expectations() -> None:
    assert analyze("How many troops were sent?").kind == "count"
    assert analyze("When did they meet?").kind == "time"
    assert analyze("Who leads NATO?").kind == "person"
    assert analyze("Did Serbia join?").kind == "yesno"
    how_much = analyze("How much did the dinner cost?")
    assert not how_much.expects("They met in Brussels on March 19, 2025.")
    assert how_much.expects("The dinner cost 300 euros.")
    who = analyze("Who was NATO secretary general when Vucic pledged to resume exercises?")
    assert not who.expects("Belgrade may resume exercises, President Vucic said")
    assert who.expects("Vucic said so after meeting with Jens Stoltenberg, the bloc's chief.")


def test_possessive_names_what_is_asked() -> None:
    assert analyze("What did Rutte say Dodik's sentence was?").focus_terms == tuple(
        terms("sentence")
    )
