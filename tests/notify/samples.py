"""Fixed envelopes for the channels' tests and golden files: one per event kind, one grouped,
one of hostile data, one oversized. Everything is deterministic (no clock, no randomness)."""

from __future__ import annotations

from dataclasses import replace

from qrunner.notify.events import (
    CheckFacts,
    Envelope,
    Event,
    EventKind,
    IncidentKey,
    Links,
    Mentions,
    Offender,
)

RUN_ID = "1234567890-1"
LINKS = Links(
    run="https://github.com/acme/gates/actions/runs/1234567890",
    trend="https://acme.github.io/gates/trend.html",
    spec_url="https://github.com/acme/gates/blob/{commit}/{file}#L{line}",
    silence_hint="notify.yaml",
)
MENTIONS = {
    "team-platform": Mentions(slack="<!subteam^S0123ABC>", github="@acme/platform"),
    "team-data": Mentions(slack="<@U0456DEF>", github="@acme/data"),
}
DURATION = IncidentKey(target="default", spec="pipeline-duration", check="p90 under 45m")
FLAKY = IncidentKey(target="prod", spec="flaky-tests", check="flaky rate", group="service:api")

FAILING = CheckFacts(
    status="fail",
    observed="65.6m",
    threshold="fail > 45m",
    baseline="baseline 52.1m, +25.9 %",
    offenders=(
        Offender("branch:main, pipeline:build", "71.2m"),
        Offender("branch:main, pipeline:deploy", "66.0m"),
        Offender("branch:release, pipeline:build", "58.4m"),
    ),
    offenders_total=8,
    file="queries/pipelines.yaml",
    line=12,
    git_commit="0123456789abcdef0123456789abcdef01234567",
    window=("2026-12-01T05:00:00Z", "2026-12-01T06:00:00Z"),
)
PASSING = replace(FAILING, status="pass", observed="38.0m", offenders=(), offenders_total=0)


def event(kind: EventKind, **changes: object) -> Event:
    values: dict[str, object] = {
        "key": DURATION,
        "kind": kind,
        "tick": "2026-12-01T06:00:00Z",
        "facts": FAILING,
        "owner": "team-platform",
        "severity": "page",
        "runbook": "https://wiki.acme.dev/runbooks/pipeline-duration",
        "since": "2026-12-01T04:00:00Z",
        "ticks_failing": 3,
    }
    values.update(changes)
    return Event(**values)  # type: ignore[arg-type]


def envelope(*events: Event, destination: str = "chat", **changes: object) -> Envelope:
    values: dict[str, object] = {
        "destination": destination,
        "events": tuple(events),
        "mentions": MENTIONS,
        "links": LINKS,
        "run_id": RUN_ID,
    }
    values.update(changes)
    return Envelope(**values)  # type: ignore[arg-type]


HOSTILE_NAME = "<!channel> @here @acme/all #123 ](http://evil.example) <img src=x> *bold* `code`"
HOSTILE_KEY = IncidentKey(
    target="default",
    spec="spec <!here> " + "x" * 400,
    check="check @acme/all ](http://evil.example/x)",
    group="branch:<@U999> | </tr> #42",
)
HOSTILE_FACTS = replace(
    FAILING,
    offenders=(
        Offender(HOSTILE_NAME, "1 <!everyone>"),
        Offender("[click](javascript:alert(1))", "@channel"),
    ),
    offenders_total=2,
    message="API said: <!subteam^S0BAD> @everyone see https://evil.example\n## heading\n```",
    file="queries/<evil>|(x).yaml",
)


def scenarios() -> dict[str, Envelope]:
    """Name → envelope: what every channel renders into golden files."""
    single = {
        str(kind): envelope(event(kind))
        for kind in (
            EventKind.FIRING,
            EventKind.ESCALATED,
            EventKind.REMINDER,
        )
    }
    single["resolved"] = envelope(
        event(EventKind.RESOLVED, facts=PASSING, tick="2026-12-01T09:00:00Z")
    )
    single["error"] = envelope(
        event(
            EventKind.ERROR,
            facts=replace(
                FAILING,
                status="error",
                observed=None,
                offenders=(),
                offenders_total=0,
                baseline=None,
                message="Datadog answered HTTP 400: unknown facet @ci.foo",
            ),
        )
    )
    single["missed"] = envelope(
        event(
            EventKind.MISSED,
            missed_ticks=tuple(f"2026-12-01T0{h}:00:00Z" for h in range(1, 6)),
        )
    )
    single["silence-expired"] = envelope(event(EventKind.SILENCE_EXPIRED))
    single["report"] = envelope(
        event(EventKind.REPORT, key=FLAKY, facts=replace(FAILING, status="pass"), owner="team-data")
    )
    single["state-reset"] = envelope(event(EventKind.STATE_RESET))
    single["test"] = envelope(event(EventKind.TEST, tick=None))
    single["delayed"] = envelope(event(EventKind.FIRING, delayed=True, tick=None, since=None))
    single["grouped"] = envelope(
        event(EventKind.FIRING),
        event(EventKind.FIRING, key=FLAKY, owner="team-data"),
        event(EventKind.REMINDER, key=replace(DURATION, check="p50 under 20m"), ticks_failing=9),
        event(EventKind.RESOLVED, key=replace(DURATION, check="success rate"), facts=PASSING),
    )
    single["hostile"] = envelope(
        event(
            EventKind.FIRING,
            key=HOSTILE_KEY,
            facts=HOSTILE_FACTS,
            owner="team <!here> @x",
            runbook="javascript:alert(1)",
        ),
    )
    many = [
        event(
            EventKind.FIRING,
            key=replace(DURATION, check=f"check {n:03d}"),
            facts=replace(FAILING, offenders=FAILING.offenders * 10, offenders_total=400),
        )
        for n in range(120)
    ]
    single["oversized"] = envelope(*many)
    return single
