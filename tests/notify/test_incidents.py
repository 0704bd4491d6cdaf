"""Incidents through the whole notify step, with an in-memory channel (a double of the
``Channel`` protocol): once per incident, quiet while failing, resolved on recovery, the
outbox delivering each event exactly once after an outage."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qrunner.notify.pipeline import NotifyOptions, NotifyResult, notify_report
from qrunner.notify.routing_file import read_routing
from tests.notify.doubles import (
    ENV,
    ROUTING,
    Inbox,
    check,
    registry,
    report,
    spec,
    tick,
    write_routing,
)

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


class Harness:
    def __init__(self, tmp_path: Path, routing: str = ROUTING) -> None:
        self.inbox = Inbox()
        self.routing = read_routing(write_routing(tmp_path, routing), registry=registry(self.inbox))
        self.state = tmp_path / "alerts.json"
        self.kinds = registry(self.inbox)

    def options(self, **extra: Any) -> NotifyOptions:
        kind = self.kinds["slack"]

        def build(name: str) -> Any:
            return kind(name, self.routing.settings[name], ENV)

        extra.setdefault("now", NOW)
        return NotifyOptions(
            self.routing, alert_state=self.state, environ=ENV, channels=build, **extra
        )

    def run(self, *specs: dict[str, Any], at: str | None = None, **extra: Any) -> NotifyResult:
        at = at or max(s["tick"] for s in specs)
        return notify_report(report(*specs, at=at), self.options(**extra))


def _seed(h: Harness) -> None:
    """A first run with everything passing: the alert state exists from then on."""
    h.run(spec("flaky", tick(1), [check("rate", "pass")]))


def test_one_firing_quiet_while_failing_then_resolved(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    _seed(h)
    for hour in (2, 3, 4):
        h.run(spec("flaky", tick(hour), [check("rate", "fail")]))
    assert h.inbox.kinds("gh") == ["firing"]
    assert h.inbox.kinds("chat") == ["firing"]
    h.run(spec("flaky", tick(5), [check("rate", "pass")]))
    assert h.inbox.kinds("gh") == ["firing", "resolved"]
    assert h.inbox.kinds("chat") == ["firing", "resolved"]
    # the resolved event knows the issue the firing opened
    assert h.inbox.known[-1][1]


def test_outage_delivers_each_event_once_on_the_next_run(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    _seed(h)
    h.inbox.down = {"gh", "chat"}
    first = h.run(spec("flaky", tick(2), [check("rate", "fail")]))
    assert {n.delivery.outcome for n in first.notified} == {"failed"}
    assert first.undelivered
    outbox = json.loads(h.state.read_text())["outbox"]
    assert len(outbox) == 2 and all("claim" not in e for e in outbox)
    h.inbox.down = set()
    second = h.run(spec("flaky", tick(3), [check("rate", "fail")]))
    assert h.inbox.kinds("gh") == ["firing"] and h.inbox.kinds("chat") == ["firing"]
    assert all(n.delayed for n in second.notified)
    assert json.loads(h.state.read_text())["outbox"] == []
    h.run(spec("flaky", tick(4), [check("rate", "fail")]))
    assert h.inbox.kinds("gh") == ["firing"]


def test_one_destination_down_does_not_resend_the_other(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    _seed(h)
    h.inbox.down = {"chat"}
    h.run(spec("flaky", tick(2), [check("rate", "fail")]))
    h.inbox.down = set()
    h.run(spec("flaky", tick(3), [check("rate", "fail")]))
    assert h.inbox.kinds("gh") == ["firing"]
    assert h.inbox.kinds("chat") == ["firing"]


def test_a_rejected_event_is_reported_and_not_retried(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    _seed(h)
    h.inbox.rejecting = {"chat"}
    result = h.run(spec("flaky", tick(2), [check("rate", "fail")]))
    assert [n.delivery.outcome for n in result.undelivered] == ["rejected"]
    assert json.loads(h.state.read_text())["outbox"] == []


def test_for_waits_for_consecutive_failures(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    _seed(h)
    notify = {"for": 3, "checks": {}}
    for hour, status in [(2, "fail"), (3, "fail"), (4, "pass"), (5, "fail"), (6, "fail")]:
        h.run(spec("flaky", tick(hour), [check("rate", status)], notify=notify))
    assert h.inbox.kinds("gh") == []
    h.run(spec("flaky", tick(7), [check("rate", "fail")], notify=notify))
    assert h.inbox.kinds("gh") == ["firing"]


def test_replaying_a_report_announces_nothing_again(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    _seed(h)
    failing = spec("flaky", tick(2), [check("rate", "fail")])
    h.run(failing)
    h.run(failing)
    assert h.inbox.kinds("gh") == ["firing"]


def test_catch_up_collapses_to_one_event_per_incident(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    _seed(h)
    h.run(*(spec("flaky", tick(hour), [check("rate", "fail")]) for hour in (2, 3, 4)))
    assert h.inbox.kinds("gh") == ["firing"]
    received = [e for d, e in h.inbox.received if d == "gh"]
    assert received[0].since == tick(2) and received[0].ticks_failing == 3


def test_warn_reaches_only_routes_that_ask_and_escalation_fires_the_others(tmp_path: Path) -> None:
    routing = ROUTING.replace(
        "  - match: {owner: team-platform}\n",
        "  - match: {owner: team-platform, status: [warn, fail]}\n"
        "    to: [chat]\n    continue: true\n"
        "  - match: {owner: team-platform}\n",
    )
    h = Harness(tmp_path, routing)
    _seed(h)
    h.run(spec("flaky", tick(2), [check("rate", "warn")]))
    assert h.inbox.kinds("chat") == ["firing"] and h.inbox.kinds("gh") == []
    h.run(spec("flaky", tick(3), [check("rate", "fail")]))
    assert h.inbox.kinds("chat") == ["firing", "escalated"]
    assert h.inbox.kinds("gh") == ["firing"]


def test_errors_are_routed_apart_and_shadow_never_notifies(tmp_path: Path) -> None:
    routing = ROUTING.replace(
        "  - match: {owner: team-platform}\n",
        "  - match: {status: error}\n    to: [hook]\n  - match: {owner: team-platform}\n",
    )
    h = Harness(tmp_path, routing)
    _seed(h)
    h.run(
        spec("flaky", tick(2), [check("rate", "error"), check("quiet", "fail", mode="shadow")]),
    )
    assert h.inbox.kinds("hook") == ["error"]
    assert h.inbox.kinds("gh") == [] and h.inbox.kinds("chat") == []
    h.run(spec("flaky", tick(3), [check("rate", "pass"), check("quiet", "fail", mode="shadow")]))
    assert h.inbox.kinds("hook") == ["error", "resolved"]


def test_silences_hold_events_and_their_expiry_is_announced(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    _seed(h)
    result = h.run(spec("pipeline-duration-p90", tick(2), [check("p90", "fail")]))
    assert h.inbox.received == []
    assert {n.delivery.outcome for n in result.notified} == {"suppressed"}
    later = datetime(2026, 12, 16, tzinfo=UTC)
    h.run(spec("pipeline-duration-p90", tick(3, day=16), [check("p90", "fail")]), now=later)
    # the expiry is announced once, and the still-failing check fires where it was held back
    assert "silence-expired" in h.inbox.kinds("gh") and "firing" in h.inbox.kinds("gh")
    h.run(spec("pipeline-duration-p90", tick(4, day=16), [check("p90", "fail")]), now=later)
    assert h.inbox.kinds("gh").count("silence-expired") == 1
    assert h.inbox.kinds("gh").count("firing") == 1


def test_renotify_reminds_while_failing(tmp_path: Path) -> None:
    routing = ROUTING.replace("    to: [gh, chat]\n", "    to: [gh, chat]\n    renotify: 2h\n")
    h = Harness(tmp_path, routing)
    _seed(h)
    for hour in (2, 3, 4, 5, 6):
        h.run(spec("flaky", tick(hour), [check("rate", "fail")]))
    assert h.inbox.kinds("chat") == ["firing", "reminder", "reminder"]


def test_lost_state_sends_one_summary_to_chat_and_events_to_github(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.run(
        spec("a", tick(2), [check("x", "fail"), check("y", "fail")]),
        spec("b", tick(2), [check("z", "fail")]),
    )
    assert h.inbox.kinds("chat") == ["state-reset"]
    assert h.inbox.kinds("gh") == ["firing"] * 3
    summary = next(e for d, e in h.inbox.received if d == "chat")
    assert "3 checks failing" in (summary.facts.message or "")
    h.run(
        spec("a", tick(3), [check("x", "pass"), check("y", "fail")]),
        spec("b", tick(3), [check("z", "fail")]),
    )
    assert h.inbox.kinds("chat") == ["state-reset", "resolved"]


def test_scheduled_report_and_missed_ticks(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    _seed(h)
    weekly = spec("weekly", tick(2), [check("rate", "pass")], notify={"report": True, "checks": {}})
    h.run(weekly)
    h.run(
        spec(
            "weekly",
            tick(3),
            [check("rate", "fail")],
            notify={"report": True, "checks": {}},
            missed_ticks=[tick(2, 0 + 1)],
        )
    )
    assert h.inbox.kinds("chat") == ["report", "report", "missed", "firing"]


def test_notify_false_opts_out(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    _seed(h)
    h.run(spec("flaky", tick(2), [check("rate", "fail")], notify={"off": True, "checks": {}}))
    h.run(
        spec("other", tick(2), [check("rate", "fail")], notify={"checks": {"rate": {"off": True}}})
    )
    assert h.inbox.received == []


def test_dry_run_renders_everything_and_changes_nothing(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    _seed(h)
    before = h.state.read_text()
    out = tmp_path / "out"
    result = h.run(spec("flaky", tick(2), [check("rate", "fail")]), dry_run=True, out=out)
    assert h.state.read_text() == before
    assert h.inbox.received == []
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.txt")) == [
        "chat/000-firing.txt",
        "gh/000-firing.txt",
    ]
    assert {n.delivery.outcome for n in result.notified} == {"rendered"}


def test_a_channel_that_breaks_fails_alone_and_keeps_its_events(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    _seed(h)
    kind = h.kinds["slack"]

    class Broken:
        name = "chat"

        def render(self, envelope: Any) -> Any:
            return []

        def deliver(self, envelope: Any, *, deadline: float) -> Any:
            raise RuntimeError("boom at https://hooks.example/T0/B0/abcdef")

    def build(name: str) -> Any:
        return Broken() if name == "chat" else kind(name, h.routing.settings[name], ENV)

    options = h.options()
    options.channels = build
    result = notify_report(
        report(spec("flaky", tick(2), [check("rate", "fail")]), at=tick(2)), options
    )
    outcomes = {(n.delivery.destination, n.delivery.outcome) for n in result.notified}
    assert outcomes == {("gh", "sent"), ("chat", "failed")}
    assert [e["destination"] for e in json.loads(h.state.read_text())["outbox"]] == ["chat"]


def _groups(statuses: dict[str, str]) -> list[dict[str, Any]]:
    return [{"by": {"branch": b}, "observed": 1.0, "status": s} for b, s in statuses.items()]


def test_per_group_incidents_are_opt_in_and_capped(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    _seed(h)
    notify = {"checks": {"rate": {"per_group": True}}}
    statuses = {"main": "fail", "dev": "fail", "rel": "pass"}
    h.run(spec("flaky", tick(2), [check("rate", "fail", groups=_groups(statuses))], notify=notify))
    fired = sorted(e.key.group or "" for d, e in h.inbox.received if d == "gh")
    assert fired == ["branch:dev", "branch:main"]
    statuses["dev"] = "pass"
    h.run(spec("flaky", tick(3), [check("rate", "fail", groups=_groups(statuses))], notify=notify))
    assert [(str(e.kind), e.key.group) for d, e in h.inbox.received if d == "gh"][2:] == [
        ("resolved", "branch:dev")
    ]
    many = {f"b{i:02d}": "fail" for i in range(25)}
    h.run(spec("wide", tick(2), [check("rate", "fail", groups=_groups(many))], notify=notify))
    wide = [e for d, e in h.inbox.received if d == "gh" and e.key.spec == "wide"]
    assert len(wide) == 21  # 20 groups of their own (the cap), one for the other 5
    (others,) = [e for e in wide if e.key.group == "(other groups)"]
    assert others.facts.offenders_total == 5
