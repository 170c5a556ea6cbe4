"""/quotes end to end on the fake Discord: statements by speaker, sources, autocomplete."""

from __future__ import annotations

import pytest

from bot import render
from index.quotes import SpeakerNotFound

pytestmark = pytest.mark.slow


def buttons(message):
    return [c for row in message["components"] for c in row["components"]]


async def test_quotes_lists_statements_verbatim_with_sources_and_buttons(fake, bots, desk):
    expected = desk.quotes("Rute", about="defence spending")
    await bots.start(desk)

    run = await fake.run_command("quotes", {"speaker": "Rute", "about": "defence spending"})
    reply = await fake.wait_for(lambda: next((m for m in run.messages() if m["components"]), None))
    text = "\n".join(m["content"] for m in run.messages())

    assert text.startswith("**Mark Rutte** (also written ")
    assert all(len(m["content"]) <= render.MAX_MESSAGE_CHARS for m in run.messages())
    top = expected.hits[0].statement
    assert f"- \u201c{top.text}\u201d [1]" in text or f"- {top.text} (reported) [1]" in text
    assert "**Sources**" in text
    ids = [b["custom_id"] for b in buttons(reply)]
    shown = expected.hits[: min(10, len(expected.hits))]
    assert len(ids) == len(shown)
    for b, h in zip(ids, shown, strict=True):
        assert b.endswith(h.statement.article_id)
        article = desk.source(h.statement.article_id).text
        assert article[h.statement.start : h.statement.end] == h.statement.text


async def test_quotes_speaker_autocomplete_offers_the_index_speakers(fake, bots, desk):
    await bots.start(desk)

    typing = await fake.autocomplete("quotes", {"speaker": "vucic"}, focused="speaker")
    choices = (await typing.callback())["data"]["choices"]

    assert "Aleksandar Vucic" in [c["value"] for c in choices]
    assert all(len(c["name"]) <= render.CHOICE_NAME_CHARS for c in choices)

    # half a name, as it is being typed, already offers the speaker
    typing = await fake.autocomplete("quotes", {"speaker": "ru"}, focused="speaker")
    choices = (await typing.callback())["data"]["choices"]
    assert [c["value"] for c in choices][:1] == ["Mark Rutte"]


async def test_quotes_for_an_unknown_speaker_says_so(fake, bots, desk):
    await bots.start(desk)

    run = await fake.run_command("quotes", {"speaker": "Zbigniew Nobody"})
    reply = await fake.wait_for(lambda: next((m for m in run.messages() if m["content"]), None))

    with pytest.raises(SpeakerNotFound) as error:
        desk.quotes("Zbigniew Nobody")
    assert reply["content"] == str(error.value)
