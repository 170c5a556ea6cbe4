"""The answers-and-feedback file and `newsdesk feedback`."""

from __future__ import annotations

import json

import pytest

from index.cli import main
from index.feedback import FeedbackStore, answer_from_dict
from index.models import Answer, ArticleRef, Citation


def answer(question: str = "What did Rutte say?") -> Answer:
    art = ArticleRef(id="a", file="a.txt", title="T", outlet="O", date="2025-01-01", url=None)
    return Answer(
        question=question,
        text="“It ended.” [1]",
        refused=False,
        mode="llm",
        citations=[Citation(1, art, "It ended.", 3, 12)],
        model="gpt-test",
        rewritten="What did Mark Rutte say?",
        speaker="Mark Rutte",
    )


def test_an_answer_round_trips_through_the_store(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3")

    answer_id = store.record_answer(answer(), generation="gen-1", conversation="t:1")

    back = store.answer(answer_id)
    assert back is not None and back.to_dict() == answer().to_dict()
    assert answer_from_dict(answer().to_dict()) == answer()
    assert store.answer("nope") is None


def test_a_conversation_gives_its_last_turns_oldest_first(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3")
    for i in range(5):
        store.record_answer(answer(f"q{i}"), generation="g", conversation="t:1")
    store.record_answer(answer("elsewhere"), generation="g", conversation="t:2")

    assert [a.question for a in store.conversation("t:1", 3)] == ["q2", "q3", "q4"]


def test_one_vote_per_person_per_answer_the_latest_wins(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3")
    answer_id = store.record_answer(answer(), generation="g")

    assert store.rate(answer_id, "u1", 1)
    assert store.rate(answer_id, "u1", -1, "  quotes   the wrong\nperson ")
    assert store.rate(answer_id, "u2", 1)
    assert not store.rate("unknown", "u1", 1)
    with pytest.raises(ValueError):
        store.rate(answer_id, "u1", 5)

    votes = {(r.user, r.rating, r.reason) for r in store.ratings()}
    assert votes == {("u1", -1, "quotes the wrong person"), ("u2", 1, None)}
    assert store.ratings()[0].model == "gpt-test"
    assert store.ratings()[0].generation == "g"


def test_newsdesk_feedback_prints_counts_and_disliked_answers(tmp_path, capsys):
    index_dir = tmp_path / "index"
    store = FeedbackStore(index_dir / FeedbackStore.FILE)
    liked = store.record_answer(answer("Liked?"), generation="g")
    disliked = store.record_answer(answer("Disliked?"), generation="g")
    store.rate(liked, "u1", 1)
    store.rate(disliked, "u2", -1, "wrong speaker")
    env = tmp_path / "env"
    env.write_text(f"NEWSDESK_INDEX_DIR={index_dir}\n")

    assert main(["--env-file", str(env), "feedback"]) == 0
    text = capsys.readouterr().out
    assert main(["--env-file", str(env), "feedback", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert main(["--env-file", str(env), "feedback", "--since", "2999-01-01", "--json"]) == 0
    later = json.loads(capsys.readouterr().out)

    assert "2 answers, 2 rated: 1 👍, 1 👎" in text
    assert "Disliked?" in text and "wrong speaker" in text and "Liked?" not in text
    assert data["counts"] == {"answers": 2, "rated": 2, "up": 1, "down": 1}
    assert [d["question"] for d in data["disliked"]] == ["Disliked?"]
    assert data["disliked"][0]["answer"]["citations"][0]["quote"] == "It ended."
    assert later["counts"] == {"answers": 0, "rated": 0, "up": 0, "down": 0}


def test_newsdesk_feedback_rejects_a_bad_date(tmp_path, capsys):
    env = tmp_path / "env"
    env.write_text(f"NEWSDESK_INDEX_DIR={tmp_path}\n")

    assert main(["--env-file", str(env), "feedback", "--since", "last tuesday"]) == 2
    assert "--since" in capsys.readouterr().err
