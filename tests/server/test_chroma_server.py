"""The index and answers against a real Chroma server (client-server mode, `CHROMA_HOST`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

import index.indexer
import index.service
from index.config import REPO_ROOT, Settings
from index.errors import ReindexFailed
from index.service import Newsdesk
from index.store import Store, connect

from .conftest import ChromaServer

pytestmark = [pytest.mark.chroma_server, pytest.mark.slow]

DODIK_FILE = "002_6a8378299aee2b24.txt"
DODIK_QUOTE = "expects him to accept the verdict of the independent judiciary"
MARKER = "Zorblaxian"  # a word no article contains: only BM25 can find it


class FlakyEmbedder(BaseEmbedding):
    """The real embedder, except that document batch number `fail_on` raises."""

    fail_on: int = 2
    _inner: BaseEmbedding = PrivateAttr()
    _batches: int = PrivateAttr(default=0)

    def __init__(self, inner: BaseEmbedding, fail_on: int) -> None:
        super().__init__(model_name="flaky", embed_batch_size=inner.embed_batch_size)
        self.fail_on = fail_on
        self._inner = inner

    @property
    def batches(self) -> int:
        return self._batches

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._inner.get_query_embedding(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        self._batches += 1
        if self._batches >= self.fail_on:
            raise RuntimeError(f"embedder failed on batch {self._batches} (test)")
        return self._inner.get_text_embedding_batch(texts)


def open_desk(settings: Settings, embedder: BaseEmbedding) -> Newsdesk:
    return Newsdesk.open(settings, embedder=embedder)


def chunk_texts(desk: Newsdesk) -> list[str]:
    return [c.text for c in desk.snapshot.chunks]


def test_index_and_answer_live_on_the_server(
    server_settings: Settings, corpus: Path, embedder: BaseEmbedding, empty_server: ChromaServer
) -> None:
    desk = open_desk(server_settings, embedder)
    summary = desk.reindex()
    assert (summary.added, summary.articles_total) == (5, 5)
    assert summary.chunks_embedded == summary.chunks_total > 0

    answer = desk.ask("What did Rutte say about Dodik?", offline=True)

    assert not answer.refused
    assert answer.citations
    first = answer.citations[0]
    assert first.article.file == DODIK_FILE
    assert DODIK_QUOTE in first.quote
    assert f"[{first.n}]" in answer.text
    assert desk.source(DODIK_FILE).text[first.start : first.end] == first.quote
    # The index lives on the server, not in an embedded store under NEWSDESK_INDEX_DIR.
    names = {c if isinstance(c, str) else c.name for c in empty_server.client().list_collections()}
    assert f"newsdesk-{summary.generation}-chunks" in names
    assert not (server_settings.core.index_dir / "chroma").exists()


def test_reindex_embeds_only_what_changed(
    server_settings: Settings, corpus: Path, embedder: BaseEmbedding
) -> None:
    desk = open_desk(server_settings, embedder)
    first = desk.reindex()

    same = desk.reindex()
    assert (same.added, same.updated, same.removed, same.unchanged) == (0, 0, 0, 5)
    assert same.chunks_embedded == 0
    assert same.generation == first.generation

    changed = corpus / "004_75356dfc2f98a883.txt"
    changed.write_text(
        changed.read_text(encoding="utf-8") + f"\n\nThe {MARKER} delegation left on Friday.\n",
        encoding="utf-8",
    )
    updated = desk.reindex()
    assert (updated.added, updated.updated, updated.removed, updated.unchanged) == (0, 1, 0, 4)
    assert 0 < updated.chunks_embedded < updated.chunks_total
    assert updated.generation != first.generation
    assert any(MARKER in t for t in chunk_texts(desk))

    (corpus / "003_851c2eef16447000.txt").unlink()
    removed = desk.reindex()
    assert (removed.added, removed.updated, removed.removed, removed.unchanged) == (0, 0, 1, 4)
    assert removed.chunks_embedded == 0
    assert removed.chunks_total < updated.chunks_total
    assert "003_851c2eef16447000.txt" not in {a.file for a in desk.sources()}
    assert len(desk.sources()) == 4


def test_failed_reindex_leaves_the_previous_generation_serving_whole(
    server_settings: Settings,
    corpus: Path,
    embedder: BaseEmbedding,
    empty_server: ChromaServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    good = open_desk(server_settings, embedder)
    before = good.reindex()
    before_texts = sorted(chunk_texts(good))

    for path in sorted(corpus.glob("*.txt"))[:3]:
        path.write_text(path.read_text(encoding="utf-8") + f"\n\n{MARKER}.\n", encoding="utf-8")
    monkeypatch.setattr(index.indexer, "EMBED_PAGE", 4)  # several batches: fail half-way
    flaky = FlakyEmbedder(embedder, fail_on=2)
    other = open_desk(server_settings, flaky)

    with pytest.raises(ReindexFailed):
        other.reindex()

    assert flaky.batches == 2  # one batch was written into the new generation, then it failed
    store = Store(connect(server_settings))
    assert store.current_name() == before.generation
    assert store.generation_names() == {before.generation}  # the half-built one is dropped
    for desk in (good, open_desk(server_settings, embedder)):
        assert desk.snapshot.name == before.generation
        assert sorted(chunk_texts(desk)) == before_texts
        answer = desk.ask("What did Rutte say about Dodik?", offline=True)
        assert DODIK_QUOTE in answer.citations[0].quote

    # A second process, started afresh, sees the same previous generation, whole.
    seen = json.loads(_run_second_process(empty_server, server_settings))
    assert seen["generation"] == before.generation
    assert seen["chunks"] == len(before_texts)
    assert seen["marker_chunks"] == 0
    assert DODIK_QUOTE in seen["quote"]


def test_second_instance_picks_up_a_new_generation_with_its_bm25(
    server_settings: Settings,
    corpus: Path,
    embedder: BaseEmbedding,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(index.service, "REFRESH_SECONDS", 0.0)
    writer = open_desk(server_settings, embedder)
    reader = open_desk(server_settings, embedder)
    assert reader.snapshot.empty

    first = writer.reindex()
    assert reader.snapshot.name == first.generation
    assert reader.snapshot.lexical.size == first.chunks_total
    answer = reader.ask("What did Rutte say about Dodik?", offline=True)
    assert DODIK_QUOTE in answer.citations[0].quote
    assert not any(MARKER in c.text for c in reader.snapshot.chunks)

    (corpus / "005_new.txt").write_text(
        "Delegation visits Brussels\n\n"
        f"A {MARKER} delegation visited NATO headquarters on Thursday, officials said. "
        "The visit was short and no statement was issued afterwards.\n",
        encoding="utf-8",
    )
    second = writer.reindex()
    assert second.added == 1
    served = reader.snapshot  # notices the new generation, loads it in the background
    assert served.name == first.generation
    reader.refresh()  # what the background load does, waited for
    assert reader.snapshot.name == second.generation
    assert reader.snapshot.lexical.size == second.chunks_total
    # BM25 in the reader's process was rebuilt from the chunk texts stored on the server.
    positions = reader.snapshot.lexical.top([MARKER.lower()], 3)
    assert positions
    assert reader.snapshot.chunks[positions[0][0]].article_id == "005_new"
    top = reader.retrieve(f"{MARKER} delegation", 3)
    assert top[0].article.file == "005_new.txt"


def _run_second_process(server: ChromaServer, settings: Settings) -> str:
    code = f"""
import json
from index.config import Settings
from index.service import Newsdesk
desk = Newsdesk.open(Settings.load(None))
snap = desk.snapshot
answer = desk.ask("What did Rutte say about Dodik?", offline=True)
print(json.dumps({{
    "generation": snap.name,
    "chunks": len(snap.chunks),
    "marker_chunks": sum({MARKER!r} in c.text for c in snap.chunks),
    "quote": answer.citations[0].quote if answer.citations else "",
}}))
"""
    env = {
        **os.environ,
        "CHROMA_HOST": server.host,
        "CHROMA_PORT": str(server.port),
        "NEWSDESK_INDEX_DIR": str(settings.core.index_dir),
        "HF_HUB_OFFLINE": "1",
    }
    env.pop("OPENAI_API_KEY", None)
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]
