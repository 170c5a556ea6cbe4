"""Hybrid retrieval over one generation of the index: dense (Chroma) + BM25, fused by RRF.

A `Snapshot` is everything a query needs from one generation. It is built once per generation
and never changes; a reindex builds a new one and the service swaps it in. The lexical index
lives in the snapshot's memory, derived from the chunk texts stored in Chroma, so every process
that opens the same Chroma store (embedded or server) serves the same BM25 index.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from threading import Lock

import httpx
from llama_index.core.base.embeddings.base import BaseEmbedding

from index.lexical import LexicalIndex, terms
from index.models import ArticleRef, Passage
from index.quotes import QuoteIndex
from index.sentences import remember
from index.sentvec import SentenceVectors
from index.store import Generation, Store

log = logging.getLogger(__name__)

RRF_K = 60  # reciprocal rank fusion constant (Cormack et al.)
CANDIDATES = 40  # per retriever, before fusion
ARTICLE_CACHE = 256  # article texts kept in memory


@dataclass(frozen=True)
class ChunkInfo:
    id: str
    article_id: str
    start: int
    end: int
    text: str


class Snapshot:
    """One generation, loaded for querying."""

    def __init__(self, gen: Generation | None, embedder: BaseEmbedding) -> None:
        t0 = time.perf_counter()
        self.gen = gen
        self.embedder = embedder
        self.articles: dict[str, ArticleRef] = {}
        self.chunks: list[ChunkInfo] = []
        if gen is not None:
            self.articles = {aid: ref for aid, (ref, _h) in Store.article_manifest(gen).items()}
            self.chunks = [
                ChunkInfo(r.id, r.article_id, r.start, r.end, r.text)
                for r in Store.iter_chunks(gen)
            ]
        self.position = {c.id: i for i, c in enumerate(self.chunks)}
        # who said what: the quote annotation stored with this generation's articles
        self.quotes = QuoteIndex(Store.article_quotes(gen)) if gen is not None else QuoteIndex({})
        titles = [
            self.articles[c.article_id].title if c.article_id in self.articles else None
            for c in self.chunks
        ]
        self.lexical = LexicalIndex(
            [f"{t}\n{c.text}" if t else c.text for t, c in zip(titles, self.chunks, strict=True)]
        )
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._sentence_vectors: OrderedDict[str, SentenceVectors] = OrderedDict()
        self._lock = Lock()
        log.info(
            "loaded index %s: %d articles, %d chunks in %.2f s",
            gen.name if gen else "(none)",
            len(self.articles),
            len(self.chunks),
            time.perf_counter() - t0,
        )

    @property
    def name(self) -> str | None:
        return self.gen.name if self.gen else None

    @property
    def empty(self) -> bool:
        return not self.chunks

    def article_text(self, article_id: str) -> str:
        """The cleaned text of an article (cached)."""
        with self._lock:
            if article_id in self._texts:
                self._texts.move_to_end(article_id)
                return self._texts[article_id]
        text = Store.article_text(self.gen, article_id) if self.gen else None
        if text is None:
            raise KeyError(article_id)
        with self._lock:
            self._texts[article_id] = text
            while len(self._texts) > ARTICLE_CACHE:
                self._texts.popitem(last=False)
        return text

    def prefetch(self, article_ids: Sequence[str]) -> None:
        """Read the texts of these articles that are not cached, in one read of the store."""
        with self._lock:
            wanted = [a for a in dict.fromkeys(article_ids) if a not in self._texts]
        if not wanted or self.gen is None:
            return
        got = Store.article_texts(self.gen, wanted)
        with self._lock:
            self._texts.update(got)
            while len(self._texts) > ARTICLE_CACHE:
                self._texts.popitem(last=False)

    def sentence_vectors(self, article_ids: Sequence[str]) -> dict[str, SentenceVectors]:
        """The stored sentence vectors of these articles (cached; absent for an index built
        without them)."""
        out: dict[str, SentenceVectors] = {}
        with self._lock:
            for aid in article_ids:
                if aid in self._sentence_vectors:
                    self._sentence_vectors.move_to_end(aid)
                    out[aid] = self._sentence_vectors[aid]
        wanted = [a for a in dict.fromkeys(article_ids) if a not in out]
        if wanted and self.gen is not None:
            got = {
                a: SentenceVectors.decode(d)
                for a, d in Store.sentence_vector_docs(self.gen, wanted).items()
            }
            out.update(got)
            with self._lock:  # the texts are prefetched before the vectors
                texts = {a: self._texts[a] for a in got if a in self._texts}
            for aid, text in texts.items():
                remember(text, got[aid].spans.tolist())
            with self._lock:
                self._sentence_vectors.update(got)
                while len(self._sentence_vectors) > ARTICLE_CACHE:
                    self._sentence_vectors.popitem(last=False)
        return out

    def search(
        self,
        question: str,
        k: int,
        *,
        query_terms: Sequence[str] | None = None,
        vector: Sequence[float] | None = None,
    ) -> tuple[list[Passage], dict[str, float]]:
        """The best `k` passages for `question` (whose query vector may be given), and
        timings in ms."""
        timings: dict[str, float] = {}
        if self.empty:
            return [], timings
        t = time.perf_counter()
        if vector is None:
            vector = self.embedder.get_query_embedding(question)
        timings["embed"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        try:
            dense = Store.query(self.gen, vector, CANDIDATES, len(self.chunks)) if self.gen else []
            timings["dense"] = (time.perf_counter() - t) * 1000
        except (httpx.TransportError, ConnectionError) as exc:  # BM25 alone meanwhile
            log.warning("dense search unavailable, keyword search only: %s", exc)
            dense = []
        t = time.perf_counter()
        qterms = list(query_terms) if query_terms is not None else terms(question)
        lexical = self.lexical.top(qterms, CANDIDATES)
        timings["lexical"] = (time.perf_counter() - t) * 1000

        fused: dict[int, float] = {}
        for rank, (cid, _sim) in enumerate(dense):
            pos = self.position.get(cid)
            if pos is not None:
                fused[pos] = fused.get(pos, 0.0) + 1.0 / (RRF_K + rank + 1)
        for rank, (pos, _score) in enumerate(lexical):
            fused[pos] = fused.get(pos, 0.0) + 1.0 / (RRF_K + rank + 1)
        best = sorted(fused.items(), key=lambda kv: -kv[1])[:k]
        passages = []
        for pos, score in best:
            c = self.chunks[pos]
            ref = self.articles.get(c.article_id) or ArticleRef(id=c.article_id, file=c.article_id)
            passages.append(Passage(ref, c.id, c.text, c.start, c.end, score))
        return passages, timings
