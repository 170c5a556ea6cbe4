"""Settings: every one documented in .env.example, parsed from the environment as documented."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from index.config import ChromaSettings, CoreSettings, DiscordSettings, OpenAISettings, Settings
from tests.conftest import REPO

SECTIONS = [CoreSettings, OpenAISettings, ChromaSettings, DiscordSettings]


def _env_names() -> set[str]:
    names = set()
    for cls in SECTIONS:
        prefix = cls.model_config.get("env_prefix", "")
        names |= {f"{prefix}{field}".upper() for field in cls.model_fields}
    return names


def test_every_setting_is_in_env_example_with_a_comment() -> None:
    text = (REPO / ".env.example").read_text(encoding="utf-8")
    lines = text.splitlines()
    for name in _env_names():
        at = [i for i, line in enumerate(lines) if re.match(rf"#?\s*{name}=", line)]
        assert at, f"{name} is missing from .env.example"
        above = lines[at[0] - 1]
        assert above.startswith("#"), f"{name} has no comment line above it"


def test_env_example_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings.load(REPO / ".env.example")
    assert settings.core.top_k == 8
    assert settings.discord.guild_ids == []
    assert not settings.llm_enabled


def test_lists_secrets_and_errors_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_GUILD_IDS", "1, 22,333")
    monkeypatch.setenv("DISCORD_TOKEN", "secret-token")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    settings = Settings.load(None)
    assert settings.discord.guild_ids == [1, 22, 333]
    assert "secret-token" not in repr(settings)
    assert settings.llm_enabled
    monkeypatch.setenv("NEWSDESK_CHUNK_SIZE", "-3")
    with pytest.raises(ValidationError):
        Settings.load(None)
