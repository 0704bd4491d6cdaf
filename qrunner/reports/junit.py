"""The JUnit XML report: a ``<testsuite>`` per spec, a ``<testcase>`` per check.

Mapping (``classname`` is the spec's name): ``fail`` → ``<failure>``, ``error`` → ``<error>``,
shadow checks and ``no_data`` resolved to pass → ``<skipped>`` with the reason, ``warn`` →
a passing test case whose ``<system-out>`` says why it warned. A spec that errored before
its checks could run is one test case named ``(spec)`` with an ``<error>``. A scheduled
spec's suite is named ``name @ tick`` so that the ticks of one caught-up run stay apart in CI
test viewers; ``classname`` stays the spec's name, so a check's history goes on across ticks.
The structure follows the Jenkins/Ant JUnit schema that CI servers read.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from qrunner.judge.outcomes import CheckOutcome, RunResult, SpecOutcome, Status, format_check_value
from qrunner.reports.json_report import format_timestamp
from qrunner.secrets import escape_controls

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _clean(text: str) -> str:
    """Text XML 1.0 can carry, inert in a log: control characters shown as ``\\xNN``, what XML
    cannot hold at all as U+FFFD."""
    return _XML_INVALID.sub("\ufffd", escape_controls(text))


def _details(check: CheckOutcome) -> str:
    lines = [
        f"metric: {check.metric}",
        f"observed: {format_check_value(check, check.observed)}",
        f"threshold: {check.threshold}",
        check.message,
    ]
    if check.offenders:
        lines.append("offenders:")
        lines += [
            f"  {', '.join(f'{k}={v}' for k, v in o.by.items()) or '(all)'}: "
            f"{format_check_value(check, o.observed)}"
            for o in check.offenders
        ]
    return _clean("\n".join(lines))


def _testcase(spec: SpecOutcome, check: CheckOutcome) -> tuple[ET.Element, str | None]:
    """The element and what it counts as: failure, error, skipped or None (a pass)."""
    case = ET.Element(
        "testcase", name=_clean(check.name), classname=_clean(spec.name), time="0", file=spec.file
    )
    if check.line:
        case.set("line", str(check.line))
    message = _clean(
        f"{check.message} (observed {format_check_value(check, check.observed)}; {check.threshold})"
    )
    if not check.enforced:
        skipped = ET.SubElement(
            case,
            "skipped",
            message=_clean(f"shadow check, would be {check.status}: {check.message}"),
        )
        skipped.text = _details(check)
        return case, "skipped"
    if check.status is Status.NO_DATA:
        ET.SubElement(case, "skipped", message=_clean(check.message))
        return case, "skipped"
    if check.status is Status.FAIL:
        ET.SubElement(case, "failure", message=message, type="fail").text = _details(check)
        return case, "failure"
    if check.status is Status.ERROR:
        ET.SubElement(case, "error", message=message, type="error").text = _details(check)
        return case, "error"
    if check.status is Status.WARN:
        ET.SubElement(case, "system-out").text = _clean(f"WARN: {message}")
    elif check.unjudged:  # a pass that could not compare with its baseline says so
        ET.SubElement(case, "system-out").text = _clean(f"PASS ({check.unjudged}): {message}")
    return case, None


def suite_name(spec: SpecOutcome) -> str:
    """The spec's name, and for a scheduled spec its tick as the JSON report writes it: one run
    may hold several ticks of a spec (``--catch-up``)."""
    return spec.name if spec.tick is None else f"{spec.name} @ {format_timestamp(spec.tick)}"


def _testsuite(spec: SpecOutcome, timestamp: str) -> ET.Element:
    suite = ET.Element("testsuite", name=_clean(suite_name(spec)))
    counts = {"failure": 0, "error": 0, "skipped": 0}
    cases: list[ET.Element] = []
    if spec.error is not None:
        case = ET.Element(
            "testcase", name="(spec)", classname=_clean(spec.name), time="0", file=spec.file
        )
        if spec.line:
            case.set("line", str(spec.line))
        first_line = spec.error.splitlines()[0] if spec.error else "error"
        ET.SubElement(case, "error", message=_clean(first_line), type="spec-error").text = _clean(
            spec.error
        )
        cases.append(case)
        counts["error"] += 1
    for check in spec.checks:
        case, kind = _testcase(spec, check)
        cases.append(case)
        if kind is not None:
            counts[kind] += 1
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(counts["failure"]))
    suite.set("errors", str(counts["error"]))
    suite.set("skipped", str(counts["skipped"]))
    suite.set("time", f"{spec.duration_s:.3f}")
    suite.set("timestamp", timestamp)
    suite.set("file", spec.file)
    properties = ET.SubElement(suite, "properties")
    for key, value in (
        ("source", spec.source),
        ("status", str(spec.status)),
        ("request_hash", spec.request_hash),
        ("git_commit", spec.git_commit),
    ):
        if value is not None:
            ET.SubElement(properties, "property", name=key, value=_clean(value))
    suite.extend(cases)
    notes = ([f"partial result: {spec.partial_reason}"] if spec.partial else []) + [
        f"warning: {w}" for w in spec.warnings
    ]
    if notes:
        ET.SubElement(suite, "system-out").text = _clean("\n".join(notes))
    return suite


class JunitReporter:
    def __init__(self, *, color: bool = False) -> None:
        del color

    def render(self, run: RunResult) -> str:
        # The schema's timestamp has no zone; ours are UTC.
        timestamp = format_timestamp(run.started_at).removesuffix("Z").split(".")[0]
        root = ET.Element("testsuites", name="qrunner")
        totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
        for spec in run.specs:
            suite = _testsuite(spec, timestamp)
            root.append(suite)
            for key in totals:
                totals[key] += int(suite.get(key, "0"))
        for key, value in totals.items():
            root.set(key, str(value))
        root.set("time", f"{sum(s.duration_s for s in run.specs):.3f}")
        ET.indent(root)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(root, encoding="unicode")
            + "\n"
        )
