"""What both fake providers share: a real HTTP/1.1 server on 127.0.0.1 with scripted faults.

A subclass answers requests in `answer(request) -> Reply`; this module runs the server in a thread, keeps
connections alive, counts requests, and applies the faults a test planned (`respond_next`, `fail_on_request`,
`hang_next`) before the subclass sees the request.
"""

import contextlib
import json
import socket
import socketserver
import sys
import threading
import traceback
from collections import deque
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    """One HTTP request as the fake received it."""

    number: int
    method: str
    path: str
    query: dict[str, str]
    raw_query: str
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Reply:
    status: int
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)

    def content_type(self) -> str | None:
        if self.body is None or any(name.lower() == "content-type" for name in self.headers):
            return None
        return "text/plain; charset=utf-8" if isinstance(self.body, str | bytes) else "application/json"

    def encoded_body(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


@dataclass(frozen=True)
class Call:
    """What the fake saw and answered, for every request, faults included."""

    number: int
    method: str
    path: str
    status: int | None  # None: the fake was stopped while hanging and never answered


class FakeHTTPServer:
    """Base of the fake providers: start()/stop(), `url`, fault injection, a log of every call."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._planned: deque[Reply] = deque()
        self._planned_by_number: dict[int, Reply] = {}
        self._hangs: deque[float] = deque()
        self._hangs_by_number: dict[int, float] = {}
        self._request_count = 0
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.calls: list[Call] = []
        # A crash inside the fake is a bug in the fake, not a provider answer: the fixtures fail the test on it.
        self.internal_errors: list[str] = []

    # -- lifecycle ------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake server is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Self:
        self._stopping.clear()
        self._server = _Server(self)
        # A short poll interval because stop() waits for the serve loop to notice it (0.5 s by default).
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name=type(self).__name__, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end hangs and idle keep-alive connections, and wait for every handler thread."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.close_open_connections()
        self._server.server_close()
        self._thread.join()
        self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    # -- fault injection ------------------------------------------------------------------------------------

    def respond_next(
        self, status: int, *, headers: dict[str, str] | None = None, body: object = None, times: int = 1
    ) -> None:
        """Answer the next `times` requests with this status instead of handling them (nothing is recorded).

        `body`: dict/list (sent as JSON), str or bytes; None gives the provider's usual error body.
        """
        reply = self._fault_reply(status, headers, body)
        with self._lock:
            self._planned.extend([reply] * times)

    def fail_on_request(
        self, k: int, status: int, *, headers: dict[str, str] | None = None, body: object = None
    ) -> None:
        """Answer the k-th request the server receives (1-based, counting every request) with this status."""
        reply = self._fault_reply(status, headers, body)
        with self._lock:
            self._planned_by_number[k] = reply

    def hang_next(self, seconds: float, times: int = 1) -> None:
        """Wait `seconds` before handling each of the next `times` requests.

        The request is still handled afterwards, like a slow provider: it is accepted and recorded even when
        the client gave up waiting, which is exactly the "outcome unknown" case. stop() ends a hang at once.
        """
        with self._lock:
            self._hangs.extend([seconds] * times)

    @property
    def arrived(self) -> int:
        """How many requests have arrived, those still hanging included."""
        with self._lock:
            return self._request_count

    def hang_on_request(self, k: int, seconds: float) -> None:
        """Like hang_next, for the k-th request the server receives (1-based, counting every request)."""
        with self._lock:
            self._hangs_by_number[k] = seconds

    def _fault_reply(self, status: int, headers: dict[str, str] | None, body: object) -> Reply:
        if body is None:
            body = self.error_body(status, HTTPStatus(status).phrase)
        return Reply(status, body, dict(headers or {}))

    # -- hooks for the providers ----------------------------------------------------------------------------

    def answer(self, request: Request) -> Reply:
        raise NotImplementedError

    def error_body(self, status: int, message: str) -> object:
        """The provider's error JSON for `status`."""
        raise NotImplementedError

    # -- request flow (called from handler threads) ---------------------------------------------------------

    def _respond(self, request_line: tuple[str, str], headers: dict[str, str], body: bytes) -> Reply | None:
        method, target = request_line
        number, reply, hang = self._take_plan()
        if hang and self._stopping.wait(hang):
            self._log_call(number, method, target, None)
            return None
        if reply is None:
            reply = self._answer_safely(_parse_request(number, method, target, headers, body))
        self._log_call(number, method, target, reply.status)
        return reply

    def _take_plan(self) -> tuple[int, Reply | None, float]:
        with self._lock:
            self._request_count += 1
            number = self._request_count
            planned = self._planned_by_number.pop(number, None)
            if planned is None and self._planned:
                planned = self._planned.popleft()
            hang = self._hangs.popleft() if self._hangs else 0.0
            hang = self._hangs_by_number.pop(number, hang)
        return number, planned, hang

    def _answer_safely(self, request: Request) -> Reply:
        try:
            return self.answer(request)
        except Exception:
            with self._lock:
                self.internal_errors.append(traceback.format_exc())
            return Reply(500, self.error_body(500, "the fake server crashed (see internal_errors)"))

    def _log_call(self, number: int, method: str, target: str, status: int | None) -> None:
        with self._lock:
            self.calls.append(Call(number, method, urlsplit(target).path, status))


def _parse_request(number: int, method: str, target: str, headers: dict[str, str], body: bytes) -> Request:
    parts = urlsplit(target)
    query = {name: values[-1] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
    return Request(number, method, parts.path, query, parts.query, headers, body)


class _Server(ThreadingHTTPServer):
    # Handler threads are daemons, so a test that forgets stop() cannot keep the interpreter alive; stop() still
    # joins them (see process_request), so none runs on into the next test.
    daemon_threads = True
    block_on_close = False

    def __init__(self, fake: FakeHTTPServer) -> None:
        self.fake = fake
        self._connections: set[socket.socket] = set()
        self._handler_threads: list[threading.Thread] = []
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request, client_address) -> None:
        thread = threading.Thread(target=self.process_request_thread, args=(request, client_address), daemon=True)
        with self._connections_lock:
            self._handler_threads = [alive for alive in self._handler_threads if alive.is_alive()] + [thread]
        thread.start()

    def server_close(self) -> None:
        super().server_close()
        with self._connections_lock:
            threads = list(self._handler_threads)
        for thread in threads:
            thread.join()

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls getfqdn(), a reverse DNS lookup that can take seconds; it is not needed.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)
            stopping = self.fake.stopping
        if stopping:
            _shut(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_open_connections(self) -> None:
        # A kept-alive connection parks its handler thread in a read; shutting the socket ends that read.
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            _shut(connection)

    def handle_error(self, request, client_address) -> None:
        # The client hanging up (timeouts, stop()) is expected; anything else would be a bug worth seeing.
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


def _shut(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the other side
        connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so clients that reuse connections can
    disable_nagle_algorithm = True  # headers and body go out in two writes; Nagle would delay the second
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        self.server.untrack(self.connection)
        super().finish()

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _dispatch(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.fake._respond((self.command, self.path), headers, body)
        if reply is None:
            self.close_connection = True
            return
        self._write(reply)

    def _write(self, reply: Reply) -> None:
        payload = reply.encoded_body()
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.content_type():
            self.send_header("Content-Type", reply.content_type())
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args) -> None:
        pass  # quiet: tests read fake.calls instead
