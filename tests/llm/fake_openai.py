"""A fake OpenAI-compatible server on 127.0.0.1 that the real `openai` client talks to.

Tests script its replies in order (`server.script(Reply.json({...}), Reply.error(500))`)
and read what it received (`server.received`), after redaction, exactly as a
real provider would have seen it. The `llm_online` fixture points Motive's
settings at it; any test of code that calls `llm.client` can use it:

    def test_probe(llm_online):
        llm_online.script(Reply.json({"followup": "Why then?"}))
        ...
        assert llm_online.received[0].messages[-1]["content"] == ...
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

CHAT_PATH = "/v1/chat/completions"


@dataclass
class Reply:
    """One scripted answer: a chat completion, an error status, or raw bytes."""

    content: str | None = None
    status: int = 200
    # Seconds to wait before answering (longer than the client's timeout = a timeout).
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    # A whole JSON body instead of a chat completion around `content`.
    body: Any = None
    # Bytes sent as the body verbatim (a server answering garbage).
    raw: bytes | None = None
    finish_reason: str = "stop"
    model: str = "fake-model"

    @classmethod
    def json(cls, data: Any, **kwargs: Any) -> Reply:
        return cls(content=json.dumps(data), **kwargs)

    @classmethod
    def text(cls, content: str, **kwargs: Any) -> Reply:
        return cls(content=content, **kwargs)

    @classmethod
    def error(cls, status: int, message: str = "scripted error", **kwargs: Any) -> Reply:
        body = {"error": {"message": message, "type": "fake_error", "code": None}}
        return cls(status=status, body=body, **kwargs)

    def payload(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if self.body is not None:
            return json.dumps(self.body).encode()
        completion = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": self.content, "refusal": None},
                    "finish_reason": self.finish_reason,
                    "logprobs": None,
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        return json.dumps(completion).encode()


@dataclass(frozen=True)
class Received:
    """A request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def contents(self) -> list[str]:
        return [message["content"] for message in self.messages]

    @property
    def response_format(self) -> dict[str, Any] | None:
        return self.body.get("response_format")


class FakeOpenAI:
    """The server; replies are consumed in order, and an unscripted request gets a 500."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        # A short poll keeps stop() (each test's teardown) from waiting half a second.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._replies)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _next_reply(self, received: Received) -> Reply:
        with self._lock:
            self.received.append(received)
            if received.method != "POST" or received.path != CHAT_PATH:
                return Reply.error(404, f"no route {received.method} {received.path}")
            if not self._replies:
                return Reply.error(500, "the fake server has no scripted reply left")
            return self._replies.popleft()

    def _wait(self, seconds: float) -> None:
        # Interrupted by stop(), so a test's teardown never waits out a long delay.
        self._stopping.wait(seconds)


def _handler_for(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # An idle keep-alive connection ends instead of holding its thread forever.
        timeout = 5

        def do_POST(self) -> None:
            self._answer()

        def do_GET(self) -> None:
            self._answer()

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = {"unparsed": raw.decode(errors="replace")}
            received = Received(
                method=self.command,
                path=self.path,
                headers={key.lower(): value for key, value in self.headers.items()},
                body=body,
            )
            reply = fake._next_reply(received)
            if reply.delay:
                fake._wait(reply.delay)
            payload = reply.payload()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up (its timeout); nobody is listening any more.
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A running fake server (settings untouched)."""
    server = FakeOpenAI()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def llm_online(fake_openai: FakeOpenAI, settings: Any) -> FakeOpenAI:
    """Motive's LLM settings pointed at the fake server: a key, short timeout, redaction on."""
    settings.OPENAI_API_KEY = "sk-test-fake"
    settings.OPENAI_BASE_URL = fake_openai.base_url
    settings.MOTIVE_LLM_MODEL = "gpt-4o-mini"
    settings.MOTIVE_LLM_TIMEOUT = 2.0
    settings.MOTIVE_LLM_MAX_RETRIES = 2
    settings.MOTIVE_LLM_REDACT = True
    return fake_openai
