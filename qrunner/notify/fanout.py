"""From the run's events to what each destination is owed, given what it was already told.

Each destination of an incident keeps its own record in the alert state, so:

- a destination that never got an incident's ``firing`` (a route added, a silence ended, an
  escalation from warn into a fail-only route) gets ``firing`` now, not a bare update;
- ``resolved`` goes to exactly the destinations that got the ``firing``, so no destination
  hears of a recovery it was never told about;
- ``reminder`` goes where a route's ``renotify`` interval passed since the last message;
- a silence holds an event back (SUPPRESSED, in the report), never the incident's progress;
- with no alert state (first run, evicted cache) chat and webhook destinations get one
  ``state-reset`` summary instead of one ``firing`` per failing check; GitHub finds its open
  issues by their marker, so it gets the events themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from qrunner.limits import MAX_RESET_NAMES
from qrunner.notify.events import CheckFacts, Delivery, Event, EventKind, IncidentKey, Outcome
from qrunner.notify.observe import Decided
from qrunner.notify.routes import Subject, route, silence_id, silenced_by
from qrunner.notify.routing import Routing

OPENING = (EventKind.FIRING, EventKind.ERROR)
KEEPS_MARKER = frozenset({"github-issues"})  # finds its own open incidents after a state loss


@dataclass(frozen=True, slots=True)
class Owed:
    destination: str
    event: Event
    incident: str | None = None
    known: str | None = None  # the destination's id for the incident (a GitHub issue number)


@dataclass(slots=True)
class Fanout:
    owed: list[Owed] = field(default_factory=list)
    suppressed: list[Delivery] = field(default_factory=list)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def fan_out(
    decided: Sequence[Decided],
    ongoing: Sequence[Decided],
    routing: Routing,
    before: Mapping[str, Any],
    state: dict[str, Any],
    *,
    now: datetime,
    fresh: bool,
) -> Fanout:
    """What each destination is owed; records in ``state`` which destinations were told."""
    result = Fanout()
    incidents = state.get("incidents", {})
    for item in [*decided, *_expired_silences(routing, state, now)]:
        event = item.event
        record = (before.get(item.incident) or {}) if item.incident else {}
        told: Mapping[str, Any] = record.get("destinations", {})
        if event.kind is EventKind.RESOLVED:
            targets = list(told)
        else:
            targets = [hop.destination for hop in route(routing, item.subject)]
        for destination in targets:
            kind = event.kind
            if kind is EventKind.ESCALATED and destination not in told:
                kind = EventKind.FIRING  # it never heard of the warning
            _owe(result, routing, state, item, replace(event, kind=kind), destination, told, now)
    for item in ongoing:
        record = incidents.get(item.incident or "", {})
        told = record.get("destinations", {})
        for hop in route(routing, item.subject):
            last = told.get(hop.destination, {}).get("last_sent")
            if hop.destination not in told:
                opening = EventKind.ERROR if record.get("kind") == "error" else EventKind.FIRING
                event = replace(item.event, kind=opening)
            elif (
                hop.renotify
                and last
                and _parse(last) + hop.renotify <= _parse(item.event.tick or last)
            ):
                event = replace(item.event, kind=EventKind.REMINDER)
            else:
                continue
            _owe(result, routing, state, item, event, hop.destination, told, now)
    if fresh:
        result.owed = _summarize_reset(result.owed, routing)
    return result


def _owe(
    result: Fanout,
    routing: Routing,
    state: dict[str, Any],
    item: Decided,
    event: Event,
    destination: str,
    told: Mapping[str, Any],
    now: datetime,
) -> None:
    if event.kind is not EventKind.SILENCE_EXPIRED and silenced_by(
        routing.config.silences, item.subject, now
    ):
        result.suppressed.append(
            Delivery(destination, event.id, event.kind, Outcome.SUPPRESSED, error="silenced")
        )
        return
    known = told.get(destination, {}).get("external_id")
    result.owed.append(Owed(destination, event, item.incident, known))
    incident = state.get("incidents", {}).get(item.incident or "")
    if incident is not None and event.kind is not EventKind.RESOLVED:
        entry = incident.setdefault("destinations", {}).setdefault(destination, {})
        entry["last_sent"] = event.tick  # as owed: the outbox delivers it, now or later


def _expired_silences(routing: Routing, state: dict[str, Any], now: datetime) -> list[Decided]:
    """A silence whose ``until`` passed is announced once, where its match routes."""
    announced = state.setdefault("silences", {})
    found = []
    for silence in routing.config.silences:
        sid = silence_id(silence)
        if silence.until > now or sid in announced:
            continue
        announced[sid] = "expired"
        match = silence.match
        key = IncidentKey("*", match.spec or "*", match.check or "*", f"silence:{sid}")
        facts = CheckFacts(
            status="silence-expired", observed=None, threshold=None, baseline=None,
            message=f"silence ended {silence.until.isoformat()}: {silence.reason}",
            file=routing.path,
        )  # fmt: skip
        tick = now.isoformat().replace("+00:00", "Z")
        event = Event(key, EventKind.SILENCE_EXPIRED, tick, facts, owner=match.owner)
        subject = Subject(spec=match.spec or "*", check=match.check or "*", owner=match.owner)
        found.append(Decided(event, subject))
    return found


def _summarize_reset(owed: list[Owed], routing: Routing) -> list[Owed]:
    """No alert state: one ``state-reset`` per chat or webhook destination, not a storm."""
    kept: list[Owed] = []
    opening: dict[str, list[Owed]] = {}
    for item in owed:
        if item.event.kind in OPENING and routing.types.get(item.destination) not in KEEPS_MARKER:
            opening.setdefault(item.destination, []).append(item)
        else:
            kept.append(item)
    for destination, items in opening.items():
        names = [f"{o.event.key.spec} / {o.event.key.check}" for o in items]
        listed = ", ".join(names[:MAX_RESET_NAMES])
        more = f" and {len(names) - MAX_RESET_NAMES} more" if len(names) > MAX_RESET_NAMES else ""
        first = items[0].event
        facts = CheckFacts(
            status="fail",
            observed=None,
            threshold=None,
            baseline=None,
            message=f"the alert state was lost; {len(items)} checks failing: {listed}{more}",
        )
        key = IncidentKey("*", "*", "*", "state-reset")
        event = Event(key, EventKind.STATE_RESET, first.tick, facts)
        kept.append(Owed(destination, event))
    return kept
