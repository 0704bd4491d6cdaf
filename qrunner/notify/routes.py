"""Where an incident goes: the first route that matches (``continue: true`` fans out), else
the default route; and which silences hold it.

Status: a route without ``status`` takes failures (and reports, missed ticks, state resets);
``warn`` reaches only the routes that ask for it, ``error`` those that ask, else the default
route — errors are routed apart from failures. The default route takes everything but warn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from qrunner.notify.routing import Routing, Silence, matches


@dataclass(frozen=True, slots=True)
class Subject:
    """What routes and silences match on, for one incident (or one report, one missed tick)."""

    spec: str
    check: str = "*"
    target: str = ""
    owner: str | None = None
    tags: tuple[str, ...] = ()
    severity: str | None = None
    status: str = "fail"  # fail | warn | error, the incident's class (other events: "fail")

    def fields(self) -> dict[str, Any]:
        return {
            "spec": self.spec, "check": self.check, "target": self.target, "owner": self.owner,
            "tags": self.tags, "severity": self.severity, "status": self.status,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Hop:
    """One destination of a subject, and the reminder interval of the route that chose it."""

    destination: str
    route: int  # index in ``routes`` (the default route's included)
    renotify: timedelta | None


def route(routing: Routing, subject: Subject) -> list[Hop]:
    """The destinations of ``subject``, in route order, each once."""
    from qrunner.spec.cron import parse_duration_text

    hops: dict[str, Hop] = {}
    fields = subject.fields()
    matched = False
    for index, candidate in enumerate(routing.config.routes):
        if candidate.default is not None:
            if matched or subject.status == "warn":
                break
        elif candidate.match is None or not matches(candidate.match, fields):
            continue
        renotify = (
            parse_duration_text(candidate.renotify, "renotify") if candidate.renotify else None
        )
        for name in candidate.destinations:
            hops.setdefault(name, Hop(name, index, renotify))
        matched = True
        if not candidate.continue_:
            break
    return list(hops.values())


def silenced_by(silences: Sequence[Silence], subject: Subject, at: datetime) -> Silence | None:
    """The first silence holding ``subject`` at ``at`` (a silence ignores ``status``)."""
    fields = subject.fields()
    fields.pop("status")
    for silence in silences:
        if silence.until > at and matches(silence.match, fields):
            return silence
    return None


def silence_id(silence: Silence) -> str:
    """Names a silence in the alert state (its expiry is announced once)."""
    import hashlib

    text = silence.match.model_dump_json() + silence.until.isoformat() + silence.reason
    return hashlib.sha256(text.encode()).hexdigest()[:16]
