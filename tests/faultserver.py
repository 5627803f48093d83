"""A scriptable OpenAI-compatible chat-completions server on 127.0.0.1, for fault tests.

Each request takes the next step of the script: a reply (status, headers, JSON
body), a stall (answer late, to cause a read timeout), or a drop (close the
connection mid-response). Every request received is logged with its headers
and JSON body, so a test can check what the client sent back.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering


@dataclass
class Stream:
    """Answer with server-sent events, one per chunk (chat.completion.chunk objects)."""

    chunks: list[dict]


def chunks_of(content: str, size: int = 40, *, tool: bool = False) -> list[dict]:
    """A streamed completion writing ``content`` ``size`` characters at a time."""
    pieces = [content[i : i + size] for i in range(0, len(content), size)]
    out = []
    for n, piece in enumerate(pieces):
        if tool:
            call = {"index": 0, "function": {"arguments": piece}}
            if n == 0:
                call.update(
                    id="call_1", type="function", function={"name": "Brief", "arguments": piece}
                )
            delta = {"tool_calls": [call]}
        else:
            delta = {"content": piece}
        out.append(
            {
                "id": "c1",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "m",
                "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
            }
        )
    out.append(
        {
            "id": "c1",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "m",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        }
    )
    out.append(
        {
            "id": "c1",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "m",
            "choices": [],
            "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
        }
    )
    return out


@dataclass
class Drop:
    """Send the headers and part of the body, then close the connection."""

    body: Any = None


def completion(content: str | None, finish_reason: str = "stop", **message: Any) -> dict:
    """An OpenAI chat completion carrying ``content``."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "test-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, **message},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
    }


def synthetic_prose(request: dict) -> str:
    """SYNTHETIC: prose for whatever article ``request`` asks about, written here, not by a
    model (for parts and faults no model produces on demand): the article's first three
    sentences as key points, a role for every actor and an event for every date the
    request's JSON schema names."""
    prompt = request["messages"][1]["content"]
    text = prompt.split("<article>\n", 1)[1].split("\n</article>", 1)[0]
    sentences = [s for s in text.replace("\n", " ").split(". ") if len(s.split()) > 6]
    schema = request["response_format"]["json_schema"]["schema"]
    defs = schema.get("$defs", {})
    names = list(defs.get("Actors", {}).get("properties", {}))
    dates = list(defs.get("Timeline", {}).get("properties", {}))
    prose = {
        "headline": " ".join(sentences[0].split()[:8]),
        "summary": sentences[0] + ".",
        "key_points": [s.strip() + "." for s in sentences[:3]],
        "open_questions": [{"question": "What happens next?", "why_open": "Not said."}],
    }
    if names:
        # The position: the words of the actor's first quotation, as the prompt lists them.
        said = dict(re.findall(r"^- (.+?): \u201c(.+)\u201d$", prompt, re.M))
        prose["actors"] = {
            name: {"role": "named in the story", "says": said.get(name)} for name in names
        }
    if dates:
        prose["timeline"] = {when: f"Something happened {when}." for when in dates}
    return json.dumps(prose)


def canned_answer() -> dict:
    """The completion the batch benchmarks and the Ray tests get for every request: the
    embedded model's recorded brief of the seed article (the one place to change when
    the model's answer format changes)."""
    from tests.test_faults import GOOD

    return GOOD


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # many clients connect at once in the batch benchmark


class FaultServer:
    def __init__(self, keep_alive: bool = False) -> None:
        self.script: list[Reply | Drop | Stream] = []
        self.repeat: Reply | None = None  # the answer once the script is used up
        self.answer: Callable[[Any], Reply] | None = None  # or one made from the request
        self.requests: list[dict[str, Any]] = []
        self.models = ["served-model"]  # what GET /models lists
        server = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.1 keeps connections open, as real servers do (the batch benchmark);
            # the fault tests use HTTP/1.0, a connection per request.
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"
            disable_nagle_algorithm = True  # headers and body go out as separate writes

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                # The models it serves, as OpenAI-compatible servers list them.
                payload = json.dumps({"data": [{"id": m} for m in server.models]}).encode()
                self.send_response(200 if self.path.endswith("/models") else 404)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"null")
                server.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "json": body,
                        "client": self.client_address,  # one per connection
                    }
                )
                if server.script:
                    step = server.script.pop(0)
                elif server.answer is not None:
                    step = server.answer(body)
                else:
                    step = server.repeat or Reply(500, {"error": "no step"})
                if isinstance(step, Stream):
                    self.send_response(200)
                    self.send_header("content-type", "text/event-stream")
                    self.end_headers()
                    for chunk in step.chunks:
                        self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
                        self.wfile.flush()
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.close_connection = True
                    return
                if isinstance(step, Drop):
                    payload = json.dumps(step.body).encode()
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload[: len(payload) // 3])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                time.sleep(step.delay)
                payload = json.dumps(step.body).encode()
                try:
                    self.send_response(step.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    for name, value in step.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a read timeout test)

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
