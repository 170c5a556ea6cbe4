"""Lookups are rate-limited like questions, and `/reindex` always ends with its outcome."""

from __future__ import annotations

import pytest

from tests.bot.conftest import DeskProxy

pytestmark = pytest.mark.slow

EPHEMERAL = 64


def buttons(message):
    return [c for row in message["components"] for c in row["components"]]


async def test_sources_and_its_buttons_share_a_per_user_limit(fake, bots, desk):
    await bots.start(desk, lookup_cooldown_seconds=60, lookup_cooldown_uses=2)

    first = await fake.run_command("sources")
    listed = await first.callback()
    nxt = buttons(listed["data"])[1]
    turn = await fake.click(first.original(), nxt["custom_id"])
    assert (await turn.callback())["type"] == 7  # the second lookup: the page turns
    third = await fake.run_command("sources")
    refused = await third.callback()

    assert refused["data"]["flags"] & EPHEMERAL
    assert "try again in" in refused["data"]["content"]
    other = await fake.run_command("sources", user=fake.moderator)  # others are not limited
    assert (await other.callback())["data"]["embeds"]


async def test_source_limit_names_the_wait(fake, bots, desk):
    await bots.start(desk, lookup_cooldown_seconds=60, lookup_cooldown_uses=1)
    ok = await fake.run_command("source", {"ref": "dinner with Nato chief"})
    assert (await ok.callback())["type"] == 5
    again = await fake.run_command("source", {"ref": "dinner with Nato chief"})
    refused = await again.callback()
    assert "try again in" in refused["data"]["content"]


async def test_autocomplete_scores_articles_once_per_window(fake, bots, desk):
    calls = []

    def suggest(text, limit=25):
        calls.append(text)
        return desk.suggest_sources(text, limit)

    await bots.start(DeskProxy(desk, suggest_sources=suggest), autocomplete_seconds=60)
    first = await fake.autocomplete("source", {"ref": "serbia"}, focused="ref")
    choices = (await first.callback())["data"]["choices"]
    second = await fake.autocomplete("source", {"ref": "serbian"}, focused="ref")
    again = (await second.callback())["data"]["choices"]

    assert calls == ["serbia"] and choices and again == choices


async def test_reindex_reply_says_failed_on_any_error(fake, bots, desk):
    def broken(**kw):
        raise RuntimeError("the disk went away")

    await bots.start(DeskProxy(desk, reindex=broken, reindexing=False))
    run = await fake.run_command("reindex", user=fake.moderator)
    done = await run.wait_original(lambda m: m["content"].startswith("Reindex failed"))
    assert "the disk went away" in done["content"]
