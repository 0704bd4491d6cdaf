"""What a message says about one event, before any markup: every channel shows the same facts.

:func:`describe` turns an :class:`~qrunner.notify.events.Event` into an :class:`EventView` of
plain text (from data, not yet escaped) and checked links: status and since when ("failing
since tick 2026-12-01T06:00:00Z, 3 ticks"), observed vs threshold with its unit, baseline and
change, the top offenders with "and N more", tick and window, missed ticks, the error text;
links to the run, to the spec line at its commit, to the trend report and the runbook; and how
to silence it. Slack, GitHub, webhooks and apprise format these with their own escaping.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from qrunner.limits import NOTIFY_OFFENDERS_SHOWN
from qrunner.notify.channels.escape import plain, safe_url
from qrunner.notify.events import Event, EventKind, Links

# Section titles, in the order a grouped message shows them.
HEADINGS: dict[EventKind, str] = {
    EventKind.FIRING: "Firing",
    EventKind.ESCALATED: "Escalated",
    EventKind.REMINDER: "Still failing",
    EventKind.ERROR: "Could not judge",
    EventKind.MISSED: "Missed ticks",
    EventKind.SILENCE_EXPIRED: "Silence expired",
    EventKind.STATE_RESET: "Alert state reset",
    EventKind.REPORT: "Scheduled reports",
    EventKind.RESOLVED: "Resolved",
    EventKind.TEST: "Test",
}
# Events that ask for someone's attention: their owners are mentioned.
ATTENTION = frozenset(
    {EventKind.FIRING, EventKind.ESCALATED, EventKind.REMINDER, EventKind.ERROR, EventKind.MISSED}
)
_STATUS_WORD = {"fail": "failing", "warn": "warning", "error": "in error", "pass": "passing"}


@dataclass(frozen=True, slots=True)
class EventView:
    """One event as plain text lines and links; nothing here is markup yet."""

    title: str  # "pipeline-duration / p90 under 45m"
    where: str  # "target prod, group branch:main" or ""
    state: str  # "failing since tick …, 3 ticks"
    measures: tuple[str, ...]  # "observed 65.6m vs fail > 45m", "baseline 52.1m, +25.9 %"
    offenders: tuple[tuple[str, str], ...]  # (group, value), the top few
    more_offenders: int  # "and N more"
    timing: tuple[str, ...]  # "tick …", "window … → …", "missed ticks: …"
    message: str | None  # the error text
    links: tuple[tuple[str, str], ...]  # (label, safe URL)
    silence: str  # how to silence it


def describe(event: Event, links: Links) -> EventView:
    key, facts = event.key, event.facts
    if event.kind is EventKind.STATE_RESET:  # a summary of many incidents, not one check
        return EventView(
            title=HEADINGS[EventKind.STATE_RESET],
            where="",
            state=plain(facts.message or "the alert state was lost", 1000),
            measures=(),
            offenders=(),
            more_offenders=0,
            timing=(f"tick {event.tick}",) if event.tick else (),
            message=None,
            links=tuple(link for link in event_links(event, links) if link[0] == "run"),
            silence=silence_hint(None, links),
        )
    where = [f"target {key.target}"] if key.target not in ("", "default") else []
    if key.group is not None:
        where.append(f"group {key.group}")
    measures: list[str] = []
    if facts.observed is not None:
        vs = f" vs {facts.threshold}" if facts.threshold else ""
        measures.append(f"observed {facts.observed}{vs}")
    elif facts.threshold:
        measures.append(f"no value vs {facts.threshold}")
    if facts.baseline:
        measures.append(facts.baseline)
    shown = facts.offenders[:NOTIFY_OFFENDERS_SHOWN]
    total = max(facts.offenders_total, len(facts.offenders))
    timing = [f"tick {event.tick}" if event.tick else "unscheduled run"]
    if facts.window:
        timing.append(f"window {facts.window[0]} → {facts.window[1]}")
    if event.missed_ticks:
        timing.append(missed_line(event.missed_ticks))
    return EventView(
        title=plain(f"{key.spec} / {key.check}"),
        where=plain(", ".join(where)),
        state=state_line(event),
        measures=tuple(plain(m) for m in measures),
        offenders=tuple((plain(o.group), plain(o.value)) for o in shown),
        more_offenders=total - len(shown),
        timing=tuple(timing),
        message=plain(facts.message, 1000) if facts.message else None,
        links=event_links(event, links),
        silence=silence_hint(event, links),
    )


def state_line(event: Event) -> str:
    """Status and since when: what the event says in one line."""
    status = _STATUS_WORD.get(event.facts.status, event.facts.status)
    since = f" since tick {event.since}" if event.since else ""
    count = event.ticks_failing
    ticks = f", {count} tick{'s' if count != 1 else ''}" if count else ""
    delayed = " (delayed: not delivered by an earlier run)" if event.delayed else ""
    line = {
        EventKind.FIRING: f"{status}{since}{ticks}",
        EventKind.ESCALATED: f"escalated to {event.facts.status}{since}{ticks}",
        EventKind.REMINDER: f"still {status}{since}{ticks}",
        EventKind.RESOLVED: f"resolved at tick {event.tick or 'now'}"
        + (f" after {count} failing tick{'s' if count != 1 else ''}" if count else "")
        + (f" (failing since {event.since})" if event.since else ""),
        EventKind.ERROR: f"could not be judged{since}{ticks}",
        EventKind.MISSED: f"{len(event.missed_ticks)} scheduled ticks did not run",
        EventKind.SILENCE_EXPIRED: f"its silence expired; now {status}",
        EventKind.REPORT: f"scheduled report, {status}",
        EventKind.STATE_RESET: f"alert state reset; {status}{since}",
        EventKind.TEST: "a test notification from `qrunner notify test`: nothing is wrong",
    }[event.kind]
    return plain(line + delayed, 1000)


def missed_line(ticks: Sequence[str]) -> str:
    if len(ticks) <= 3:
        return "missed ticks: " + ", ".join(ticks)
    return f"missed ticks: {ticks[0]} … {ticks[-1]} ({len(ticks)})"


def event_links(event: Event, links: Links) -> tuple[tuple[str, str], ...]:
    found: list[tuple[str, str | None]] = [("run", links.run)]
    facts = event.facts
    if links.spec_url and facts.file:
        found.append(
            ("spec", spec_line_url(links.spec_url, facts.file, facts.line, facts.git_commit))
        )
    found += [("trend report", links.trend), ("runbook", event.runbook)]
    return tuple((label, url) for label, raw in found if (url := safe_url(raw)))


def spec_line_url(template: str, file: str, line: int, commit: str | None) -> str:
    """The spec line at its commit: ``{file}``, ``{line}``, ``{commit}`` filled in, encoded."""
    return (
        template.replace("{file}", quote(file, safe="/"))
        .replace("{line}", str(line))
        .replace("{commit}", quote(commit or "HEAD", safe=""))
    )


def silence_hint(event: Event | None, links: Links) -> str:
    """How to silence ``event`` (a spec's incident), or any incident when ``event`` is None."""
    where = links.silence_hint or "the routing file"
    if event is None or event.key.spec == "*":
        return f"to silence: add an entry under silences: in {where} (match, until, reason)"
    spec = plain(event.key.spec, 100)
    return (
        f"to silence: add under silences: in {where}: match: {{spec: {spec}}}, "
        "until: <UTC time>, reason: <why>"
    )


def headline(events: Sequence[Event], prefix: str = "qrunner") -> str:
    """``qrunner: 2 firing, 1 resolved`` — the counts by kind, in heading order."""
    counts = Counter(e.kind for e in events)
    parts = [f"{counts[k]} {HEADINGS[k].lower()}" for k in HEADINGS if counts[k]]
    return f"{prefix}: " + (", ".join(parts) if parts else "nothing to report")


def grouped(events: Sequence[Event]) -> list[tuple[EventKind, list[Event]]]:
    """Events by kind, in heading order, each group in tick order."""
    by_kind: dict[EventKind, list[Event]] = {}
    for event in events:
        by_kind.setdefault(event.kind, []).append(event)
    return [(kind, by_kind[kind]) for kind in HEADINGS if kind in by_kind]
