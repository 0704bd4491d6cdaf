"""``qrunner test`` output: one line per expectation, failures with the explain trace; JUnit.

JUnit mapping: a ``<testsuite>`` per test file, a ``<testcase>`` per expectation (``classname``
is the file and case, ``name`` the check); a failed expectation is a ``<failure>`` whose body is
the check's trace; a case that could not run, or a test file that is invalid, is an ``<error>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from qrunner.judge.expectations import (
    CaseResult,
    ExpectationResult,
    SpecTestResult,
    count_expectations,
)
from qrunner.judge.units import format_quantity
from qrunner.reports.explain_view import format_trace
from qrunner.reports.junit import _clean  # the run report's XML cleaning, shared


def _expected(e: ExpectationResult) -> str:
    observed = f", observed {e.expected_observed:g}" if e.expected_observed is not None else ""
    return f"{e.expected_status}{observed}"


def _actual(e: ExpectationResult) -> str:
    if e.actual is None:
        return "no such check"
    return f"{e.actual.status}, observed {format_quantity(e.actual.observed, e.actual.unit)}"


def _failure_lines(e: ExpectationResult) -> list[str]:
    lines = [f"expected: {_expected(e)}", f"actual:   {_actual(e)}", e.problem]
    if e.actual is not None:
        lines += ["trace:", *format_trace(e.actual)]
    return lines


def _case_lines(file: SpecTestResult, case: CaseResult) -> list[str]:
    if case.error is not None:
        return [f"ERROR {file.file}:{case.line}: {case.name}: {case.error}"]
    lines = [f"  notice: {n}" for n in case.notices]
    for e in case.expectations:
        verdict = "PASS " if e.passed else "FAIL "  # as wide as ERROR
        lines.append(f"{verdict} {file.file}:{e.line}: {case.name} / {e.check}: {_expected(e)}")
        if not e.passed:
            lines += [f"      {line}" for line in _failure_lines(e)]
    return lines


def format_test_text(results: list[SpecTestResult]) -> str:
    lines = []
    for file in results:
        lines += [f"ERROR {d}" for d in file.diagnostics]
        for case in file.cases:
            lines += _case_lines(file, case)
    counts = count_expectations(results)
    files = len(results)
    lines.append(
        f"{files} test file(s): {counts['passed']} expectation(s) passed, "
        f"{counts['failed']} failed, {counts['errors']} error(s)"
    )
    return "\n".join(lines) + "\n"


def _testcase(file: SpecTestResult, case: CaseResult, e: ExpectationResult) -> ET.Element:
    element = ET.Element(
        "testcase",
        name=_clean(e.check),
        classname=_clean(f"{file.file}::{case.name}"),
        time=f"{case.duration_s:.3f}",
        file=file.file,
        line=str(e.line),
    )
    if not e.passed:
        failure = ET.SubElement(element, "failure", message=_clean(e.problem))
        failure.text = _clean("\n".join(_failure_lines(e)))
    return element


def _error_case(name: str, classname: str, file: str, message: str) -> ET.Element:
    element = ET.Element("testcase", name=_clean(name), classname=_clean(classname), file=file)
    error = ET.SubElement(element, "error", message=_clean(message))
    error.text = _clean(message)
    return element


def format_test_junit(results: list[SpecTestResult]) -> str:
    root = ET.Element("testsuites", name="qrunner test")
    for file in results:
        suite = ET.SubElement(root, "testsuite", name=_clean(file.file))
        cases = [_error_case("(file)", file.file, file.file, d) for d in file.diagnostics]
        for case in file.cases:
            if case.error is not None:
                cases.append(
                    _error_case("(case)", f"{file.file}::{case.name}", file.file, case.error)
                )
            cases += [_testcase(file, case, e) for e in case.expectations]
        suite.extend(cases)
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(c.find("failure") is not None for c in cases)))
        suite.set("errors", str(sum(c.find("error") is not None for c in cases)))
    counts = count_expectations(results)
    root.set("tests", str(sum(counts.values())))
    root.set("failures", str(counts["failed"]))
    root.set("errors", str(counts["errors"]))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


TEST_FORMATS = {"text": format_test_text, "junit": format_test_junit}
