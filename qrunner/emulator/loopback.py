"""The frame the notification fakes share: a threaded HTTP/1.1 server on 127.0.0.1 (its
lifecycle, :class:`Served`, is the Datadog/Tekton emulator's too).

Each fake (:mod:`~qrunner.emulator.fake_github`, :mod:`~qrunner.emulator.fake_slack`,
:mod:`~qrunner.emulator.fake_webhook`) subclasses :class:`LoopbackServer`, names its fault
``endpoint`` and implements ``answer(request) -> Reply``. What every fake offers::

    with SlackFake() as slack:          # listens on 127.0.0.1, a free port (port=0)
        slack.url                        # "http://127.0.0.1:PORT"
        slack.faults.add(Fault("status", status=500, times=1))   # a qrunner FaultScript
        ...
        slack.requests                   # every request, in arrival order (a copy)
        slack.count("POST")              # how many reached the server

A request is recorded on arrival (so a client never sees its answer before the count moves),
with its headers lower-cased and credentials hidden: ``authorization`` keeps only its scheme
(``"Bearer ***"``), cookies are dropped. Faults come first: the script's latency is waited out,
then its one fault is acted out on the wire in the fake's own words
(:mod:`qrunner.emulator.dialects`); a fault's ``match`` sees ``"METHOD /path?query"``, a
newline and the body. ``GET /_emulator/state`` answers the fake's ``snapshot()`` as JSON (what it
received: issues, messages, deliveries), unrecorded and never faulted, for trying by hand.
Emulated server-side limits (``faults.limit(RateLimit(...))``) answer as
the service's rate limit does. ``answer`` runs under ``self.lock`` (an ``RLock``), so a fake's
state needs no other locking; test helpers take the same lock.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self
from urllib.parse import parse_qs, urlsplit

from qrunner.emulator.dialects import dialect_of
from qrunner.emulator.faults import FaultScript, act_out, send

STATE_PATH = "/_emulator/state"  # not part of any faked API: what the fake holds, as JSON
HANG_LIMIT = 300.0  # a hung request is dropped after this long (or when the fake stops)
MAX_BODY_BYTES = 10 * 1024 * 1024  # a larger request body is answered 413 unread
_DROPPED_HEADERS = frozenset({"cookie", "proxy-authorization"})
_SCHEMES = frozenset({"bearer", "token", "basic"})


def hide_credentials(headers: dict[str, str]) -> dict[str, str]:
    """``headers`` (lower-cased names) without credentials: ``authorization`` keeps its
    scheme only, cookies and proxy credentials are dropped."""
    shown: dict[str, str] = {}
    for name, value in headers.items():
        if name in _DROPPED_HEADERS:
            continue
        if name == "authorization":
            scheme = value.split(" ", 1)[0]
            shown[name] = f"{scheme} ***" if scheme.lower() in _SCHEMES else "***"
        else:
            shown[name] = value
    return shown


@dataclass(frozen=True, slots=True)
class Request:
    """What ``answer`` sees: the path (not decoded), the query, every header (lower-cased
    names, credentials included) and the raw body."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    raw: bytes

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def json(self) -> Any:
        """The body as JSON; ``ValueError`` when it is not."""
        return json.loads(self.raw.decode("utf-8"))


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer: a dict or list goes out as JSON, a ``str`` as text/plain, bytes as they are."""

    status: int
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Recorded:
    """One request as the server saw it, without credentials."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    status: int  # 0 until answered, and when no answer was sent (hang, reset)
    fault: str | None  # the fault kind acted out, if any
    at: float  # monotonic time of arrival

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


class QuietServer(ThreadingHTTPServer):
    """A threaded HTTP server whose clients may go away (timeouts, resets) without a word."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away is normal here: stay quiet."""


class Served:
    """A server answering on a daemon thread, for every emulated service (the Datadog/Tekton
    emulator and the notification fakes): ``with X() as x:`` or ``start()``/``stop()``;
    ``x.url``. Subclasses set ``_server``, ``stopping`` and ``_thread`` in ``__init__``."""

    poll_seconds: ClassVar[float] = 0.5  # how soon serve_forever notices a shutdown
    _server: QuietServer
    stopping: threading.Event
    _thread: threading.Thread | None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> str:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(self.poll_seconds,), daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._released()

    def _released(self) -> None:
        """Once the server has stopped: what a subclass holds besides it."""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Server(QuietServer):
    fake: LoopbackServer


