"""JUnit XML reports → CI test events in Datadog's attribute layout.

Mapping (one event per ``<testcase>``, plus one ``test_level: suite`` event per ``<testsuite>``,
the way Datadog's own JUnit upload models a report):

============================  ===============================================================
event attribute               from
============================  ===============================================================
``test.name``                 ``testcase/@name``
``test.suite``                ``testcase/@classname``, else ``testsuite/@name``
``test.full_name``            ``<suite>.<name>``
``test.status``               ``fail`` with a ``<failure>``/``<error>`` child, ``skip`` with
                              ``<skipped>``, else ``pass``
``duration``                  ``@time`` seconds → nanoseconds (integer)
``test.service``              a ``test.service``/``service`` property, else the name of the
                              report's parent directory
``error.message``/``.type``   the ``<failure>``/``<error>`` element's ``message``/``type``
other attributes              every ``<property name="a.b" value="...">`` of ``<testsuites>``,
                              ``<testsuite>`` and ``<testcase>`` (innermost wins) becomes the
                              attribute ``@a.b``; ``dd_tags[a.b]`` is read as ``a.b``; e.g.
                              ``git.branch``, ``git.commit.sha``, ``ci.pipeline.name``
``timestamp``                 ``testsuite/@timestamp`` (no offset = UTC), else the
                              ``<testsuites>`` one, else a ``timestamp`` property, else the
                              file's modification time; a testcase starts when the previous
                              one of its suite ended
``test_level``, ``type``      ``test`` / ``suite``; ``type`` is always ``test``
============================  ===============================================================

The CI environment at load time is deliberately *not* consulted: loading the same report must
always give the same events. Reports are parsed with defusedxml; a report that cannot be read
becomes a :class:`DataWarning` (with the XML parser's line) and contributes no events.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from qrunner.engine.base import DataWarning


def _set_path(event: dict[str, Any], dotted: str, value: Any) -> None:
    parts = [p for p in dotted.split(".") if p]
    if not parts:
        return
    node = event
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def _properties(element: Element) -> dict[str, str]:
    found: dict[str, str] = {}
    for holder in element.findall("properties"):
        for prop in holder.findall("property"):
            name = (prop.get("name") or "").strip()
            if name.startswith("dd_tags[") and name.endswith("]"):
                name = name[len("dd_tags[") : -1]
            value = prop.get("value")
            if value is None:
                value = (prop.text or "").strip()
            if name:
                found[name] = value
    return found


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _seconds(text: str | None) -> float:
    try:
        value = float((text or "0").replace(",", ""))
    except ValueError:
        return 0.0
    return value if value >= 0 else 0.0


def _status(case: Element) -> tuple[str, Element | None]:
    for tag in ("failure", "error"):
        problem = case.find(tag)
        if problem is not None:
            return "fail", problem
    if case.find("skipped") is not None:
        return "skip", None
    return "pass", None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _suite_events(
    suite: Element, inherited: dict[str, str], start: datetime, service: str
) -> list[dict[str, Any]]:
    suite_props = {**inherited, **_properties(suite)}
    suite_name = suite.get("name") or "unnamed"
    events: list[dict[str, Any]] = []
    clock = start.timestamp()
    failed = False
    cases = suite.findall("testcase")
    for case in cases:
        props = {**suite_props, **_properties(case)}
        status, problem = _status(case)
        failed = failed or status == "fail"
        seconds = _seconds(case.get("time"))
        name = case.get("name") or "unnamed"
        suite_of_case = case.get("classname") or suite_name
        event: dict[str, Any] = {
            "timestamp": _iso(datetime.fromtimestamp(clock, UTC)),
            "type": "test",
            "test_level": "test",
        }
        for key, value in props.items():
            if key != "timestamp":
                _set_path(event, key, value)
        _set_path(event, "test.name", name)
        _set_path(event, "test.suite", suite_of_case)
        _set_path(event, "test.full_name", f"{suite_of_case}.{name}")
        _set_path(event, "test.status", status)
        _set_path(event, "test.service", props.get("test.service") or props.get("service", service))
        event["duration"] = round(seconds * 1e9)
        if problem is not None:
            if problem.get("message"):
                _set_path(event, "error.message", problem.get("message"))
            if problem.get("type"):
                _set_path(event, "error.type", problem.get("type"))
        events.append(event)
        clock += seconds
    skipped_all = bool(cases) and all(e["test"]["status"] == "skip" for e in events)
    summary: dict[str, Any] = {"timestamp": _iso(start), "type": "test", "test_level": "suite"}
    for key, value in suite_props.items():
        if key != "timestamp":
            _set_path(summary, key, value)
    _set_path(summary, "test.suite", suite_name)
    _set_path(summary, "test.status", "fail" if failed else "skip" if skipped_all else "pass")
    _set_path(
        summary,
        "test.service",
        suite_props.get("test.service") or suite_props.get("service", service),
    )
    summary["duration"] = round(_seconds(suite.get("time")) * 1e9) or round(
        (clock - start.timestamp()) * 1e9
    )
    return [summary, *events]


def load_junit(path: Path) -> tuple[list[dict[str, Any]], list[DataWarning]]:
    """Read one JUnit XML report; never raises for bad content."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import parse

    try:
        root = parse(str(path)).getroot()
    except ParseError as e:
        line = e.position[0] if e.position else 0
        return [], [DataWarning(str(path), line, f"unreadable JUnit XML: {e}")]
    except DefusedXmlException as e:
        return [], [DataWarning(str(path), 0, f"refused JUnit XML: {e}")]
    except OSError as e:
        return [], [DataWarning(str(path), 0, f"cannot read JUnit XML: {e}")]

    if root.tag == "testsuite":
        suites, outer = [root], Element("testsuites")
    elif root.tag == "testsuites":
        suites, outer = root.findall("testsuite"), root
    else:
        return [], [DataWarning(str(path), 0, f"not a JUnit report: root element is <{root.tag}>")]
    inherited = _properties(outer)
    service = path.resolve().parent.name
    fallback = (
        _parse_time(outer.get("timestamp"))
        or _parse_time(inherited.get("timestamp"))
        or datetime.fromtimestamp(path.stat().st_mtime, UTC)
    )
    events: list[dict[str, Any]] = []
    warnings: list[DataWarning] = []
    for suite in suites:
        stamp = suite.get("timestamp")
        start = _parse_time(stamp) or fallback
        if stamp and _parse_time(stamp) is None:
            warnings.append(
                DataWarning(
                    str(path), 0, f"testsuite {suite.get('name')!r}: bad timestamp {stamp!r}"
                )
            )
        events.extend(_suite_events(suite, inherited, start, service))
    return events, warnings
