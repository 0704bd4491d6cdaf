"""Proactive rate-limit pacing: slow a large run down instead of collecting 429s.

Datadog answers every request with ``X-RateLimit-Limit``, ``-Period``, ``-Remaining``,
``-Reset`` (seconds until the window resets) and ``-Name``. :class:`Pacer` keeps one window
per rate-limit name (per endpoint until the name is known), counts its own requests against
it, and tells the client how long to wait before the next one. Documented limits that the
headers only reveal too late (spans aggregate: 300 requests per hour) are enforced locally as
a sliding-window :class:`Budget`.

Answers arrive out of order while several requests are in flight: a response's ``Remaining``
already counts the requests the server handled before it, so only the requests sent *after*
it that are still unanswered are subtracted from it.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

# Reset is given in whole seconds: two estimates of one window's end differ by less than this.
_SAME_WINDOW = 1.0


@dataclass(frozen=True, slots=True)
class Budget:
    """At most ``limit`` requests in any ``period`` seconds, counted by this process."""

    limit: int
    period: float


@dataclass(slots=True)
class _Window:
    limit: int | None = None
    period: float | None = None
    remaining: int | None = None  # None: unknown, send freely
    reset_at: float = 0.0  # monotonic
    guessed: bool = False  # renewed locally; the server has not confirmed it yet
    first_ticket: int = 0  # answers to older tickets describe an earlier window
    in_flight: set[int] = field(default_factory=set)


def _number(headers: Mapping[str, str], name: str) -> float | None:
    try:
        return float(headers[name])
    except (KeyError, ValueError):
        return None


class Pacer:
    """Per-endpoint windows and budgets. Not thread-safe: one event loop owns it."""

    def __init__(
        self, budgets: Mapping[str, Budget], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._budgets = dict(budgets)
        self._clock = clock
        self._sent: dict[str, deque[float]] = {}
        self._windows: dict[str, _Window] = {}
        self._names: dict[str, str] = {}  # endpoint → X-RateLimit-Name
        self._tickets = itertools.count(1)

    def _window(self, endpoint: str) -> _Window:
        return self._windows.setdefault(self._names.get(endpoint, endpoint), _Window())

    def wait_time(self, endpoint: str) -> float:
        """Seconds to wait before a request to ``endpoint`` may go; 0 when it may go now."""
        now = self._clock()
        wait = 0.0
        window = self._window(endpoint)
        if window.remaining is not None and window.remaining <= 0 and now < window.reset_at:
            wait = window.reset_at - now
        budget = self._budgets.get(endpoint)
        if budget is not None:
            sent = self._sent.setdefault(endpoint, deque())
            while sent and sent[0] <= now - budget.period:
                sent.popleft()
            if len(sent) >= budget.limit:
                wait = max(wait, sent[0] + budget.period - now)
        return wait

    def reserve(self, endpoint: str) -> int:
        """Count a request that is about to go; returns its ticket for :meth:`observe`."""
        now = self._clock()
        ticket = next(self._tickets)
        window = self._window(endpoint)
        if window.remaining is not None and now >= window.reset_at:
            # The window we knew is over: assume a fresh one until the server says more.
            if window.limit and window.period:
                window.remaining = window.limit
                window.reset_at = now + window.period
            else:
                window.remaining = None
            window.guessed = True
            window.first_ticket = ticket
        if window.remaining is not None:
            window.remaining -= 1
        window.in_flight.add(ticket)
        if endpoint in self._budgets:
            self._sent.setdefault(endpoint, deque()).append(now)
        return ticket

    def release(self, endpoint: str, ticket: int) -> None:
        """The request got no HTTP answer at all."""
        self._window(endpoint).in_flight.discard(ticket)

    def observe(self, endpoint: str, ticket: int, headers: Mapping[str, str], status: int) -> None:
        """Learn from an answer's rate-limit headers (names lower-cased)."""
        now = self._clock()
        window = self._window(endpoint)
        name = headers.get("x-ratelimit-name")
        if name and self._names.get(endpoint) != name:
            self._names[endpoint] = name
            window.in_flight.discard(ticket)
            window = self._windows.setdefault(name, window)
        later = sum(1 for t in window.in_flight if t > ticket)
        window.in_flight.discard(ticket)
        if ticket < window.first_ticket:
            return
        limit = _number(headers, "x-ratelimit-limit")
        period = _number(headers, "x-ratelimit-period")
        if limit is not None and limit > 0:
            window.limit = int(limit)
        if period is not None and period > 0:
            window.period = period
        remaining = _number(headers, "x-ratelimit-remaining")
        reset = _number(headers, "x-ratelimit-reset")
        if reset is None and status == 429:
            reset = _number(headers, "retry-after")
            remaining = 0.0
        if remaining is None or reset is None:
            return
        reset_at = now + max(0.0, reset)
        estimate = 0 if status == 429 else max(0, int(remaining) - later)
        if window.remaining is None or window.guessed or reset_at >= window.reset_at + _SAME_WINDOW:
            window.reset_at = reset_at
            window.remaining = estimate
            window.guessed = False
            window.first_ticket = max(window.first_ticket, ticket)
        else:
            window.reset_at = min(window.reset_at, reset_at) if status != 429 else reset_at
            window.remaining = min(window.remaining, estimate)
