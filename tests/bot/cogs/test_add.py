"""/add and the feed polling end to end: the real bot against the fake Discord, fetching from a
news site on 127.0.0.1 into a real index."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.bot.conftest import DeskProxy, Gate, buttons_of, settings_for, text_of
from tests.fakediscord import payloads as p
from tests.fakes.news_site import (
    COMMENT_TEXT,
    FERRY,
    GRAIN,
    LIGHTHOUSE,
    TEASER_TEXT,
    NewsSite,
    article_page,
)

pytestmark = pytest.mark.slow

EPHEMERAL = 64
RFC822 = "Wed, 14 May 2025 08:30:00 GMT"
POLL_MINUTES = 0.01  # 0.6 s


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with NewsSite() as server:
        yield server


@pytest.fixture
def own_desk(tmp_path: Path, local_model: Any) -> Iterator[Any]:
    """A real core over an empty articles folder, fetching from 127.0.0.1."""
    from index.service import Newsdesk

    made: list[Any] = []

    def make(feeds: list[str] | None = None) -> Any:
        articles = tmp_path / f"articles{len(made)}"
        articles.mkdir()
        settings = settings_for(tmp_path / f"index{len(made)}", articles_dir=articles)
        core = settings.core
        core.fetch_allow_private = True
        core.fetch_timeout = 2.0
        core.feeds = feeds or []
        core.feed_minutes = POLL_MINUTES
        desk = Newsdesk.open(settings, embedder=local_model)
        made.append(desk)
        return desk

    yield make
    for desk in made:
        desk.close()


async def until(check: Any, seconds: float = 60.0) -> None:
    """Wait for `check()` to hold (polled: what it looks at is outside the fake Discord)."""
    async with asyncio.timeout(seconds):
        while not check():  # noqa: ASYNC110 (the state lives in other threads)
            await asyncio.sleep(0.05)


def finished(message: dict[str, Any]) -> bool:
    return not message["content"].startswith("Adding")


async def test_add_is_refused_for_a_member_and_fetches_nothing(fake, bots, site, own_desk):
    site.article("/world/ferries", FERRY)
    desk = own_desk()
    await bots.start(desk)

    attempt = await fake.run_command("add", {"url": site.url("/world/ferries")}, user=fake.member)
    refusal = await attempt.callback()

    assert refusal["type"] == 4 and refusal["data"]["flags"] & EPHEMERAL
    assert "Only newsdesk admins" in refusal["data"]["content"]
    assert site.requests == []
    assert desk.sources() == []


async def test_add_by_an_admin_indexes_the_page_and_answers_cite_its_url(
    fake, bots, site, own_desk
):
    site.article("/world/ferries", FERRY)
    url = site.url("/world/ferries")
    desk = own_desk()
    await bots.start(desk)

    run = await fake.run_command("add", {"url": url}, user=fake.role_admin)
    first = await run.callback()
    done = await run.wait_original(finished, seconds=60)

    assert first["type"] == 4 and first["data"]["content"].startswith("Adding")
    assert done["content"] == f"Added: [{FERRY.title}](<{url}>) — {FERRY.outlet}, {FERRY.date}"
    question = await fake.send_message(f"<@{fake.bot.id}> What did Tomas Berg say about the ferry?")
    reply = await fake.wait_for_request(  # in the thread started from the question
        "POST", rf"/channels/{question['id']}/messages", seconds=30
    )
    assert "A ferry is not a luxury" in text_of(reply.json)
    assert url in [b.get("url") for b in buttons_of(reply.json)]  # "Read" opens the page

    look = await fake.run_command("source", {"ref": "island ferries winter"}, user=fake.member)
    shown = await fake.wait_for(
        lambda: next((m["embeds"][0] for m in look.messages() if m["embeds"]), None)
    )
    assert shown["title"] == FERRY.title
    assert shown["url"] == url


async def test_add_says_why_a_page_was_not_added(fake, bots, site, own_desk):
    desk = own_desk()
    await bots.start(desk)

    run = await fake.run_command("add", {"url": site.url("/nothing-here")}, user=fake.moderator)
    done = await run.wait_original(finished, seconds=30)
    nothing = await fake.run_command("add", {}, user=fake.moderator)
    refusal = await nothing.callback()

    assert done["content"].startswith("Could not add:")
    assert "HTTP 404" in done["content"]
    assert "a link" in refusal["data"]["content"] and refusal["data"]["flags"] & EPHEMERAL
    assert desk.sources() == []


async def test_add_takes_an_attached_html_file(fake, bots, site, own_desk):
    from tests.fakes.news_site import Route

    html = article_page(GRAIN, "https://news.example/grain").encode()
    site.route("/attachments/grain.html", Route(html))
    desk = own_desk()
    await bots.start(desk)
    attachment_id = p.snowflake()
    attachment = p.attachment(
        attachment_id, "grain.html", site.url("/attachments/grain.html"), len(html), "text/html"
    )

    run = await fake.run_command(
        "add",
        {"file": str(attachment_id)},
        user=fake.owner,
        resolved={"attachments": {str(attachment_id): attachment}},
    )
    done = await run.wait_original(finished, seconds=60)

    assert done["content"].startswith(f"Added: [{GRAIN.title}](<https://news.example/grain>)")
    [article] = desk.sources()
    text = desk.snapshot.article_text(article.id)
    assert GRAIN.paragraphs[0] in text
    assert TEASER_TEXT not in text and COMMENT_TEXT not in text


async def test_polling_picks_up_a_new_feed_item_without_a_restart(fake, bots, site, own_desk):
    site.article("/a/ferries", FERRY)
    site.article("/a/lighthouse", LIGHTHOUSE)
    site.rss("/rss.xml", [("/a/ferries", FERRY.title, RFC822)])
    desk = own_desk([site.url("/rss.xml")])
    channel = int(fake.channel["id"])
    await bots.start(desk, feed_channel_id=channel)

    def posted(word: str) -> Any:
        return lambda: [m for m in fake.channel_messages() if word in m["content"]]

    [first] = await fake.wait_for(posted(FERRY.title), seconds=60)
    assert first["content"] == (
        f"New: [{FERRY.title}](<{site.url('/a/ferries')}>) — {FERRY.outlet}, {FERRY.date}"
    )
    site.rss(
        "/rss.xml",
        [("/a/lighthouse", LIGHTHOUSE.title, RFC822), ("/a/ferries", FERRY.title, RFC822)],
    )
    await fake.wait_for(posted(LIGHTHOUSE.title), seconds=60)

    question = await fake.send_message(
        f"<@{fake.bot.id}> What did Ingrid Holm say about the lighthouse?"
    )
    reply = await fake.wait_for_request(  # in the thread started from the question
        "POST", rf"/channels/{question['id']}/messages", seconds=30
    )
    assert "belongs to everyone" in text_of(reply.json)
    assert site.url("/a/lighthouse") in [b.get("url") for b in buttons_of(reply.json)]
    await asyncio.sleep(2 * POLL_MINUTES * 60)  # more polls: nothing is announced twice
    assert len(fake.channel_messages()) == 2  # the two announcements (the answer is in a thread)


async def test_no_pull_starts_while_a_reindex_or_another_pull_runs(fake, bots, site, own_desk):
    site.article("/a/ferries", FERRY, delay=1.0)
    site.rss("/rss.xml", [("/a/ferries", FERRY.title, RFC822)])
    real = own_desk([site.url("/rss.xml")])
    real.settings.core.feed_minutes = 60  # the test pulls by hand
    gate = Gate()
    bot = await bots.start(DeskProxy(real))
    cog = bot.get_cog("Feeds")
    assert cog is not None and type(cog).__name__ == "Feeds"
    await until(lambda: not cog.pulling and bool(real.sources()))  # the first tick's pull
    site.rss("/rss.xml", [("/a/ferries", FERRY.title, "Thu, 15 May 2025 08:30:00 GMT")])

    holder = asyncio.create_task(asyncio.to_thread(real.reindex, progress=lambda _: gate.hold()))
    await gate.wait_entered()
    hits = site.hits("/rss.xml")
    during_reindex = await cog.pull_once()
    gate.open()
    await holder
    assert during_reindex is None and site.hits("/rss.xml") == hits

    first = asyncio.create_task(cog.pull_once())
    await until(lambda: site.hits("/a/ferries") >= 2)  # the page's delay holds this pull
    second = await cog.pull_once()
    report = await first
    assert second is None
    assert report is not None and [i.status for i in report.items] == ["unchanged"]
    assert site.hits("/rss.xml") == hits + 1
