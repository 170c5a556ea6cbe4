"""Readers that lag behind reindexes done by another process.

A replaced generation is kept for `RETIRED_GRACE` seconds, so a process that has not looked
for a new generation since two reindexes still answers from the one it serves. Should that
generation be gone anyway, the reader loads the current one and answers from it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding

import index.service
import index.store
from index.config import Settings
from index.service import Newsdesk

pytestmark = [pytest.mark.chroma_server, pytest.mark.slow]


def _two_reindexes(writer: Newsdesk, corpus: Path) -> None:
    for n in (1, 2):
        path = corpus / f"00{5 + n}_new.txt"
        path.write_text(f"Update number {n}\n\nOfficials said the update {n} was made.\n" * 3)
        writer.reindex()


@pytest.fixture
def lagging(
    server_settings: Settings,
    corpus: Path,
    embedder: BaseEmbedding,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Newsdesk, Newsdesk, str]:
    writer = Newsdesk.open(server_settings, embedder=embedder)
    writer.reindex()
    monkeypatch.setattr(index.service, "REFRESH_SECONDS", 3600.0)  # the reader does not look
    reader = Newsdesk.open(server_settings, embedder=embedder)
    return writer, reader, reader.snapshot.name or ""


def test_lagging_reader_keeps_answering_from_its_generation(
    lagging: tuple[Newsdesk, Newsdesk, str], corpus: Path
) -> None:
    writer, reader, served = lagging
    _two_reindexes(writer, corpus)
    assert served in writer.store.generation_names()  # retired, within its grace period
    answer = reader.ask("What did Rutte say about Dodik?", offline=True)
    assert reader.snapshot.name == served
    assert "accept the verdict" in answer.text


def test_reader_whose_generation_is_gone_loads_the_current_one(
    lagging: tuple[Newsdesk, Newsdesk, str], corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer, reader, served = lagging
    monkeypatch.setattr(index.store, "RETIRED_GRACE", 0.0)
    time.sleep(0.01)
    _two_reindexes(writer, corpus)
    assert served not in writer.store.generation_names()
    answer = reader.ask("What did Rutte say about Dodik?", offline=True)
    assert "accept the verdict" in answer.text
    assert reader.snapshot.name == writer.store.current_name()


def test_old_generations_are_collected_after_their_grace(
    lagging: tuple[Newsdesk, Newsdesk, str], corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer, _reader, served = lagging
    _two_reindexes(writer, corpus)
    current = writer.store.current_name() or ""
    assert served in writer.store.generation_names()
    assert len(writer.store.generation_names()) == 3
    writer.store.collect(keep={current}, now=time.time() + index.store.RETIRED_GRACE + 1)
    assert writer.store.generation_names() == {current}
