"""The notify step: a run's report data + the alert state + the routing file → deliveries.

Three phases, so that no event is lost and none is sent twice by two processes:

1. under the alert state's lock: decide the events (:mod:`.decide`), fan them out to
   destinations (:mod:`.fanout`) and put them in the outbox, *claimed* by this process,
   together with the undelivered events of earlier runs (marked delayed);
2. without the lock: deliver (:mod:`.deliver`), one time budget for everything;
3. under the lock again: what was sent (or rejected) leaves the outbox, and each
   destination's id for its incident (an issue number) is kept; the rest stays, unclaimed.

A SIGTERM between 1 and 3 leaves the outbox as phase 1 wrote it: the next run sends it. The
notify step reads reports and state; it cannot change a verdict (an import-linter contract).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from qrunner.limits import MAX_OUTBOX_EVENTS, NOTIFY_BUDGET_SECONDS
from qrunner.notify.alerts import DEFAULT_ALERT_STATE, AlertStateFile, event_data, event_from_data
from qrunner.notify.events import Channel, Delivery, Envelope, Event, Links, Mentions, Outcome
from qrunner.notify.routing import Routing


@dataclass(slots=True)
class NotifyOptions:
    routing: Routing
    alert_state: Path = DEFAULT_ALERT_STATE
    environ: Mapping[str, str] = field(default_factory=dict)
    dry_run: bool = False
    out: Path | None = None  # --dry-run: where the rendered messages go
    budget: float = NOTIFY_BUDGET_SECONDS
    now: datetime | None = None  # silences are judged at this time (default: the clock)
    history: Path | None = None  # --history: seeds a lost alert state
    # Builds a destination's channel; default: the channel registry (tests pass doubles).
    channels: Callable[[str], Channel] | None = None


@dataclass(slots=True)
class Notified:
    """One delivery and what the report says of it."""

    delivery: Delivery
    incident: str | None
    delayed: bool

    def entry(self) -> dict[str, Any]:
        d = self.delivery
        return {
            "destination": d.destination, "event": str(d.kind), "event_id": d.event_id,
            "incident": self.incident, "outcome": str(d.outcome), "attempts": d.attempts,
            "delayed": self.delayed, "error": d.error, "url": d.url,
        }  # fmt: skip


@dataclass(slots=True)
class NotifyResult:
    notified: list[Notified] = field(default_factory=list)
    rendered: dict[str, str] = field(default_factory=dict)  # --dry-run: name → content
    warnings: list[str] = field(default_factory=list)

    @property
    def undelivered(self) -> list[Notified]:
        """What did not reach its destination this run (kept in the outbox, or rejected)."""
        bad = (Outcome.FAILED, Outcome.REJECTED)
        return [n for n in self.notified if n.delivery.outcome in bad]

    def entries(self) -> list[dict[str, Any]]:
        return [n.entry() for n in self.notified]


def _now(options: NotifyOptions) -> datetime:
    return options.now or datetime.now(UTC)


def notify_report(report: Mapping[str, Any], options: NotifyOptions) -> NotifyResult:
    """Decide, route and deliver the notifications ``report`` owes (``--dry-run``: render
    them, change nothing)."""
    from qrunner.notify.deliver import deliver_all, render_all

    state_file = AlertStateFile(options.alert_state)
    build = options.channels or _registry_builder(options)
    result = NotifyResult()
    if options.dry_run:
        state = copy.deepcopy(state_file.read())
        claimed, suppressed = _plan(report, state, options, claim=False)
        envelopes = _envelopes(report, claimed, options)
        deliveries, result.rendered = render_all(envelopes, build, options.out)
    else:
        with state_file.locked() as state:
            claimed, suppressed = _plan(report, state, options, claim=True)
        envelopes = _envelopes(report, claimed, options)
        deliveries = deliver_all(envelopes, build, budget=options.budget)
        with state_file.locked() as state:
            _settle(state, deliveries)
    incident_of = {e["event_id"]: e for e in claimed}
    for delivery in [*suppressed, *deliveries]:
        entry = incident_of.get(delivery.event_id, {})
        result.notified.append(
            Notified(delivery, entry.get("incident_name"), bool(entry.get("delayed")))
        )
    return result


def _registry_builder(options: NotifyOptions) -> Callable[[str], Channel]:
    from qrunner.notify.routing import channel_types

    registry = channel_types()
    routing = options.routing
    environ = dict(options.environ)

    def build(name: str) -> Channel:
        kind = registry[routing.types[name]]
        settings = routing.settings[name]
        env = environ
        if options.dry_run:  # rendering needs no secret: stand-ins for the missing ones
            env = dict.fromkeys(kind.required_env(settings), "dry-run") | environ
        channel: Channel = kind(name, settings, env)
        return channel

    return build


def _plan(
    report: Mapping[str, Any], state: dict[str, Any], options: NotifyOptions, *, claim: bool
) -> tuple[list[dict[str, Any]], list[Delivery]]:
    """Phases 1: the outbox entries this process delivers now (claimed), and the silenced."""
    from qrunner.notify.decide import decide
    from qrunner.notify.fanout import fan_out
    from qrunner.schedule.lockfile import claim_alive, owner_id

    fresh = bool(state.get("fresh"))
    if fresh and options.history is not None and options.history.is_dir():
        from qrunner.notify.seed import seed_from_history

        seed_from_history(report, state, options.routing, options.history)
    before = copy.deepcopy(state.get("incidents", {}))
    decided, ongoing = decide(report, state)
    now = _now(options)
    fanned = fan_out(decided, ongoing, options.routing, before, state, now=now, fresh=fresh)
    outbox: list[dict[str, Any]] = state.setdefault("outbox", [])
    for entry in outbox:
        entry["delayed"] = True  # an earlier run owed it
    queued = {(e["destination"], e["event_id"]) for e in outbox}
    for owed in fanned.owed:
        if (owed.destination, owed.event.id) in queued:
            continue
        key = owed.event.key
        outbox.append(
            {
                "destination": owed.destination, "event_id": owed.event.id,
                "event": event_data(owed.event), "incident": owed.incident,
                "incident_name": f"{key.target}/{key.spec}/{key.check}",
                "known": owed.known, "attempts": 0, "delayed": False,
            }
        )  # fmt: skip
    del outbox[:-MAX_OUTBOX_EVENTS]
    mine, expires = owner_id(), now + timedelta(seconds=options.budget + 60)
    claimed = []
    for entry in outbox:
        held = entry.get("claim") or {}
        until = held.get("expires")
        if held and claim_alive(held.get("owner", ""), _time(until), now):
            continue  # another notifier is delivering it right now
        if entry["destination"] not in options.routing.types:
            continue  # the routing file no longer has it: kept until it does
        if claim:
            entry["claim"] = {"owner": mine, "expires": expires.isoformat()}
        claimed.append(copy.deepcopy(entry))
    return claimed, fanned.suppressed


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _envelopes(
    report: Mapping[str, Any], claimed: list[dict[str, Any]], options: NotifyOptions
) -> list[Envelope]:
    routing = options.routing
    events: dict[str, list[Event]] = {}
    known: dict[str, dict[str, str]] = {}
    for entry in claimed:
        event = event_from_data(entry["event"], delayed=bool(entry.get("delayed")))
        events.setdefault(entry["destination"], []).append(event)
        if entry.get("known"):
            known.setdefault(entry["destination"], {})[event.key.id] = str(entry["known"])
    owners = routing.config.owners
    mentions = {name: Mentions(slack=m.slack, github=m.github) for name, m in owners.items()}
    links = _links(routing, options.environ)
    return [
        Envelope(
            destination=name,
            events=tuple(items),
            mentions=mentions,
            links=links,
            run_id=str(report.get("run_id") or report.get("at")),
            known=known.get(name, {}),
        )
        for name, items in events.items()
    ]


def _links(routing: Routing, environ: Mapping[str, str]) -> Links:
    """The run's link: the routing file's template (``{GITHUB_RUN_ID}``-style names of env
    vars, for Kubernetes and other CI), else GitHub Actions' own variables."""
    import re

    from qrunner.secrets import is_secret_name

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return "" if is_secret_name(name) else environ.get(name, "")

    templates = routing.config.links
    run = None
    if templates.run:
        run = re.sub(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", value, templates.run)
    elif environ.get("GITHUB_RUN_ID") and environ.get("GITHUB_REPOSITORY"):
        server = environ.get("GITHUB_SERVER_URL", "https://github.com")
        run = f"{server}/{environ['GITHUB_REPOSITORY']}/actions/runs/{environ['GITHUB_RUN_ID']}"
    return Links(
        run=run,
        trend=templates.trend,
        spec_url=templates.spec,
        silence_hint=str(routing.path),
    )


def _settle(state: dict[str, Any], deliveries: list[Delivery]) -> None:
    """Phase 3: sent and rejected events leave the outbox; failed ones stay, unclaimed."""
    from qrunner.schedule.lockfile import owner_id

    outcome = {(d.destination, d.event_id): d for d in deliveries}
    mine = owner_id()
    kept = []
    for entry in state.get("outbox", []):
        delivery = outcome.get((entry["destination"], entry["event_id"]))
        if delivery is None or (entry.get("claim") or {}).get("owner") != mine:
            kept.append(entry)
            continue
        entry.pop("claim", None)
        entry["attempts"] = int(entry.get("attempts", 0)) + delivery.attempts
        if delivery.outcome is Outcome.FAILED:
            kept.append(entry)
            continue
        incident = state.get("incidents", {}).get(entry.get("incident") or "")
        if incident is not None and delivery.external_id and delivery.kind != "resolved":
            told = incident.setdefault("destinations", {}).setdefault(entry["destination"], {})
            told["external_id"] = delivery.external_id
    state["outbox"] = kept
