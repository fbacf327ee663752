"""A real HTTP server on loopback for transport tests, programmable per path.

Each path is given a list of :class:`Reply` objects, answered in order; the last
one repeats for any further request. Every request that reaches the server is
logged (before any delay), so a test can count attempts, including ones the
client gave up on. Standard library only.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before sending anything
    truncate_at: int | None = None  # send the full Content-Length but only this many body bytes, then close
    send_length: bool = True  # False: no Content-Length; the body ends when the server closes the connection
    trickle: float = 0.0  # seconds between pieces of 16 bytes (a server sending slowly, forever in effect)


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # without the query string
    target: str  # as sent, with any query string
    headers: dict[str, str]  # keys lower-cased

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: the server closes after each answer
    server: _Server

    def log_message(self, format, *args) -> None:  # noqa: A002 - keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.server.owner._answer(self)

    def do_HEAD(self) -> None:  # noqa: N802
        self.server.owner._answer(self, head=True)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LoopbackServer

    def handle_error(self, request, client_address) -> None:
        pass  # a client that timed out and hung up is expected here


class LoopbackServer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._replies: dict[str, list[Reply]] = {}
        self._log: list[Request] = []
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def host(self) -> str:
        return self._server.server_address[0]

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wake any handler sleeping in a delay
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def set(self, path: str, *replies: Reply) -> None:
        """Answer ``path`` with ``replies`` in order; the last one repeats."""
        if not replies:
            raise ValueError("give at least one reply")
        with self._lock:
            self._replies["/" + path.lstrip("/")] = list(replies)

    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._log)

    def requests_for(self, path: str) -> list[Request]:
        path = "/" + path.lstrip("/")
        return [request for request in self.requests if request.path == path]

    def _next_reply(self, path: str) -> Reply:
        with self._lock:
            queue = self._replies.get(path)
            if not queue:
                return Reply(404, b"not found\n", {"Content-Type": "text/plain"})
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def _answer(self, handler: _Handler, *, head: bool = False) -> None:
        path = urlsplit(handler.path).path
        request = Request(handler.command, path, handler.path, {k.lower(): v for k, v in handler.headers.items()})
        with self._lock:
            self._log.append(request)
        reply = self._next_reply(path)
        if reply.delay and self._stopping.wait(reply.delay):
            return
        try:
            handler.send_response(reply.status)
            headers = {**({"Content-Length": str(len(reply.body))} if reply.send_length else {}), **reply.headers}
            if not reply.send_length:
                headers["Connection"] = "close"
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            if head:
                return
            if reply.trickle:
                for start in range(0, len(reply.body), 16):
                    if self._stopping.wait(reply.trickle):
                        return
                    handler.wfile.write(reply.body[start:start + 16])
                    handler.wfile.flush()
            elif reply.truncate_at is None:
                handler.wfile.write(reply.body)
                if not reply.send_length:
                    handler.close_connection = True
            else:
                handler.wfile.write(reply.body[: reply.truncate_at])
                handler.wfile.flush()
                handler.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout) before the answer
