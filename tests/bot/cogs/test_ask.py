"""Questions end to end: mentions answered in threads, follow-ups, replies, /ask, limits, typing
that fails, mentions never pinging."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot import render
from bot.errors import UNEXPECTED
from tests.bot.conftest import (
    IS_COMPONENTS_V2,
    QUESTION,
    DeskProxy,
    Gate,
    button_id,
    buttons_of,
    settings_for,
    text_of,
)

pytestmark = pytest.mark.slow


def pings_nobody(allowed_mentions):
    """True when Discord would ping no one: no @everyone/roles/users, not even the asker."""
    return (
        allowed_mentions["parse"] == []
        and not allowed_mentions.get("users")
        and not allowed_mentions.get("roles")
        and not allowed_mentions.get("replied_user")
    )


def posts_in(fake, channel_id):
    return fake.requests_to("POST", rf"/channels/{channel_id}/messages")


async def next_post(fake, channel_id, after=0):
    return await fake.wait_for_request("POST", rf"/channels/{channel_id}/messages", after=after)


async def thread_answer(fake, question):
    """The thread started from `question` and the bot's first post in it."""
    start = await fake.wait_for_request(
        "POST", rf"/channels/{fake.channel['id']}/messages/{question['id']}/threads"
    )
    return start, await next_post(fake, question["id"])


def recording(desk):
    """A desk that records the questions and histories it is asked with."""
    seen: list[tuple[str, list]] = []

    def ask(question, **kw):
        seen.append((question, [a.question for a in kw.get("history", ())]))
        return desk.ask(question, **kw)

    return DeskProxy(desk, ask=ask), seen


async def test_a_mention_is_answered_in_a_new_thread_titled_from_the_question(fake, bots, desk):
    expected = desk.ask(QUESTION)
    await bots.start(desk)

    question = await fake.send_message(f"<@{fake.bot.id}> {QUESTION}")
    start, post = await thread_answer(fake, question)

    assert start.json["name"] == QUESTION
    assert int(question["id"]) in fake.threads  # THREAD_CREATE went out; the thread is a channel
    body = post.json
    assert body["flags"] & IS_COMPONENTS_V2 and not body.get("content")
    assert pings_nobody(body["allowed_mentions"])
    text = text_of(body)
    assert "### What Mark Rutte said" in text
    for c in expected.citations:
        assert render.quote_block(c) in text  # every quote whole, escaped, numbered
    titles = {c.article.title for c in expected.citations}
    assert sum(f"**{render.escape_text(t)}**" in text for t in titles) == len(titles)
    assert all(text.count(f"**{render.escape_text(t)}**") == 1 for t in titles), "once each"
    sources = [b["custom_id"].split(":")[-1] for b in buttons_of(body) if "nd:src:" in str(b)]
    assert sources == [c.article.id for c in expected.citations]
    assert button_id(body, "nd:fb:") and "nd:fb:" in button_id(body, "nd:fb:")
    typing = fake.requests_to("POST", rf"/channels/{question['id']}/typing")
    assert typing and fake.requests.index(typing[0]) < fake.requests.index(post)


async def test_a_follow_up_in_the_thread_needs_no_mention_and_keeps_the_speaker(fake, bots, desk):
    proxy, seen = recording(desk)
    await bots.start(proxy)
    question = await fake.send_message(f"<@{fake.bot.id}> What did Rutte say about Dodik?")
    await thread_answer(fake, question)
    n = len(fake.requests)

    await fake.send_message("and what did he say about the verdict?", channel_id=question["id"])
    follow = await next_post(fake, question["id"], after=n)
    await asyncio.sleep(0.5)  # time for a (wrong) answer to the bot's own messages

    assert seen[1] == ("and what did he say about the verdict?", [seen[0][0]])
    text = text_of(follow.json)
    assert "-# Answering: What did Mark Rutte say about the verdict?" in text
    assert "### What Mark Rutte said" in text
    assert str(follow.json["message_reference"]["message_id"]) != question["id"]
    assert len(posts_in(fake, question["id"])) == 2  # its own answers are not questions
    assert fake.threads == {int(question["id"]): fake.threads[int(question["id"])]}


