"""A local HTTP server on 127.0.0.1 that answers from a route table and records requests.

Each route maps a path to a function ``(query, headers) -> (status, json_body)``; the
query is the parsed query string (values as lists). Every request is recorded with its
path, query and headers, so tests can check what the client sent (paging tokens,
filters, the credential the SDK attached).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Handler = Callable[[dict[str, list[str]], dict[str, str]], tuple[int, Any]]


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class FakeServer:
    base_url: str
    routes: dict[str, Handler]
    requests: list[Recorded] = field(default_factory=list)

    def calls(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]


@contextmanager
def serve(routes: dict[str, Handler]) -> Iterator[FakeServer]:
    """Run a fake server for the duration of the block (any method, routed by path)."""
    state = FakeServer("", routes)

    class _Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            query = parse_qs(parts.query, keep_blank_values=True)
            headers = {k.lower(): v for k, v in self.headers.items()}
            state.requests.append(Recorded(self.command, parts.path, query, headers, body))
            handler = state.routes.get(parts.path)
            status, payload = (404, {"error": f"no route {parts.path}"}) if handler is None \
                else handler(query, headers)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