class LoopbackServer(Served):
    """Base of the fakes: ``with Fake() as fake:`` or ``start()``/``stop()``; ``fake.url``."""

    endpoint: ClassVar[str] = "loopback"
    poll_seconds: ClassVar[float] = 0.05

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, faults: FaultScript | None = None
    ) -> None:
        self._server = _Server((host, port), _Handler)
        self._server.fake = self
        self.faults = faults or FaultScript()
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self._requests: list[Recorded] = []
        self._thread: threading.Thread | None = None

    def answer(self, request: Request) -> Reply:
        raise NotImplementedError

    def snapshot(self) -> dict[str, Any]:
        """What the fake holds, JSON-ready (``GET /_emulator/state``)."""
        return {}

    @property
    def requests(self) -> list[Recorded]:
        with self.lock:
            return list(self._requests)

    def count(self, method: str | None = None, path_prefix: str = "") -> int:
        """Requests that reached the server, by method and path prefix."""
        with self.lock:
            return sum(
                1
                for r in self._requests
                if method in (None, r.method) and r.path.startswith(path_prefix)
            )

    def _handle(self, handler: _Handler) -> None:
        arrived = time.monotonic()
        split = urlsplit(handler.path)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        raw = _read_body(handler, headers)
        if handler.command == "GET" and split.path == STATE_PATH:
            with self.lock:
                send(handler, 200, self.snapshot())
            return
        record = Recorded(
            handler.command, split.path, split.query, hide_credentials(headers),
            raw or b"", 0, None, arrived,
        )  # fmt: skip
        if raw is None:
            with self.lock:
                self._requests.append(record)
            record.status = send(handler, 413, dialect_of(self.endpoint).body(413, "too large"))
            handler.close_connection = True
            return
        text = f"{handler.command} {handler.path}\n{raw.decode('utf-8', 'replace')}"
        decision = self.faults.decide(self.endpoint, text)
        record.fault = decision.fault.kind if decision.fault else None
        with self.lock:
            self._requests.append(record)
        if decision.delay and self.stopping.wait(decision.delay):
            handler.close_connection = True
            return
        allowed, limit_headers = self.faults.admit(self.endpoint)
        if not allowed:
            dialect = dialect_of(self.endpoint)
            status, extra, text = dialect.rate_limited(None, None, None)
            body = dialect.body(status, text)
            record.status = send(handler, status, body, {**limit_headers, **extra})
            return
        fault = decision.fault
        if fault is not None and fault.kind != "latency":
            record.status = act_out(handler, fault, self.endpoint, {}, self.stopping, HANG_LIMIT)
            return
        request = Request(handler.command, split.path, parse_qs(split.query), headers, raw)
        with self.lock:
            reply = self.answer(request)
        record.status = send(handler, reply.status, reply.body, reply.headers)


def _read_body(handler: BaseHTTPRequestHandler, headers: dict[str, str]) -> bytes | None:
    """The request body (chunked or not); ``None`` when it is over :data:`MAX_BODY_BYTES`
    (the connection is then closed: the rest of the body stays unread)."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return _read_chunks(handler)
    try:
        length = int(headers.get("content-length") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        return None
    return handler.rfile.read(length) if length > 0 else b""


def _read_chunks(handler: BaseHTTPRequestHandler) -> bytes | None:
    chunks: list[bytes] = []
    total = 0
    while size := int(handler.rfile.readline().split(b";", 1)[0].strip() or b"0", 16):
        total += size
        if total > MAX_BODY_BYTES:
            return None
        chunks.append(handler.rfile.read(size))
        handler.rfile.readline()
    handler.rfile.readline()  # the blank line after the last, empty chunk
    return b"".join(chunks)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 60  # idle keep-alive connections end after this
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """No logging: core code never prints."""

    def do_GET(self) -> None:
        self.server.fake._handle(self)

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET
