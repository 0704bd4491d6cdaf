"""What a test case named again in one JUnit report means, decided from the report's dialect.

Reporters disagree: go test ``-count``, TestNG retries and pytest reruns write every execution
of a test as another ``<testcase>`` of the same name, while in a jest or mocha report two cases
sharing a name are two distinct tests (``it("works")`` in two ``describe`` blocks of one file).
Only where the report's dialect says so are repeats executions of one test; otherwise each
``<testcase>`` is its own test. Surefire's ``<flakyFailure>``/``<rerunFailure>`` elements are
executions in every dialect: they live inside their test case.

=============  ====================================================  ===========================
dialect        recognised by                                         a repeated name is
=============  ====================================================  ===========================
pytest         ``<testsuite name="pytest">``, ``<testsuites          a rerun (pytest-rerunfailures
               name="pytest tests">`` (pytest's own names)            writes it passing: flaky
                                                                      when the last one passed)
go             a ``go.version`` property (go-junit-report)            an execution (``-count``)
TestNG         the ``org.testng`` comment its reporters write         an execution (a retry)
any other      —                                                      a distinct test
=============  ====================================================  ===========================
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

_PYTEST_NAMES = ("pytest", "pytest tests")


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str
    repeats_are_executions: bool = False
    repeats_are_reruns: bool = False  # only a failure is rerun: repeated and last passed = flaky


OTHER = Dialect("other")
_PYTEST = Dialect("pytest", repeats_are_executions=True, repeats_are_reruns=True)
_GO = Dialect("go", repeats_are_executions=True)
_TESTNG = Dialect("testng", repeats_are_executions=True)


def _suites(root: Element) -> Iterable[Element]:
    yield root
    yield from root.iter("testsuite")


def detect_dialect(root: Element, comments: Iterable[str]) -> Dialect:
    """The dialect of a parsed report (its root element and its XML comments)."""
    if any((suite.get("name") or "").strip().lower() in _PYTEST_NAMES for suite in _suites(root)):
        return _PYTEST
    for holder in root.iter("properties"):
        if any(prop.get("name") == "go.version" for prop in holder.findall("property")):
            return _GO
    if any("org.testng" in comment for comment in comments):
        return _TESTNG
    return OTHER


def mark_attempts(dialect: Dialect, attempts: Iterable[list[dict[str, Any]]]) -> None:
    """Flag the executions of each test of one report: every one after the first is a retry;
    all are flaky when the test both passed and failed (in either order), or, where repeats
    are reruns of a failure (pytest), when it was run again and its last execution passed."""
    for executions in attempts:
        for event in executions[1:]:
            event["test.is_retry"] = True
        statuses = [e["test.status"] for e in executions]
        flaky = "fail" in statuses and "pass" in statuses
        if dialect.repeats_are_reruns and len(statuses) > 1 and statuses[-1] == "pass":
            flaky = True
        if flaky:
            for event in executions:
                event["test.is_flaky"] = True
