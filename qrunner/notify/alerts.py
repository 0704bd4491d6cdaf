"""The alert state: what each incident is doing and what each destination was told.

One JSON file (default :data:`DEFAULT_ALERT_STATE`), separate from the ``--due`` state (which
is optional), read and written under the same lock and atomic replace
(:mod:`qrunner.schedule.lockfile`)::

    {"version": 1, "created": "2026-12-01T06:00:00Z",
     "incidents": {"<IncidentKey.id>": {
         "key": ["local", "flaky-tests", "flaky_rate", null], "kind": "failure" | "error",
         "status": "pending" | "open", "level": "fail" | "warn" | "error",
         "since": "<first failing tick>", "last_tick": "...", "fail_streak": 3, "pass_streak": 0,
         "owner": "team-platform",
         "destinations": {"gh": {"last_sent": "...", "external_id": "42"}}}},
     "outbox": [{"destination": "gh", "event": {...}, "attempts": 2,
                 "claim": {"owner": "host:pid", "expires": "..."}}],
     "silences": {"<silence id>": "expired"}}

The outbox holds every event owed to a destination and not yet delivered: events are put
there (and claimed) *before* any send, and leave it only on a 2xx (or a 4xx that retrying
cannot fix), so an outage or a SIGTERM loses nothing; the next run sends them, marked delayed.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from qrunner.errors import LimitError, NotifyError
from qrunner.limits import MAX_ALERT_STATE_BYTES, read_regular_file
from qrunner.notify.events import CheckFacts, Event, EventKind, IncidentKey, Offender

DEFAULT_ALERT_STATE = Path(".qrunner") / "alerts.json"
ALERT_STATE_VERSION = 1
_SECTIONS: dict[str, type] = {"incidents": dict, "outbox": list, "silences": dict}


class AlertStateFile:
    """The alert state and its lock; :meth:`locked` for every read-modify-write."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> dict[str, Any]:
        """The state as last written; a missing file is an empty state marked ``fresh``."""
        try:
            raw = read_regular_file(self.path, MAX_ALERT_STATE_BYTES, "the alert state")
        except FileNotFoundError:
            return {
                "version": ALERT_STATE_VERSION,
                "incidents": {},
                "outbox": [],
                "silences": {},
                "fresh": True,
            }
        except NotADirectoryError:
            raise NotifyError(f"{self.path.parent}: not a folder") from None
        except OSError as e:
            raise NotifyError(f"{self.path}: cannot read the alert state: {e.strerror}") from None
        except LimitError as e:
            raise NotifyError(f"{self.path}: cannot read the alert state: {e}") from None
        try:
            data = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise NotifyError(f"{self.path}: not an alert state: not UTF-8 text") from None
        except json.JSONDecodeError as e:
            raise NotifyError(
                f"{self.path}:{e.lineno}:{e.colno}: not an alert state: {e.msg}"
            ) from None
        if not isinstance(data, dict) or data.get("version") != ALERT_STATE_VERSION:
            version = data.get("version") if isinstance(data, dict) else None
            raise NotifyError(
                f"{self.path}: not a qrunner alert state of version 1 (version {version!r})"
            )
        for section, kind in _SECTIONS.items():
            value = data.setdefault(section, kind())
            if not isinstance(value, kind):
                raise NotifyError(
                    f"{self.path}: {section}: expected a {'mapping' if kind is dict else 'list'}"
                )
        for i, entry in enumerate(data["outbox"]):
            if not isinstance(entry, dict) or not isinstance(entry.get("event"), dict):
                raise NotifyError(f"{self.path}: outbox[{i}]: expected {{destination, event}}")
            if not isinstance(entry.get("destination"), str) or not isinstance(
                entry.get("event_id"), str
            ):
                raise NotifyError(f"{self.path}: outbox[{i}]: no destination or event_id")
        for name, incident in data["incidents"].items():
            _check_incident(self.path, name, incident)
        return data

    @contextlib.contextmanager
    def locked(self) -> Iterator[dict[str, Any]]:
        """Hold the lock, yield the state; what the block leaves in it is written back."""
        from qrunner.schedule.lockfile import LockError, locked_update

        try:
            with locked_update(self.path, self.read) as data:
                yield data
                data.pop("fresh", None)
        except LockError as e:
            raise NotifyError(str(e)) from None


_INCIDENT_FIELDS: dict[str, type | tuple[type, ...]] = {
    "key": list, "kind": str, "status": str, "level": str, "fail_streak": int,
    "pass_streak": int, "destinations": dict,
}  # fmt: skip


def _check_incident(path: Path, name: str, incident: Any) -> None:
    """Refuse a hand-edited or damaged incident here, at the file, not deep in a run."""
    if not isinstance(incident, dict):
        raise NotifyError(f"{path}: incidents.{name}: expected a mapping")
    for field, kind in _INCIDENT_FIELDS.items():
        if not isinstance(incident.get(field), kind):
            raise NotifyError(f"{path}: incidents.{name}.{field}: missing or of the wrong type")
    if len(incident["key"]) != 4 or incident["status"] not in ("pending", "open"):
        raise NotifyError(f"{path}: incidents.{name}: not an incident qrunner wrote")


def event_data(event: Event) -> dict[str, Any]:
    """An event as JSON-able data (the outbox keeps them between runs)."""
    facts = event.facts
    return {
        "key": [event.key.target, event.key.spec, event.key.check, event.key.group],
        "kind": str(event.kind),
        "tick": event.tick,
        "owner": event.owner,
        "severity": event.severity,
        "runbook": event.runbook,
        "since": event.since,
        "ticks_failing": event.ticks_failing,
        "missed_ticks": list(event.missed_ticks),
        "facts": {
            "status": facts.status, "observed": facts.observed, "threshold": facts.threshold,
            "baseline": facts.baseline, "message": facts.message, "file": facts.file,
            "line": facts.line, "git_commit": facts.git_commit,
            "window": list(facts.window) if facts.window else None,
            "offenders": [[o.group, o.value] for o in facts.offenders],
            "offenders_total": facts.offenders_total,
        },
    }  # fmt: skip


def event_from_data(data: dict[str, Any], *, delayed: bool = False) -> Event:
    """The event :func:`event_data` wrote; ``NotifyError`` for one that was hand-edited."""
    try:
        facts = data["facts"]
        window = facts.get("window")
        return Event(
            key=IncidentKey(*data["key"]),
            kind=EventKind(data["kind"]),
            tick=data.get("tick"),
            facts=CheckFacts(
                status=facts["status"],
                observed=facts.get("observed"),
                threshold=facts.get("threshold"),
                baseline=facts.get("baseline"),
                offenders=tuple(Offender(str(g), str(v)) for g, v in facts.get("offenders", [])),
                offenders_total=int(facts.get("offenders_total", 0)),
                message=facts.get("message"),
                file=str(facts.get("file", "")),
                line=int(facts.get("line", 0)),
                git_commit=facts.get("git_commit"),
                window=(str(window[0]), str(window[1])) if window else None,
            ),
            owner=data.get("owner"),
            severity=data.get("severity"),
            runbook=data.get("runbook"),
            since=data.get("since"),
            ticks_failing=int(data.get("ticks_failing", 0)),
            missed_ticks=tuple(data.get("missed_ticks", [])),
            delayed=delayed,
        )
    except (KeyError, TypeError, ValueError) as e:
        raise NotifyError(f"alert state: an outbox event that cannot be read: {e}") from None
