"""The vocabulary of notifications, shared by the decision (which events a run owes) and the
channels (how an event reaches a destination).

Everything here is plain data. Events are decided from a run's JSON report data (the same
document ``qrunner run --report json:…`` writes and ``qrunner notify REPORT.json`` reads) and
the alert state; a :class:`Channel` turns the events routed to one destination into messages
and delivers them, saying for each event what happened (:class:`Delivery`). A channel never
decides whether an event is owed, and the decision never formats a message.

    report data + alert state + routing file
        → decide (per incident, per tick, in tick order) → [Event]
        → route (first match wins; ``continue`` fans out) → {destination: Envelope}
        → Channel.render (dry run) / Channel.deliver → [Delivery]
        → alert state (delivered, external ids, outbox) and the report's ``notifications[]``
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class EventKind(StrEnum):
    FIRING = "firing"  # an incident opens: `for` failing ticks reached
    ESCALATED = "escalated"  # warn → fail (or error → fail) while open
    REMINDER = "reminder"  # still failing, a route's `renotify` interval passed
    RESOLVED = "resolved"  # `resolve_after` passing ticks: the incident closes
    ERROR = "error"  # the check could not be judged (exit-2/3 class), routed apart from failures
    MISSED = "missed"  # ticks a scheduled spec owed and never ran
    SILENCE_EXPIRED = "silence-expired"  # a silence's `until` passed: announced once
    REPORT = "report"  # a scheduled report (`notify: {report: true}`), whatever the verdict
    STATE_RESET = "state-reset"  # the alert state was lost: one summary of what is failing
    TEST = "test"  # `qrunner notify test CHANNEL`: a marked sample


class Outcome(StrEnum):
    SENT = "sent"  # a 2xx from the destination, and only then
    FAILED = "failed"  # after the retries the budget allowed: kept in the outbox
    REJECTED = "rejected"  # a 4xx other than 429: reported at once, not retried
    RENDERED = "rendered"  # --dry-run: written to --out, nothing sent, no state changed
    SUPPRESSED = "suppressed"  # silenced, or past the new-issue cap (rolled up)


@dataclass(frozen=True, slots=True)
class IncidentKey:
    """One check of one spec on one target (and one group, where per-group incidents are on)."""

    target: str
    spec: str
    check: str
    group: str | None = None

    @property
    def id(self) -> str:
        """Stable across runs and machines: the GitHub issue marker and the webhook's key."""
        canonical = json.dumps([self.target, self.spec, self.check, self.group])
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Offender:
    group: str  # "branch:main, service:api" — data, never trusted as markup
    value: str  # formatted with the check's unit


@dataclass(frozen=True, slots=True)
class CheckFacts:
    """What a message shows of one check at one tick, taken from the JSON report. Text fields
    come from data (names, groups, API messages): channels escape them; none is markup."""

    status: str  # pass | warn | fail | error
    observed: str | None  # "65.6m", formatted in the check's unit
    threshold: str | None  # "fail > 45m"
    baseline: str | None  # "baseline 52.1m, +25.9 %", or "no baseline: 0 of 5 values"
    offenders: tuple[Offender, ...] = ()  # the top few
    offenders_total: int = 0  # all of them (the message says "and N more")
    message: str | None = None  # the check's or the spec's error text, already redacted
    file: str = ""  # the spec file, as the report names it
    line: int = 0  # the check's line
    git_commit: str | None = None
    window: tuple[str, str] | None = None  # ISO UTC


@dataclass(frozen=True, slots=True)
class Event:
    key: IncidentKey
    kind: EventKind
    tick: str | None  # ISO UTC; None for an unscheduled spec (the run's time stands in)
    facts: CheckFacts
    owner: str | None = None
    severity: str | None = None
    runbook: str | None = None
    since: str | None = None  # the incident's first failing tick
    ticks_failing: int = 0
    missed_ticks: tuple[str, ...] = ()
    delayed: bool = False  # from the outbox: could not be delivered by an earlier run

    @property
    def id(self) -> str:
        """Keyed by incident, tick and event: re-running a tick never announces it again.
        Also the webhook's ``Idempotency-Key``."""
        return f"{self.key.id}:{self.tick or '-'}:{self.kind}"


@dataclass(frozen=True, slots=True)
class Links:
    run: str | None = None  # the CI run (GitHub's env) or the routing file's template
    trend: str | None = None  # the trend report
    spec_url: str | None = None  # template for a spec line at its commit: {file} {line} {commit}
    silence_hint: str | None = None  # how to silence: the routing file's path


@dataclass(frozen=True, slots=True)
class Mentions:
    """Who to ping for an owner, from the routing file's ``owners`` only (never from data)."""

    slack: str | None = None  # "<!subteam^S0123ABC>" or "<@U012>"
    github: str | None = None  # "@acme/platform"


@dataclass(frozen=True, slots=True)
class Envelope:
    """Everything one destination gets from one run, events in tick order."""

    destination: str  # the channel's name in the routing file
    events: tuple[Event, ...]
    mentions: Mapping[str, Mentions]  # owner → mentions
    links: Links
    run_id: str
    # incident id → the destination's own id for it from the alert state (a GitHub issue number)
    known: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Message:
    """A rendered message, as a dry run writes it: ``name`` is a file name under ``--out``."""

    name: str
    content: str
    event_ids: tuple[str, ...]


@dataclass(slots=True)
class Delivery:
    """What happened to one event at one destination; becomes a ``notifications[]`` entry."""

    destination: str
    event_id: str
    kind: EventKind
    outcome: Outcome
    attempts: int = 0
    error: str | None = None  # redacted: never a URL with a token, never a header
    url: str | None = None  # the issue, comment or message a person can open
    external_id: str | None = None  # kept in the alert state (a GitHub issue number)


class Channel(Protocol):
    """One destination type (``github-issues``, ``slack``, ``webhook``, ``apprise``). Built from
    its routing-file entry and the environment (secrets only through env var names)."""

    name: str

    def render(self, envelope: Envelope) -> Sequence[Message]:
        """The messages ``deliver`` would send, for ``--dry-run`` and golden files."""
        ...

    def deliver(self, envelope: Envelope, *, deadline: float) -> Sequence[Delivery]:
        """Send; one :class:`Delivery` per event. Never raises for a delivery failure (it is an
        outcome); ``deadline`` is a ``time.monotonic()`` value no retry may pass."""
        ...