async def test_the_thread_still_takes_follow_ups_after_a_restart(fake, bots, desk):
    first_bot = await bots.start(desk)
    question = await fake.send_message(f"<@{fake.bot.id}> What did Rutte say about Dodik?")
    await thread_answer(fake, question)
    await bots.stop(first_bot)
    proxy, seen = recording(desk)
    await bots.start(proxy)  # the thread comes back in GUILD_CREATE's active threads
    n = len(fake.requests)

    await fake.send_message("and what did he say about the verdict?", channel_id=question["id"])
    follow = await next_post(fake, question["id"], after=n)

    assert seen == [("and what did he say about the verdict?", ["What did Rutte say about Dodik?"])]
    assert "Answering: What did Mark Rutte say about the verdict?" in text_of(follow.json)


async def test_without_permission_to_create_threads_the_answer_is_a_reply(fake, bots, desk):
    fake.thread_permission = False
    await bots.start(desk)

    question = await fake.send_message(f"<@{fake.bot.id}> {QUESTION}")
    post = await next_post(fake, fake.channel["id"])

    assert str(post.json["message_reference"]["message_id"]) == question["id"]
    assert "### What Mark Rutte said" in text_of(post.json)
    assert fake.threads == {}


async def test_a_reply_to_an_answer_continues_that_conversation(fake, bots, desk):
    proxy, seen = recording(desk)
    await bots.start(proxy, answer_in_thread=False)
    await fake.send_message(f"<@{fake.bot.id}> What did Rutte say about Dodik?")
    await next_post(fake, fake.channel["id"])
    answer = fake.channel_messages()[-1]
    n = len(fake.requests)

    reply = await fake.send_message("what about Vucic?", reply_to=answer)
    post = await next_post(fake, fake.channel["id"], after=n)

    assert fake.threads == {}
    assert str(post.json["message_reference"]["message_id"]) == reply["id"]
    assert seen[1] == ("what about Vucic?", ["What did Rutte say about Dodik?"])
    assert "-# Answering: What did Vucic say about Dodik?" in text_of(post.json)


async def test_a_reply_to_an_answer_is_a_follow_up_after_a_restart(fake, bots, desk):
    first_bot = await bots.start(desk, answer_in_thread=False)
    await fake.send_message(f"<@{fake.bot.id}> What did Rutte say about Dodik?")
    await next_post(fake, fake.channel["id"])
    answer = fake.channel_messages()[-1]
    await bots.stop(first_bot)
    proxy, seen = recording(desk)
    await bots.start(proxy, answer_in_thread=False)
    n = len(fake.requests)

    await fake.send_message("and what did he say about the verdict?", reply_to=answer)
    post = await next_post(fake, fake.channel["id"], after=n)

    assert seen == [("and what did he say about the verdict?", ["What did Rutte say about Dodik?"])]
    assert "Answering: What did Mark Rutte say about the verdict?" in text_of(post.json)


async def test_messages_not_for_the_bot_are_ignored(fake, bots, desk):
    await bots.start(desk, answer_in_thread=False)

    await fake.send_message(QUESTION)  # no mention, no reply
    marker = await fake.send_message(f"<@{fake.bot.id}> {QUESTION}")  # this one is for the bot
    post = await next_post(fake, fake.channel["id"])

    await asyncio.sleep(0.5)  # time for a (wrong) answer to the first message to arrive

    assert str(post.json["message_reference"]["message_id"]) == marker["id"]
    assert len(posts_in(fake, fake.channel["id"])) == 1


async def test_a_failing_typing_indicator_does_not_stop_the_answer(fake, bots, desk):
    fake.typing_status = 403  # Discord refusing typing (any HTTP error); typing is cosmetic
    expected = desk.ask(QUESTION)
    await bots.start(desk)

    question = await fake.send_message(f"<@{fake.bot.id}> {QUESTION}")
    _, post = await thread_answer(fake, question)

    assert fake.requests_to("POST", rf"/channels/{question['id']}/typing")
    assert render.quote_block(expected.citations[0]) in text_of(post.json)
    assert UNEXPECTED not in text_of(post.json)


