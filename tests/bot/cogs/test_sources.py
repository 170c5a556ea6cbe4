"""Sources end to end: source buttons (also after a restart), /source, autocomplete, /sources."""

from __future__ import annotations

import pytest

from bot import render
from index.errors import SourceNotFound
from tests.bot.conftest import QUESTION, buttons_of

pytestmark = pytest.mark.slow

EPHEMERAL = 64


def buttons(message):
    """A message's buttons that have a custom_id (an answer's source buttons come first)."""
    return [b for b in buttons_of(message) if b.get("custom_id")]


async def ask_in_channel(fake):
    ask = await fake.run_command("ask", {"question": QUESTION})
    return await ask.wait_original(lambda m: bool(m["components"]))


def embed_of(interaction):
    for m in reversed(interaction.messages()):
        if m["embeds"]:
            return m["embeds"][0]
    return None


async def test_source_button_shows_the_passage_and_its_place_to_the_presser(fake, bots, desk):
    citation = desk.ask(QUESTION).citations[0]
    text = desk.source(citation.article.id).text
    await bots.start(desk)
    answer = await ask_in_channel(fake)

    press = await fake.click(answer, buttons(answer)[0]["custom_id"], user=fake.moderator)
    first = await press.callback()
    embed = await fake.wait_for(lambda: embed_of(press))

    assert first["type"] == 5 and first["data"]["flags"] & EPHEMERAL
    assert f"**{render.escape_markdown(citation.quote.strip())}**" in embed["description"]
    assert embed["title"] == citation.article.title
    place = embed["fields"][-1]
    assert place["name"] == "Place in the article"
    assert place["value"] == render.place(text, citation.start, citation.end)
    assert f"of {len(text):,}" in place["value"]


async def test_source_buttons_keep_working_after_a_restart(fake, bots, desk):
    citation = desk.ask(QUESTION).citations[0]
    first_bot = await bots.start(desk)
    answer = await ask_in_channel(fake)
    await bots.stop(first_bot)

    await bots.start(desk)
    press = await fake.click(answer, buttons(answer)[0]["custom_id"])
    embed = await fake.wait_for(lambda: embed_of(press))

    assert citation.quote.split()[0] in embed["description"]


async def test_source_by_citation_number_uses_the_last_answer_in_the_channel(fake, bots, desk):
    citation = desk.ask(QUESTION).citations[0]
    await bots.start(desk)
    await ask_in_channel(fake)

    lookup = await fake.run_command("source", {"ref": "1"})
    embed = await fake.wait_for(lambda: embed_of(lookup))

    assert embed["footer"]["text"].startswith("[1] cited passage")
    assert render.escape_markdown(citation.quote.strip()) in embed["description"]


async def test_source_by_title_words_and_unknown_refs(fake, bots, desk):
    await bots.start(desk)

    by_title = await fake.run_command("source", {"ref": "Serbia pledges"})
    embed = await fake.wait_for(lambda: embed_of(by_title))
    unknown = await fake.run_command("source", {"ref": "[7]"})  # no answer here yet
    reply = await fake.wait_for(lambda: next((m for m in unknown.messages() if m["content"]), None))
    nothing = await fake.run_command("source", {"ref": "zebra crossing"})
    not_found = await fake.wait_for(
        lambda: next((m for m in nothing.messages() if m["content"]), None)
    )

    assert embed["title"] == "Serbia pledges to improve relations with NATO"
    assert "Serbia pledges to improve relations with NATO" in embed["description"]
    assert reply["content"] == "My last answer in this channel has no source [7]."
    with pytest.raises(SourceNotFound) as error:
        desk.source("zebra crossing")
    assert not_found["content"] == str(error.value)


async def test_source_autocomplete_offers_citations_and_matching_articles(fake, bots, desk):
    await bots.start(desk)
    await ask_in_channel(fake)

    typing = await fake.autocomplete("source", {"ref": "serbia"}, focused="ref")
    choices = (await typing.callback())["data"]["choices"]

    assert (await typing.callback())["type"] == 8
    values = [c["value"] for c in choices]
    assert "003_851c2eef16447000" in values
    assert "001_622d8607e342a6b3" in values
    assert all(len(c["name"]) <= 100 for c in choices)


async def test_sources_lists_articles_in_pages(fake, bots, desk, monkeypatch):
    monkeypatch.setattr(render, "SOURCES_PER_PAGE", 2)
    await bots.start(desk)

    listing = await fake.run_command("sources")
    response = await listing.callback()
    page1 = response["data"]["embeds"][0]
    prev, nxt = buttons(response["data"])
    turn = await fake.click(listing.original(), nxt["custom_id"])
    update = await turn.callback()
    page2 = update["data"]["embeds"][0]

    assert response["data"]["flags"] & EPHEMERAL
    assert page1["title"] == "Indexed articles (5)"
    assert page1["footer"]["text"].startswith("Page 1 of 3")
    assert prev["disabled"] and not nxt.get("disabled")
    assert update["type"] == 7  # the listing message itself is updated
    assert page2["footer"]["text"].startswith("Page 2 of 3")
    assert "003_851c2eef16447000" in page2["description"]
    assert "003_851c2eef16447000" not in page1["description"]


async def test_a_button_on_an_answer_whose_article_changed_says_so(fake, bots, desk):
    from dataclasses import replace

    from tests.bot.conftest import DeskProxy

    first_bot = await bots.start(desk)
    answer = await ask_in_channel(fake)
    await bots.stop(first_bot)

    def edited_source(ref):  # the article was rewritten and reindexed meanwhile
        view = desk.source(ref)
        return replace(view, text="Rewritten. " + view.text)

    await bots.start(DeskProxy(desk, source=edited_source))
    press = await fake.click(answer, buttons(answer)[0]["custom_id"])
    message = await fake.wait_for(
        lambda: next((m for m in press.messages() if m["embeds"] and m["content"]), None)
    )

    assert "changed since that answer" in message["content"]
    assert message["embeds"][0]["description"].startswith("Rewritten.")
