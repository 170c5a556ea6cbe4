"""Sentence-aware chunks with overlap, each with its exact character span in the article."""

from __future__ import annotations

import re
from dataclasses import dataclass

from llama_index.core.node_parser import SentenceSplitter

from index.articles import Article


@dataclass(frozen=True)
class Chunk:
    id: str  # "<article id>#<seq>"
    article_id: str
    seq: int
    start: int
    end: int
    text: str  # == article.text[start:end]


class Chunker:
    """Splits cleaned article text at sentence boundaries into overlapping token windows."""

    def __init__(self, chunk_size: int, chunk_overlap: int) -> None:
        if chunk_overlap >= chunk_size:
            raise ValueError("NEWSDESK_CHUNK_OVERLAP must be smaller than NEWSDESK_CHUNK_SIZE")
        self._splitter = SentenceSplitter(
            chunk_size=chunk_size, chunk_overlap=chunk_overlap, paragraph_separator="\n\n"
        )

    def chunk(self, article: Article) -> list[Chunk]:
        text = article.text
        chunks: list[Chunk] = []
        cursor = 0
        for piece in self._splitter.split_text(text):
            span = _locate(text, piece, cursor)
            if span is None:  # the splitter changed the text; never index what we can't place
                continue
            start, end = span
            chunks.append(
                Chunk(
                    f"{article.id}#{len(chunks)}",
                    article.id,
                    len(chunks),
                    start,
                    end,
                    text[start:end],
                )
            )
            cursor = start + 1
        return chunks


def _locate(text: str, piece: str, cursor: int) -> tuple[int, int] | None:
    """Where `piece` stands in `text`, searching from `cursor`; tolerant of white space."""
    at = text.find(piece, cursor)
    if at < 0:
        at = text.find(piece)
    if at >= 0:
        return at, at + len(piece)
    words = piece.split()
    if not words:
        return None
    m = re.compile(r"\s+".join(map(re.escape, words))).search(text, cursor) or re.search(
        r"\s+".join(map(re.escape, words)), text
    )
    return (m.start(), m.end()) if m else None
