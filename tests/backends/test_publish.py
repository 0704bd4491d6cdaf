"""Publishing check results to Product Analytics through the emulator's intake."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from qrunner.backends.http import HttpClient
from qrunner.emulator.faults import Fault
from qrunner.errors import UsageError
from qrunner.judge.outcomes import CheckOutcome, RunResult, SpecOutcome, Status
from qrunner.run.publish import PUBLISH_RETRY_STATUSES, build_events, check_event, publish_events


def _run(error: str | None = None) -> RunResult:
    def check(name: str, status: Status, observed: float | None, threshold: str) -> CheckOutcome:
        return CheckOutcome(
            name=name,
            status=status,
            observed=observed,
            threshold=threshold,
            unit=None,
            offenders=[],
            message="",
            mode="enforce",
            line=0,
            metric="c0",
        )

    specs = [
        SpecOutcome(
            name="flaky-rate",
            source="datadog.ci_tests",
            file="q.yaml",
            line=1,
            status=Status.FAIL,
            error=None,
            checks=[
                check("rate", Status.PASS, 0.01, "fail > 5%"),
                check("count", Status.FAIL, None, "fail > 0"),
            ],
            request_hash=None,
            git_commit=None,
            duration_s=0.1,
        ),
        SpecOutcome(
            name="broken",
            source="tekton.summary",
            file="b.yaml",
            line=1,
            status=Status.ERROR,
            error=error,
            checks=[],
            request_hash=None,
            git_commit=None,
            duration_s=0.0,
        ),
    ]
    now = datetime(2024, 5, 1, tzinfo=UTC)
    return RunResult(
        status=Status.FAIL,
        started_at=now,
        at=now,
        qrunner_version="0",
        target="datadog",
        specs=specs,
    )


def _events() -> list[dict[str, Any]]:
    return build_events(
        _run(), application_id="app-1", repository="acme/repo", run_id="42", git_commit="abc"
    )


def test_events_have_the_documented_shape() -> None:
    events = _events()
    assert len(events) == 2  # the spec without checks and without an error sends nothing
    first = events[0]
    assert first["type"] == "server"
    assert first["application"] == {"id": "app-1"}
    assert first["event"] == {"name": "qrunner.check"}
    assert first["account"] == {"id": "acme/repo"}
    assert first["session"] == {"id": "42"}
    assert first["qrunner"]["spec"] == "flaky-rate"
    assert first["qrunner"]["status"] == "pass"
    assert first["qrunner"]["target"] == "datadog"
    no_repo = build_events(_run(), application_id="a", repository=None, run_id="r", git_commit=None)
    assert no_repo[0]["account"] == {"id": "qrunner"}


def test_a_spec_that_errored_is_published_too() -> None:
    events = build_events(
        _run(error="HTTP 503"), application_id="a", repository=None, run_id="r", git_commit=None
    )
    errored = events[-1]["qrunner"]
    assert (errored["spec"], errored["check"], errored["status"]) == ("broken", "(spec)", "error")
    assert errored["error"] == "HTTP 503"
    assert check_event(events[-1]) == []


def test_events_are_valid_against_the_schema() -> None:
    for event in _events():
        assert check_event(event) == []
    broken = {**_events()[0], "application": {}}
    assert check_event(broken)


def test_a_scheduled_spec_publishes_its_tick_and_window() -> None:
    run = _run()
    tick = datetime(2024, 5, 1, 4, tzinfo=UTC)
    run.specs[0].tick = tick
    run.specs[0].window = (
        datetime(2024, 4, 30, 3, 30, tzinfo=UTC),
        datetime(2024, 5, 1, 3, 30, tzinfo=UTC),
    )
    run.specs[1].error = "HTTP 503"
    scheduled, _, unscheduled = build_events(
        run, application_id="a", repository=None, run_id="r", git_commit=None
    )
    assert scheduled["qrunner"]["tick"] == "2024-05-01T04:00:00Z"
    assert scheduled["qrunner"]["window"] == {
        "start": "2024-04-30T03:30:00Z",
        "end": "2024-05-01T03:30:00Z",
    }
    assert "tick" not in unscheduled["qrunner"] and "window" not in unscheduled["qrunner"]
    assert check_event(scheduled) == [] and check_event(unscheduled) == []


def _factory(kit: Any) -> Any:
    def make(base_url: str, headers: dict[str, str], deadline: float | None) -> HttpClient:
        return HttpClient(
            base_url=base_url,
            headers=headers,
            deadline=deadline,
            retry=kit.FAST,
            secrets=tuple(headers.values()),
            retry_statuses=PUBLISH_RETRY_STATUSES,
        )

    return make


def _publish(kit: Any, url: str, events: list[dict[str, Any]], **env: str) -> Any:
    environ = {"QRUNNER_DATADOG_INTAKE_URL": url, "DD_API_KEY": kit.API_KEY, **env}
    return asyncio.run(
        publish_events(events, env=environ, deadline=None, client_factory=_factory(kit))
    )


def test_published_events_arrive(kit: Any) -> None:
    with kit.emulate() as emu:
        report = _publish(kit, emu.url, _events())
        assert (report.sent, report.failed, report.errors) == (2, 0, [])
        assert sorted(e["qrunner"]["check"] for e in emu.events) == ["count", "rate"]
        assert emu.count("prodlytics") == 2


@pytest.mark.parametrize(
    "fault",
    [
        Fault("rate_limited", retry_after="1", times=1),
        Fault("rate_limited", reset=1, times=1),
        Fault("status", status=503, times=1, headers={"Retry-After": "1"}),
        Fault("status", status=408, times=1),
    ],
    ids=["429-retry-after", "429-reset", "503-retry-after", "408"],
)
def test_publishing_retries_and_honours_hints(kit: Any, fault: Fault) -> None:
    with kit.emulate() as emu:
        emu.faults.add(fault)
        started = time.monotonic()
        report = _publish(kit, emu.url, _events()[:1])
        elapsed = time.monotonic() - started
        assert report.sent == 1
        assert emu.count() == 2
    if fault.retry_after or fault.reset:
        assert 1.0 <= elapsed < 1.6


def test_too_large_and_rejected_events_are_reported(kit: Any) -> None:
    with kit.emulate() as emu:
        emu.faults.add(Fault("status", status=413, match='"rate"'))
        emu.faults.add(Fault("status", status=400, match='"count"'))
        report = _publish(kit, emu.url, _events())
        assert (report.sent, report.failed) == (0, 2)
        assert any("too large" in e for e in report.errors)
        assert any("rejected" in e and "emulated failure" in e for e in report.errors)
        assert emu.count() == 2  # neither is retried


def test_a_wrong_key_stops_publishing(kit: Any) -> None:
    with kit.emulate() as emu:
        report = _publish(kit, emu.url, _events(), DD_API_KEY="wrong-key-123456")
        assert report.sent == 0
        assert report.failed == 2
        assert "DD_API_KEY" in report.errors[0]
        assert "wrong-key-123456" not in " ".join(report.errors)


def test_gov_site_refuses_before_sending(kit: Any) -> None:
    with pytest.raises(UsageError, match=r"not available on ddog-gov\.com"):
        asyncio.run(
            publish_events(
                _events(), env={"DD_SITE": "ddog-gov.com", "DD_API_KEY": kit.API_KEY}, deadline=None
            )
        )


def test_missing_api_key_names_the_variable() -> None:
    with pytest.raises(UsageError, match="DD_API_KEY"):
        asyncio.run(publish_events(_events(), env={}, deadline=None))
