"""Scriptable faults for the emulator: what goes wrong, where, and how often.

A :class:`FaultScript` holds :class:`Fault` entries and emulated server-side :class:`RateLimit`
windows. A fault applies to one endpoint (``ci_tests``, ``ci_pipelines``, ``spans``,
``tekton``, ``prodlytics``; the notification fakes' ``github``, ``slack``, ``webhook``) or to
all (``endpoint=None``), optionally only to requests whose body or query string contains
``match`` (for the notification fakes, also ``"METHOD /path"``: ``match="POST /repos"``), for
the next ``times`` matching requests or for every one (``times=None``)::

    script.add(Fault("status", status=503, times=2))            # a burst of two 503s
    script.add(Fault("latency", delay=0.05))                     # every request, 50 ms
    script.add(Fault("rate_limited", endpoint="spans", retry_after="2"))
    script.limit(RateLimit(limit=30, period=10))                 # a real server-side limit
    script.add(Fault("secondary_limit", endpoint="github", retry_after="30", times=1))

The second half of the module acts faults out on the wire (:func:`act_out`), in each
endpoint's own words (:mod:`qrunner.emulator.dialects`).
"""

from __future__ import annotations

import json
import math
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal

from qrunner.emulator.dialects import dialect_of

FaultKind = Literal[
    "latency",  # wait ``delay`` seconds, then answer normally (combines with one other fault)
    "status",  # answer ``status`` (default 500) with an API-shaped error body
    "rate_limited",  # 429 with X-RateLimit-* headers (``reset``) and/or ``retry_after``;
    # GitHub: ``status`` (default 403) with x-ratelimit-remaining 0; Slack: Retry-After always
    "secondary_limit",  # 403 with ``retry_after`` (default 60 s): GitHub's secondary limit
    "hang",  # never answer; the connection stays open until the client gives up
    "reset",  # drop the connection with a TCP reset, no answer
    "truncate",  # 200 with the real body cut in half (a valid Content-Length for the cut)
    "non_json",  # 200 with a plain-text body
    "html",  # ``status`` (default 502) with an HTML error page, as proxies send
    "partial",  # the real answer with ``meta.status: timeout`` and a warning (Datadog only)
    "unauthorized",  # 401
    "forbidden",  # 403 naming a missing permission (GitHub: not accessible by integration)
]


@dataclass
class Fault:
    kind: FaultKind
    endpoint: str | None = None
    match: str | None = None
    times: int | None = None  # None: every matching request
    status: int | None = None
    delay: float = 0.0
    retry_after: str | None = None  # Retry-After value (seconds or an HTTP date)
    reset: float | None = None  # X-RateLimit-Reset seconds for rate_limited
    headers: dict[str, str] = field(default_factory=dict)
    hits: int = 0  # how many requests it has applied to

    def matches(self, endpoint: str, text: str) -> bool:
        if self.endpoint is not None and self.endpoint != endpoint:
            return False
        if self.match is not None and self.match not in text:
            return False
        return self.times is None or self.hits < self.times


