"""What the GitHub issues channel writes: titles, labels, the status body, comments, roll-ups.

The body of an incident's issue is rewritten on every event (a status table, the top
offenders, the links, how to silence) and starts with the hidden marker
``<!-- qrunner:incident=<id> -->`` by which a run that lost its alert state finds the issue
again. A comment is written only on an event. Text from data goes through
:func:`~qrunner.notify.channels.escape.github_text`; the only mentions are the owner's, from
the routing file. Bodies and comments stay within ``GITHUB_MAX_BODY_CHARS``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qrunner.limits import GITHUB_MAX_BODY_CHARS, GITHUB_MAX_TITLE_CHARS
from qrunner.notify.channels.content import ATTENTION, HEADINGS, EventView, describe
from qrunner.notify.channels.escape import cut, github_mention, github_text, plain
from qrunner.notify.events import Envelope, Event, EventKind

MARKER = "<!-- qrunner:incident={id} -->"
MARKER_PATTERN = re.compile(r"<!-- qrunner:incident=([0-9a-f]{16}) -->")
ROLLUP_MARKER = "<!-- qrunner:rollup -->"
TEST_MARKER = "<!-- qrunner:test -->"
_LABEL_CHARS = 50  # GitHub's limit for a label name
_ICON = {"fail": "🔴", "warn": "🟠", "error": "⚠️", "pass": "🟢"}


def title(event: Event) -> str:
    """``qrunner: <spec> / <check> failing`` (a report: ``qrunner report: <spec>``)."""
    key = event.key
    if event.kind is EventKind.REPORT:
        text = f"qrunner report: {key.spec} / {key.check}"
    else:
        group = f" [{key.group}]" if key.group is not None else ""
        target = f" on {key.target}" if key.target not in ("", "default") else ""
        text = f"qrunner: {key.spec} / {key.check}{group}{target} failing"
    return plain(text, GITHUB_MAX_TITLE_CHARS - 30)


def labels(configured: Sequence[str], owner: str | None) -> list[str]:
    """The routing file's labels, then ``owner:<owner>`` (GitHub's 50 characters, no comma)."""
    names = list(configured)
    if owner:
        label = plain(f"owner:{owner}", 200).replace(",", " ")[:_LABEL_CHARS].strip()
        if label not in names:
            names.append(label)
    return names


def mention(event: Event, envelope: Envelope) -> str | None:
    found = envelope.mentions.get(event.owner or "")
    return github_mention(found.github) if found else None


def _row(name: str, value: str | None, limit: int = 500) -> str | None:
    return f"| {name} | {github_text(value, limit)} |" if value else None


def _links(view: EventView) -> str:
    return " · ".join(f"[{label}]({url})" for label, url in view.links)


def body(event: Event, envelope: Envelope) -> str:
    """The issue's body: the marker and the incident's latest status."""
    view = describe(event, envelope.links)
    facts = event.facts
    icon = _ICON.get(facts.status, "")
    lines = [
        MARKER.format(id=event.key.id),
        f"## {icon} {github_text(view.title)}".replace("  ", " "),
        "",
        f"**{github_text(view.state, 1000)}**",
        "",
        "| | |",
        "| --- | --- |",
    ]
    rows = [
        _row("Status", facts.status),
        _row("Measured", " · ".join(view.measures) or None),
        _row("Where", view.where),
        _row("When", " · ".join(view.timing)),
        _row("Owner", event.owner),
        _row("Severity", event.severity),
        _row("Last event", f"{HEADINGS[event.kind]} (run {envelope.run_id})"),
        _row("Spec", f"{facts.file}:{facts.line}" if facts.file else None),
    ]
    lines += [r for r in rows if r]
    if view.offenders:
        shown = len(view.offenders)
        lines += ["", f"**Top offenders** ({shown} of {shown + view.more_offenders})", ""]
        lines += ["| group | value |", "| --- | --- |"]
        lines += [f"| {github_text(g)} | {github_text(v)} |" for g, v in view.offenders]
        if view.more_offenders:
            lines.append(f"\n… and {view.more_offenders} more")
    if view.message:
        lines += ["", "> " + github_text(view.message, 1000)]
    if view.links:
        lines += ["", _links(view)]
    who = mention(event, envelope)
    if who:
        lines += ["", f"cc {who}"]
    lines += [
        "",
        f"<sub>{github_text(view.silence, 500)}. qrunner rewrites this description on every "
        "event and closes the issue when the check recovers; closing it yourself "
        "acknowledges the incident (it is not reopened).</sub>",
    ]
    return cut("\n".join(lines), GITHUB_MAX_BODY_CHARS)


def comment(event: Event, envelope: Envelope) -> str:
    """What an event adds to the issue's timeline."""
    view = describe(event, envelope.links)
    lines = [f"**{HEADINGS[event.kind]}**: {github_text(view.state, 1000)}"]
    if view.measures:
        lines.append(" · ".join(github_text(m) for m in view.measures))
    lines.append(" · ".join(github_text(t) for t in view.timing))
    if view.message:
        lines.append("> " + github_text(view.message, 1000))
    if view.links:
        lines.append(_links(view))
    who = mention(event, envelope)
    if who and event.kind in ATTENTION:
        lines.append(f"cc {who}")
    if event.kind is EventKind.RESOLVED:
        lines.append("The check recovered: qrunner closes this issue.")
    return cut("\n\n".join(lines), GITHUB_MAX_BODY_CHARS)


def rollup_body(events: Sequence[Event], envelope: Envelope, cap: int) -> str:
    """The one issue listing the incidents past ``max_new_issues`` in a run."""
    lines = [
        ROLLUP_MARKER,
        f"## qrunner: {len(events)} more incidents (roll-up)",
        "",
        f"This run opened its limit of {cap} new issues (`max_new_issues`); these incidents "
        "are listed here instead, and get their own issue on a later event.",
        "",
        "| incident | state | tick |",
        "| --- | --- | --- |",
    ]
    for event in events:
        view = describe(event, envelope.links)
        tick = github_text(event.tick or "-")
        lines.append(f"| {github_text(view.title)} | {github_text(view.state)} | {tick} |")
    lines += ["", f"<sub>run {github_text(envelope.run_id)}</sub>"]
    return cut("\n".join(lines), GITHUB_MAX_BODY_CHARS, "characters of incidents")


def test_body(event: Event, envelope: Envelope) -> str:
    lines = [
        TEST_MARKER,
        "## qrunner: test notification",
        "",
        f"`qrunner notify test` reached this repository through channel "
        f"{github_text(envelope.destination)} (run {github_text(envelope.run_id)}). "
        "Nothing is wrong; qrunner closes this issue at once.",
    ]
    who = mention(event, envelope)
    if who:
        lines += ["", f"cc {who}"]
    return "\n".join(lines)
