"""Spec unit tests judged: each expected check status (and value) against the real outcome.

Results are data; :mod:`qrunner.reports.spectest_view` prints them (text, JUnit).
Exit codes follow ``qrunner run``: 2 when a test file or its spec is invalid, else 1 when an
expectation failed, else 3 when a case could not run (the engine failed), else 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from qrunner.errors import ExitCode
from qrunner.judge.outcomes import CheckOutcome, most_severe
from qrunner.judge.units import format_quantity

OBSERVED_REL_TOLERANCE = 1e-6  # an expected observed value matches within this relative error


@dataclass(slots=True)
class ExpectationResult:
    """One expectation of one case: ``passed``, and what was expected and seen."""

    check: str
    expected_status: str
    expected_observed: float | None
    line: int  # of the expectation in the test file
    passed: bool
    actual: CheckOutcome | None  # None: the spec has no such check
    problem: str  # why it failed, "" when it passed


@dataclass(slots=True)
class CaseResult:
    name: str
    line: int
    expectations: list[ExpectationResult] = field(default_factory=list)
    error: str | None = None  # the case could not run
    error_code: ExitCode | None = None
    duration_s: float = 0.0
    notices: list[str] = field(default_factory=list)  # data warnings from the engine


@dataclass(slots=True)
class SpecTestResult:
    file: str
    spec: str  # the spec's file as written in the test file
    cases: list[CaseResult] = field(default_factory=list)
    diagnostics: list[str] = field(default_factory=list)  # the test file itself is invalid


def _observed_matches(expected: float, actual: float | None) -> bool:
    if actual is None:
        return False
    return math.isclose(expected, actual, rel_tol=OBSERVED_REL_TOLERANCE, abs_tol=1e-12)


def compare_expectation(
    check: str,
    status: str,
    observed: float | None,
    line: int,
    outcomes: Sequence[CheckOutcome],
) -> ExpectationResult:
    """The expectation ``check`` ends ``status`` (with ``observed``), against the real outcomes."""
    actual = next((o for o in outcomes if o.name == check), None)
    result = ExpectationResult(check, status, observed, line, False, actual, "")
    if actual is None:
        names = ", ".join(repr(o.name) for o in outcomes) or "none"
        result.problem = f"the spec has no check named {check!r} (its checks: {names})"
        return result
    problems = []
    if str(actual.status) != status:
        problems.append(f"expected status {status}, got {actual.status}")
    if observed is not None and not _observed_matches(observed, actual.observed):
        seen = format_quantity(actual.observed, actual.unit)
        problems.append(
            f"expected observed {observed:g}{_unit(actual)}, got {actual.observed} ({seen})"
        )
    result.problem = "; ".join(problems)
    result.passed = not problems
    return result


def _unit(outcome: CheckOutcome) -> str:
    return f" {outcome.unit}" if outcome.unit else ""


def count_expectations(results: Iterable[SpecTestResult]) -> dict[str, int]:
    """``{"passed": n, "failed": n, "errors": n}``; an error is a case or file that did not run."""
    counts = {"passed": 0, "failed": 0, "errors": 0}
    for file in results:
        counts["errors"] += len(file.diagnostics)
        for case in file.cases:
            if case.error is not None:
                counts["errors"] += 1
            for expectation in case.expectations:
                counts["passed" if expectation.passed else "failed"] += 1
    return counts


def exit_code_for_tests(results: Iterable[SpecTestResult]) -> ExitCode:
    found: set[ExitCode] = set()
    for file in results:
        if file.diagnostics:
            found.add(ExitCode.SPEC_ERROR)
        for case in file.cases:
            if case.error is not None:
                found.add(case.error_code or ExitCode.SPEC_ERROR)
            if any(not e.passed for e in case.expectations):
                found.add(ExitCode.CHECK_FAILED)
    return most_severe(found)
