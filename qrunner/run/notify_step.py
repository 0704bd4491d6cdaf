"""The run's notify step (``qrunner run --notify``), after everything else is final.

The reports are written and the ticks settled before anything is sent; the step only adds
``notifications[]`` to the JSON report files (rewritten atomically, every other field
unchanged) and may turn exit code 0 into 5 when a notification could not be delivered.
It never changes a verdict: codes 1 to 4 stand as they are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from qrunner.errors import ExitCode, NotifyError
from qrunner.notify.alerts import DEFAULT_ALERT_STATE
from qrunner.reports.output import ReportRequest
from qrunner.secrets import inert


@dataclass(frozen=True, slots=True)
class NotifyRequest:
    """What ``--notify PATH`` (and ``--alert-state``) ask of a run."""

    routing: Path
    alert_state: Path = DEFAULT_ALERT_STATE
    history: Path | None = None  # seeds a lost alert state


def notify_after_run(
    data: dict[str, Any],
    request: NotifyRequest,
    reports: Sequence[ReportRequest],
    environ: Mapping[str, str],
    code: int,
    *,
    stderr: TextIO,
) -> int:
    """Deliver what ``data`` (the run's JSON report data) owes; the run's final exit code."""
    from qrunner.notify.pipeline import NotifyOptions, notify_report
    from qrunner.notify.routing_file import read_routing

    try:
        routing = read_routing(request.routing)
        options = NotifyOptions(
            routing, alert_state=request.alert_state, environ=environ, history=request.history
        )
        result = notify_report(data, options)
    except NotifyError as e:  # the gate's results stand; the notification did not go out
        print(inert(f"qrunner: notify: {e}"), file=stderr)
        return int(ExitCode.NOTIFY_FAILED) if code == ExitCode.OK else code
    for line in summarize(result.entries()):
        print(inert(f"qrunner: notify: {line}"), file=stderr)
    rewrite_reports(reports, result.entries())
    if result.undelivered and code == ExitCode.OK:
        return int(ExitCode.NOTIFY_FAILED)
    return code


def summarize(entries: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per delivery that did not go out, and a count of the rest."""
    lines = []
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry["outcome"]] = counts.get(entry["outcome"], 0) + 1
        if entry["outcome"] in ("failed", "rejected"):
            kept = " (kept in the outbox for the next run)" if entry["outcome"] == "failed" else ""
            lines.append(
                f"{entry['destination']}: {entry['event']} {entry['incident'] or ''} "
                f"{entry['outcome']}: {entry['error'] or 'no reason given'}{kept}"
            )
    if counts:
        lines.append(", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())))
    return lines


def rewrite_reports(reports: Sequence[ReportRequest], entries: list[dict[str, Any]]) -> None:
    """Each JSON report file gains ``notifications``; nothing else in it changes."""
    for request in reports:
        if request.fmt == "json" and request.path is not None:
            add_notifications(request.path, entries)
        # a report on stdout is gone: the console lines say what happened


def add_notifications(path: Path, entries: list[dict[str, Any]]) -> None:
    """Rewrite the JSON report at ``path`` (atomically) with ``notifications`` set."""
    from qrunner.reports.atomic import write_atomic
    from qrunner.reports.output import finish_report

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise NotifyError(f"{path}: cannot add the notifications to the report: {e}") from None
    data["notifications"] = entries
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    write_atomic(path, finish_report("json", text))


def notify_report_file(
    path: Path,
    request: NotifyRequest,
    environ: Mapping[str, str],
    *,
    dry_run: bool = False,
    out: Path | None = None,
    stderr: TextIO,
) -> int:
    """``qrunner notify REPORT.json``: deliver what a (merged or archived) report owes and
    add ``notifications`` to it; 5 when something was not delivered, else 0. ``--dry-run``
    renders into ``out`` and changes neither the state nor the report."""
    from qrunner.notify.pipeline import NotifyOptions, notify_report
    from qrunner.notify.routing_file import read_routing
    from qrunner.reports.json_report import read_report_data

    data = read_report_data(path)
    routing = read_routing(request.routing)
    options = NotifyOptions(
        routing,
        alert_state=request.alert_state,
        environ=environ,
        dry_run=dry_run,
        out=out,
        history=request.history,
    )
    result = notify_report(data, options)
    for line in summarize(result.entries()):
        print(inert(f"qrunner: notify: {line}"), file=stderr)
    if dry_run:
        for name in sorted(result.rendered):
            print(inert(f"qrunner: notify: rendered {name}"), file=stderr)
        return int(ExitCode.OK)
    add_notifications(path, result.entries())
    return int(ExitCode.NOTIFY_FAILED) if result.undelivered else int(ExitCode.OK)
