"""The real local model for the session: llama.cpp's server running SmolLM2-135M-Instruct.

A server that cannot start fails the tests that need it (never a skip): CI must run them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.llm.llama_server import LlamaServer, LlamaServerError


@pytest.fixture(scope="session")
def smollm() -> Iterator[LlamaServer]:
    server = LlamaServer()
    try:
        server.start()
    except LlamaServerError as exc:
        pytest.fail(f"the real-model server could not start: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()
