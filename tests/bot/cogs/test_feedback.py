"""👍/👎 under answers end to end: recorded with the answer, a 👎 reason from a modal, buttons
that work after a restart, and `newsdesk feedback` showing it all."""

from __future__ import annotations

import json

import pytest

from index.cli import main
from index.feedback import FeedbackStore
from tests.bot.conftest import QUESTION, DeskProxy, button_id, text_of

pytestmark = pytest.mark.slow

EPHEMERAL = 64


def private_record(desk, path):
    """The real desk, recording answers and feedback in a file of this test's own."""
    store = FeedbackStore(path)

    def record(answer, *, conversation=None):
        return store.record_answer(answer, generation=desk.snapshot.name, conversation=conversation)

    return DeskProxy(desk, feedback=store, record=record), store


async def test_votes_and_a_reason_are_recorded_and_shown_also_after_a_restart(
    fake, bots, desk, tmp_path, capsys
):
    index_dir = tmp_path / "index"
    proxy, store = private_record(desk, index_dir / FeedbackStore.FILE)
    first_bot = await bots.start(proxy, answer_in_thread=False)
    await fake.send_message(f"<@{fake.bot.id}> {QUESTION}")
    post = await fake.wait_for_request("POST", rf"/channels/{fake.channel['id']}/messages")
    answer = fake.channel_messages()[-1]
    up, down = button_id(post.json, "nd:fb:"), button_id(post.json, "nd:fb:").replace("up", "down")

    liked = await (await fake.click(answer, up, user=fake.member)).callback()
    shown = await fake.click(answer, down, user=fake.moderator)
    modal = await shown.callback()
    submitted = await fake.submit_modal(
        shown, {"reason": "quotes the wrong meeting"}, user=fake.moderator
    )
    thanks = await submitted.callback()
    await bots.stop(first_bot)
    await bots.start(proxy, answer_in_thread=False)
    after_restart = await (await fake.click(answer, up, user=fake.owner)).callback()

    assert liked["type"] == 4 and liked["data"]["flags"] & EPHEMERAL
    assert modal["type"] == 9 and modal["data"]["title"].startswith("What was wrong")
    assert thanks["type"] == 4 and thanks["data"]["content"] == "Thanks, noted."
    assert after_restart["type"] == 4 and after_restart["data"]["content"] == "Thanks, noted."

    env = tmp_path / "env"
    env.write_text(f"NEWSDESK_INDEX_DIR={index_dir}\n")
    assert main(["--env-file", str(env), "feedback", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert main(["--env-file", str(env), "feedback"]) == 0
    printed = capsys.readouterr().out

    assert report["counts"] == {"answers": 1, "rated": 1, "up": 2, "down": 1}
    (disliked,) = report["disliked"]
    assert disliked["reason"] == "quotes the wrong meeting"
    assert disliked["question"] == QUESTION
    assert disliked["generation"] == desk.snapshot.name
    assert disliked["answer"]["citations"][0]["quote"] in text_of(post.json).replace("\\", "")
    assert "1 answers, 1 rated: 2 👍, 1 👎" in printed
    assert "quotes the wrong meeting" in printed
    assert len(store.ratings()) == 3  # three people, one vote each


async def test_a_vote_on_an_answer_no_longer_on_record_is_told_so(fake, bots, desk, tmp_path):
    proxy, _ = private_record(desk, tmp_path / "f.sqlite3")
    await bots.start(proxy, answer_in_thread=False)
    await fake.send_message(f"<@{fake.bot.id}> {QUESTION}")
    post = await fake.wait_for_request("POST", rf"/channels/{fake.channel['id']}/messages")
    answer = fake.channel_messages()[-1]
    (tmp_path / "f.sqlite3").unlink()  # the operator deleted the file

    reply = await (await fake.click(answer, button_id(post.json, "nd:fb:"))).callback()

    assert "no longer on record" in reply["data"]["content"]
