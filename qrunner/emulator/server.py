"""Fake Datadog and Tekton Results servers on 127.0.0.1, answering from the local engine.

One threaded HTTP/1.1 server speaks all of: the three Datadog aggregate endpoints (POST, both
``DD-API-KEY`` and ``DD-APPLICATION-KEY`` required, else 403 ``{"errors": ["Forbidden"]}``),
Product Analytics' ``/api/v2/prodlytics`` (API key only; 202 ``{}``; events are recorded), and
Tekton's ``GET .../records/summary`` (``Authorization: Bearer``; 401 when wrong). Point
``QRUNNER_DATADOG_URL``, ``QRUNNER_DATADOG_INTAKE_URL`` and ``TEKTON_RESULTS_URL`` at its URL.
Faults are scripted with :mod:`qrunner.emulator.faults`. Requests are recorded (never their
keys) so tests can count attempts on the server side.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from qrunner.emulator.faults import Fault, FaultScript, act_out, alter_answer, error_body, send
from qrunner.emulator.loopback import QuietServer, Served
from qrunner.sources import PRODUCT_ANALYTICS_PATH, SOURCES

# (source name, request) → (HTTP status, JSON body)
Answerer = Callable[[str, dict[str, Any]], tuple[int, Any]]

DATADOG_PATHS = {s.path: s.name for s in SOURCES.values() if s.is_datadog}
TEKTON_PATH = re.compile(r"^/apis/results\.tekton\.dev/v1alpha2/parents/(.+)/records/summary$")
MAX_EVENT_BYTES = 5 * 1024 * 1024
HANG_LIMIT = 300.0  # a hung request is dropped after this long (or when the emulator stops)


def endpoint_of(source_name: str) -> str:
    """``datadog.ci_tests`` → ``ci_tests``, ``tekton.summary`` → ``tekton``."""
    return "tekton" if source_name.startswith("tekton") else source_name.split(".", 1)[1]


@dataclass(slots=True)
class RecordedRequest:
    """Recorded on arrival (so a client never sees its answer before the count moves)."""

    method: str
    path: str
    endpoint: str
    status: int  # 0 when the request got no answer (hang, reset)
    fault: str | None
    at: float  # monotonic time of arrival


class LocalAnswerer:
    """Answers with :class:`qrunner.backends.local.LocalBackend` on its own event loop thread."""

    def __init__(
        self,
        data_dir: Path | None = None,
        at: datetime | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.data_dir, self.at, self.cache_dir = data_dir, at or datetime.now(UTC), cache_dir
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._backend: Any = None
        self._pending: set[concurrent.futures.Future[tuple[int, Any]]] = set()

    async def _answer(self, source_name: str, request: dict[str, Any]) -> tuple[int, Any]:
        from qrunner.backends.base import PreparedQuery, TargetOptions
        from qrunner.backends.local import LocalBackend
        from qrunner.errors import QrunnerError, QueryError

        if self._backend is None:
            options = TargetOptions(
                target="local", at=self.at, data_dir=self.data_dir, cache_dir=self.cache_dir
            )
            self._backend = LocalBackend(options)
        source = SOURCES[source_name]
        try:
            query = PreparedQuery(spec_name="emulator", source=source, request=request)
            # One page, as the API answers: the client follows meta.page.after itself.
            return 200, await asyncio.to_thread(self._backend.answer, query)
        except QueryError as exc:
            if source.backend == "tekton":
                return 400, getattr(exc, "body", None) or {"code": 3, "message": str(exc)}
            return 400, {"errors": [str(exc)]}
        except QrunnerError as exc:
            return 500, {"errors": [str(exc)]}

    def __call__(self, source_name: str, request: dict[str, Any]) -> tuple[int, Any]:
        future = asyncio.run_coroutine_threadsafe(self._answer(source_name, request), self._loop)
        self._pending.add(future)
        try:
            return future.result()
        finally:
            self._pending.discard(future)

    def close(self) -> None:
        # Let answers still being computed (a client that went away mid-request) finish, so
        # the engine's database closes cleanly.
        concurrent.futures.wait(list(self._pending), timeout=10)
        if self._backend is not None:
            asyncio.run_coroutine_threadsafe(self._backend.aclose(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


class _Server(QuietServer):
    emulator: Emulator


class Emulator(Served):
    """Start with ``with Emulator(...) as emu:`` or :func:`running_emulator`; ``emu.url``."""

    def __init__(
        self,
        answer: Answerer | None = None,
        *,
        data_dir: Path | None = None,
        at: datetime | None = None,
        cache_dir: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        app_key: str | None = None,
        tekton_token: str | None = None,
        faults: FaultScript | None = None,
    ) -> None:
        self._server = _Server((host, port), _Handler)  # first: a busy port leaks nothing
        self._server.emulator = self
        self._local = None if answer is not None else LocalAnswerer(data_dir, at, cache_dir)
        self.answer: Answerer = answer or self._local  # type: ignore[assignment]
        self.api_key, self.app_key, self.tekton_token = api_key, app_key, tekton_token
        self.faults = faults or FaultScript()
        self.requests: list[RecordedRequest] = []
        self.events: list[dict[str, Any]] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def count(self, endpoint: str | None = None) -> int:
        """Requests that reached the server, for one endpoint or all."""
        with self._lock:
            return sum(1 for r in self.requests if endpoint in (None, r.endpoint))

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _released(self) -> None:
        if self._local is not None:
            self._local.close()


@contextlib.contextmanager
def running_emulator(answer: Answerer | None = None, **kwargs: Any) -> Iterator[Emulator]:
    """The emulator, serving in a background thread, for the ``with`` block; ``.url``."""
    with Emulator(answer, **kwargs) as emulator:
        yield emulator


def serve(
    data_dir: Path | None,
    host: str = "127.0.0.1",
    port: int = 8126,
    *,
    ready: Callable[[str], None] | None = None,
    **kwargs: Any,
) -> None:
    """Serve until interrupted (``qrunner emulator``); ``ready(url)`` once it listens."""
    emulator = Emulator(data_dir=data_dir, host=host, port=port, **kwargs)
    emulator.start()
    try:
        if ready is not None:
            ready(emulator.url)
        while not emulator.stopping.wait(3600):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 60  # idle keep-alive connections end after this
    disable_nagle_algorithm = True  # headers and body go out in two writes

    def log_message(self, format: str, *args: Any) -> None:
        """No logging: core code never prints."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def _handle(self) -> None:
        emulator = self.server.emulator
        arrived = time.monotonic()
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        endpoint, source_name = _route(split.path)
        decision = emulator.faults.decide(endpoint, raw.decode("utf-8", "replace") + split.query)
        kind = decision.fault.kind if decision.fault else None
        record = RecordedRequest(self.command, split.path, endpoint, 0, kind, arrived)
        emulator.record(record)
        if decision.delay and emulator.stopping.wait(decision.delay):
            self.close_connection = True
            return
        record.status = self._respond(
            emulator, endpoint, source_name, decision.fault, raw, split.query
        )

    def _respond(
        self,
        emulator: Emulator,
        endpoint: str,
        source_name: str | None,
        fault: Fault | None,
        raw: bytes,
        query: str,
    ) -> int:
        if endpoint == "unknown":
            return send(self, 404, {"errors": ["Not found"]})
        if self.command != ("GET" if endpoint == "tekton" else "POST"):
            status = 501 if endpoint == "tekton" else 405
            return send(self, status, error_body(endpoint, status, "Method Not Allowed"))
        refused = _auth_failure(emulator, endpoint, self.headers)
        if refused is not None:
            return send(self, refused, error_body(endpoint, refused, _AUTH_TEXT[refused]))
        allowed, headers = emulator.faults.admit(endpoint)
        if not allowed:
            return send(self, 429, error_body(endpoint, 429, "Too many requests"), headers)
        if fault is not None and fault.kind not in ("truncate", "partial"):
            return act_out(self, fault, endpoint, headers, emulator.stopping, HANG_LIMIT)
        if endpoint == "prodlytics":
            return self._accept_event(emulator, raw, headers)
        if endpoint == "tekton":
            status, body = _tekton_request(source_name or "", query)
            if status == 200:
                status, body = emulator.answer("tekton.summary", body)
        else:
            try:
                request = json.loads(raw or b"null")
            except ValueError:
                return send(self, 400, error_body(endpoint, 400, "request body is not JSON"))
            status, body = emulator.answer(source_name or "", request)
        if status != 200:
            return send(self, status, body, headers)
        return send(self, 200, alter_answer(fault, body), headers)

    def _accept_event(self, emulator: Emulator, raw: bytes, headers: dict[str, str]) -> int:
        if len(raw) > MAX_EVENT_BYTES:
            return send(self, 413, error_body("prodlytics", 413, "event over 5 MB"), headers)
        try:
            event = json.loads(raw)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            return send(self, 400, error_body("prodlytics", 400, "body is not a JSON object"))
        with emulator._lock:
            emulator.events.append(event)
        return send(self, 202, {}, headers)


