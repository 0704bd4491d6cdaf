"""Hypothesis over random pass/fail/error/no-data tick sequences, random outages and catch-up
runs, checked against a reference model of an incident written here, independently of
``qrunner.notify.decide``: each destination hears ``firing`` once per incident until
``resolved``, never ``resolved`` without ``firing``, ``for``/``resolve_after`` are honoured,
a silenced spec reaches no one, and the outbox delivers every event exactly once."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qrunner.notify.pipeline import NotifyOptions, notify_report
from qrunner.notify.routing_file import read_routing
from tests.notify.doubles import ENV, ROUTING, Inbox, check, registry, report, spec
from tests.notify.test_incidents import NOW

STATUSES = st.sampled_from(["pass", "fail", "error", "no_data"])
CHECKS = ("a", "b")


def _reference(statuses: list[str], for_: int, resolve_after: int) -> tuple[bool, int]:
    """(open at the end, how many times it opened) for one check's ticks."""
    is_open, failing, passing, opened = False, 0, 0, 0
    for status in statuses:
        if status == "fail":
            failing, passing = failing + 1, 0
            if not is_open and failing >= for_:
                is_open, opened = True, opened + 1
        elif status == "pass":
            if not is_open:
                failing = 0
                continue
            passing += 1
            if passing >= resolve_after:
                is_open, failing, passing = False, 0, 0
    return is_open, opened


@st.composite
def scenarios(draw: Any) -> dict[str, Any]:
    ticks = draw(st.integers(min_value=1, max_value=14))
    return {
        "for": draw(st.integers(1, 3)),
        "resolve_after": draw(st.integers(1, 3)),
        "statuses": {c: draw(st.lists(STATUSES, min_size=ticks, max_size=ticks)) for c in CHECKS},
        "down": draw(
            st.lists(st.sets(st.sampled_from(["gh", "chat"])), min_size=ticks, max_size=ticks)
        ),
        "batch": draw(st.lists(st.integers(1, 3), min_size=ticks, max_size=ticks)),
        "silenced": draw(st.booleans()),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_incidents_against_the_reference_model(scenario: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _check(Path(folder), scenario)


def _check(tmp: Path, scenario: dict[str, Any]) -> None:
    inbox = Inbox()
    (tmp / "notify.yaml").write_text(ROUTING)
    routing = read_routing(tmp / "notify.yaml", registry=registry(inbox))
    kind = registry(inbox)["slack"]
    name = "pipeline-duration-p90" if scenario["silenced"] else "gate"
    notify = {"for": scenario["for"], "resolve_after": scenario["resolve_after"], "checks": {}}
    options = NotifyOptions(
        routing, alert_state=tmp / "alerts.json", environ=ENV, now=NOW,
        channels=lambda d: kind(d, routing.settings[d], ENV),
    )  # fmt: skip

    def run(specs: list[dict[str, Any]], at: str) -> None:
        notify_report(report(*specs, at=at), options)

    run(
        [spec(name, "2026-11-30T00:00:00Z", [check(c, "pass") for c in CHECKS], notify=notify)],
        "2026-11-30T00:00:00Z",
    )
    ticks = len(scenario["batch"])
    i = 0
    while i < ticks:  # a run may hold several ticks: a catch-up
        batch = range(i, min(ticks, i + scenario["batch"][i]))
        inbox.down = scenario["down"][i]
        specs = [
            spec(
                name,
                f"2026-12-01T{t:02d}:00:00Z",
                [check(c, scenario["statuses"][c][t]) for c in CHECKS],
                notify=notify,
            )
            for t in batch
        ]
        run(specs, f"2026-12-01T{batch[-1]:02d}:00:00Z")
        i = batch[-1] + 1
    inbox.down = set()
    run([], "2026-12-02T00:00:00Z")  # everything up: the outbox drains

    state = json.loads((tmp / "alerts.json").read_text())
    assert state["outbox"] == []
    ids = Counter((d, e.id) for d, e in inbox.received)
    assert all(n == 1 for n in ids.values()), "an event was delivered twice"
    if scenario["silenced"]:
        assert inbox.received == []
        return
    for c in CHECKS:
        expected_open, opened = _reference(
            scenario["statuses"][c], scenario["for"], scenario["resolve_after"]
        )
        for destination in ("gh", "chat"):
            kinds = [
                str(e.kind)
                for d, e in inbox.received
                if d == destination and e.key.check == c and e.key.group is None
            ]
            assert kinds[::2] == ["firing"] * len(kinds[::2]), kinds
            assert kinds[1::2] == ["resolved"] * len(kinds[1::2]), kinds
            assert (kinds[-1:] == ["firing"]) == expected_open, (c, destination, kinds)
            assert kinds.count("firing") <= opened
            firings = [
                e
                for d, e in inbox.received
                if d == destination and e.key.check == c and str(e.kind) == "firing"
            ]
            assert all(e.ticks_failing >= scenario["for"] for e in firings)
        errors = [
            str(e.kind)
            for d, e in inbox.received
            if d == "gh" and e.key.check == c and e.key.group == "error"
        ]
        assert errors[::2] == ["error"] * len(errors[::2]) and errors[1::2] == ["resolved"] * len(
            errors[1::2]
        )
        assert not any(e.key.group == "error" for d, e in inbox.received if d == "chat")
