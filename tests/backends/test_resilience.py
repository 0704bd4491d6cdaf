"""Rate limits, server wait hints, deadlines and coalescing, timed against the emulator."""

from __future__ import annotations

import asyncio
import itertools
import time
from email.utils import formatdate
from typing import Any

import pytest

from qrunner.backends.datadog import DatadogBackend
from qrunner.backends.http import RetryPolicy
from qrunner.backends.replies import retry_hint
from qrunner.emulator.faults import Fault, RateLimit
from qrunner.errors import BackendUnavailable


async def _run_all(backend: DatadogBackend, queries: list[Any]) -> list[Any]:
    try:
        return await asyncio.gather(*(backend.execute(q) for q in queries), return_exceptions=True)
    finally:
        await backend.aclose()


def _gaps(emu: Any) -> list[float]:
    times = [r.at for r in emu.requests]
    return [b - a for a, b in itertools.pairwise(times)]


@pytest.mark.slow
def test_server_side_limit_is_paced_not_hammered(kit: Any) -> None:
    """30 requests per 10 s, 100 queries: zero failures within 1.2x the minimum (30 s)."""
    with kit.emulate() as emu:
        limit = emu.faults.limit(RateLimit(limit=30, period=10))
        backend = DatadogBackend(kit.make_options(emu.url, concurrency=8))
        queries = [kit.ci_query(f"@test.name:t{i}", name=f"s{i}") for i in range(100)]
        started = time.monotonic()
        results = asyncio.run(_run_all(backend, queries))
        elapsed = time.monotonic() - started
    failures = [r for r in results if isinstance(r, BaseException)]
    assert failures == []
    assert elapsed <= 1.2 * 30, elapsed
    assert limit.rejected <= 3, f"{limit.rejected} requests got 429 despite pacing"


def test_retry_after_seconds_is_honoured(kit: Any) -> None:
    with kit.emulate() as emu:
        emu.faults.add(Fault("rate_limited", retry_after="1", times=1))
        backend = DatadogBackend(kit.make_options(emu.url), retry=kit.FAST)
        asyncio.run(_run_all(backend, [kit.ci_query()]))
    (gap,) = _gaps(emu)
    assert 1.0 <= gap < 1.5


def test_x_ratelimit_reset_is_seconds_until_reset(kit: Any) -> None:
    with kit.emulate() as emu:
        emu.faults.add(Fault("rate_limited", reset=2, times=1))
        backend = DatadogBackend(kit.make_options(emu.url), retry=kit.FAST)
        asyncio.run(_run_all(backend, [kit.ci_query()]))
    (gap,) = _gaps(emu)
    assert 2.0 <= gap < 2.6


def test_retry_after_http_date() -> None:
    now = time.time()
    hint = retry_hint({"retry-after": formatdate(now + 30, usegmt=True)}, now=now)
    assert hint is not None
    assert 29 <= hint <= 31
    assert retry_hint({"retry-after": "3", "x-ratelimit-reset": "5"}) == 5
    assert retry_hint({"retry-after": "garbage"}) is None
    assert retry_hint({}) is None


def test_full_jitter_backoff_stays_under_its_ceiling() -> None:
    policy = RetryPolicy(base=0.5, cap=4.0)
    for failures in range(1, 8):
        waits = [policy.backoff(failures) for _ in range(200)]
        assert all(0 <= w <= min(4.0, 0.5 * 2 ** (failures - 1)) for w in waits)
    assert len({round(policy.backoff(3), 6) for _ in range(50)}) > 10  # jittered


def test_a_wait_past_the_deadline_gives_up_at_once(kit: Any) -> None:
    with kit.emulate() as emu:
        emu.faults.add(Fault("rate_limited", retry_after="30"))
        options = kit.make_options(emu.url, deadline=time.monotonic() + 3)
        backend = DatadogBackend(options, retry=kit.FAST)
        started = time.monotonic()
        (result,) = asyncio.run(_run_all(backend, [kit.ci_query()]))
    assert time.monotonic() - started < 1.0
    assert isinstance(result, BackendUnavailable)
    assert result.status == 429
    assert "deadline" in str(result)
    assert emu.url in str(result)


def test_a_hang_is_cut_at_the_deadline(kit: Any) -> None:
    with kit.emulate() as emu:
        emu.faults.add(Fault("hang"))
        options = kit.make_options(emu.url, request_timeout=30, deadline=time.monotonic() + 1)
        backend = DatadogBackend(options, retry=kit.FAST)
        started = time.monotonic()
        (result,) = asyncio.run(_run_all(backend, [kit.ci_query()]))
    assert 0.9 <= time.monotonic() - started < 2.0
    assert isinstance(result, BackendUnavailable)


def test_identical_requests_are_sent_once(kit: Any) -> None:
    with kit.emulate() as emu:
        emu.faults.add(Fault("latency", delay=0.2))
        backend = DatadogBackend(kit.make_options(emu.url), retry=kit.FAST)
        queries = [kit.ci_query("same", name=f"s{i}") for i in range(5)]
        queries.append(kit.ci_query("other"))

        async def twice() -> list[Any]:
            first = await asyncio.gather(*(backend.execute(q) for q in queries))
            again = await backend.execute(kit.ci_query("same"))
            await backend.aclose()
            return [*first, again]

        results = asyncio.run(twice())
        assert emu.count() == 2
        assert backend.client.stats.coalesced == 5
    assert all(r == results[0] for r in results)


def test_concurrency_is_bounded(kit: Any) -> None:
    with kit.emulate() as emu:
        emu.faults.add(Fault("latency", delay=0.2))
        backend = DatadogBackend(kit.make_options(emu.url, concurrency=3), retry=kit.FAST)
        queries = [kit.ci_query(f"q{i}") for i in range(9)]
        started = time.monotonic()
        asyncio.run(_run_all(backend, queries))
        elapsed = time.monotonic() - started
    assert 0.6 <= elapsed < 1.2  # three rounds of three
