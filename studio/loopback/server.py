"""A loopback HTTP server speaking the Anthropic Messages API wire format.

The real SDK talks to it over TCP, so tests, benchmarks and the offline demo exercise
the same HTTP, SSE and error paths as the live service, with no network.

It keeps nothing it is sent: ``studio --demo`` runs it for a whole writing session, and a
server that recorded every request body would grow with it. Tests that read what was sent use
``tests/fakeapi.RecordingServer``, which keeps each request through the :meth:`received` hook.
The one exception is the Message Batches API (``batches.py``): a batch, its requests and results
are kept in memory, as the API keeps them, until it is deleted or the server stops.
"""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from .batch_items import FateHook
from .batches import BATCHES_PATH, MAX_BYTES, BatchStore
from .builder import Context, Outcome, error_body, json_outcome, messages_problem
from .cache import PromptCache
from .demo import find_model, models_page
from .paging import LIMIT_PROBLEM, page_query
from .replies import DemoReply, Reply
from .sse import estimate_input_tokens
from .titles import TitleReply, is_title_request

MESSAGES_PATH = "/v1/messages"


@dataclass
class Request:
    """One request as received; ``path`` has no query string, which is kept in ``query``."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any | None = None
    query: str = ""


class _HTTPServer(ThreadingHTTPServer):
    """Threading server that skips reverse DNS, stays silent and can cut open connections."""

    daemon_threads = True
    owner: LoopbackServer

    def __init__(self, address: tuple[str, int], owner: LoopbackServer) -> None:
        self.owner = owner
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.accepted = 0
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name, which can stall without a network.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
            self.accepted += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Never print: in demo mode this runs under a full-screen terminal UI.
        pass

    def close_connections(self) -> None:
        """Cut kept-alive connections so pooled clients do not wait on a dead server."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    """Reads one request, asks the owner for an Outcome, and writes it."""

    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:
        # The request log goes to the owner's callback, never to stderr.
        pass

    def _dispatch(self) -> None:
        owner = self.server.owner
        body = self._read_body()
        url = urlsplit(self.path)
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        request = Request(self.command, url.path, headers, body, parsed, url.query)
        request_id = owner._next_request_id()
        owner.received(request)
        try:
            outcome = owner._route(request, request_id)
        except Exception as exc:  # a bug in a script must still answer like the API would
            outcome = json_outcome(500, error_body("api_error", f"loopback: {exc!r}", request_id))
        owner._log(f"{self.command} {self.path} -> {outcome.status}")
        self._write(outcome, request_id)

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(parts)
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _write(self, outcome: Outcome, request_id: str) -> None:
        try:
            self.send_response(outcome.status)
            for name, value in outcome.headers.items():
                self.send_header(name, value)
            self.send_header("request-id", request_id)
            if outcome.chunks is None:
                length = outcome.declared_length
                self.send_header("content-length", str(len(outcome.body) if length is None else length))
                self.end_headers()
                self.wfile.write(outcome.body)
            else:
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                self._write_chunks(outcome)
            self.wfile.flush()
        except OSError:  # the client went away (e.g. it cancelled the stream)
            self.close_connection = True
            return
        if outcome.drop:
            self._drop()

    def _write_chunks(self, outcome: Outcome) -> None:
        chunks = [chunk for chunk in outcome.chunks or [] if chunk]
        for number, chunk in enumerate(chunks):
            if number and outcome.chunk_delay > 0:
                time.sleep(outcome.chunk_delay)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
        if not outcome.drop:
            self.wfile.write(b"0\r\n\r\n")

    def _drop(self) -> None:
        """Close the socket mid-body, so the client sees an incomplete response."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
        self.connection.close()


