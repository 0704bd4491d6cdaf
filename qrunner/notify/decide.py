"""Which events a run owes: per incident, per tick, in tick order.

An incident is one check of one spec on one target (a spec's error: check ``*``). A failure
incident goes ``pending`` on a failing tick, ``open`` (``firing``) after ``for`` failing ticks in
a row, ``escalated`` when it turns from warn to fail while open, and closes (``resolved``) after
``resolve_after`` passing ticks in a row. ``error`` (could not judge) is an incident of its own
kind: it opens with ``error`` and closes with ``resolved`` at the next judged tick; an error or
``no_data`` tick leaves a failure incident's streaks alone. Shadow checks and ``notify: false``
never notify.

A tick the state has already decided (per spec: ``decided``) is skipped, so re-running a tick
or replaying a report announces nothing again. A run holding several ticks of a spec (a
catch-up) reports the *net* change per incident: one event, not one per tick.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from qrunner.notify.events import Event, EventKind
from qrunner.notify.observe import Decided, Observation, observe, one_shots
from qrunner.notify.routes import Subject

FAILING = {"fail": "fail", "warn": "warn"}


def decide(report: Mapping[str, Any], state: dict[str, Any]) -> tuple[list[Decided], list[Decided]]:
    """The events ``report`` owes given ``state``, which is updated to after the report; and
    the incidents still open without an event (``reminder`` stands in: the fan-out decides
    whether a destination is owed a reminder, or a late ``firing``)."""
    decided: list[Decided] = []
    ongoing: list[Decided] = []
    observations: dict[str, list[Observation]] = {}
    through = state.setdefault("decided", {})  # per target/spec: the newest tick decided
    incidents = state.setdefault("incidents", {})
    live = set(incidents)  # a passing tick matters only to these (and to those opened below)
    for spec in sorted(report.get("specs", []), key=lambda s: s.get("tick") or report["at"]):
        tick = spec.get("tick") or report["at"]
        done = f"{report.get('target', '')}/{spec['name']}"
        if through.get(done) is not None and tick <= through[done]:
            continue  # decided by an earlier run: a re-run tick or a replayed report
        through[done] = tick
        for observation in observe(report, spec, tick, live):
            observations.setdefault(observation.key.id, []).append(observation)
        decided += one_shots(report, spec, tick)
    for incident_id, seen in observations.items():
        before = incidents.get(incident_id)
        was_open = bool(before and before["status"] == "open")
        was_level = before.get("level") if before else None
        entry = dict(before) if before else None
        kinds: list[Event] = []
        for observation in seen:
            entry, event = _step(entry, observation)
            if event is not None:
                kinds.append(event)
        if entry is None:
            incidents.pop(incident_id, None)
        else:
            incidents[incident_id] = entry
        net = _net(kinds, was_open=was_open, was_level=was_level, entry=entry)
        subject = _subject(seen[-1], entry)
        decided += [Decided(event, subject, incident_id) for event in net]
        opened = any(e.kind in (EventKind.FIRING, EventKind.ERROR) for e in net)
        if entry is not None and entry["status"] == "open" and not opened:
            event = _event(EventKind.REMINDER, entry, seen[-1])
            ongoing.append(Decided(event, subject, incident_id))
    return sorted(decided, key=_order), sorted(ongoing, key=_order)


def _order(item: Decided) -> tuple[str, str, str]:
    return (item.event.tick or "", item.event.key.spec, item.event.key.check)


def _subject(observation: Observation, entry: Mapping[str, Any] | None) -> Subject:
    level = (entry or {}).get("level") or ("error" if observation.kind == "error" else "fail")
    return replace(observation.subject, status=level)


def _event(kind: EventKind, entry: Mapping[str, Any], observation: Observation) -> Event:
    settings = observation.settings
    return Event(
        key=observation.key,
        kind=kind,
        tick=observation.tick,
        facts=observation.facts,
        owner=observation.subject.owner,
        severity=settings.severity,
        runbook=settings.runbook,
        since=entry.get("since"),
        ticks_failing=int(entry.get("fail_streak", 0)),
    )


def _step(
    entry: dict[str, Any] | None, seen: Observation
) -> tuple[dict[str, Any] | None, Event | None]:
    """One tick of one incident: its new state entry (``None``: closed) and its event."""
    if seen.kind == "error":
        if seen.status == "error":
            if entry is None:
                entry = _new_entry(seen, "error")
                entry["status"] = "open"
                entry["last_tick"] = seen.tick
                return entry, _event(EventKind.ERROR, entry, seen)
            entry["last_tick"] = seen.tick
            entry["fail_streak"] += 1
            return entry, None
        if entry is None:
            return None, None
        return None, _event(EventKind.RESOLVED, entry, seen)
    level = FAILING.get(seen.status)
    if level is not None:
        entry = entry or _new_entry(seen, level)
        entry.update(last_tick=seen.tick, pass_streak=0, fail_streak=entry["fail_streak"] + 1)
        if entry["status"] == "pending":
            entry["level"] = "fail" if "fail" in (entry["level"], level) else level
            if entry["fail_streak"] >= seen.settings.for_:
                entry["status"] = "open"
                return entry, _event(EventKind.FIRING, entry, seen)
        elif level == "fail" and entry["level"] == "warn":
            entry["level"] = "fail"
            return entry, _event(EventKind.ESCALATED, entry, seen)
        return entry, None
    if entry is None or seen.status != "pass":
        if entry is not None:
            entry["last_tick"] = seen.tick
        return entry, None  # no_data: neither failing nor passing
    entry.update(last_tick=seen.tick, pass_streak=entry["pass_streak"] + 1)
    if entry["status"] == "pending":
        return None, None
    if entry["pass_streak"] >= seen.settings.resolve_after:
        return None, _event(EventKind.RESOLVED, entry, seen)
    return entry, None


def _new_entry(seen: Observation, level: str) -> dict[str, Any]:
    key = seen.key
    return {
        "key": [key.target, key.spec, key.check, key.group], "kind": seen.kind,
        "status": "pending", "level": level, "since": seen.tick, "last_tick": None,
        "fail_streak": 0, "pass_streak": 0, "owner": seen.subject.owner, "destinations": {},
    }  # fmt: skip


def _net(
    events: list[Event], *, was_open: bool, was_level: str | None, entry: Mapping[str, Any] | None
) -> list[Event]:
    """A catch-up's events of one incident collapsed into its net change: at most one event,
    except an incident that closed and opened again within the run, whose ``resolved`` is
    kept (the reopened one is a new incident: the fan-out owes it a ``firing``)."""
    if not events:
        return []
    last = events[-1]
    is_open = bool(entry and entry["status"] == "open")
    resolved = [e for e in events if e.kind is EventKind.RESOLVED]
    if not was_open and is_open:
        assert entry is not None
        opening = EventKind.ERROR if entry["kind"] == "error" else EventKind.FIRING
        since, failing = entry.get("since"), int(entry["fail_streak"])
        return [replace(last, kind=opening, since=since, ticks_failing=failing)]
    if was_open and resolved:
        return [resolved[0]]  # the incident the destinations know of ended
    if (
        was_open
        and is_open
        and entry is not None
        and was_level == "warn"
        and entry["level"] == "fail"
    ):
        since, failing = entry.get("since"), int(entry["fail_streak"])
        return [replace(last, kind=EventKind.ESCALATED, since=since, ticks_failing=failing)]
    return []
