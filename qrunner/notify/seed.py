"""A lost alert state seeded from the history store (``--history``), so it causes no storm.

With no alert state (a first run, an evicted cache, a new shard layout), a check that fails now
and already failed at its previous result in the history was, in all likelihood, announced
then: its incident is taken to be open since that result, and told to the channels its routes
name, so it does not fire again (GitHub finds its issue by the marker when it resolves). A check
failing for the first time is an ordinary new incident; what the history cannot vouch for is
summarized by the ``state-reset`` message.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qrunner.notify.events import IncidentKey
from qrunner.notify.routes import Subject, route
from qrunner.notify.routing import Routing

FAILING = frozenset({"fail", "warn"})


def seed_from_history(
    report: Mapping[str, Any], state: dict[str, Any], routing: Routing, history: Path
) -> int:
    """Open the incidents the history vouches for in ``state``; how many were seeded."""
    from qrunner.history.store import last_statuses

    specs = report.get("specs", [])
    ticks = [s.get("tick") or report["at"] for s in specs]
    if not ticks:
        return 0
    previous = last_statuses(history, min(ticks))
    incidents = state.setdefault("incidents", {})
    target = str(report.get("target", ""))
    seeded = 0
    for spec in specs:
        for check in spec.get("checks", []):
            status = str(check.get("status"))
            before = previous.get((spec["name"], check["name"]))
            if status not in FAILING or before is None or before[0] not in FAILING:
                continue
            key = IncidentKey(target, spec["name"], check["name"])
            if key.id in incidents:
                continue
            level = "fail" if "fail" in (status, before[0]) else "warn"
            subject = Subject(
                spec=key.spec, check=key.check, target=target, owner=spec.get("owner"),
                tags=tuple(spec.get("tags", [])), status=level,
            )  # fmt: skip
            told = {hop.destination: {"last_sent": before[1]} for hop in route(routing, subject)}
            incidents[key.id] = {
                "key": [target, key.spec, key.check, None], "kind": "failure", "status": "open",
                "level": level, "since": before[1], "last_tick": before[1], "fail_streak": 1,
                "pass_streak": 0, "owner": spec.get("owner"), "destinations": told,
            }  # fmt: skip
            seeded += 1
    return seeded
