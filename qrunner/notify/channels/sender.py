"""One request to a destination, retried as the notify rules say: the channels' only HTTP.

httpx's synchronous client (a channel's ``deliver`` is called once per destination, and a
destination's requests are sequential: a GitHub comment follows its issue), with the backends'
:class:`~qrunner.backends.http.RetryPolicy` backoff and ``Retry-After`` parsing, and their error
texts. The rules:

* a 2xx is the only success;
* network errors, timeouts, 408, 429 and 5xx are retried with full-jitter backoff, or after the
  server's ``Retry-After`` (GitHub's secondary rate limit: a 403 with ``retry-after``, or "wait
  a minute" without it; its primary limit: a 403/429 with ``x-ratelimit-remaining: 0`` until
  ``x-ratelimit-reset``, an epoch time), at most ``NOTIFY_MAX_ATTEMPTS`` tries;
* any other 4xx is rejected at once, quoting the destination's own reason;
* no wait may pass the caller's ``deadline`` (``time.monotonic()``): the request fails instead;
* every message is redacted (the channel's secrets, and every registered one) and names the
  request by what it is (``POST to the URL in SLACK_WEBHOOK_URL``), never by a secret URL.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import httpx

from qrunner import __version__
from qrunner.backends.http import RetryPolicy, describe_error_body, retry_hint
from qrunner.limits import NOTIFY_MAX_ATTEMPTS, NOTIFY_REQUEST_SECONDS, excerpt
from qrunner.notify.events import Outcome
from qrunner.secrets import redact

_RETRIED = frozenset({408, 429, 500, 502, 503, 504})
_SECONDARY_LIMIT_WAIT = 60.0  # GitHub: "wait at least one minute" when it gives no retry-after
_pace_lock = threading.Lock()
_last_post: dict[str, float] = {}  # pace key → monotonic time of the last request


class SendFailure(Exception):
    """A request that did not get a 2xx: ``outcome`` is FAILED (retries or time ran out) or
    REJECTED (a 4xx that retrying cannot fix). The message is redacted."""

    def __init__(self, outcome: Outcome, message: str, *, attempts: int, status: int | None):
        super().__init__(message)
        self.outcome = outcome
        self.message = message
        self.attempts = attempts
        self.status = status


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-cased names
    text: str
    attempts: int

    def json(self) -> Any:
        try:
            return json.loads(self.text) if self.text.strip() else {}
        except ValueError:
            return {}


def describe_reply(text: str) -> str:
    """The destination's own reason: GitHub's ``message`` and its ``errors``, Slack's plain
    code (``invalid_payload``), or a short excerpt."""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        reasons = []
        for err in body.get("errors") or ():
            if isinstance(err, dict):
                field = " ".join(str(err[k]) for k in ("field", "code") if err.get(k))
                reasons.append(str(err.get("message") or field or err))
            else:
                reasons.append(str(err))
        return str(body["message"]) + (f" ({'; '.join(reasons)})" if reasons else "")
    stripped = text.strip()
    if stripped and len(stripped) < 100 and " " not in stripped and "<" not in stripped:
        return stripped
    return describe_error_body(text)


def wait_hint(status: int, headers: Mapping[str, str], text: str) -> float | None:
    """Seconds to wait before retrying a 403/429 rate limit, or None when it is not one."""
    if "retry-after" in headers:
        return retry_hint({"retry-after": headers["retry-after"]})
    if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
        try:
            return max(0.0, float(headers["x-ratelimit-reset"]) - time.time())
        except ValueError:
            return None
    if status == 403 and "secondary rate limit" in text.lower():
        return _SECONDARY_LIMIT_WAIT
    return None


class Sender:
    """Sends a channel's requests. ``secrets`` are redacted from every message it makes;
    ``interval`` paces requests sharing ``pace_key`` (one Slack webhook) across channels."""

    def __init__(
        self,
        *,
        service: str,
        secrets: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
        interval: float = 0.0,
        pace_key: str = "",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.service = service
        self.retry = retry or RetryPolicy(max_attempts=NOTIFY_MAX_ATTEMPTS, base=0.5, cap=10.0)
        self._secrets = tuple(s for s in secrets if s)
        self._interval = interval
        self._pace_key = pace_key
        self._headers = {"User-Agent": f"qrunner/{__version__}", **dict(headers or {})}
        self._transport = transport
        self._client: httpx.Client | None = None  # opened on the first request

    def __repr__(self) -> str:  # never the headers or URLs: they hold the secrets
        return f"Sender({self.service!r})"

    def close(self) -> None:
        """Close the connections; a later request opens new ones (a channel closes its
        sender at the end of each ``deliver``: the protocol has no close of its own)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                headers=self._headers,
                transport=self._transport or httpx.HTTPTransport(retries=0),
                follow_redirects=False,
            )
        return self._client

    def clean(self, text: str) -> str:
        return redact(text, self._secrets)

    def send(
        self,
        method: str,
        url: str,
        *,
        what: str,
        deadline: float,
        json_body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Answer:
        """One request until a 2xx; raises :class:`SendFailure` otherwise."""
        if json_body is not None:
            content = json.dumps(json_body, ensure_ascii=False).encode()
            headers = {"Content-Type": "application/json", **dict(headers or {})}
        last: int | None = None
        why = "not sent"
        for attempt in range(1, self.retry.max_attempts + 1):
            self._pace(deadline, what, attempt)
            timeout = min(NOTIFY_REQUEST_SECONDS, deadline - time.monotonic())
            if timeout <= 0:
                self._fail(f"{what}: the notify step's time budget ran out", attempt - 1, last)
            try:
                response = self._http().request(
                    method, url, content=content, headers=headers, params=params, timeout=timeout
                )
            except httpx.TimeoutException:
                last, why, hint = None, f"no answer within {timeout:.1f}s", None
            except httpx.TransportError as exc:
                last, why, hint = None, f"connection failed ({type(exc).__name__}: {exc})", None
            else:
                status = response.status_code
                lowered = {k.lower(): v for k, v in response.headers.items()}
                text = response.text
                if 200 <= status < 300:
                    return Answer(status, lowered, text, attempt)
                last = status
                why = f"HTTP {status}: {excerpt(describe_reply(text))}"
                hint = wait_hint(status, lowered, text) if status in (403, 429, 503) else None
                if status not in _RETRIED and hint is None:
                    raise SendFailure(
                        Outcome.REJECTED,
                        self.clean(f"{what} was refused ({why})"),
                        attempts=attempt,
                        status=status,
                    )
            if attempt == self.retry.max_attempts:
                break
            wait = hint if hint is not None else self.retry.backoff(attempt)
            if time.monotonic() + wait > deadline:
                self._fail(
                    f"{what}: {why}; waiting {wait:.1f}s more would pass the notify step's "
                    "time budget",
                    attempt,
                    last,
                )
            time.sleep(wait)
        tries = self.retry.max_attempts
        self._fail(f"{what}: gave up after {tries} attempts ({why})", tries, last)

    def _fail(self, message: str, attempts: int, status: int | None) -> NoReturn:
        raise SendFailure(Outcome.FAILED, self.clean(message), attempts=attempts, status=status)

    def _pace(self, deadline: float, what: str, attempt: int) -> None:
        if not self._interval or not self._pace_key:
            return
        with _pace_lock:
            now = time.monotonic()
            ready = _last_post.get(self._pace_key, 0.0) + self._interval
            wait = max(0.0, ready - now)
            if now + wait > deadline:
                self._fail(
                    f"{what}: pacing would pass the notify step's time budget", attempt - 1, None
                )
            _last_post[self._pace_key] = now + wait
        if wait:
            time.sleep(wait)
