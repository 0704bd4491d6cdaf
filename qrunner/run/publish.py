"""Publishing check results to Datadog Product Analytics as server-side events.

One event per check result (``event.name: qrunner.check``), sent one per request to
``POST /api/v2/prodlytics`` on the intake host (``browser-intake-<site>``, see
:func:`qrunner.backends.datadog.intake_base_url`; ``QRUNNER_DATADOG_INTAKE_URL`` overrides).
Every event is validated against the generated ``datadog.product_analytics.request`` schema
before anything is sent (custom attributes go under ``qrunner``, a scheduled spec's ``tick``
and ``window`` among them: the schema leaves an event's top level open). A 202 means
"accepted", not "stored". Publishing reports its failures as data (:class:`PublishReport`);
it never changes the gate's verdict.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from qrunner.judge.outcomes import RunResult, SpecOutcome
from qrunner.sources import PRODUCT_ANALYTICS_PATH, PRODUCT_ANALYTICS_SCHEMA

if TYPE_CHECKING:
    from qrunner.backends.http import HttpClient

EVENT_NAME = "qrunner.check"
MAX_EVENT_BYTES = 5 * 1024 * 1024  # the intake's limit, uncompressed
PUBLISH_RETRY_STATUSES = frozenset({408, 429, 500, 503})
PUBLISH_CONCURRENCY = 4

# (intake base URL, headers, deadline) → a client; tests inject short backoffs here.
ClientFactory = Callable[[str, dict[str, str], float | None], "HttpClient"]


@dataclass(slots=True)
class PublishReport:
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def build_events(
    run: RunResult,
    *,
    application_id: str,
    repository: str | None,
    run_id: str,
    git_commit: str | None,
) -> list[dict[str, Any]]:
    """One server-side event per check result of ``run``; a spec that errored before its checks
    could be judged gets one event for itself (check ``(spec)``, status ``error``)."""
    events = []
    for spec in run.specs:
        results: list[dict[str, Any]] = [
            {
                "check": check.name,
                "status": str(check.status),
                "observed": check.observed,
                "threshold": check.threshold,
                "unit": check.unit,
                "mode": check.mode,
            }
            for check in spec.checks
        ]
        if spec.error is not None and not spec.checks:
            results.append({"check": "(spec)", "status": "error", "error": spec.error})
        for result in results:
            events.append(
                {
                    "type": "server",
                    "application": {"id": application_id},
                    "event": {"name": EVENT_NAME},
                    "account": {"id": repository or "qrunner"},
                    "session": {"id": run_id},
                    "qrunner": {
                        "spec": spec.name,
                        **result,
                        "run_id": run_id,
                        "git_commit": git_commit,
                        "source": spec.source,
                        "target": run.target,
                        **_schedule_attributes(spec),
                    },
                }
            )
    return events


def _schedule_attributes(spec: SpecOutcome) -> dict[str, Any]:
    """A scheduled spec's tick and window, written as the JSON report writes them, so that the
    ticks of one caught-up run can be told apart (``@qrunner.tick``); nothing otherwise."""
    from qrunner.reports.json_report import format_timestamp

    attributes: dict[str, Any] = {}
    if spec.tick is not None:
        attributes["tick"] = format_timestamp(spec.tick)
    if spec.window is not None:
        start, end = spec.window
        attributes["window"] = {"start": format_timestamp(start), "end": format_timestamp(end)}
    return attributes


def check_event(event: dict[str, Any]) -> list[str]:
    """Schema problems of one event; ``[]`` when valid."""
    from qrunner.validate.schemastore import validate_instance

    return [str(issue) for issue in validate_instance(PRODUCT_ANALYTICS_SCHEMA + ".request", event)]


def _label(event: dict[str, Any]) -> str:
    attrs = event.get("qrunner") or {}
    return f"{attrs.get('spec')}/{attrs.get('check')}" if attrs else "event"


def _default_client(base_url: str, headers: dict[str, str], deadline: float | None) -> HttpClient:
    from qrunner.backends.http import HttpClient

    return HttpClient(
        base_url=base_url,
        headers=headers,
        service="Datadog Product Analytics",
        concurrency=PUBLISH_CONCURRENCY,
        deadline=deadline,
        secrets=tuple(headers.values()),
        auth_hint="the API key comes from DD_API_KEY (and DD_SITE must match its org)",
        retry_statuses=PUBLISH_RETRY_STATUSES,
    )


async def publish_events(
    events: list[dict[str, Any]],
    *,
    env: Mapping[str, str],
    deadline: float | None,
    client_factory: ClientFactory | None = None,
) -> PublishReport:
    """Send ``events``; raises ``UsageError`` only for setup problems (site, missing key)."""
    from qrunner.backends.datadog import intake_base_url, read_keys
    from qrunner.errors import BackendError, QueryError

    report = PublishReport()
    base_url = intake_base_url(env)  # refuses gov sites and uk1 before anything is sent
    headers = read_keys(env, app_key=False)
    client = (client_factory or _default_client)(base_url, headers, deadline)
    refused: list[str] = []  # an auth failure: the other events would fail the same way

    async def send(event: dict[str, Any]) -> None:
        issues = check_event(event)
        if issues:
            report.failed += 1
            report.errors.append(f"{_label(event)}: not sent, invalid event: {'; '.join(issues)}")
            return
        if len(json.dumps(event).encode()) > MAX_EVENT_BYTES:
            report.failed += 1
            report.errors.append(f"{_label(event)}: not sent, the event is over 5 MB")
            return
        if refused:
            report.failed += 1
            return
        try:
            await client.request("POST", PRODUCT_ANALYTICS_PATH, json_body=event)
        except QueryError as exc:
            report.failed += 1
            report.errors.append(f"{_label(event)}: rejected: {exc}")
        except BackendError as exc:
            report.failed += 1
            if exc.status == 413:
                report.errors.append(f"{_label(event)}: too large for the intake (HTTP 413)")
            elif exc.status in (401, 403):
                refused.append(str(exc))
                hint = "" if "DD_API_KEY" in str(exc) else " — check DD_API_KEY and DD_SITE"
                report.errors.append(f"{exc}{hint} (no further events sent)")
            else:
                report.errors.append(f"{_label(event)}: {exc}")
        else:
            report.sent += 1

    try:
        await asyncio.gather(*(send(event) for event in events))
    finally:
        await client.aclose()
    return report


def publish_run(
    run: RunResult,
    *,
    application_id: str | None,
    environ: Mapping[str, str],
    stderr: TextIO,
    deadline: float | None,
) -> None:
    """Publishing never changes the gate's verdict; its failures are reported."""
    from qrunner.errors import BackendError, QrunnerError
    from qrunner.secrets import inert

    env = environ
    app_id = application_id or env.get("QRUNNER_PRODUCT_ANALYTICS_APPLICATION_ID", "")
    run_id = env.get("GITHUB_RUN_ID") or run.started_at.strftime("%Y%m%dT%H%M%S")
    events = build_events(
        run,
        application_id=app_id,
        repository=env.get("GITHUB_REPOSITORY"),
        run_id=run_id,
        git_commit=env.get("GITHUB_SHA")
        or next((s.git_commit for s in run.specs if s.git_commit), None),
    )
    try:
        result = asyncio.run(publish_events(events, env=env, deadline=deadline))
    except (QrunnerError, BackendError) as e:
        print(inert(f"qrunner: publish: {e}"), file=stderr)
        return
    print(
        f"qrunner: published {result.sent} of {len(events)} check results to Product Analytics",
        file=stderr,
    )
    for error in result.errors:
        print(inert(f"qrunner: publish: {error}"), file=stderr)
