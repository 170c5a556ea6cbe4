"""A Chroma server that goes away after start-up, and comes back: a clear message, keyword
answers meanwhile where the article texts are at hand, and recovery."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding

from index.config import DEMO_ARTICLES_DIR, Settings
from index.errors import StoreUnavailable
from index.service import Newsdesk
from tests.server.conftest import STARTUP_TIMEOUT, STOP_TIMEOUT, _alive, chroma_cli, free_port

pytestmark = [pytest.mark.slow, pytest.mark.chroma_server]
QUESTION = "What did Rutte say about Dodik?"
OTHER = "How many troops does Serbia keep for peacekeeping missions?"


class Server:
    """`chroma run` on 127.0.0.1 that the test can stop and start again on the same port."""

    def __init__(self, path: Path) -> None:
        self.path, self.port = path, free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                chroma_cli(),
                "run",
                "--path",
                str(self.path),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _alive(url):
            assert self.proc.poll() is None and time.monotonic() < deadline, "no chroma server"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    s = Server(tmp_path / "chroma-data")
    s.start()
    yield s
    s.stop()


def test_server_gone_then_back(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_model: BaseEmbedding
) -> None:
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", str(server.port))
    monkeypatch.setenv("NEWSDESK_INDEX_DIR", str(tmp_path / "index"))
    shutil.copytree(DEMO_ARTICLES_DIR, tmp_path / "articles")
    monkeypatch.setenv("NEWSDESK_ARTICLES_DIR", str(tmp_path / "articles"))
    desk = Newsdesk.open(Settings.load(None), embedder=local_model)
    desk.reindex()
    before = desk.ask(QUESTION, offline=True)
    assert not before.refused

    server.stop()
    meanwhile = desk.ask(QUESTION, offline=True)  # its article is in memory: BM25 answers
    assert not meanwhile.refused and meanwhile.citations
    assert any(f"127.0.0.1:{server.port} is unreachable" in v for v in meanwhile.verification)
    with pytest.raises(
        StoreUnavailable, match=rf"Chroma server at 127\.0\.0\.1:{server.port} is unreachable"
    ):
        desk.reindex(full=True)
    assert len(desk.sources()) == 5  # the listing is in memory

    server.start()
    after = desk.ask(QUESTION, offline=True)
    assert after.text == before.text and not after.verification
    assert desk.ask(OTHER, offline=True).question == OTHER
