"""Incremental, atomic reindexing: read, diff against the serving index, embed only what changed.

Unchanged articles carry their vectors over into the new generation; changed and new ones are
chunked and embedded; deleted ones are left out. The new generation becomes current only when
it is complete (see `store`), so a failure half-way leaves the previous index serving, whole.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding

from index.articles import Article, read_dir
from index.attribution import ATTRIBUTION_VERSION
from index.chunking import Chunk, Chunker
from index.errors import ReindexFailed
from index.models import Progress, ReindexSummary
from index.quotes import annotation_json
from index.sentvec import embed_chunks_and_sentences
from index.store import HEARTBEAT_SECONDS, ArticleRecord, ChunkRecord, Generation, Store, disk_full

log = logging.getLogger(__name__)

PIPELINE_VERSION = "2"  # bump when cleaning or chunking changes what gets indexed
EMBED_PAGE = 1024  # chunks embedded (sorted by length) and written to Chroma per step

ProgressFn = Callable[[Progress], None]


def embed_text(title: str | None, chunk_text: str) -> str:
    """What a chunk's vector is computed from: the passage under its headline."""
    return f"{title}\n{chunk_text}" if title else chunk_text


class Indexer:
    """Builds generations of the index from an articles directory."""

    def __init__(
        self,
        store: Store,
        embedder: BaseEmbedding,
        chunker: Chunker,
        info: dict[str, Any],
        *,
        annotate: bool = True,
    ):
        self.store = store
        self.embedder = embedder
        self.chunker = chunker
        self.annotate = annotate  # who-said-what annotation of each article (index.quotes)
        # What the vectors and chunks depend on; a different value forces a full rebuild.
        self.info = {**info, "pipeline": PIPELINE_VERSION}
        if annotate:
            self.info["attribution"] = ATTRIBUTION_VERSION

    def reindex(
        self,
        articles_dir: Path,
        *,
        max_file_bytes: int,
        full: bool = False,
        progress: ProgressFn | None = None,
        follow_links: bool = False,
    ) -> ReindexSummary:
        t0 = time.perf_counter()
        report = progress or (lambda p: None)
        read = read_dir(articles_dir, max_file_bytes=max_file_bytes, follow_links=follow_links)
        try:  # builds left by dead processes go now, not after hours
            self.store.collect(self.store.serving_names())
        except Exception as exc:
            log.warning("could not look for abandoned builds: %s", exc)
        report(Progress("reading", len(read.articles), len(read.articles)))
        summary = ReindexSummary(skipped=read.skipped)

        current = self.store.current()
        old: dict[str, str] = {}
        if current is not None and not full and self._compatible(current):
            old = {aid: h for aid, (_ref, h) in self.store.article_manifest(current).items()}
        elif current is not None and not full:
            log.info("index settings changed since the last build: rebuilding everything")

        new_ids = {a.id for a in read.articles}
        changed = [a for a in read.articles if old.get(a.id) != a.source_hash]
        kept = [a.id for a in read.articles if old.get(a.id) == a.source_hash]
        summary.added = sum(1 for a in changed if a.id not in old)
        summary.updated = len(changed) - summary.added
        summary.removed = sum(1 for aid in old if aid not in new_ids)
        summary.unchanged = len(kept)
        summary.articles_total = len(read.articles)

        if current is not None and not full and not changed and not summary.removed and old:
            summary.chunks_total = current.chunks.count()
            summary.generation = current.name
            summary.seconds = time.perf_counter() - t0
            report(Progress("done", 1, 1))
            return summary

        try:
            gen = self.store.create(self.info)
        except Exception as exc:
            raise self._failed(exc) from exc
        stop = threading.Event()
        beating = threading.Thread(
            target=self._heartbeat, args=(gen, stop), name="newsdesk-build-heartbeat", daemon=True
        )
        beating.start()
        try:
            if current is not None and kept:
                self._carry_over(current, gen, kept)
            summary.chunks_embedded = self._embed_articles(gen, changed, report)
            summary.chunks_total = gen.chunks.count()
            self.store.publish(gen)
        except Exception as exc:
            self._stop(stop, beating)
            self.store.drop(gen.name)
            raise self._failed(exc) from exc
        except BaseException:  # Ctrl-C, SystemExit: not a failure, but leave nothing behind
            self._stop(stop, beating)
            self.store.drop(gen.name)
            log.warning("reindex interrupted; the previous index keeps serving")
            raise
        self._stop(stop, beating)
        summary.generation = gen.name
        summary.seconds = time.perf_counter() - t0
        report(Progress("done", 1, 1))
        log.info("reindex: %s", summary.line())
        return summary

    def _failed(self, exc: Exception) -> ReindexFailed:
        if disk_full(exc, self.store.location):
            where = self.store.location or "the index folder"
            log.error("reindex failed: no space left in %s: %s", where, exc)
            return ReindexFailed(
                f"reindex failed: no space left in {where}; free some space and run it again "
                "(the previous index keeps serving)"
            )
        log.error("reindex failed; the previous index keeps serving", exc_info=exc)
        return ReindexFailed(f"reindex failed ({exc}); the previous index keeps serving")

    def _heartbeat(self, gen: Generation, stop: threading.Event) -> None:
        """Mark the build alive every HEARTBEAT_SECONDS, so others do not take it as dead."""
        while not stop.wait(HEARTBEAT_SECONDS):
            try:
                self.store.beat(gen)
            except Exception as exc:
                log.debug("build heartbeat failed: %s", exc)

    @staticmethod
    def _stop(stop: threading.Event, beating: threading.Thread) -> None:
        stop.set()
        beating.join(timeout=HEARTBEAT_SECONDS)

    def _compatible(self, gen: Generation) -> bool:
        return all(gen.info.get(k) == v for k, v in self.info.items())

    def _carry_over(self, current: Generation, gen: Generation, kept: Sequence[str]) -> None:
        keep = set(kept)
        page: list[ChunkRecord] = []
        for rec in Store.iter_chunks(current, embeddings=True):
            if rec.article_id in keep:
                page.append(rec)
            if len(page) >= 2000:
                Store.add_chunks(gen, page)
                page = []
        Store.add_chunks(gen, page)
        Store.add_articles(gen, Store.article_records(current, list(kept)))
        self._carry_over_sentences(current, gen, kept)

    @staticmethod
    def _carry_over_sentences(current: Generation, gen: Generation, kept: Sequence[str]) -> None:
        ids = list(kept)
        for i in range(0, len(ids), 500):
            Store.add_sentence_vectors(gen, Store.sentence_vector_docs(current, ids[i : i + 500]))

    def _embed_articles(
        self, gen: Generation, articles: Sequence[Article], report: ProgressFn
    ) -> int:
        plan: list[tuple[Article, list[Chunk]]] = [(a, self.chunker.chunk(a)) for a in articles]
        total = sum(len(chunks) for _, chunks in plan)
        done = 0
        report(Progress("embedding", 0, total))
        pending: list[tuple[Article, list[Chunk]]] = []
        pending_chunks = 0
        for item in plan:
            pending.append(item)
            pending_chunks += len(item[1])
            if pending_chunks >= EMBED_PAGE:
                done += self._write(gen, pending)
                report(Progress("embedding", done, total))
                pending, pending_chunks = [], 0
        if pending:
            done += self._write(gen, pending)
            report(Progress("embedding", done, total))
        return done

    def _write(self, gen: Generation, batch: Sequence[tuple[Article, list[Chunk]]]) -> int:
        texts = [embed_text(a.ref.title, c.text) for a, chunks in batch for c in chunks]
        places = [
            (a.id, len(embed_text(a.ref.title, "")), c.start) for a, chunks in batch for c in chunks
        ]
        vectors, sentence_vectors = embed_chunks_and_sentences(
            self.embedder, texts, places, {a.id: a.text for a, _ in batch}
        )
        chunk_records: list[ChunkRecord] = []
        article_records: list[ArticleRecord] = []
        i = 0
        for article, chunks in batch:
            vecs = vectors[i : i + len(chunks)]
            i += len(chunks)
            for c, v in zip(chunks, vecs, strict=True):
                chunk_records.append(ChunkRecord(c.id, c.article_id, c.start, c.end, c.text, v))
            quotes = annotation_json(article.text) if self.annotate else ""
            article_records.append(
                ArticleRecord(article.ref, article.text, article.source_hash, _mean(vecs), quotes)
            )
        Store.add_chunks(gen, chunk_records)
        Store.add_articles(gen, article_records)
        Store.add_sentence_vectors(gen, {aid: v.encode() for aid, v in sentence_vectors.items()})
        return len(chunk_records)


def _mean(vectors: Sequence[Sequence[float]]) -> list[float]:
    if not vectors:
        return [0.0]
    m = np.mean(np.asarray(vectors, dtype=np.float32), axis=0)
    norm = float(np.linalg.norm(m))
    return (m / norm if norm else m).tolist()
