"""The bot's settings: `DISCORD_*`, loaded beside the core's sections when the bot starts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from index.config import Settings

IdList = Annotated[list[int], NoDecode]


def _split_ids(value: Any) -> Any:
    """Accept `1,2, 3` (and an empty string) from the environment."""
    if isinstance(value, str):
        return [int(part) for part in value.replace(" ", "").split(",") if part]
    if isinstance(value, int):
        return [value]
    return value


def _empty_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


class DiscordSettings(BaseSettings):
    """`DISCORD_*`: the bot."""

    model_config = SettingsConfigDict(
        env_prefix="DISCORD_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    token: SecretStr | None = None
    guild_ids: IdList = []
    admin_user_ids: IdList = []
    admin_role_ids: IdList = []
    cooldown_seconds: float = Field(default=10.0, ge=0)
    cooldown_questions: int = Field(default=3, ge=1)  # questions per cooldown window per user
    max_concurrent_answers: int = Field(default=4, ge=1)
    max_question_chars: int = Field(default=500, ge=10)
    api_base_url: str = "https://discord.com/api/v10"
    gateway_url: str | None = None  # None: Discord's default gateway
    guild_ready_timeout: float = Field(default=2.0, gt=0)  # seconds
    lookup_cooldown_seconds: float = Field(default=10.0, ge=0)  # 0: no limit on lookups
    lookup_cooldown_uses: int = Field(default=5, ge=1)  # /source, /sources, buttons per window
    autocomplete_seconds: float = Field(
        default=1.0, ge=0
    )  # one fresh /source suggestion this often
    answer_in_thread: bool = True  # answer a channel mention in a thread started from it
    feed_channel_id: int | None = None  # gets a line per article the feeds add

    _split = field_validator("guild_ids", "admin_user_ids", "admin_role_ids", mode="before")(
        _split_ids
    )
    _feed_channel = field_validator("feed_channel_id", mode="before")(_empty_is_none)


@dataclass(frozen=True)
class BotSettings(Settings):
    """The core's settings and the bot's."""

    discord: DiscordSettings

    @classmethod
    def load(cls, env_file: str | Path | None = ".env") -> BotSettings:
        """Read the environment and `env_file` (environment wins)."""
        return cls.extend(Settings.load(env_file), env_file)

    @classmethod
    def extend(cls, core: Settings, env_file: str | Path | None = ".env") -> BotSettings:
        """`core` (as the command line left it) with the `DISCORD_*` section added."""
        kw: dict[str, Any] = {"_env_file": env_file}
        return cls(
            core=core.core, openai=core.openai, chroma=core.chroma, discord=DiscordSettings(**kw)
        )
