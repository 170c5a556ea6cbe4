"""The Chroma store: embedded on disk by default, a Chroma server with `CHROMA_HOST`.

An index is a *generation*: a pair of collections, chunks (vectors of passages) and articles
(full cleaned text, metadata, and the mean of the article's chunk vectors). A small meta
collection names the current generation. A reindex writes a new generation beside the serving
one and then flips the pointer with one upsert, so readers see the old index or the new one,
whole, never a mix. The generation before the current one is kept for readers still using it.

Chroma never embeds anything here: every write and query passes vectors.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import socket
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection

from index.config import Settings
from index.errors import StoreUnavailable
from index.models import ArticleRef

log = logging.getLogger(__name__)

PAGE = 2000  # records per Chroma get/add call
CURRENT = "current"
RETIRED_GRACE = 120.0  # seconds a replaced generation stays for readers that still serve it
ABANDONED_AFTER = 6 * 3600.0  # seconds after which a build without an owner is abandoned
HEARTBEAT_SECONDS = 10.0  # how often a build in progress says it is alive
STALE_AFTER = 120.0  # seconds without a heartbeat after which a build is dead
LOW_SPACE_BYTES = 64 * 1024 * 1024  # below this free space, a write failure is taken as disk full
HOST = socket.gethostname()
_ARTICLE_FIELDS = ("file", "title", "outlet", "author", "date", "url")


def connect(settings: Settings) -> ClientAPI:
    """An embedded client under NEWSDESK_INDEX_DIR, or an HTTP client for CHROMA_HOST."""
    chroma_settings = chromadb.Settings(anonymized_telemetry=False, allow_reset=False)
    c = settings.chroma
    try:
        if c.host:
            headers = {}
            if c.auth_token is not None:
                headers["Authorization"] = f"Bearer {c.auth_token.get_secret_value()}"
            client = chromadb.HttpClient(
                host=c.host, port=c.port, ssl=c.ssl, headers=headers, settings=chroma_settings
            )
            client.heartbeat()
            return client
        path = settings.core.index_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:
        where = f"{c.host}:{c.port}" if c.host else str(settings.core.index_dir)
        raise StoreUnavailable(f"cannot open the Chroma store at {where}: {exc}") from exc


def describe_location(settings: Settings) -> str:
    """Where the index lives, for messages: HOST:PORT of a server, or the index folder."""
    c = settings.chroma
    return f"{c.host}:{c.port}" if c.host else str(settings.core.index_dir)


@dataclass(frozen=True)
class ChunkRecord:
    id: str
    article_id: str
    start: int
    end: int
    text: str
    embedding: Sequence[float]


@dataclass(frozen=True)
class ArticleRecord:
    ref: ArticleRef
    text: str
    source_hash: str
    embedding: Sequence[float]
    quotes: str = ""  # the article's quote annotation (JSON, see index.quotes)


@dataclass(frozen=True)
class Generation:
    """One complete index: its collections and how it was built."""

    name: str
    chunks: Collection
    articles: Collection
    info: dict[str, Any]  # pipeline, model, chunk settings, created
    sentences: Collection | None = None  # per article: sentence spans and vectors


class Store:
    """Generations of the index in one Chroma database, under a name prefix."""

    def __init__(
        self, client: ClientAPI, prefix: str = "newsdesk", *, location: str | None = None
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.location = location  # the index folder (embedded) or "HOST:PORT" (server)
        self._meta = client.get_or_create_collection(f"{prefix}-meta", embedding_function=None)

    # -- the pointer ------------------------------------------------------------------------

    def current_name(self) -> str | None:
        got = self._meta.get(ids=[CURRENT], include=["metadatas"])
        metas = got.get("metadatas") or []
        return str(metas[0]["generation"]) if metas and metas[0] else None

    def serving_names(self) -> set[str]:
        """The current generation and the one it replaced (readers may still use both)."""
        got = self._meta.get(ids=[CURRENT], include=["metadatas"])
        metas = got.get("metadatas") or []
        if not metas or not metas[0]:
            return set()
        return {str(metas[0]["generation"]), str(metas[0].get("previous") or "")} - {""}

    def current(self) -> Generation | None:
        name = self.current_name()
        return self.open(name) if name else None

    def open(self, name: str) -> Generation:
        chunks = self.client.get_collection(f"{self.prefix}-{name}-chunks", embedding_function=None)
        articles = self.client.get_collection(
            f"{self.prefix}-{name}-articles", embedding_function=None
        )
        try:
            sentences: Collection | None = self.client.get_collection(
                f"{self.prefix}-{name}-sentences", embedding_function=None
            )
        except Exception:  # built before sentence vectors existed
            sentences = None
        return Generation(name, chunks, articles, dict(chunks.metadata or {}), sentences)

    def create(self, info: dict[str, Any]) -> Generation:
        """New, empty collections for a generation that is not yet current."""
        name = time.strftime("g%Y%m%d%H%M%S") + uuid.uuid4().hex[:6]
        now = time.time()
        meta = {
            **info,
            "created": now,
            "owner_host": HOST,
            "owner_pid": os.getpid(),
            "heartbeat": now,
        }
        cfg: Any = {"hnsw": {"space": "cosine"}}
        chunks = self.client.create_collection(
            f"{self.prefix}-{name}-chunks",
            configuration=cfg,
            metadata=meta,
            embedding_function=None,
        )
        articles = self.client.create_collection(
            f"{self.prefix}-{name}-articles",
            configuration=cfg,
            metadata=meta,
            embedding_function=None,
        )
        sentences = self.client.create_collection(
            f"{self.prefix}-{name}-sentences", metadata=meta, embedding_function=None
        )
        return Generation(name, chunks, articles, meta, sentences)

    def publish(self, gen: Generation) -> None:
        """Make `gen` current (one atomic upsert), then drop what no reader should still use."""
        previous = self.current_name()
        now = time.time()
        if previous:  # readers may serve it until they next look: note since when it is old
            with contextlib.suppress(Exception):
                old = self.open(previous)
                old.chunks.modify(metadata={**old.info, "retired": now})
        self._meta.upsert(
            ids=[CURRENT],
            embeddings=_vectors([[1.0]]),
            metadatas=[{"generation": gen.name, "previous": previous or "", "at": now}],
        )
        self.collect(keep={gen.name, previous or ""}, now=now)

    def beat(self, gen: Generation) -> None:
        """Say that the build `gen` is alive (see `collect`)."""
        gen.info["heartbeat"] = time.time()
        gen.chunks.modify(metadata=dict(gen.info))

    def collect(self, keep: set[str], now: float | None = None) -> None:
        """Drop generations retired more than RETIRED_GRACE ago and builds whose owner is
        gone: its process ended (same host) or its heartbeat stopped STALE_AFTER ago. A build
        in progress in a live process, even one that has created only half of its pair, is
        left alone."""
        now = time.time() if now is None else now
        for name in self.generation_names() - keep:
            info = self._info(name)
            if info is None:
                continue  # unreadable now; looked at again next time
            if _droppable(info, now):
                log.info("dropping generation %s (%s)", name, _why(info, now))
                self.drop(name)

    def _info(self, name: str) -> dict[str, Any] | None:
        """The metadata of generation `name`, from whichever of its collections exists."""
        for kind in ("chunks", "articles"):
            try:
                col = self.client.get_collection(
                    f"{self.prefix}-{name}-{kind}", embedding_function=None
                )
                return dict(col.metadata or {})
            except Exception as exc:
                log.debug("cannot open %s-%s: %s", name, kind, exc)
        return None

    def drop(self, name: str) -> None:
        for kind in ("chunks", "articles", "sentences"):
            try:
                self.client.delete_collection(f"{self.prefix}-{name}-{kind}")
            except Exception as exc:
                log.debug("could not drop %s-%s: %s", name, kind, exc)

    def generation_names(self) -> set[str]:
        names = set()
        for col in self.client.list_collections():
            n = col if isinstance(col, str) else col.name
            if n.startswith(f"{self.prefix}-") and n.endswith(("-chunks", "-articles")):
                names.add(n[len(self.prefix) + 1 :].rsplit("-", 1)[0])
        return names

    # -- writing ----------------------------------------------------------------------------

    @staticmethod
    def add_chunks(gen: Generation, records: Sequence[ChunkRecord]) -> None:
        for i in range(0, len(records), PAGE):
            page = records[i : i + PAGE]
            gen.chunks.add(
                ids=[r.id for r in page],
                embeddings=_vectors([list(r.embedding) for r in page]),
                documents=[r.text for r in page],
                metadatas=[
                    {"article_id": r.article_id, "start": r.start, "end": r.end} for r in page
                ],
            )

    @staticmethod
    def add_articles(gen: Generation, records: Sequence[ArticleRecord]) -> None:
        for i in range(0, len(records), PAGE):
            page = records[i : i + PAGE]
            gen.articles.add(
                ids=[r.ref.id for r in page],
                embeddings=_vectors([list(r.embedding) for r in page]),
                documents=[r.text for r in page],
                metadatas=[_article_meta(r.ref, r.source_hash, r.quotes) for r in page],
            )

    # -- reading ----------------------------------------------------------------------------

    @staticmethod
    def iter_chunks(gen: Generation, *, embeddings: bool = False) -> Iterator[ChunkRecord]:
        include: Any = ["documents", "metadatas"] + (["embeddings"] if embeddings else [])
        for got in _pages(gen.chunks, include):
            embs = got.get("embeddings")
            for j, cid in enumerate(got["ids"]):
                m = got["metadatas"][j]
                yield ChunkRecord(
                    cid,
                    str(m["article_id"]),
                    int(m["start"]),
                    int(m["end"]),
                    got["documents"][j],
                    embs[j] if embs is not None else (),
                )

    @staticmethod
    def article_manifest(gen: Generation) -> dict[str, tuple[ArticleRef, str]]:
        """Every article of `gen`: its metadata and source hash (no text)."""
        out = {}
        for got in _pages(gen.articles, ["metadatas"]):
            for aid, m in zip(got["ids"], got["metadatas"], strict=True):
                out[aid] = (_ref(aid, m), str(m.get("source_hash", "")))
        return out

    @staticmethod
    def article_records(gen: Generation, ids: Sequence[str]) -> list[ArticleRecord]:
        out = []
        for i in range(0, len(ids), PAGE):
            got: Any = gen.articles.get(
                ids=list(ids[i : i + PAGE]), include=["documents", "metadatas", "embeddings"]
            )
            for j, aid in enumerate(got["ids"]):
                m = got["metadatas"][j]
                out.append(
                    ArticleRecord(
                        _ref(aid, m),
                        got["documents"][j],
                        str(m["source_hash"]),
                        got["embeddings"][j],
                        str(m.get("quotes", "")),
                    )
                )
        return out

    @staticmethod
    def article_quotes(gen: Generation) -> dict[str, str]:
        """Every article's stored quote annotation (JSON; "" when it has none)."""
        out = {}
        for got in _pages(gen.articles, ["metadatas"]):
            for aid, m in zip(got["ids"], got["metadatas"], strict=True):
                out[aid] = str(m.get("quotes", ""))
        return out

    @staticmethod
    def article_text(gen: Generation, article_id: str) -> str | None:
        return Store.article_texts(gen, [article_id]).get(article_id)

    @staticmethod
    def article_texts(gen: Generation, article_ids: Sequence[str]) -> dict[str, str]:
        """The cleaned texts of these articles, in one read (absent ids left out)."""
        if not article_ids:
            return {}
        got = gen.articles.get(ids=list(article_ids), include=["documents"])
        return dict(zip(got["ids"], got.get("documents") or [], strict=True))

    @staticmethod
    def add_sentence_vectors(gen: Generation, docs: dict[str, str]) -> None:
        """Store each article's encoded sentence vectors (see `index.sentvec`)."""
        if gen.sentences is None or not docs:
            return
        ids = list(docs)
        for i in range(0, len(ids), PAGE):
            page = ids[i : i + PAGE]
            gen.sentences.add(
                ids=page,
                embeddings=_vectors([[1.0] for _ in page]),
                documents=[docs[a] for a in page],
            )

    @staticmethod
    def sentence_vector_docs(gen: Generation, ids: Sequence[str]) -> dict[str, str]:
        """The encoded sentence vectors of the articles `ids` that have them."""
        if gen.sentences is None or not ids:
            return {}
        out: dict[str, str] = {}
        for i in range(0, len(ids), PAGE):
            got: Any = gen.sentences.get(ids=list(ids[i : i + PAGE]), include=["documents"])
            out.update(zip(got["ids"], got["documents"], strict=True))
        return out

    @staticmethod
    def query(gen: Generation, vector: Sequence[float], k: int, n: int) -> list[tuple[str, float]]:
        """Nearest chunks as (chunk id, cosine similarity), best first; `n` chunks in `gen`."""
        if not n:
            return []
        got: Any = gen.chunks.query(
            query_embeddings=_vectors([list(vector)]), n_results=min(k, n), include=["distances"]
        )
        return [
            (cid, 1.0 - float(d)) for cid, d in zip(got["ids"][0], got["distances"][0], strict=True)
        ]


