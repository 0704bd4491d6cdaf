"""Shared HTTP plumbing for the remote backends; the one place httpx errors are translated.

Only imported when a remote backend or publishing is used, so httpx is imported at the top.

One :class:`HttpClient` per backend: a pooled HTTP/1.1 ``httpx.HTTPTransport`` whose blocking
exchanges run on daemon worker threads while the event loop does the rest, bounded
concurrency, retries with full-jitter exponential backoff (honouring ``Retry-After`` and
Datadog's ``X-RateLimit-Reset``, which counts *seconds until* the reset), proactive pacing
from the rate-limit headers (:mod:`qrunner.backends.pacing`), documented per-endpoint budgets,
request coalescing, and the mapping of every failure into :mod:`qrunner.errors`:

* 400/422                 → ``QueryError`` quoting the API's own message
* 401/403                 → ``BackendResponseError``: the API's text and where the key comes from
* other 4xx, bad bodies   → ``BackendResponseError`` with the status and a short excerpt
* network, 408, 429, 5xx  → retried; ``BackendUnavailable`` when attempts or the deadline run out

No message carries a secret (see :mod:`qrunner.secrets`) or a URL with credentials.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from qrunner import __version__
from qrunner.backends.pacing import Budget, Pacer
from qrunner.backends.replies import (
    RETRYABLE_STATUSES,
    Reply,
    describe_error_body,
    describe_unreadable,
    retry_hint,
)
from qrunner.backends.workers import Workers
from qrunner.errors import BackendResponseError, BackendUnavailable, QueryError
from qrunner.secrets import redact, strip_credentials


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``max_attempts`` tries in all; between them a full-jitter exponential backoff."""

    max_attempts: int = 5
    base: float = 0.5
    cap: float = 20.0

    def backoff(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th failed attempt: uniform in [0, ceiling]."""
        return random.uniform(0.0, min(self.cap, self.base * 2 ** (failures - 1)))


@dataclass(slots=True)
class HttpStats:
    """What happened, for reports and tests: attempts on the wire, coalesced requests, waits."""

    attempts: int = 0
    retries: int = 0
    coalesced: int = 0
    paced_seconds: float = 0.0


_ACCEPT_JSON = {"Accept": "application/json"}
_JSON_BODY_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}


class HttpClient:
    """A resilient JSON client for one API. Safe to share between tasks of one event loop."""

    def __init__(
        self,
        *,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        service: str = "the API",
        request_timeout: float = 30.0,
        concurrency: int = 8,
        deadline: float | None = None,
        retry: RetryPolicy | None = None,
        budgets: Mapping[str, Budget] | None = None,
        secrets: tuple[str, ...] = (),
        auth_hint: str = "",
        verify: ssl.SSLContext | bool = True,
        transport: httpx.BaseTransport | None = None,
        retry_statuses: frozenset[int] = RETRYABLE_STATUSES,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.service = service
        self.request_timeout = request_timeout
        self.deadline = deadline
        self.retry = retry or RetryPolicy()
        self.auth_hint = auth_hint
        self.retry_statuses = retry_statuses
        self.stats = HttpStats()
        self._secrets = tuple(s for s in secrets if s)
        self._sem = asyncio.Semaphore(max(1, concurrency))
        self._pacer = Pacer(budgets or {})
        self._shared: dict[tuple[str, str, str], asyncio.Future[Reply]] = {}
        self._urls: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
        self._parsed: dict[str, httpx.URL] = {}
        # httpx's synchronous transport on a pool of daemon worker threads, driven from the
        # event loop: measured faster than both httpx's async stack and the official clients'
        # thread pools (tests/bench/bench_remote.py). Daemon threads: a request abandoned at
        # the deadline or on SIGTERM never holds up the process's exit.
        common = {"User-Agent": f"qrunner/{__version__}", **dict(headers or {})}
        self._get_headers = {**common, **_ACCEPT_JSON}
        self._body_headers = {**common, **_JSON_BODY_HEADERS}
        self._timeouts = httpx.Timeout(request_timeout).as_dict()
        self._transport = transport or httpx.HTTPTransport(
            verify=verify,
            http1=True,
            http2=False,
            limits=httpx.Limits(
                max_connections=max(1, concurrency), max_keepalive_connections=max(1, concurrency)
            ),
        )
        self._workers = Workers(max(1, concurrency))

    def __repr__(self) -> str:  # never the headers: they hold the keys
        return f"HttpClient({strip_credentials(self.base_url)!r}, service={self.service!r})"

    async def aclose(self) -> None:
        self._workers.close()
        with contextlib.suppress(Exception):  # a worker may still be using an abandoned request
            self._transport.close()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
    ) -> Reply:
        """Send once per run: an identical (method, URL, body) request shares the first's answer."""
        body = None if json_body is None else json.dumps(json_body, sort_keys=True)
        url = self._url(path, params)
        key = (method.upper(), url, body or "")
        shared = self._shared.get(key)
        if shared is not None:
            self.stats.coalesced += 1
            return await asyncio.shield(shared)
        # The first caller sends inline (no extra task per request); later identical callers
        # wait on the future it fills in.
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        future.add_done_callback(lambda f: f.cancelled() or f.exception())  # read when unawaited
        self._shared[key] = future
        try:
            reply = await self._send(method.upper(), url, path, body)
        except asyncio.CancelledError:
            # This caller was stopped (deadline, SIGTERM); whoever shares its request must not
            # wait forever, and a later identical request sends again.
            del self._shared[key]
            future.set_exception(
                BackendUnavailable("the request was abandoned", url=strip_credentials(url))
            )
            raise
        except Exception as exc:
            future.set_exception(exc)
            raise
        future.set_result(reply)
        return reply

    def _exchange(self, request: httpx.Request) -> httpx.Response:
        """One blocking HTTP exchange, on a worker thread."""
        response = self._transport.handle_request(request)
        try:
            response.read()
        finally:
            response.close()
        return response

    def _url(self, path: str, params: Mapping[str, str] | None) -> str:
        """The full URL, built once per (path, params): parsing URLs is not free at 500 req/s."""
        key = (path, tuple(sorted((params or {}).items())))
        url = self._urls.get(key)
        if url is None:
            url = self._urls[key] = str(httpx.URL(self.base_url + path, params=dict(key[1])))
        return url

    def _fail_if_past_deadline(self, wait: float, url: str, status: int | None, why: str) -> None:
        if self.deadline is not None and time.monotonic() + wait > self.deadline:
            raise BackendUnavailable(
                self._clean(f"gave up ({why}): waiting {wait:.1f}s would pass the run's deadline"),
                url=strip_credentials(url),
                status=status,
            )

    def _clean(self, text: str) -> str:
        return redact(text, self._secrets)

    async def _send(self, method: str, url: str, path: str, body: str | None) -> Reply:
        last_status: int | None = None
        failure = ""
        for attempt in range(1, self.retry.max_attempts + 1):
            # Pace while holding a slot: what a slot waits for, no other request may send.
            async with self._sem:
                wait = self._pacer.wait_time(path)
                while wait > 0:
                    self._fail_if_past_deadline(wait, url, last_status, f"{path} rate limit")
                    self.stats.paced_seconds += wait
                    await asyncio.sleep(wait)
                    wait = self._pacer.wait_time(path)
                ticket = self._pacer.reserve(path)
                outcome = await self._attempt(method, url, path, body, ticket)
            if isinstance(outcome, Reply):
                return outcome
            failure, last_status, hint = outcome
            if attempt == self.retry.max_attempts:
                break
            wait = hint if hint is not None else self.retry.backoff(attempt)
            self._fail_if_past_deadline(wait, url, last_status, failure)
            self.stats.retries += 1
            await asyncio.sleep(wait)
        raise BackendUnavailable(
            self._clean(f"gave up after {self.retry.max_attempts} attempts: {failure}"),
            url=strip_credentials(url),
            status=last_status,
        )

    async def _attempt(
        self, method: str, url: str, path: str, body: str | None, ticket: int
    ) -> Reply | tuple[str, int | None, float | None]:
        """One try: a ``Reply``, or ``(why, status, server's wait hint)`` when worth retrying."""
        timeout = self.request_timeout
        if self.deadline is not None:
            timeout = min(timeout, self.deadline - time.monotonic())
            if timeout <= 0:
                self._pacer.release(path, ticket)
                raise BackendUnavailable(
                    "gave up: the run's deadline has passed", url=strip_credentials(url)
                )
        self.stats.attempts += 1
        parsed = self._parsed.get(url)
        if parsed is None:
            parsed = self._parsed[url] = httpx.URL(url)
        request = httpx.Request(
            method,
            parsed,
            headers=self._body_headers if body is not None else self._get_headers,
            content=None if body is None else body.encode(),
            extensions={
                "timeout": self._timeouts
                if timeout == self.request_timeout
                else httpx.Timeout(timeout).as_dict()
            },
        )
        try:
            response = await self._workers.run(self._exchange, request)
        except httpx.TimeoutException:
            self._pacer.release(path, ticket)
            return f"no answer within {timeout:.1f}s", None, None
        except httpx.TransportError as exc:
            self._pacer.release(path, ticket)
            text = self._clean(f"{type(exc).__name__}: {exc}")
            if "CERTIFICATE_VERIFY_FAILED" in text:
                raise BackendResponseError(
                    f"TLS verification failed ({text}); point {self.auth_hint or 'the CA option'} "
                    "at the server's CA bundle",
                    url=strip_credentials(url),
                ) from None
            return f"connection failed ({text})", None, None
        status = response.status_code
        lowered = {k.lower(): v for k, v in response.headers.items()}
        self._pacer.observe(path, ticket, lowered, status)
        text = response.text
        if status in self.retry_statuses:
            return (
                f"HTTP {status}: {self._clean(describe_error_body(text))}",
                status,
                (retry_hint(lowered) if status in (429, 503, 408) else None),
            )
        if 200 <= status < 300:
            try:
                return Reply(status, lowered, json.loads(text) if text.strip() else {})
            except ValueError:
                raise BackendResponseError(
                    self._clean(
                        f"{self.service} answered with a body that is not JSON: "
                        f"{describe_unreadable(text)}"
                    ),
                    url=strip_credentials(url),
                    status=status,
                ) from None
        message = self._clean(describe_error_body(text))
        where = strip_credentials(url)
        if status in (400, 422):
            raise QueryError(f"{self.service} rejected the query (HTTP {status}): {message}")
        if status in (401, 403):
            hint = f" — {self.auth_hint}" if self.auth_hint else ""
            raise BackendResponseError(
                f"{self.service} refused the credentials: {message}{hint}", url=where, status=status
            )
        raise BackendResponseError(message, url=where, status=status)


# Documented limits that no header announces before it is too late.
DEFAULT_BUDGETS: dict[str, Budget] = {
    "/api/v2/spans/analytics/aggregate": Budget(limit=300, period=3600.0),
}

__all__ = [
    "DEFAULT_BUDGETS",
    "Budget",
    "HttpClient",
    "HttpStats",
    "Reply",
    "RetryPolicy",
    "describe_error_body",
    "retry_hint",
]
