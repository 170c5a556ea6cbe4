"""Fixtures for the core's tests: the demo articles as passages, a scripted OpenAI server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from index.models import ArticleRef, Passage
from tests.fakes.openai_server import FakeOpenAI

ARTICLES_DIR = Path(__file__).resolve().parents[2] / "data" / "articles"
# Metadata for the demo articles (what the index would give; made up where the text is silent).
_META = {
    "000_e78a3b9d1444e307": ("Vucic and Rutte meet in Brussels", "N1 Serbia", "2025-03-20"),
    "001_622d8607e342a6b3": (
        "Serbian president has dinner with Nato chief in Brussels",
        "bne IntelliNews",
        "2025-03-20",
    ),
    "002_6a8378299aee2b24": ("Rutte: NATO not involved in Balkan agreements", "Beta", "2025-04-02"),
    "003_851c2eef16447000": ("Serbia pledges to improve relations with NATO", "RT", "2022-11-22"),
    "004_75356dfc2f98a883": ("Rute on NATO ministerial meeting", "Vijesti", "2025-04-03"),
}


@dataclass(repr=False)
class Corpus:
    """The demo articles, read straight from their files (no index needed)."""

    texts: dict[str, str]
    refs: dict[str, ArticleRef]

    def article_text(self, article_id: str) -> str:
        return self.texts[article_id]

    def ref(self, prefix: str) -> ArticleRef:
        return next(r for k, r in self.refs.items() if k.startswith(prefix))

    def passage(self, prefix: str, phrase: str, until: str | None = None) -> Passage:
        """The paragraph of article `prefix` holding `phrase` (through the one holding
        `until`, if given)."""
        ref = self.ref(prefix)
        text = self.texts[ref.id]
        at = text.index(phrase)
        start = text.rfind("\n", 0, at) + 1
        last = text.index(until, at) if until else at
        end = text.find("\n", last)
        end = len(text) if end == -1 else end
        return Passage(ref, f"{ref.id}:{start}", text[start:end], start, end)

    def with_text(self, article_id: str, text: str) -> Corpus:
        """A copy with one more (made-up) article."""
        ref = ArticleRef(article_id, f"{article_id}.txt", article_id, "Test outlet", "2025-01-01")
        return Corpus({**self.texts, article_id: text}, {**self.refs, article_id: ref})

    def whole(self, article_id: str) -> Passage:
        text = self.texts[article_id]
        return Passage(self.refs[article_id], f"{article_id}:0", text, 0, len(text))


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    texts: dict[str, str] = {}
    refs: dict[str, ArticleRef] = {}
    for path in sorted(ARTICLES_DIR.glob("*.txt")):
        title, outlet, date = _META.get(path.stem, (path.stem, None, None))
        texts[path.stem] = path.read_text(encoding="utf-8")
        refs[path.stem] = ArticleRef(path.stem, path.name, title, outlet, None, date)
    assert len(texts) >= 5, f"demo articles missing from {ARTICLES_DIR}"
    return Corpus(texts, refs)


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A started fake chat-completions server; script replies with `.script(...)`."""
    with FakeOpenAI() as server:
        yield server
