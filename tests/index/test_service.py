"""The core over a real Chroma store and the real local model: reindexing and lookups."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from index.errors import IndexNotBuilt, ReindexFailed, ReindexInProgress, SourceNotFound
from index.sentences import split_sentences
from index.service import Newsdesk
from tests.conftest import DEMO_ARTICLES, make_settings

pytestmark = pytest.mark.slow


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    target = tmp_path / "articles"
    shutil.copytree(DEMO_ARTICLES, target)
    return target


@pytest.fixture
def desk(tmp_path: Path, corpus: Path, local_model: Any) -> Newsdesk:
    return Newsdesk.open(make_settings(tmp_path / "index", corpus), embedder=local_model)


class CountingEmbedder:
    """The real model, counting what it embeds; can fail or stall on demand."""

    def __init__(
        self, model: Any, fail_after: int | None = None, stall: threading.Event | None = None
    ):
        self.model = model
        self.embedded = 0
        self.texts: list[str] = []
        self.fail_after = fail_after
        self.stall = stall

    def get_text_embedding_batch(self, texts: list[str], **kw: Any) -> list[list[float]]:
        if self.stall is not None:
            self.stall.wait(timeout=30)
        if self.fail_after is not None and self.embedded + len(texts) > self.fail_after:
            raise RuntimeError("embedding service went away")
        self.embedded += len(texts)
        self.texts += texts
        return self.model.get_text_embedding_batch(texts, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)


def test_ask_before_any_index_says_how_to_build_one(desk: Newsdesk) -> None:
    with pytest.raises(IndexNotBuilt, match="newsdesk index"):
        desk.ask("What did Rutte say about Dodik?")


def test_incremental_reindex_embeds_only_what_changed(
    desk: Newsdesk, corpus: Path, local_model: Any
) -> None:
    first = desk.reindex()
    assert (first.added, first.updated, first.removed, first.unchanged) == (5, 0, 0, 0)
    assert first.chunks_embedded == first.chunks_total > 5

    counting = CountingEmbedder(local_model)
    desk = Newsdesk.open(desk.settings, embedder=counting)  # type: ignore[arg-type]
    again = desk.reindex()
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 5)
    assert again.chunks_embedded == 0 and counting.embedded == 0
    assert again.generation == first.generation

    changed = next(corpus.glob("003_*.txt"))
    changed.write_text(
        changed.read_text(encoding="utf-8") + "\nA new closing sentence was added.\n",
        encoding="utf-8",
    )
    next(corpus.glob("004_*.txt")).unlink()
    (corpus / "new.md").write_text(
        "---\ntitle: Fresh\n---\nA fresh article about Kosovo talks resuming soon.\n",
        encoding="utf-8",
    )
    third = desk.reindex()
    assert (third.added, third.updated, third.removed, third.unchanged) == (1, 1, 1, 3)
    # Only the changed and new articles: their chunks, and (an embedder other than the local
    # model embeds them on their own) their sentences.
    fresh = [desk.snapshot.article_text(a) for a in ("new", changed.stem)]
    sentences = sum(len(split_sentences(t)) for t in fresh)
    assert counting.embedded == third.chunks_embedded + sentences
    assert third.chunks_embedded < third.chunks_total
    files = {a.file for a in desk.sources()}
    assert "new.md" in files and not any(f.startswith("004_") for f in files)
    assert "A new closing sentence" in desk.source(changed.name).text

    full = desk.reindex(full=True)
    assert full.chunks_embedded == full.chunks_total


def test_failed_reindex_leaves_the_previous_index_serving(
    desk: Newsdesk, corpus: Path, local_model: Any, tmp_path: Path
) -> None:
    desk.reindex()
    before = desk.ask("What did Rutte say about Dodik?", offline=True)
    generation = desk.store.current_name()
    for path in corpus.glob("*.txt"):
        path.write_text(path.read_text(encoding="utf-8") + "\nEdited.\n", encoding="utf-8")
    failing = Newsdesk.open(desk.settings, embedder=CountingEmbedder(local_model, fail_after=4))  # type: ignore[arg-type]
    with pytest.raises(ReindexFailed, match="previous index keeps serving"):
        failing.reindex()
    assert desk.store.current_name() == generation
    assert desk.store.generation_names() == {generation}  # the half-built one is gone
    after = desk.ask("What did Rutte say about Dodik?", offline=True)
    assert after.text == before.text
    # A process that opens the store now sees the previous index, whole.
    other = Newsdesk.open(make_settings(tmp_path / "index", corpus), embedder=local_model)
    assert len(other.sources()) == 5
    assert other.snapshot.name == generation


def test_one_reindex_at_a_time_and_answers_keep_flowing(
    desk: Newsdesk, corpus: Path, local_model: Any
) -> None:
    desk.reindex()
    (corpus / "extra.txt").write_text(
        "Extra article text about the summit in Vienna next month.\n", encoding="utf-8"
    )
    gate = threading.Event()
    desk = Newsdesk.open(desk.settings, embedder=CountingEmbedder(local_model, stall=gate))  # type: ignore[arg-type]
    worker = threading.Thread(target=desk.reindex)
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while not desk.reindexing and time.monotonic() < deadline:
            time.sleep(0.01)
        assert desk.reindexing
        with pytest.raises(ReindexInProgress):
            desk.reindex()
        answer = desk.ask("What did Rutte say about Dodik?", offline=True)
        assert not answer.refused and "accept the verdict" in answer.text
        assert "extra.txt" not in {a.file for a in desk.sources()}
    finally:
        gate.set()
        worker.join(timeout=60)
    assert not desk.reindexing
    assert "extra.txt" in {a.file for a in desk.sources()}


def test_skipped_files_are_in_the_summary(desk: Newsdesk, corpus: Path) -> None:
    (corpus / "broken.txt").write_bytes(b"\x00\x01\x02binary")
    summary = desk.reindex()
    assert summary.added == 5
    assert [(s.file, "binary" in s.reason) for s in summary.skipped] == [("broken.txt", True)]


def test_source_lookup_by_id_file_title_and_chunk(demo_desk: Newsdesk) -> None:
    by_id = demo_desk.source("002_6a8378299aee2b24")
    assert by_id.article.file == "002_6a8378299aee2b24.txt"
    assert demo_desk.source("002_6a8378299aee2b24.txt").article == by_id.article
    by_title = demo_desk.source("dinner with Nato chief")
    assert by_title.article.id == "001_622d8607e342a6b3"
    chunk = demo_desk.source("003_851c2eef16447000#1")
    assert chunk.passage is not None
    assert chunk.text[chunk.passage.start : chunk.passage.end] == chunk.passage.text
    with pytest.raises(SourceNotFound):
        demo_desk.source("zebra migration patterns")
    assert demo_desk.suggest_sources("pledges")[0].id == "003_851c2eef16447000"
    assert len(demo_desk.suggest_sources("")) == 5
