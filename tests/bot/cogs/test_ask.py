"""Questions end to end: mentions, follow-up replies, /ask, limits, mentions never pinging."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.errors import UNEXPECTED
from tests.bot.conftest import QUESTION, DeskProxy, Gate, settings_for

pytestmark = pytest.mark.slow


def pings_nobody(allowed_mentions):
    """True when Discord would ping no one: no @everyone/roles/users, not even the asker."""
    return (
        allowed_mentions["parse"] == []
        and not allowed_mentions.get("users")
        and not allowed_mentions.get("roles")
        and not allowed_mentions.get("replied_user")
    )


def answer_posts(fake):
    return fake.requests_to("POST", rf"/channels/{fake.channel['id']}/messages")


async def next_answer_post(fake, after=0):
    return await fake.wait_for_request(
        "POST", rf"/channels/{fake.channel['id']}/messages", after=after
    )


async def test_mention_is_answered_with_a_cited_reply_and_source_buttons(fake, bots, desk):
    expected = desk.ask(QUESTION)
    await bots.start(desk)

    question = await fake.send_message(f"<@{fake.bot.id}> {QUESTION}")
    post = await next_answer_post(fake)

    body = post.json
    assert str(body["message_reference"]["message_id"]) == question["id"]
    assert pings_nobody(body["allowed_mentions"])
    quote = expected.citations[0].quote
    assert quote in body["content"]
    assert "**Sources**" in body["content"]
    assert f"[1] **{expected.citations[0].article.title}**" in body["content"]
    buttons = [c for row in body["components"] for c in row["components"]]
    assert [b["custom_id"].split(":")[-1] for b in buttons] == list(  # one per source
        dict.fromkeys(c.article.id for c in expected.citations)
    )
    # typing was shown before the answer went out
    typing = fake.requests_to("POST", rf"/channels/{fake.channel['id']}/typing")
    assert typing and fake.requests.index(typing[0]) < fake.requests.index(post)


async def test_a_reply_to_an_answer_is_a_follow_up_without_a_mention(fake, bots, desk):
    seen: list[str] = []

    def ask(question, **kw):
        seen.append(question)
        return desk.ask(question, **kw)

    await bots.start(DeskProxy(desk, ask=ask))
    await fake.send_message(f"<@{fake.bot.id}> {QUESTION}")
    await next_answer_post(fake)
    answer = fake.channel_messages()[-1]
    n = len(fake.requests)

    reply = await fake.send_message("And what about Serbia?", reply_to=answer)
    post = await next_answer_post(fake, after=n)

    assert str(post.json["message_reference"]["message_id"]) == reply["id"]
    assert seen == [QUESTION, f"{QUESTION} And what about Serbia?"]


async def test_messages_not_for_the_bot_are_ignored(fake, bots, desk):
    await bots.start(desk)

    await fake.send_message(QUESTION)  # no mention, no reply
    marker = await fake.send_message(f"<@{fake.bot.id}> {QUESTION}")  # this one is for the bot
    post = await next_answer_post(fake)

    await asyncio.sleep(0.5)  # time for a (wrong) answer to the first message to arrive

    assert str(post.json["message_reference"]["message_id"]) == marker["id"]
    assert len(answer_posts(fake)) == 1


async def test_slash_ask_is_deferred_then_answered(fake, bots, desk):
    expected = desk.ask(QUESTION)
    await bots.start(desk)

    started = time.monotonic()
    ask = await fake.run_command("ask", {"question": QUESTION})
    first = await ask.callback()
    acknowledged = time.monotonic() - started
    original = await ask.wait_original(lambda m: expected.citations[0].quote in m["content"])

    assert first["type"] == 5  # deferred: "newsdesk is thinking…"
    assert acknowledged < 3.0  # Discord's deadline
    assert original["components"], "source buttons under the answer"
    sent = ask.webhook_requests()[-1].json
    assert pings_nobody(sent["allowed_mentions"])


async def test_empty_and_over_long_questions_get_a_clear_reply(fake, bots, desk):
    await bots.start(desk, max_question_chars=50)

    await fake.send_message(f"<@{fake.bot.id}>")
    empty = await next_answer_post(fake)
    long = await fake.run_command("ask", {"question": "why " * 30})
    refusal = await long.callback()

    assert "Ask me a question" in empty.json["content"]
    assert refusal["type"] == 4
    assert refusal["data"]["flags"] & 64  # only the asker sees it
    assert "under 50" in refusal["data"]["content"]


async def test_cooldown_refuses_a_user_asking_too_often(fake, bots, desk):
    await bots.start(desk, cooldown_seconds=60, cooldown_questions=1)

    first = await fake.run_command("ask", {"question": QUESTION})
    await first.wait_original(lambda m: "[1]" in m["content"])
    second = await fake.run_command("ask", {"question": QUESTION})
    refusal = await second.callback()
    other_user = await fake.run_command("ask", {"question": QUESTION}, user=fake.moderator)

    assert "try again in" in refusal["data"]["content"]
    assert (await other_user.callback())["type"] == 5


async def test_answers_run_off_the_event_loop_and_extra_ones_wait_for_a_slot(fake, bots, desk):
    gate = Gate()
    running, most = [0], [0]

    def slow_ask(question, **kw):
        running[0] += 1
        most[0] = max(most[0], running[0])
        try:
            if not gate.entered.is_set():
                gate.hold()
            return desk.ask(question, **kw)
        finally:
            running[0] -= 1

    await bots.start(DeskProxy(desk, ask=slow_ask), max_concurrent_answers=1)
    held = await fake.run_command("ask", {"question": QUESTION})
    await gate.wait_entered()

    # While the answer is being worked on in a thread, the bot still responds…
    help_ = await fake.run_command("help")
    assert (await help_.callback())["type"] == 4
    # …and acknowledges a second question at once, which waits for the only slot.
    waiting = await fake.run_command("ask", {"question": QUESTION}, user=fake.moderator)
    assert (await waiting.callback())["type"] == 5

    gate.open()
    await held.wait_original(lambda m: "[1]" in m["content"])
    await waiting.wait_original(lambda m: "[1]" in m["content"])
    assert most[0] == 1


async def test_a_failing_handler_is_answered_and_the_bot_keeps_going(fake, bots, desk):
    def ask(question, **kw):
        if "explode" in question:
            raise RuntimeError("boom")
        return desk.ask(question, **kw)

    await bots.start(DeskProxy(desk, ask=ask))

    await fake.send_message(f"<@{fake.bot.id}> please explode")
    failed_mention = await next_answer_post(fake)
    failed_slash = await fake.run_command("ask", {"question": "explode now"})
    await fake.wait_for(lambda: any(m["content"] == UNEXPECTED for m in failed_slash.messages()))
    n = len(fake.requests)
    ok = await fake.run_command("ask", {"question": QUESTION})

    assert failed_mention.json["content"] == UNEXPECTED
    assert "boom" not in failed_mention.json["content"]
    await ok.wait_original(lambda m: "[1]" in m["content"])
    assert len(fake.requests) > n


async def test_an_answer_quoting_everyone_pings_nobody(fake, bots, desk, tmp_path, local_model):
    from index.service import Newsdesk

    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "notice.md").write_text(
        "---\ntitle: Council notice [draft]\noutlet: Town Crier\ndate: 2025-03-01\n"
        "url: https://example.org/notice\n---\n"
        'The mayor wrote: "@everyone the council meets on Friday at noon in the town hall." '
        "Residents and <@&123> members were invited.\n",
        encoding="utf-8",
    )
    pinging = Newsdesk.open(
        settings_for(tmp_path / "index", articles_dir=articles), embedder=local_model
    )
    pinging.reindex()
    await bots.start(pinging)

    await fake.send_message(f"<@{fake.bot.id}> @everyone when does the council meet?")
    post = await next_answer_post(fake)

    assert "@everyone" in post.json["content"]
    assert pings_nobody(post.json["allowed_mentions"])
    assert "[Council notice \\[draft\\]](<https://example.org/notice>)" in post.json["content"]
    assert "Town Crier, 2025-03-01" in post.json["content"]


async def test_mentioning_the_bots_role_also_asks(fake, bots, desk, cited_answer):
    await bots.start(desk)

    question = await fake.send_message(f"<@&{fake.bot_role_id}> {QUESTION}")
    post = await next_answer_post(fake)

    assert str(post.json["message_reference"]["message_id"]) == question["id"]
    assert cited_answer.citations[0].quote in post.json["content"]


async def test_a_long_answer_is_split_across_messages_without_cutting_quotes(
    fake, bots, desk, cited_answer
):
    from dataclasses import replace

    filler = "This sentence pads the answer so that it needs several messages. " * 12
    text = "\n\n".join(f"{filler}“{c.quote}” [{c.n}] {filler}" for c in cited_answer.citations)
    long_answer = replace(cited_answer, text=text)
    await bots.start(DeskProxy(desk, ask=lambda question, **kw: long_answer))

    question = await fake.send_message(f"<@{fake.bot.id}> {QUESTION}")
    await fake.wait_for(
        lambda: "**Sources**" in "".join(r.json["content"] for r in answer_posts(fake))
    )
    posts = [r.json for r in answer_posts(fake)]

    assert len(posts) >= 3
    assert all(len(p["content"]) <= 2000 for p in posts)
    for c in cited_answer.citations:
        assert sum(f"“{c.quote}” [{c.n}]" in p["content"] for p in posts) == 1
    assert str(posts[0]["message_reference"]["message_id"]) == question["id"]
    assert [bool(p.get("components")) for p in posts] == [False] * (len(posts) - 1) + [True]
    assert all(pings_nobody(p["allowed_mentions"]) for p in posts)


async def test_no_index_yet_is_answered_with_the_cores_message(fake, bots, tmp_path, local_model):
    from index.errors import IndexNotBuilt
    from index.service import Newsdesk

    empty = Newsdesk.open(settings_for(tmp_path / "empty-index"), embedder=local_model)
    await bots.start(empty)

    ask = await fake.run_command("ask", {"question": QUESTION})
    reply = await ask.wait_original(lambda m: bool(m["content"]))

    assert reply["content"] == str(IndexNotBuilt())
