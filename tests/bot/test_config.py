"""The bot's settings: documented in .env.example, loaded beside the core's."""

from __future__ import annotations

import pytest

from bot.config import BotSettings, DiscordSettings
from tests.conftest import REPO
from tests.index.test_config import assert_in_env_example


def test_every_discord_setting_is_in_env_example_with_a_comment() -> None:
    assert_in_env_example([DiscordSettings])


def test_env_example_loads() -> None:
    settings = BotSettings.load(REPO / ".env.example")
    assert settings.discord.guild_ids == []
    assert settings.core.top_k == 8


def test_lists_and_secrets_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_GUILD_IDS", "1, 22,333")
    monkeypatch.setenv("DISCORD_TOKEN", "secret-token")
    settings = BotSettings.load(None)
    assert settings.discord.guild_ids == [1, 22, 333]
    assert "secret-token" not in repr(settings)


def test_feed_channel_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("DISCORD_FEED_CHANNEL_ID", "")
    assert DiscordSettings(_env_file=None).feed_channel_id is None
    monkeypatch.setenv("DISCORD_FEED_CHANNEL_ID", "123456789012345678")
    assert DiscordSettings(_env_file=None).feed_channel_id == 123456789012345678
