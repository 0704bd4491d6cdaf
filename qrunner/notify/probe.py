"""Trying the routing before it matters: ``qrunner notify routes`` (where would this go, and
why) and ``qrunner notify test CHANNEL`` (a marked sample, really sent)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from qrunner.limits import NOTIFY_BUDGET_SECONDS
from qrunner.notify.events import (
    CheckFacts,
    Envelope,
    Event,
    EventKind,
    IncidentKey,
    Links,
    Outcome,
)
from qrunner.notify.routes import Subject, route, silenced_by
from qrunner.notify.routing import Routing, channel_types


def explain_routes(routing: Routing, subject: Subject) -> str:
    """Which routes take ``subject``, their channels, and the silence holding it, as text."""
    from qrunner.spec.yamlsource import load_yaml_file

    doc = load_yaml_file(_path(routing))
    hops = route(routing, subject)
    lines = []
    for index in sorted({hop.route for hop in hops}):
        chosen = routing.config.routes[index]
        where = doc.locate(("routes", index))
        kind = "default route" if chosen.default is not None else f"route {index + 1}"
        names = [h.destination for h in hops if h.route == index]
        channels = ", ".join(f"{n} ({routing.types[n]})" for n in names)
        remind = f"; reminders every {chosen.renotify}" if chosen.renotify else ""
        lines.append(f"{where}: {kind} → {channels}{remind}")
    if not hops:
        lines.append("no route takes it (warn goes only where a route asks for it)")
    silence = silenced_by(routing.config.silences, subject, datetime.now(UTC))
    if silence is not None:
        lines.append(f"silenced until {silence.until.isoformat()}: {silence.reason}")
    return "\n".join(lines) + "\n"


def _path(routing: Routing) -> Path:
    return Path(routing.path)


def send_test(routing: Routing, name: str, environ: Mapping[str, str]) -> tuple[bool, str]:
    """Deliver one ``test`` event to channel ``name``: ``(delivered, what happened)``."""
    from qrunner.errors import NotifyError
    from qrunner.notify.deliver import deliver_all

    if name not in routing.types:
        known = ", ".join(sorted(routing.types))
        raise NotifyError(f"{routing.path}: no channel {name!r}; channels: {known}")
    kind = channel_types()[routing.types[name]]
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    facts = CheckFacts(
        status="pass", observed=None, threshold=None, baseline=None,
        message="qrunner notify test: a sample message, nothing is failing", file=routing.path,
    )  # fmt: skip
    event = Event(IncidentKey("test", "qrunner-notify-test", "sample"), EventKind.TEST, at, facts)
    envelope = Envelope(name, (event,), {}, Links(), run_id=f"test-{at}")
    deliveries = deliver_all(
        [envelope],
        lambda destination: kind(destination, routing.settings[destination], environ),
        budget=NOTIFY_BUDGET_SECONDS,
    )
    d = deliveries[0]
    ok = d.outcome is Outcome.SENT
    detail = f" ({d.url})" if d.url else ""
    error = f": {d.error}" if d.error else ""
    return ok, f"{name}: {d.outcome} after {d.attempts} attempt(s){detail}{error}"