async def test_slash_ask_is_deferred_then_answered_in_place(fake, bots, desk):
    expected = desk.ask(QUESTION)
    await bots.start(desk)

    started = time.monotonic()
    ask = await fake.run_command("ask", {"question": QUESTION})
    first = await ask.callback()
    acknowledged = time.monotonic() - started
    quote = render.quote_block(expected.citations[0])
    original = await ask.wait_original(lambda m: quote in text_of(m))

    assert first["type"] == 5  # deferred: "newsdesk is thinking…"
    assert acknowledged < 3.0  # Discord's deadline
    assert button_id(original, "nd:src:") and button_id(original, "nd:fb:")
    assert not any(b.get("custom_id", "").startswith("nd:share:") for b in buttons_of(original))
    sent = ask.webhook_requests()[-1].json
    assert pings_nobody(sent["allowed_mentions"])
    assert fake.threads == {}


async def test_a_private_answer_is_ephemeral_and_its_share_button_posts_it(fake, bots, desk):
    expected = desk.ask(QUESTION)
    await bots.start(desk)
    quote = render.quote_block(expected.citations[0])

    ask = await fake.run_command("ask", {"question": QUESTION, "private": True})
    first = await ask.callback()
    private = await ask.wait_original(lambda m: quote in text_of(m))
    share = await fake.click(private, button_id(private, "nd:share:"), user=fake.member)
    shared = await share.callback()

    assert first["data"]["flags"] & 64  # only the asker sees "thinking" and the answer
    assert private["flags"] & 64
    assert shared["type"] == 4 and not shared["data"].get("flags", 0) & 64  # everyone sees it
    assert quote in text_of(shared["data"])
    assert f"Shared by <@{fake.member.id}>" in text_of(shared["data"])
    assert pings_nobody(shared["data"]["allowed_mentions"])
    assert not any("nd:share:" in (b.get("custom_id") or "") for b in buttons_of(shared["data"]))


async def test_the_message_command_answers_about_a_message(fake, bots, desk):
    await bots.start(desk)
    command = fake.synced_command("Ask newsdesk", kind=3)
    claim = await fake.send_message(
        "Rutte said NATO is not involved in the Balkan agreements", author=fake.owner
    )
    await asyncio.sleep(0.3)

    ask = await fake.run_message_command("Ask newsdesk", claim)
    first = await ask.callback()
    answer = await ask.wait_original(lambda m: "nd:fb:" in str(m["components"]))

    assert command["type"] == 3 and command["options"] == []  # a message command has none
    assert first["type"] == 5
    text = text_of(answer)
    assert f"About [a message](https://discord.com/channels/{fake.guild_id}/" in text
    assert f"by <@{fake.owner.id}>" in text
    assert button_id(answer, "nd:src:")  # it found what the articles say
    assert posts_in(fake, fake.channel["id"]) == []  # the claim itself was not a mention


async def test_empty_and_over_long_questions_get_a_clear_reply(fake, bots, desk):
    await bots.start(desk, max_question_chars=50)

    await fake.send_message(f"<@{fake.bot.id}>")
    empty = await next_post(fake, fake.channel["id"])
    long = await fake.run_command("ask", {"question": "why " * 30})
    refusal = await long.callback()

    assert "Ask me a question" in empty.json["content"]
    assert refusal["type"] == 4
    assert refusal["data"]["flags"] & 64  # only the asker sees it
    assert "under 50" in refusal["data"]["content"]
    assert fake.threads == {}


async def test_cooldown_refuses_a_user_asking_too_often(fake, bots, desk):
    await bots.start(desk, cooldown_seconds=60, cooldown_questions=1)

    first = await fake.run_command("ask", {"question": QUESTION})
    await first.wait_original(lambda m: "[1]" in text_of(m))
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
    await held.wait_original(lambda m: "[1]" in text_of(m))
    await waiting.wait_original(lambda m: "[1]" in text_of(m))
    assert most[0] == 1


async def test_a_failing_handler_is_answered_and_the_bot_keeps_going(fake, bots, desk):
    def ask(question, **kw):
        if "explode" in question:
            raise RuntimeError("boom")
        return desk.ask(question, **kw)

    await bots.start(DeskProxy(desk, ask=ask))

    question = await fake.send_message(f"<@{fake.bot.id}> please explode")
    failed_mention = await next_post(fake, question["id"])  # in the thread it started
    failed_slash = await fake.run_command("ask", {"question": "explode now"})
    await fake.wait_for(lambda: any(m["content"] == UNEXPECTED for m in failed_slash.messages()))
    n = len(fake.requests)
    ok = await fake.run_command("ask", {"question": QUESTION})

    assert failed_mention.json["content"] == UNEXPECTED
    assert "boom" not in failed_mention.json["content"]
    await ok.wait_original(lambda m: "[1]" in text_of(m))
    assert len(fake.requests) > n


