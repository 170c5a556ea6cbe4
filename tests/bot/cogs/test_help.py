"""/help end to end."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


async def test_help_explains_how_to_ask_only_to_the_asker(fake, bots, desk):
    await bots.start(desk, max_question_chars=321)

    help_ = await fake.run_command("help")
    response = await help_.callback()

    assert response["type"] == 4 and response["data"]["flags"] & 64
    embed = response["data"]["embeds"][0]
    text = embed["description"] + " ".join(f["value"] for f in embed["fields"])
    assert f"<@{fake.bot.id}>" in text
    assert "/ask" in text and "/source" in text and "/reindex" in text and "/add" in text
    assert "321 characters" in text