def _droppable(info: dict[str, Any], now: float) -> bool:
    retired = info.get("retired")
    if retired is not None:
        return now - float(retired) > RETIRED_GRACE
    if "heartbeat" not in info:  # built before owners were recorded
        return now - float(info.get("created", 0)) > ABANDONED_AFTER
    if info.get("owner_host") == HOST and not _alive(int(info.get("owner_pid", 0))):
        return True
    return now - float(info["heartbeat"]) > STALE_AFTER


def _why(info: dict[str, Any], now: float) -> str:
    if info.get("retired") is not None:
        return "replaced"
    if info.get("owner_host") == HOST and not _alive(int(info.get("owner_pid", 0))):
        return f"its build process {info.get('owner_pid')} is gone"
    return "its build stopped"


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def disk_full(exc: BaseException, location: str | None) -> bool:
    """Whether `exc` (or what caused it) says the disk under `location` is full."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno == errno.ENOSPC:
            return True
        text = str(seen).lower()
        if "no space left" in text or "disk is full" in text:
            return True
        if "compaction" in text and location and Path(location).is_dir():
            return shutil.disk_usage(location).free < LOW_SPACE_BYTES
        seen = seen.__cause__ or seen.__context__
    return False


def _vectors(rows: Any) -> Any:
    """Vectors as Chroma takes them (its annotations are narrower than what it accepts)."""
    return rows


def _pages(col: Collection, include: Any) -> Iterator[Any]:
    offset = 0
    while True:
        got = col.get(include=include, limit=PAGE, offset=offset)
        if not got["ids"]:
            return
        yield got
        offset += len(got["ids"])


def _article_meta(ref: ArticleRef, source_hash: str, quotes: str = "") -> dict[str, Any]:
    meta: dict[str, Any] = {"source_hash": source_hash}
    if quotes:
        meta["quotes"] = quotes
    for f in _ARTICLE_FIELDS:
        value = getattr(ref, f)
        if value is not None:
            meta[f] = value
    return meta


def _ref(aid: str, m: dict[str, Any]) -> ArticleRef:
    return ArticleRef(id=aid, **{f: (str(m[f]) if f in m else None) for f in _ARTICLE_FIELDS})  # type: ignore[arg-type]