async def test_article_markdown_is_inert_and_nothing_pings(fake, bots, tmp_path, local_model):
    from index.service import Newsdesk

    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "notice.md").write_text(
        "---\ntitle: Council notice [draft]\noutlet: Town Crier\ndate: 2025-03-01\n"
        "url: https://example.org/notice\n---\n"
        'The mayor wrote: "@everyone the council meets on Friday at noon in '
        '[the town hall](https://evil.example/x), bring ```snacks``` and *stars* along." '
        "Residents and <@&123> members were invited.\n",
        encoding="utf-8",
    )
    pinging = Newsdesk.open(
        settings_for(tmp_path / "index", articles_dir=articles), embedder=local_model
    )
    pinging.reindex()
    await bots.start(pinging, answer_in_thread=False)

    await fake.send_message(f"<@{fake.bot.id}> @everyone when does the council meet?")
    post = await next_post(fake, fake.channel["id"])

    text = text_of(post.json)
    assert "@everyone" in text
    assert pings_nobody(post.json["allowed_mentions"])
    assert "[the town hall](https://evil.example/x)" not in text  # no masked link…
    assert "\\[the town hall\\](<https://evil.example/x>)" in text  # …the same characters, inert
    assert "```" not in text.replace("\\`", "")  # no code block opens
    assert "\\*stars\\*" in text
    assert "**Council notice [draft]**" in text
    assert "Town Crier · 2025-03-01" in text
    links = [b for b in buttons_of(post.json) if b.get("style") == 5]
    assert [b["url"] for b in links] == ["https://example.org/notice"]


async def test_mentioning_the_bots_role_also_asks(fake, bots, desk, cited_answer):
    await bots.start(desk, answer_in_thread=False)

    question = await fake.send_message(f"<@&{fake.bot_role_id}> {QUESTION}")
    post = await next_post(fake, fake.channel["id"])

    assert str(post.json["message_reference"]["message_id"]) == question["id"]
    assert render.quote_block(cited_answer.citations[0]) in text_of(post.json)


async def test_a_long_answer_pages_with_buttons_that_work_after_a_restart(
    fake, bots, desk, cited_answer
):
    from dataclasses import replace

    from index.models import Citation

    # The same verbatim quotes, cited from many (pretend) articles: far over one message.
    citations = [
        Citation(
            i + 1,
            replace(c.article, id=f"{c.article.id}-{i}", title=f"Part {i}"),
            c.quote,
            c.start,
            c.end,
        )
        for i, c in enumerate(cited_answer.citations * 6)
    ]
    long_answer = replace(cited_answer, citations=citations)
    first_bot = await bots.start(DeskProxy(desk, ask=lambda question, **kw: long_answer))

    question = await fake.send_message(f"<@{fake.bot.id}> {QUESTION}")
    _, post = await thread_answer(fake, question)
    await asyncio.sleep(0.3)
    await bots.stop(first_bot)
    await bots.start(desk)
    message = fake.channel_messages(int(question["id"]))[0]
    (next_id,) = [
        b["custom_id"] for b in buttons_of(post.json) if b.get("custom_id", "").endswith(":next")
    ]
    turn = await fake.click(message, next_id)
    turned = await turn.callback()

    assert len(posts_in(fake, question["id"])) == 1  # one message, not a flood
    first_text = text_of(post.json)
    assert "page 1 of " in first_text and "**Part 0**" in first_text
    assert turned["type"] == 7  # the same message, edited to the next page
    second_text = text_of(turned["data"])
    assert "page 2 of " in second_text and "**Part 0**" not in second_text
    shown = first_text + second_text
    assert sum(f"**Part {i}**" in shown for i in range(len(citations))) >= 2


async def test_no_index_yet_is_answered_with_the_cores_message(fake, bots, tmp_path, local_model):
    from index.errors import IndexNotBuilt
    from index.service import Newsdesk

    empty = Newsdesk.open(settings_for(tmp_path / "empty-index"), embedder=local_model)
    await bots.start(empty)

    ask = await fake.run_command("ask", {"question": QUESTION})
    reply = await ask.wait_original(lambda m: bool(m["content"]))

    assert reply["content"] == str(IndexNotBuilt())
