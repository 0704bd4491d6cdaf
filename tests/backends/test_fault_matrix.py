"""Every emulated fault against both remote backends → the documented outcome.

Attempts are counted on the server side; no secret may appear in any error text or repr.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass
from typing import Any

import pytest

from qrunner.backends.datadog import DatadogBackend
from qrunner.backends.tekton import TektonBackend
from qrunner.emulator.faults import Fault
from qrunner.errors import (
    BackendResponseError,
    BackendUnavailable,
    QrunnerError,
    QueryError,
)
from qrunner.judge.results import normalize_response


@dataclass(frozen=True)
class Case:
    id: str
    fault: Fault
    outcome: type[Exception] | None  # None: an answer
    attempts: int
    text: str = ""  # must appear in the error message
    datadog_only: bool = False


MAX = 4  # kit.FAST.max_attempts

CASES = [
    Case("latency", Fault("latency", delay=0.1), None, 1),
    Case("500-burst", Fault("status", status=500, times=2), None, 3),
    Case("503-burst", Fault("status", status=503, times=3), None, 4),
    Case("503-always", Fault("status", status=503), BackendUnavailable, MAX, "HTTP 503"),
    Case("502-always", Fault("status", status=502), BackendUnavailable, MAX, "gave up after"),
    Case("429-retry-after", Fault("rate_limited", retry_after="0", times=2), None, 3),
    Case("429-bare", Fault("status", status=429, times=1), None, 2),
    Case("429-always", Fault("rate_limited", retry_after="0"), BackendUnavailable, MAX, "429"),
    Case("408-once", Fault("status", status=408, times=1), None, 2),
    Case("hang-once", Fault("hang", times=1), None, 2),
    Case("hang-always", Fault("hang"), BackendUnavailable, MAX, "no answer within"),
    Case("reset-once", Fault("reset", times=1), None, 2),
    Case("reset-always", Fault("reset"), BackendUnavailable, MAX, "connection failed"),
    Case("truncated", Fault("truncate"), BackendResponseError, 1, "not JSON"),
    Case("non-json", Fault("non_json"), BackendResponseError, 1, "upstream said"),
    Case("html-502", Fault("html"), BackendUnavailable, MAX, "HTML page"),
    Case("html-200", Fault("html", status=200), BackendResponseError, 1, "HTML page"),
    Case("partial", Fault("partial"), None, 1, datadog_only=True),
    Case("401", Fault("unauthorized"), BackendResponseError, 1, "refused the credentials"),
    Case("403", Fault("forbidden"), BackendResponseError, 1, "ci_visibility_read"),
    Case("400", Fault("status", status=400), QueryError, 1, "emulated failure"),
    Case("422", Fault("status", status=422), QueryError, 1, "emulated failure"),
    Case("404", Fault("status", status=404), BackendResponseError, 1, "emulated failure"),
]


def _backend(kind: str, url: str, kit: Any) -> DatadogBackend | TektonBackend:
    options = kit.make_options(url, request_timeout=0.3, target=kind)
    cls = DatadogBackend if kind == "datadog" else TektonBackend
    return cls(options, retry=kit.FAST)


@pytest.mark.parametrize("kind", ["datadog", "tekton"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault(kind: str, case: Case, kit: Any) -> None:
    if case.datadog_only and kind == "tekton":
        pytest.skip("meta.status exists only in Datadog responses")
    with kit.emulate() as emu:
        emu.faults.add(dataclasses.replace(case.fault))
        backend = _backend(kind, emu.url, kit)
        query = kit.ci_query() if kind == "datadog" else kit.tekton_query()

        async def run() -> dict[str, Any]:
            try:
                return await backend.execute(query)
            finally:
                await backend.aclose()

        started = time.monotonic()
        if case.outcome is None:
            response = asyncio.run(run())
            result = normalize_response(query.source, response, grouped=False)
            assert result.buckets
            assert result.partial == (case.id == "partial")
        else:
            with pytest.raises(case.outcome) as info:
                asyncio.run(run())
            exc = info.value
            assert isinstance(exc, QrunnerError)
            assert case.text in str(exc), str(exc)
            assert "Traceback" not in str(exc)
            kit.assert_no_secret(str(exc), repr(exc), *map(str, exc.args), repr(backend))
            if isinstance(exc, BackendResponseError) and exc.status in (401, 403):
                assert ("DD_API_KEY" if kind == "datadog" else "TEKTON_RESULTS_TOKEN") in str(exc)
        assert emu.count() == case.attempts
        assert time.monotonic() - started < 5


def test_secret_echoed_by_the_server_is_redacted(kit: Any) -> None:
    def echo(source: str, request: dict[str, Any]) -> tuple[int, Any]:
        return 400, {"errors": [f"bad key {kit.API_KEY} / {kit.APP_KEY}"]}

    with kit.emulate(echo) as emu:
        backend = DatadogBackend(kit.make_options(emu.url), retry=kit.FAST)

        async def run() -> None:
            try:
                await backend.execute(kit.ci_query())
            finally:
                await backend.aclose()

        with pytest.raises(QueryError) as info:
            asyncio.run(run())
    assert "bad key ***" in str(info.value)
    kit.assert_no_secret(str(info.value), repr(info.value))


def test_wrong_token_is_401_with_a_hint(kit: Any) -> None:
    with kit.emulate() as emu:
        options = kit.make_options(emu.url, env={"TEKTON_RESULTS_TOKEN": "wrong-token-value"})
        backend = TektonBackend(options, retry=kit.FAST)

        async def run() -> None:
            try:
                await backend.execute(kit.tekton_query())
            finally:
                await backend.aclose()

        with pytest.raises(BackendResponseError) as info:
            asyncio.run(run())
        assert info.value.status == 401
        assert "TEKTON_RESULTS_TOKEN" in str(info.value)
        assert "wrong-token-value" not in str(info.value)
        assert emu.count() == 1


def test_missing_key_is_refused_before_sending(kit: Any) -> None:
    from qrunner.errors import UsageError

    options = kit.make_options("http://127.0.0.1:9", env={"DD_APP_KEY": ""})
    with pytest.raises(UsageError, match="DD_APP_KEY"):
        DatadogBackend(options)


def test_connection_refused_is_unavailable(kit: Any) -> None:
    with kit.emulate() as emu:
        url = emu.url  # nothing listens here once the emulator is stopped
    backend = DatadogBackend(kit.make_options(url), retry=kit.FAST)

    async def run() -> None:
        try:
            await backend.execute(kit.ci_query())
        finally:
            await backend.aclose()

    with pytest.raises(BackendUnavailable, match="connection failed") as info:
        asyncio.run(run())
    assert info.value.url.startswith(url)
