"""A scripted OpenAI-compatible chat-completions server on 127.0.0.1, for tests and eval runs.

    with FakeOpenAI() as server:                  # random port; server.base_url ends in /v1
        server.script(Reply("He said “…” [1]."), Reply.error(429))
        ...                                        # requests pop scripted replies in order,
        server.requests                            # then `server.responder` answers the rest

`Reply` covers plain and streamed (SSE) completions, HTTP errors, hangs, garbage JSON and empty
content. `quote_first_passage` is a responder that answers any question faithfully by quoting
a sentence of passage [1] of the prompt. Standalone, for `newsdesk eval` in LLM mode:

    python -m tests.fakes.openai_server --port 8765   # then OPENAI_BASE_URL=http://127.0.0.1:8765/v1
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import prompts


@dataclass
class Reply:
    """One scripted response. Streamed when the request asks for `stream`."""

    content: str | None = ""
    status: int = 200
    body: bytes | None = None  # sent as is (with `status`) instead of a completion
    hang: float = 0.0  # seconds to wait before answering (a timeout)
    hang_after_chunks: int | None = None  # streaming: stall after this many chunks
    finish_reason: str = "stop"
    usage: dict[str, int] | None = field(default=None)  # None: counted from the texts
    send_usage: bool = True
    model: str | None = None  # None: echo the requested model
    chunk_chars: int = 7  # streaming: characters per delta
    stream_field: str = "delta"  # streaming: "message" or "text" for servers that differ
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def error(cls, status: int, message: str = "scripted error") -> Reply:
        body = json.dumps({"error": {"message": message, "type": "server_error", "code": None}})
        headers = {"retry-after-ms": "1"} if status == 429 else {}
        return cls(status=status, body=body.encode(), headers=headers)

    @classmethod
    def garbage(cls) -> Reply:
        return cls(body=b"{this is not json", headers={"content-type": "application/json"})

    @classmethod
    def hanging(cls, seconds: float = 10.0) -> Reply:
        return cls("too late", hang=seconds)


Responder = Callable[[dict[str, Any]], Reply]


class FakeOpenAI:
    """The server: `script(...)` replies, read `requests` (the JSON bodies received)."""

    def __init__(self, responder: Responder | None = None, port: int = 0) -> None:
        self.responder: Responder = responder or (lambda _req: Reply("No script left."))
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def script(self, *replies: Reply | str) -> None:
        """Queue replies for the next requests, in order."""
        with self._lock:
            self._queue.extend(Reply(r) if isinstance(r, str) else r for r in replies)

    def start(self) -> FakeOpenAI:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases hanging handlers
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next(self, request: dict[str, Any], headers: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append(request)
            self.headers.append(headers)
            if self._queue:
                return self._queue.popleft()
        return self.responder(request)

    def _wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)


def _handler(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length)
            try:
                request = json.loads(raw or b"{}")
            except ValueError:
                request = {"_raw": raw.decode("utf-8", "replace")}
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, b'{"error": {"message": "not found"}}', {})
                return
            reply = fake._next(request, dict(self.headers.items()))
            if reply.hang:
                fake._wait(reply.hang)
                if fake._stopping.is_set():
                    return
            if reply.body is not None or reply.status != 200:
                self._send(reply.status, reply.body or b"{}", reply.headers)
            elif request.get("stream"):
                self._stream(request, reply)
            else:
                self._send(200, json.dumps(_completion(request, reply)).encode(), reply.headers)

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            if not any(k.lower() == "content-type" for k in headers):
                self.send_header("content-type", "application/json")
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _stream(self, request: dict[str, Any], reply: Reply) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("connection", "close")
            self.end_headers()
            self.close_connection = True
            for i, chunk in enumerate(_chunks(request, reply)):
                if reply.hang_after_chunks is not None and i == reply.hang_after_chunks:
                    fake._wait(30.0)
                    return
                try:
                    self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
                    self.wfile.flush()
                except OSError:
                    return
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    return Handler


def _usage(request: dict[str, Any], reply: Reply) -> dict[str, int]:
    if reply.usage is not None:
        return reply.usage
    prompt = sum(len(str(m.get("content", "")).split()) for m in request.get("messages", []))
    completion = len((reply.content or "").split())
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _completion(request: dict[str, Any], reply: Reply) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": reply.model or request.get("model", "fake"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.content},
                "finish_reason": reply.finish_reason,
            }
        ],
    }
    if reply.send_usage:
        out["usage"] = _usage(request, reply)
    return out


def _chunks(request: dict[str, Any], reply: Reply) -> list[dict[str, Any]]:
    base = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": reply.model or request.get("model", "fake"),
    }
    text = reply.content or ""
    step = max(1, reply.chunk_chars)
    deltas = [{"role": "assistant", "content": ""}]
    deltas += [{"content": text[i : i + step]} for i in range(0, len(text), step)]
    if reply.stream_field == "text":
        choices = [{"index": 0, "text": d["content"], "finish_reason": None} for d in deltas]
    else:
        choices = [{"index": 0, reply.stream_field: d, "finish_reason": None} for d in deltas]
    out = [{**base, "choices": [c]} for c in choices]
    out.append(
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": reply.finish_reason}]}
    )
    if reply.send_usage and (request.get("stream_options") or {}).get("include_usage"):
        out.append({**base, "choices": [], "usage": _usage(request, reply)})
    return out


# -- responders -------------------------------------------------------------------------------

_PASSAGE = re.compile(r'<passage id="(\d+)">\n(.*?)\n</passage>', re.DOTALL)
_SENTENCE = re.compile(r"[^.!?\n]*[A-Za-z][^.!?\n]*[.!?]")
_QUOTE_MARKS = '"“”«»'


def quote_first_passage(request: dict[str, Any]) -> Reply:
    """Answer faithfully: quote the plain sentence of passage [1] (up to 200 characters, no
    quote marks inside) that shares the most words with the question, the longest of those,
    cited [1]; refuse when there is no passage."""
    user = next((m["content"] for m in request.get("messages", []) if m.get("role") == "user"), "")
    blocks = dict(_PASSAGE.findall(str(user)))
    body = blocks.get("1", "")
    meta = dict(re.findall(r"^(Outlet|Title|Date): (.*)$", body, re.MULTILINE))
    text = body.split("Text:\n", 1)[-1]
    candidates = [
        s.strip()
        for s in _SENTENCE.findall(text)
        if not any(c in s for c in _QUOTE_MARKS) and len(s.split()) >= 4
    ]
    candidates = [s for s in candidates if len(s) <= 200] or [s[:200] for s in candidates]
    if not candidates:
        return Reply("The articles I have do not answer that.")
    asked = re.search(r"<question>\s*(.*?)\s*</question>", str(user), re.DOTALL)
    words = set(re.findall(r"\w{4,}", asked.group(1).lower())) if asked else set()
    sentence = max(
        candidates, key=lambda s: (len(words & set(re.findall(r"\w{4,}", s.lower()))), len(s))
    ).rstrip(".!?")
    unknown = prompts.render("unknown").strip()
    source = meta.get("Outlet", unknown)
    source = "the article" if source == unknown else source
    date = meta.get("Date", unknown)
    when = f" ({date})" if date != unknown else ""
    return Reply(f"According to {source}{when}, “{sentence}” [1].")


def main() -> None:
    """Run the server until interrupted, answering with `quote_first_passage`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    args = parser.parse_args()
    server = FakeOpenAI(quote_first_passage, port=args.port).start()
    print(f"OPENAI_BASE_URL={server.base_url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
