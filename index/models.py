"""Plain data at the core's boundary: answers, citations, passages, sources, reindex summaries.

Front ends (CLI, Discord) render these; tests assert on them. Nothing here touches
llama-index or Chroma objects.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Mode = Literal["extractive", "llm"]


@dataclass(frozen=True)
class ArticleRef:
    """An indexed article's identity and metadata."""

    id: str
    file: str
    title: str | None = None
    outlet: str | None = None
    author: str | None = None
    date: str | None = None  # ISO 8601 (YYYY-MM-DD) when known
    url: str | None = None

    def label(self) -> str:
        """A one-line human label: title, outlet, date."""
        parts = [self.title or self.file]
        parts += [p for p in (self.outlet, self.date) if p]
        return " — ".join(parts)


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk: where it sits in its article and how well it matched."""

    article: ArticleRef
    chunk_id: str
    text: str
    start: int  # character span in the article's cleaned text
    end: int
    score: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article.id,
            "file": self.article.file,
            "chunk_id": self.chunk_id,
            "score": round(self.score, 6),
            "start": self.start,
            "end": self.end,
            "text": self.text,
        }


@dataclass(frozen=True)
class Citation:
    """One numbered source of an answer, with the exact quote and its place in the article."""

    n: int
    article: ArticleRef
    quote: str
    start: int  # quote == article text[start:end]
    end: int

    def to_dict(self) -> dict[str, Any]:
        a = self.article
        return {
            "n": self.n,
            "article_id": a.id,
            "file": a.file,
            "title": a.title,
            "outlet": a.outlet,
            "date": a.date,
            "url": a.url,
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
        }


@dataclass
class Answer:
    """What the core returns for a question."""

    question: str
    text: str
    refused: bool
    mode: Mode
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[Passage] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    # What verification changed (LLM mode): removed or re-attributed quotes, fallbacks.
    verification: list[str] = field(default_factory=list)
    usage: dict[str, int] | None = None  # LLM token usage when an LLM wrote the answer
    model: str | None = None
    # The answer scorer's probability that its best candidate answers (refusal below threshold).
    confidence: float | None = None
    # A follow-up resolved against the conversation ("what did he say?" → "what did Rutte
    # say?"): the question actually answered, or None when the question stood alone.
    rewritten: str | None = None
    speaker: str | None = None  # who the question asked about ("what did X say"), when it did

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "mode": self.mode,
            "citations": [c.to_dict() for c in self.citations],
            "retrieved": [p.to_dict() for p in self.retrieved],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "verification": list(self.verification),
            "usage": self.usage,
            "model": self.model,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "rewritten": self.rewritten,
            "speaker": self.speaker,
        }


@dataclass(frozen=True)
class SourceView:
    """An article looked up by reference; `passage` is set when the reference named a chunk."""

    article: ArticleRef
    text: str  # the article's cleaned text
    passage: Passage | None = None


@dataclass(frozen=True)
class Skipped:
    """An input file that was not indexed, and why."""

    file: str
    reason: str


@dataclass
class ReindexSummary:
    """The outcome of `newsdesk index` / `/reindex`."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_total: int = 0
    articles_total: int = 0
    seconds: float = 0.0
    generation: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        """One-line summary for people."""
        return (
            f"{self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged, {len(self.skipped)} skipped; "
            f"{self.articles_total} articles, {self.chunks_total} chunks "
            f"({self.chunks_embedded} embedded) in {self.seconds:.1f} s"
        )


@dataclass(frozen=True)
class Progress:
    """A reindex progress report: `done` of `total` units in `stage`."""

    stage: str  # "reading", "embedding", "writing", "done"
    done: int
    total: int
