"""Settings: every one documented in .env.example, parsed from the environment as documented."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError
from pydantic_settings import BaseSettings

from index.config import ChromaSettings, CoreSettings, OpenAISettings, Settings
from tests.conftest import REPO

SECTIONS: list[type[BaseSettings]] = [CoreSettings, OpenAISettings, ChromaSettings]


def env_names(sections: list[type[BaseSettings]]) -> set[str]:
    names = set()
    for cls in sections:
        prefix = cls.model_config.get("env_prefix", "")
        names |= {f"{prefix}{field}".upper() for field in cls.model_fields}
    return names


def assert_in_env_example(sections: list[type[BaseSettings]]) -> None:
    """Every setting of `sections` is in .env.example, with a comment line above it."""
    text = (REPO / ".env.example").read_text(encoding="utf-8")
    lines = text.splitlines()
    for name in env_names(sections):
        at = [i for i, line in enumerate(lines) if re.match(rf"#?\s*{name}=", line)]
        assert at, f"{name} is missing from .env.example"
        above = lines[at[0] - 1]
        assert above.startswith("#"), f"{name} has no comment line above it"


def test_every_setting_is_in_env_example_with_a_comment() -> None:
    assert_in_env_example(SECTIONS)


def test_env_example_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings.load(REPO / ".env.example")
    assert settings.core.top_k == 8
    assert settings.core.follow_links is False
    assert not settings.llm_enabled


def test_lists_secrets_and_errors_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    settings = Settings.load(None)
    assert "sk-test" not in repr(settings)
    assert settings.llm_enabled
    monkeypatch.setenv("NEWSDESK_CHUNK_SIZE", "-3")
    with pytest.raises(ValidationError):
        Settings.load(None)
