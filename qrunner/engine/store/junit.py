"""JUnit XML reports → CI test events in Datadog's attribute layout (flat dotted names).

One ``test_level: test`` event per execution of a test case and one ``test_level: suite`` event
per ``<testsuite>`` at any depth (a ``<testsuites>`` nested in another, as aggregators write, is
read like the root). The README's "JUnit mapping" table is the reference; in short:

* ``test.suite`` is the case's ``classname``, else its nearest ``<testsuite>``'s name;
  ``test.suite_path`` is the names of the enclosing suites joined by ``/``.
* status: a ``<failure>``/``<error>`` child → ``fail``, ``<skipped>`` → ``skip``, else the
  ``status``/``result`` attribute (``disabled``/``notrun``… → ``skip``, ``error`` → ``fail``).
* attempts: surefire's ``<flakyFailure>``/``<flakyError>`` are failed attempts before the final
  (passing) one, ``<rerunFailure>``/``<rerunError>`` failed attempts after the first failure; the
  same test (service, suite, name) appearing again in one report is another attempt only where
  the report's dialect says so (:mod:`.junit_dialect`: pytest, go, TestNG), a distinct test
  otherwise (jest, mocha…). Every attempt after the first has ``test.is_retry: true``; a test
  that both failed and passed (in either order) has ``test.is_flaky: true`` on every attempt.
* a ``<testcase>`` without a name is loaded as ``(unnamed testcase at line N)``, with a warning,
  so that its failure counts.
* properties keep their full dotted name (``@java.vendor`` and ``@java.vendor.url`` both exist).
* time: the suite's ``timestamp``, else its parent's clock, else the ``<testsuites>`` one, else
  the caller's time (``ingest --time``), else the file's modification time with a warning; cases
  start one after the other.

The CI environment at load time is deliberately *not* consulted: loading the same report must
always give the same events. Nothing raises for bad content: problems are :class:`DataWarning`\\ s.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from qrunner.engine.base import DataWarning
from qrunner.engine.store.junit_dialect import detect_dialect, mark_attempts
from qrunner.engine.store.junit_fields import (
    RETRY_TAGS,
    SUITE_SLACK_SECONDS,
    case_status,
    iso_ms,
    parse_report_time,
    parse_seconds,
    read_properties,
)
from qrunner.engine.store.junit_xml import JUnitReadError, ParsedReport, parse_report
from qrunner.engine.store.names import describe, unusable_name
from qrunner.limits import MAX_REPORT_WARNINGS, MAX_SUITE_DEPTH, MAX_TEST_SECONDS

_EPOCH = datetime.fromtimestamp(0, UTC)
# Attributes the loader sets itself: a property never gives them (in any letter case).
_OWN = frozenset((
    "timestamp", "duration", "type", "test_level", "test.name", "test.suite", "test.full_name",
    "test.status", "test.suite_path", "test.is_retry", "test.is_flaky", "test.skip_reason",
    "test.source.file", "error.message", "error.type",
))  # fmt: skip


class _Report:
    """The state of loading one report: where it is, its clock fallback and its warnings."""

    def __init__(
        self, path: Path, parsed: ParsedReport, time: datetime | None, override: bool
    ) -> None:
        self.path = path
        self.parsed = parsed
        self.user_time = time
        self.override = override and time is not None  # the caller's time replaces the report's
        self.kept_own_time = 0  # suites timed by their own timestamp although a time was given
        self.report_time: datetime | None = None
        self.used_mtime = False
        self.warnings: list[DataWarning] = []
        self.dropped_warnings = 0
        self.attempts: dict[tuple[str, str, str, int], list[dict[str, Any]]] = {}
        self.dialect = detect_dialect(parsed.root, parsed.comments)
        self.folder = path.resolve().parent.name  # the service when nothing else names one

    def warn(self, element: Element | None, message: str) -> None:
        if len(self.warnings) >= MAX_REPORT_WARNINGS:
            self.dropped_warnings += 1
            return
        line = self.parsed.line_of(element) if element is not None else 0
        self.warnings.append(DataWarning(str(self.path), line, message))

    def own_time(self, element: Element, *, count: bool = False) -> datetime | None:
        """The ``timestamp`` of a suite (None when it has none, or the caller overrides it)."""
        if self.override:
            return None
        moment = parse_report_time(element.get("timestamp"))
        if count and moment is not None and self.user_time is not None:
            self.kept_own_time += 1
        return moment

    def fallback_time(self) -> datetime:
        if self.report_time is not None:
            return self.report_time
        if self.user_time is not None:
            return self.user_time
        if not self.used_mtime:
            self.used_mtime = True
            self.warn(
                None,
                "no timestamp in the report: timed from the file's modification time "
                "(give one with `qrunner ingest junit --time`)",
            )
        return datetime.fromtimestamp(self.path.stat().st_mtime, UTC)


def _properties(report: _Report, element: Element) -> dict[str, str]:
    """The properties of ``element`` whose names can be columns (the others are warned about)."""
    found = read_properties(element)
    for key in list(found):
        reason = unusable_name(key, key, top=True)
        if reason is not None:
            report.warn(element, f"property @{describe(key)} left out: {reason}")
            del found[key]
    return found


def _event(
    report: _Report, level: str, moment: datetime, attributes: Mapping[str, str]
) -> dict[str, Any]:
    event: dict[str, Any] = {}
    seen = set(_OWN)
    for key, value in attributes.items():
        # DuckDB's column names ignore case: ``Foo`` and ``foo`` cannot both be attributes.
        if key.lower() not in seen:
            seen.add(key.lower())
            event[key] = value
    event |= {"timestamp": iso_ms(moment), "type": "test", "test_level": level}
    service = attributes.get("test.service") or attributes.get("service") or report.folder
    event["test.service"] = service
    event.setdefault("service", service)
    return event


def _duration(report: _Report, element: Element, what: str) -> float | None:
    text = element.get("time")
    seconds = parse_seconds(text)
    if seconds is None:
        report.warn(element, f"{what}: unreadable time {text!r}: duration left out")
    elif seconds > MAX_TEST_SECONDS:
        report.warn(
            element,
            f"{what}: time {text} s is longer than a day (milli- or nanoseconds?): "
            "duration left out",
        )
        return None
    return seconds


def _attempts(case: Element, status: str) -> list[tuple[str, Element]]:
    """(status, element) of each execution of one <testcase>, in the order they ran."""
    retries = [child for child in case if child.tag in RETRY_TAGS]
    if status == "pass":
        return [("fail", r) for r in retries if r.tag.startswith("flaky")] + [("pass", case)]
    return [(status, case), *(("fail", r) for r in retries if r.tag.startswith("rerun"))]


def _case_events(
    report: _Report, case: Element, props: dict[str, str], suite: Element, clock: datetime
) -> tuple[list[dict[str, Any]], datetime, str]:
    name = (case.get("name") or "").strip()
    if not name:
        name = f"(unnamed testcase at line {report.parsed.line_of(case)})"
        report.warn(case, f"testcase without a name: loaded as @test.name:{json.dumps(name)}")
    attributes = {**props, **_properties(report, case)}
    suite_name = case.get("classname") or suite.get("name") or "unnamed"
    status, problem = case_status(case)
    seconds = _duration(report, case, f"testcase {name!r}")
    limit = parse_seconds(suite.get("time")) if suite.get("time") else None
    if seconds is not None and limit is not None and seconds > limit + SUITE_SLACK_SECONDS:
        report.warn(
            case, f"testcase {name!r} ({seconds:g} s) is longer than its suite ({limit:g} s)"
        )
    events = []
    for attempt_status, element in _attempts(case, status):
        took = seconds if element is case else parse_seconds(element.get("time"))
        event = _event(report, "test", clock, attributes)
        event |= {
            "test.name": name,
            "test.suite": suite_name,
            "test.full_name": f"{suite_name}.{name}",
            "test.status": attempt_status,
        }
        explained = problem if element is case else element
        if attempt_status == "fail" and explained is not None:
            for key in ("message", "type"):
                if explained.get(key):
                    event[f"error.{key}"] = explained.get(key)
        elif attempt_status == "skip" and explained is not None and explained.get("message"):
            event["test.skip_reason"] = explained.get("message")
        if case.get("file"):
            event["test.source.file"] = case.get("file")
        if took is not None and took <= MAX_TEST_SECONDS:
            event["duration"] = round(took * 1e9)
            clock += timedelta(seconds=took)
        # Repeats are one test only where the dialect says so; else each case is its own.
        own = 0 if report.dialect.repeats_are_executions else id(case)
        test_key = (event["test.service"], suite_name, name, own)
        report.attempts.setdefault(test_key, []).append(event)
        events.append(event)
    return events, clock, status


def _walk_suite(
    report: _Report, suite: Element, props: dict[str, str], path: list[str], start: datetime
) -> tuple[list[dict[str, Any]], datetime, bool]:
    """Events of one <testsuite> and everything in it; (events, end of its clock, failed)."""
    name = suite.get("name") or "unnamed"
    props = {**props, **_properties(report, suite)}
    suite_path = [*path, suite.get("name") or ""]
    stamp = None if report.override else suite.get("timestamp")
    own = report.own_time(suite, count=True)
    if stamp and own is None:
        report.warn(suite, f"testsuite {name!r}: unreadable timestamp {stamp!r}")
    begin = own or start
    clock, failed, events = begin, False, []
    for child in suite:
        if child.tag == "testcase":
            found, clock, status = _case_events(report, child, props, suite, clock)
            for event in found:
                event["test.suite_path"] = "/".join(filter(None, suite_path))
            events += found
            failed = failed or status == "fail"
        elif child.tag == "testsuite" and len(suite_path) >= MAX_SUITE_DEPTH:
            report.warn(child, f"testsuite nested deeper than {MAX_SUITE_DEPTH}: skipped")
        elif child.tag == "testsuite":
            found, end, child_failed = _walk_suite(report, child, props, suite_path, clock)
            if report.own_time(child) is None:
                clock = end
            events += found
            failed = failed or child_failed
    seconds = _duration(report, suite, f"testsuite {name!r}")
    summary = _event(report, "suite", begin, props)
    statuses = [e["test.status"] for e in events if e["test_level"] == "test"]
    status = "fail" if failed else "skip" if statuses and set(statuses) == {"skip"} else "pass"
    summary |= {
        "test.suite": name,
        "test.suite_path": "/".join(filter(None, suite_path)),
        "test.status": status,
    }
    elapsed = (clock - begin).total_seconds()
    summary["duration"] = round((seconds or elapsed) * 1e9)
    return [summary, *events], begin + timedelta(seconds=seconds or elapsed), failed


def unify_key_case(events: list[dict[str, Any]]) -> None:
    """Spell each attribute one way: in all lower case when some event does, else the way it
    was first spelled (``Foo`` then ``FOO`` → ``Foo``), as JSON Lines files are.

    Reports may spell one property differently; DuckDB, whose column names ignore case, would
    otherwise load the second spelling as a column ``foo_1``."""
    spelling: dict[str, str] = {}
    for event in events:
        for key in event:
            first = spelling.setdefault(key.lower(), key)
            if first != key and key == key.lower():
                spelling[key.lower()] = key
    for event in events:
        for key in list(event):
            chosen = spelling[key.lower()]
            if chosen != key:
                event[chosen] = event.pop(key)


def _group_children(group: Element) -> list[Element]:
    """The suites of a ``<testsuites>``, in order; its loose test cases last, as one suite
    named after it."""
    children = [child for child in group if child.tag in ("testsuite", "testsuites")]
    orphans = Element("testsuite", {"name": group.get("name") or "unnamed"})
    orphans.extend(child for child in group if child.tag == "testcase")
    return [*children, orphans] if len(orphans) else children


def _walk_group(
    report: _Report,
    children: list[Element],
    props: dict[str, str],
    clock: datetime | None,
    depth: int,
) -> tuple[list[dict[str, Any]], datetime | None]:
    """Events of the top-level suites of a report, or of a ``<testsuites>`` an aggregator nested
    in another: it only groups (its name is no part of a suite path), lends its properties and
    its timestamp, and is loaded whole like the root."""
    events: list[dict[str, Any]] = []
    for child in children:
        if child.tag == "testsuites" and depth >= MAX_SUITE_DEPTH:
            report.warn(child, f"testsuites nested deeper than {MAX_SUITE_DEPTH}: skipped")
            continue
        if child.tag == "testsuites":
            inner = {**props, **_properties(report, child)}
            own = report.own_time(child, count=True)
            found, end = _walk_group(report, _group_children(child), inner, own or clock, depth + 1)
            clock = end if own is None else clock
            events += found
            continue
        timed = report.own_time(child) is not None
        # A timed suite ignores ``start``; asking for the fallback would warn about mtime.
        start = clock or (_EPOCH if timed else report.fallback_time())
        found, end, _ = _walk_suite(report, child, props, [], start)
        if not timed:
            clock = end
        events += found
    return events, clock


def load_junit(
    path: Path,
    *,
    time: datetime | None = None,
    override_time: bool = False,
    defaults: Mapping[str, str] | None = None,
    notices: list[str] | None = None,
) -> tuple[list[dict[str, Any]], list[DataWarning]]:
    """Read one JUnit XML report; never raises for bad content.

    ``time`` times suites the report gives no timestamp — every suite with ``override_time``
    (a backfill of old reports: their own timestamps are ignored); ``defaults`` are attributes
    every event gets unless the report's properties say otherwise (``ingest`` passes ``--tag``
    and the CI environment here). ``notices`` gets one line when ``time`` was given but suites
    kept their own timestamp.
    """
    try:
        parsed = parse_report(path)
    except JUnitReadError as e:
        return [], [DataWarning(str(path), e.line, str(e))]
    root = parsed.root
    if root.tag not in ("testsuite", "testsuites"):
        return [], [DataWarning(str(path), 1, f"not a JUnit report: root element is <{root.tag}>")]
    report = _Report(path, parsed, time, override_time)
    props = dict(defaults or {})
    if root.tag == "testsuite":
        events, _ = _walk_group(report, [root], props, None, 0)
    else:
        props |= _properties(report, root)
        if not report.override:
            own = report.own_time(root, count=True)
            report.report_time = own or parse_report_time(props.get("timestamp"))
        events, _ = _walk_group(report, _group_children(root), props, None, 0)
    if notices is not None and report.kept_own_time:
        notices.append(
            f"{path}: the given time was not applied to {report.kept_own_time} suite(s) that "
            "carry their own timestamp (override them to backfill old reports)"
        )
    mark_attempts(report.dialect, report.attempts.values())
    if report.dropped_warnings:
        report.warnings.append(
            DataWarning(str(path), 0, f"... and {report.dropped_warnings} more problems")
        )
    return events, report.warnings
