"""A real Chroma server (`chroma run`) on 127.0.0.1 for the client-server tests.

The server is started once per session under a temp directory; each test starts from an
empty server (its collections are deleted first) and gets `Settings` built from the
environment with CHROMA_HOST/CHROMA_PORT pointing at it. A missing `chroma` CLI or a server
that does not come up is a test failure, never a skip: CI must not go green without it.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import chromadb
import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding

from index.config import DEMO_ARTICLES_DIR, Settings

STARTUP_TIMEOUT = 60.0  # seconds for `chroma run` to answer its heartbeat
STOP_TIMEOUT = 10.0  # seconds before a server that ignores SIGTERM is killed
HEARTBEAT = "/api/v2/heartbeat"


@dataclass(frozen=True)
class ChromaServer:
    host: str
    port: int
    path: Path
    log: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def client(self) -> chromadb.api.ClientAPI:
        return chromadb.HttpClient(
            host=self.host,
            port=self.port,
            settings=chromadb.Settings(anonymized_telemetry=False),
        )


def chroma_cli() -> str:
    """The `chroma` executable beside this interpreter, or on PATH."""
    beside = Path(sys.executable).parent / "chroma"
    if beside.is_file():
        return str(beside)
    found = shutil.which("chroma")
    if found is None:
        pytest.fail(
            "the `chroma` CLI was not found (beside the interpreter or on PATH); "
            "install chromadb into this environment: the chroma_server tests need it",
            pytrace=False,
        )
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _alive(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + HEARTBEAT, timeout=1) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """`chroma run --path <tmp> --host 127.0.0.1 --port <free>`, up until the session ends."""
    exe = chroma_cli()
    base = tmp_path_factory.mktemp("chroma-server")
    data, log_path = base / "data", base / "server.log"
    server = ChromaServer("127.0.0.1", free_port(), data, log_path)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [exe, "run", "--path", str(data), "--host", server.host, "--port", str(server.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _alive(server.url):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-2000:]
                pytest.fail(
                    f"`chroma run` did not come up on {server.url} "
                    f"(exit code {proc.poll()}); its log ends:\n{tail}",
                    pytrace=False,
                )
            time.sleep(0.1)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def empty_server(chroma_server: ChromaServer) -> ChromaServer:
    """The session's server with every collection deleted, so tests do not see each other."""
    client = chroma_server.client()
    for col in client.list_collections():
        name = col if isinstance(col, str) else col.name
        with contextlib.suppress(Exception):
            client.delete_collection(name)
    return chroma_server


@pytest.fixture
def server_settings(
    empty_server: ChromaServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """Settings from the environment, in client-server mode against `empty_server`."""
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CHROMA_AUTH_TOKEN", "CHROMA_SSL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("CHROMA_HOST", empty_server.host)
    monkeypatch.setenv("CHROMA_PORT", str(empty_server.port))
    # Set so that a fall back to embedded mode would show up as files here.
    monkeypatch.setenv("NEWSDESK_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("NEWSDESK_ARTICLES_DIR", str(tmp_path / "articles"))
    return Settings.load(None)


@pytest.fixture
def corpus(server_settings: Settings) -> Path:
    """A private copy of the demo articles (tests change and delete files in it)."""
    target = server_settings.core.articles_dir
    shutil.copytree(DEMO_ARTICLES_DIR, target)
    return target


@pytest.fixture(scope="session")
def embedder(local_model: BaseEmbedding) -> BaseEmbedding:
    """The real local MiniLM, loaded once per session (tests/conftest.py)."""
    return local_model