_AUTH_TEXT = {401: "Unauthorized", 403: "Forbidden"}  # Datadog's text: no detail given


def _route(path: str) -> tuple[str, str | None]:
    """(endpoint, source name — for Tekton, the parent)."""
    if path in DATADOG_PATHS:
        return endpoint_of(DATADOG_PATHS[path]), DATADOG_PATHS[path]
    if path == PRODUCT_ANALYTICS_PATH:
        return "prodlytics", None
    match = TEKTON_PATH.match(path)
    if match:
        return "tekton", match.group(1)
    return "unknown", None


def _auth_failure(emulator: Emulator, endpoint: str, headers: Any) -> int | None:
    if endpoint == "tekton":
        auth = headers.get("Authorization") or ""
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        ok = bool(token) and emulator.tekton_token in (None, token)
        return None if ok else 401
    wanted = [("DD-API-KEY", emulator.api_key)]
    if endpoint != "prodlytics":
        wanted.append(("DD-APPLICATION-KEY", emulator.app_key))
    for header, expected in wanted:
        value = headers.get(header)
        if not value or expected not in (None, value):
            return 403
    return None


def _tekton_request(parent: str, query: str) -> tuple[int, dict[str, Any]]:
    """What the server checks before the summary itself: a repeated parameter is a 400.
    (The parent and the parameters are checked by the engine, with the server's messages.)"""
    params = parse_qs(query, keep_blank_values=True)
    for name, values in params.items():
        if len(values) > 1:
            return 400, {"code": 3, "message": f"parameter {name} is repeated"}
    request: dict[str, Any] = {"parent": parent}
    for name in ("summary", "group_by", "order_by", "filter"):
        if name in params:
            request[name] = params[name][0]
    return 200, request


__all__ = [
    "Answerer",
    "Emulator",
    "Fault",
    "FaultScript",
    "LocalAnswerer",
    "RecordedRequest",
    "running_emulator",
    "serve",
]
