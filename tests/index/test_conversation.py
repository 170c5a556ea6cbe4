"""Follow-ups resolved against the conversation: pronouns, ellipsis, references, topic changes."""

from __future__ import annotations

import pytest

from index.conversation import quoted_in, resolve, topic_of
from index.models import Answer, ArticleRef, Citation, Passage

ART = ArticleRef(id="a", file="a.txt", title="Budget talks end")


def turn(question: str, **kw) -> Answer:
    return Answer(question=question, text="", refused=False, mode="extractive", **kw)


def people(*names: str):
    """A `speaks` check that knows exactly these people."""
    return lambda x: x in names


RUTTE = [turn("What did Rutte say about Dodik?")]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("and what did he say about Kosovo?", "What did Rutte say about Kosovo?"),
        ("What did she tell reporters?", "What did Rutte tell reporters?"),
        ("what are his plans for the summit", "What are Rutte's plans for the summit?"),
        ("How did they respond to him?", "How did Rutte respond to Rutte?"),
    ],
)
def test_a_pronoun_stands_for_the_last_speaker(question, expected):
    assert resolve(question, RUTTE, people("Vučić")) == expected


def test_what_about_a_person_keeps_the_topic_and_changes_the_speaker():
    assert resolve("what about Vučić?", RUTTE, people("Vučić")) == "What did Vučić say about Dodik?"
    assert resolve("And Vučić?", RUTTE, people("Vučić")) == "What did Vučić say about Dodik?"


def test_what_about_something_else_keeps_the_speaker_and_changes_the_topic():
    assert resolve("what about Serbia?", RUTTE, people("Vučić")) == (
        "What did Rutte say about Serbia?"
    )


def test_a_demonstrative_is_resolved_to_the_last_speaker_and_topic():
    assert resolve("When was that?", RUTTE, people()) == "When was that (Rutte on Dodik)?"


def test_a_reference_with_no_speaker_or_topic_falls_back_to_the_last_source():
    history = [turn("Tell me everything", citations=[Citation(1, ART, "x", 0, 1)])]

    assert resolve("when was this?", history, people()) == "When was this (Budget talks end)?"


def test_ellipsis_without_a_speaker_replaces_the_last_object():
    history = [turn("How many people were arrested in Belgrade?")]

    assert resolve("what about Novi Sad?", history, people()) == (
        "How many people were arrested in Novi Sad?"
    )


@pytest.mark.parametrize(
    "question",
    [
        "What did Vučić say about the EU?",  # a new speaker: Rutte must not come along
        "How many soldiers does NATO have in Kosovo?",  # a new topic with no reference back
        "Who is the mayor of Belgrade?",
    ],
)
def test_a_change_of_topic_does_not_carry_the_old_speaker(question):
    assert resolve(question, RUTTE, people("Vučić")) is None


def test_a_pronoun_in_a_question_naming_its_own_speaker_is_left_alone():
    assert resolve("What did Vučić say about his talks?", RUTTE, people("Vučić")) is None


def test_the_latest_turn_is_the_one_referred_to_and_rewrites_chain():
    first = turn("What did Rutte say about Dodik?")
    second = turn("what about Vučić?", rewritten="What did Vučić say about Dodik?")

    assert resolve("what did he say about Kosovo?", [first, second], people("Vučić")) == (
        "What did Vučić say about Kosovo?"
    )


def test_no_history_no_rewrite():
    assert resolve("what did he say?", [], people()) is None


def test_topic_of_a_speaker_question_is_what_follows_about():
    assert topic_of("What did Rutte say about defense spending?", "Rutte") == "defense spending"


def test_quoted_in_wants_the_name_as_the_subject_of_speech():
    said = Passage(ART, "a#0", "The talks ended. Vucic said the deal was close.", 0, 10)
    about = Passage(ART, "a#1", "Rutte said Serbia's role matters. Serbia's army grew.", 0, 10)

    assert quoted_in("Vučić", [said])
    assert not quoted_in("Serbia", [about])
    assert not quoted_in("Vučić", [about])


def test_the_desk_answers_a_follow_up_about_the_same_speaker(demo_desk):
    first = demo_desk.ask("What did Rutte say about Dodik?")

    follow = demo_desk.ask("and what did he say about the verdict?", history=[first])
    other = demo_desk.ask("what about Vucic?", history=[first])
    fresh = demo_desk.ask("What did Rutte say about Dodik?", history=[])

    assert first.speaker == "Mark Rutte" and first.rewritten is None  # the quote index's name
    assert follow.question == "and what did he say about the verdict?"
    assert follow.rewritten == "What did Mark Rutte say about the verdict?"
    assert follow.speaker == "Mark Rutte"
    assert other.rewritten == "What did Vucic say about Dodik?"  # the articles quote Vucic
    assert other.to_dict()["rewritten"] == other.rewritten
    assert fresh.to_dict()["rewritten"] is None
