"""Start-up: login, gateway identify, command sync, and the start-up errors that name a fix."""

from __future__ import annotations

import pytest

from bot.app import create_bot, run, start_bot
from index.errors import ConfigError
from tests.bot.conftest import settings_for, text_of
from tests.fakediscord import FakeDiscord
from tests.fakediscord.payloads import MANAGE_GUILD
from tests.fakediscord.server import MESSAGE_CONTENT_INTENT

pytestmark = pytest.mark.slow


async def test_bot_logs_in_identifies_with_message_content_and_syncs_commands(fake, bots, desk):
    await bots.start(desk)

    me = fake.requests_to("GET", "/users/@me")
    assert me and me[0].authorization == f"Bot {fake.token}"
    assert fake.identify is not None
    assert fake.identify["intents"] & MESSAGE_CONTENT_INTENT
    synced = {c["name"]: c for c in fake.commands[fake.guild_id]}
    assert set(synced) == {
        "ask",
        "source",
        "sources",
        "reindex",
        "help",
        "quotes",
        "add",
        "Ask newsdesk",
    }
    assert synced["Ask newsdesk"]["type"] == 3  # a message command (Apps → Ask newsdesk)
    assert synced["reindex"]["default_member_permissions"] == str(MANAGE_GUILD)
    assert synced["add"]["default_member_permissions"] == str(MANAGE_GUILD)
    assert synced["ask"]["default_member_permissions"] is None
    assert [o["name"] for o in synced["ask"]["options"]] == ["question", "private"]
    assert synced["source"]["options"][0]["autocomplete"] is True
    assert fake.unhandled == []


async def test_without_guild_ids_commands_are_synced_globally(fake, bots, desk):
    await bots.start(desk, guild_ids=[])

    assert fake.requests_to("PUT", rf"/applications/{fake.application_id}/commands")
    assert {c["name"] for c in fake.commands[None]} >= {"ask", "reindex"}


def test_missing_token_is_a_clear_error_naming_the_fix(tmp_path):
    settings = settings_for(tmp_path, token=None)

    with pytest.raises(ConfigError, match="DISCORD_TOKEN is not set"):
        run(settings)


async def test_missing_message_content_intent_is_a_clear_error(bots, tmp_path, desk):
    fake = FakeDiscord(reject_privileged_intents=True)
    await fake.start()
    try:
        settings = bots.settings(api_base_url=fake.api_base_url, gateway_url=fake.gateway_url)
        with pytest.raises(ConfigError, match="Message Content Intent"):
            await start_bot(create_bot(settings, desk))
    finally:
        await fake.close()


async def test_rejected_token_is_a_clear_error(fake, bots, desk):
    bot = create_bot(bots.settings(token="not-the-token"), desk)

    with pytest.raises(ConfigError, match="rejected DISCORD_TOKEN"):
        await start_bot(bot)


async def test_unreachable_discord_is_a_clear_error(bots, desk):
    closed = FakeDiscord()
    await closed.start()
    url = closed.api_base_url
    await closed.close()  # nothing listens there any more
    bot = create_bot(bots.settings(api_base_url=url), desk)

    with pytest.raises(ConfigError, match="Could not reach Discord"):
        await start_bot(bot)


def test_gateway_setting_points_discord_py_elsewhere_and_back(tmp_path):
    from discord.gateway import DiscordWebSocket

    from bot.app import DISCORD_GATEWAY, point_at

    point_at(settings_for(tmp_path, gateway_url="ws://127.0.0.1:9/gw", api_base_url="http://x/api"))
    assert str(DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:9/gw"
    point_at(settings_for(tmp_path))
    assert DiscordWebSocket.DEFAULT_GATEWAY == DISCORD_GATEWAY


async def test_the_newsdesk_bot_command_runs_the_bot_from_the_environment(
    fake, desk, monkeypatch, tmp_path
):
    import asyncio
    import threading

    import bot.app as app
    from bot import cli
    from index.service import Newsdesk
    from tests.bot.conftest import QUESTION, DeskProxy

    created = []

    def create_and_keep(settings, d):
        created.append(app.NewsdeskBot(settings, d))
        app.point_at(settings)
        return created[-1]

    monkeypatch.setattr(app, "create_bot", create_and_keep)
    # the session's desk instead of loading the model again; the run must not close it
    monkeypatch.setattr(
        Newsdesk, "open", lambda settings, **kw: DeskProxy(desk, close=lambda: None)
    )
    for key, value in {
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_BASE_URL": fake.api_base_url,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "DISCORD_GUILD_IDS": str(fake.guild_id),
        "DISCORD_GUILD_READY_TIMEOUT": "0.1",
        "NEWSDESK_INDEX_DIR": str(tmp_path / "index"),
    }.items():
        monkeypatch.setenv(key, value)
    exit_code: list[int] = []
    runner = threading.Thread(
        target=lambda: exit_code.append(cli.main(["--env-file", str(tmp_path / "none"), "bot"]))
    )

    runner.start()
    try:
        await asyncio.wait_for(fake.ready.wait(), 30)
        question = await fake.send_message(f"<@{fake.bot.id}> {QUESTION}")
        post = await fake.wait_for_request("POST", rf"/channels/{question['id']}/messages")
    finally:
        if created:
            asyncio.run_coroutine_threadsafe(created[0].close(), created[0].loop)
        await asyncio.to_thread(runner.join, 30)

    assert "[1]" in text_of(post.json)  # in the thread started from the question
    assert fake.commands[fake.guild_id]
    assert exit_code == [0]