class LoopbackServer:
    """The Messages API on 127.0.0.1, answering from a queue of reply scripts.

    With ``api_key`` set, requests must carry it (``x-api-key`` or ``Authorization: Bearer``).
    When the queue is empty, ``default`` answers, or else the built-in demo reply. Title requests
    (see titles.py) are answered by ``title_reply``, apart from the queue: a conversation's title
    is asked for in the background, and must not take a reply a test scripted for the writer.

    Message Batches are processed in the background; the ``batch_*`` attributes set how (they are
    read when needed, so a test may change them after the server has started).
    """

    def __init__(
        self,
        api_key: str | None = None,
        default: Reply | None = None,
        *,
        port: int = 0,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.api_key = api_key
        self.default: Reply = default if default is not None else DemoReply()
        self.title_reply: Reply = TitleReply()
        self._port = port
        self._log_callback = log
        self._lock = threading.Lock()
        self._queue: deque[list[Any]] = deque()  # [reply, answers left]
        self._counter = 0
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.prompt_cache = PromptCache()
        # Message Batches (see batches.py and batch_items.py); read each time they are needed.
        self.batch_seconds = 3.0  # how long a batch takes to process, spread over its items
        self.batch_fate: FateHook | None = None  # (custom_id, params) -> an item's fate, or None
        self.batch_404_after_create = 0  # retrieves of each new batch that answer 404 first
        self.batch_max_bytes = MAX_BYTES  # the largest create body accepted (the API's 256 MB)
        self.batches = BatchStore(self)

    def start(self) -> LoopbackServer:
        """Bind a free port (or the one asked for) and serve in a daemon thread."""
        if self._httpd is not None:
            return self
        self._httpd = _HTTPServer(("127.0.0.1", self._port), self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="studio-loopback",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and cut open connections; safe to call twice."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self.batches.close()
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port; only known once started."""
        if self._httpd is None:
            raise RuntimeError("LoopbackServer is not started")
        return self._httpd.server_port

    @property
    def base_url(self) -> str:
        """What to pass as the SDK's ``base_url`` (or ``ANTHROPIC_BASE_URL``)."""
        return f"http://127.0.0.1:{self.port}"

    def queue(self, *replies: Reply) -> None:
        """Answer the next ``POST /v1/messages`` calls with these scripts, in order."""
        with self._lock:
            self._queue.extend([reply, max(1, reply.times)] for reply in replies)

    @property
    def connections_accepted(self) -> int:
        """TCP connections accepted so far: shows whether clients reuse kept-alive ones."""
        return self._httpd.accepted if self._httpd is not None else 0

    @property
    def pending(self) -> int:
        """How many queued scripts have not been used up yet."""
        with self._lock:
            return len(self._queue)

    def received(self, request: Request) -> None:
        """Called with each request before it is answered; keeps nothing here (see the module)."""

    def _log(self, line: str) -> None:
        if self._log_callback is not None:
            self._log_callback(line)

    def _next_request_id(self) -> str:
        """A request id for the next request, as the API sends in ``request-id``."""
        with self._lock:
            self._counter += 1
            return f"req_loopback_{self._counter}"

    def _next_reply(self) -> Reply:
        with self._lock:
            if not self._queue:
                return self.default
            entry = self._queue[0]
            entry[1] -= 1
            if entry[1] <= 0:
                self._queue.popleft()
            return entry[0]

    def _authorised(self, headers: dict[str, str]) -> bool:
        if self.api_key is None:
            return True
        bearer = headers.get("authorization", "")
        return headers.get("x-api-key") == self.api_key or bearer == f"Bearer {self.api_key}"

    def _route(self, request: Request, request_id: str) -> Outcome:
        """Pick the answer for one request."""
        if not self._authorised(request.headers):
            return _error(401, "authentication_error", "invalid x-api-key", request_id)
        method, path = request.method, request.path.rstrip("/")
        if method == "POST" and path in (MESSAGES_PATH, MESSAGES_PATH + "/count_tokens"):
            body = request.json
            problem = messages_problem(body, counting=path != MESSAGES_PATH)
            if problem:
                return _error(400, "invalid_request_error", problem, request_id)
            if path != MESSAGES_PATH:
                return json_outcome(200, {"input_tokens": estimate_input_tokens(body)})
            streaming = isinstance(body, dict) and body.get("stream") is True
            context = Context(body, streaming, request_id, self.prompt_cache)
            if is_title_request(body):
                return self.title_reply.build(context)
            return self._next_reply().build(context)
        if method == "GET" and path == "/v1/models":
            return _list_models(request.query, request_id)
        if method == "GET" and path.startswith("/v1/models/"):
            model_id = path.removeprefix("/v1/models/")
            model = find_model(model_id)
            if model is None:
                return _error(404, "not_found_error", f"model: {model_id}", request_id)
            return json_outcome(200, model)
        if path == BATCHES_PATH or path.startswith(BATCHES_PATH + "/"):
            return self.batches.route(method, path, request.query, request.body, request.json, request_id)
        return _error(404, "not_found_error", "Not Found", request_id)


def _error(status: int, error_type: str, message: str, request_id: str) -> Outcome:
    return json_outcome(status, error_body(error_type, message, request_id))


def _list_models(query: str, request_id: str) -> Outcome:
    params, limit = page_query(query)
    if limit is None:
        return _error(400, "invalid_request_error", LIMIT_PROBLEM, request_id)
    return json_outcome(200, models_page(limit, params.get("after_id"), params.get("before_id")))
