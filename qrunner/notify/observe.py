"""What a report shows of each incident at each tick: the observations the decision steps
through (:mod:`.decide`), and the events owed without an incident (a scheduled report, missed
ticks). Most checks pass and have no incident: they cost a key and nothing more."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from qrunner.limits import MAX_GROUP_INCIDENTS
from qrunner.notify.events import CheckFacts, Event, EventKind, IncidentKey
from qrunner.notify.facts import Settings, check_facts, group_facts, group_name, settings_for
from qrunner.notify.routes import Subject

FAILING = frozenset({"fail", "warn"})
OTHER_GROUPS = "(other groups)"  # per-group incidents past the cap share this one


@dataclass(frozen=True, slots=True)
class Decided:
    """An event the run owes, what routes match on, and its incident in the state (if any)."""

    event: Event
    subject: Subject
    incident: str | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    key: IncidentKey
    kind: str  # "failure" | "error"
    status: str  # pass | warn | fail | error | no_data
    tick: str
    facts: CheckFacts
    settings: Settings
    subject: Subject


def observe(
    report: Mapping[str, Any], spec: Mapping[str, Any], tick: str, live: set[str]
) -> Iterator[Observation]:
    """The ticks' observations that can change an incident: failing ones, and the others of
    incidents that exist (most checks pass and have none: they cost a key, nothing more)."""
    target = str(report.get("target", ""))
    name = str(spec["name"])
    base = Subject(
        spec=name, target=target, owner=spec.get("owner"), tags=tuple(spec.get("tags", []))
    )
    spec_settings = settings_for(spec, None)
    spec_key = IncidentKey(target, name, "*", "error")
    if spec.get("error") is not None:
        if not spec_settings.off:
            live.add(spec_key.id)
            facts = check_facts(spec, None)
            subject = replace(base, severity=spec_settings.severity, status="error")
            yield Observation(spec_key, "error", "error", tick, facts, spec_settings, subject)
        return
    if spec_key.id in live:
        facts = check_facts(spec, None)
        yield Observation(spec_key, "error", "pass", tick, facts, spec_settings, base)
    for check in spec.get("checks", []):
        status = str(check.get("status"))
        key = IncidentKey(target, name, str(check["name"]))
        error_key = IncidentKey(target, name, key.check, "error")
        wanted = []
        if status == "error" or error_key.id in live:
            wanted.append((error_key, "error", "error" if status == "error" else "pass"))
        if status in FAILING or (status != "error" and key.id in live):
            wanted.append((key, "failure", status))
        if status in ("pass", "no_data") and check.get("groups") and not wanted:
            wanted.append((key, "failure", status))  # per-group incidents may be open
        settings = settings_for(spec, key.check) if wanted else None
        if settings is None or settings.off or check.get("mode") == "shadow":
            continue
        facts = check_facts(spec, check)
        subject = replace(base, check=key.check, severity=settings.severity)
        if settings.per_group and check.get("groups"):
            wanted = [w for w in wanted if w[1] == "error"]
            yield from per_group(spec, check, key, tick, settings, subject, live)
        for incident, kind, seen in wanted:
            if seen != "pass":
                live.add(incident.id)
            yield Observation(incident, kind, seen, tick, facts, settings, subject)


def per_group(
    spec: Mapping[str, Any],
    check: Mapping[str, Any],
    key: IncidentKey,
    tick: str,
    settings: Settings,
    subject: Subject,
    live: set[str],
) -> Iterator[Observation]:
    """``per_group: true``: an incident per group, at most ``MAX_GROUP_INCIDENTS`` of them (the
    open ones first, then new failures by name); the other groups share one incident."""
    groups = sorted(check["groups"], key=lambda g: group_name(g.get("by", {})))
    keyed = [(replace(key, group=group_name(g.get("by", {}))), g) for g in groups]
    tracked = [(k, g) for k, g in keyed if k.id in live]
    for k, g in keyed:
        if len(tracked) >= MAX_GROUP_INCIDENTS:
            break
        if k.id not in live and str(g.get("status")) in FAILING:
            tracked.append((k, g))
    chosen = {k.id for k, _ in tracked}
    for incident, group in tracked:
        live.add(incident.id)
        facts = group_facts(spec, check, group)
        yield Observation(
            incident, "failure", str(group.get("status")), tick, facts, settings, subject
        )
    rest = [g for k, g in keyed if k.id not in chosen]
    others = replace(key, group=OTHER_GROUPS)
    failing = [g for g in rest if str(g.get("status")) in FAILING]
    if failing or others.id in live:
        worst = (
            "fail"
            if any(str(g.get("status")) == "fail" for g in failing)
            else "warn"
            if failing
            else "pass"
        )
        facts = check_facts(
            spec,
            {
                **check,
                "offenders": [
                    {"by": g.get("by", {}), "observed": g.get("observed")} for g in failing
                ],
            },
        )
        live.add(others.id)
        yield Observation(others, "failure", worst, tick, facts, settings, subject)


def one_shots(report: Mapping[str, Any], spec: Mapping[str, Any], tick: str) -> list[Decided]:
    """A scheduled report and missed ticks: owed once per tick, no incident."""
    settings = settings_for(spec, None)
    if settings.off:
        return []
    target = str(report.get("target", ""))
    key = IncidentKey(target, str(spec["name"]), "*")
    subject = Subject(
        spec=key.spec,
        target=target,
        owner=spec.get("owner"),
        tags=tuple(spec.get("tags", [])),
        severity=settings.severity,
    )
    common: dict[str, Any] = {
        "owner": spec.get("owner"),
        "severity": settings.severity,
        "runbook": settings.runbook,
    }
    found = []
    if settings.report:
        facts = check_facts(spec, None)
        event = Event(key, EventKind.REPORT, tick, facts, **common)
        found.append(Decided(event, subject))
    if spec.get("missed_ticks"):
        facts = check_facts(spec, None)
        missed = tuple(spec["missed_ticks"])
        found.append(
            Decided(
                Event(key, EventKind.MISSED, tick, facts, missed_ticks=missed, **common), subject
            )
        )
    return found