@dataclass
class RateLimit:
    """``limit`` requests per fixed window of ``period`` seconds, the window starting at the
    first request after the previous one ended; every answer carries accurate headers."""

    limit: int
    period: float
    endpoint: str | None = None
    name: str = "emulated_limit"
    window_end: float = 0.0
    used: int = 0
    rejected: int = 0

    def admit(self, now: float) -> tuple[bool, dict[str, str]]:
        if now >= self.window_end:
            self.window_end = now + self.period
            self.used = 0
        allowed = self.used < self.limit
        if allowed:
            self.used += 1
        else:
            self.rejected += 1
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Period": str(math.ceil(self.period)),
            "X-RateLimit-Remaining": str(max(0, self.limit - self.used)),
            "X-RateLimit-Reset": str(max(1, math.ceil(self.window_end - now))),
            "X-RateLimit-Name": self.name,
        }
        return allowed, headers


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one request: the total latency and the one fault to act out."""

    delay: float = 0.0
    fault: Fault | None = None


class FaultScript:
    """Thread-safe: the emulator's handler threads consult it concurrently."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.faults: list[Fault] = []
        self.limits: list[RateLimit] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def limit(self, limit: RateLimit) -> RateLimit:
        with self._lock:
            self.limits.append(limit)
        return limit

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()
            self.limits.clear()

    def decide(self, endpoint: str, text: str) -> Decision:
        """Consume the faults that apply to this request (the first non-latency one wins)."""
        with self._lock:
            delay, chosen = 0.0, None
            for fault in self.faults:
                if not fault.matches(endpoint, text):
                    continue
                if fault.kind == "latency":
                    fault.hits += 1
                    delay += fault.delay
                elif chosen is None:
                    fault.hits += 1
                    chosen = fault
            return Decision(delay=delay, fault=chosen)

    def admit(self, endpoint: str) -> tuple[bool, dict[str, str]]:
        """Apply the emulated server-side limits at answer time."""
        with self._lock:
            now = time.monotonic()
            allowed, headers = True, dict[str, str]()
            for limit in self.limits:
                if limit.endpoint is None or limit.endpoint == endpoint:
                    ok, headers = limit.admit(now)
                    allowed = allowed and ok
            return allowed, headers


# --- acting faults out on the wire -------------------------------------------------------

_HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>{status} Bad Gateway</title></head><body>"
    "<center><h1>{status} Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)


def error_body(endpoint: str, status: int, text: str) -> Any:
    """An error in the endpoint's own shape (a ``str`` for plain-text services)."""
    return dialect_of(endpoint).body(status, text)


def send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: Any,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> int:
    """Write one complete answer; a client that went away is not an error here."""
    if isinstance(body, str):
        body, content_type = body.encode(), "text/plain; charset=utf-8"
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)
    except OSError:
        handler.close_connection = True
    return status


def act_out(
    handler: BaseHTTPRequestHandler,
    fault: Fault,
    endpoint: str,
    headers: dict[str, str],
    stopping: threading.Event,
    hang_limit: float,
) -> int:
    """Answer (or not) as ``fault`` says; returns the status sent, 0 when none was."""
    kind = fault.kind
    if kind == "hang":
        stopping.wait(hang_limit)
        handler.close_connection = True
        return 0
    if kind == "reset":
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.rfile.close()
        handler.connection.close()
        handler.close_connection = True
        return 0
    dialect = dialect_of(endpoint)
    headers = {**headers, **fault.headers}
    if kind == "rate_limited":
        status, extra, text = dialect.rate_limited(fault.status, fault.retry_after, fault.reset)
        return send(handler, status, dialect.body(status, text), {**headers, **extra})
    if kind == "secondary_limit":
        headers["retry-after"] = fault.retry_after or "60"
        return send(handler, 403, dialect.body(403, dialect.secondary_limit), headers)
    if kind == "non_json":
        return send(handler, fault.status or 200, b"upstream said: OK", headers, "text/plain")
    if kind == "html":
        status = fault.status or 502
        page = _HTML_PAGE.format(status=status).encode()
        return send(handler, status, page, headers, "text/html")
    if kind == "unauthorized":
        return send(handler, 401, dialect.body(401, dialect.unauthorized), headers)
    if kind == "forbidden":
        return send(handler, 403, dialect.body(403, dialect.forbidden), headers)
    status = fault.status or 500
    return send(handler, status, dialect.body(status, "emulated failure"), headers)


def alter_answer(fault: Fault | None, body: Any) -> bytes:
    """The real answer, possibly cut short or marked partial by ``fault``."""
    if fault is not None and fault.kind == "partial" and isinstance(body, dict):
        meta = body.setdefault("meta", {})
        meta["status"] = "timeout"
        meta.setdefault("warnings", []).append(
            {"code": "timeout", "title": "Query timed out", "detail": "partial results"}
        )
    data = json.dumps(body).encode()
    if fault is not None and fault.kind == "truncate":
        return data[: max(1, len(data) // 2)]
    return data
