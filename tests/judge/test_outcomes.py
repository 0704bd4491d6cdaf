"""The verdict lattice, spec/run status and exit-code precedence."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from qrunner.errors import ExitCode
from qrunner.judge.outcomes import (
    CheckOutcome,
    RunResult,
    SpecOutcome,
    Status,
    exit_code_for,
    run_status,
    spec_status,
    worst_status,
)

P, N, W, F, E = Status.PASS, Status.NO_DATA, Status.WARN, Status.FAIL, Status.ERROR


def check(status: Status, mode: str = "enforce") -> CheckOutcome:
    return CheckOutcome("c", status, None, "fail > 1", None, [], "", mode, 0, "c0")


def spec(
    *statuses: Status,
    error: str | None = None,
    code: ExitCode | None = None,
    shadow: tuple[Status, ...] = (),
) -> SpecOutcome:
    checks = [check(s) for s in statuses] + [check(s, "shadow") for s in shadow]
    return SpecOutcome(
        name="s", source="tekton.summary", file="s.yaml", line=1,
        status=spec_status(checks, error), error=error, checks=checks,
        request_hash=None, git_commit=None, duration_s=0.0, error_code=code,
    )  # fmt: skip


def run(*specs: SpecOutcome) -> RunResult:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    return RunResult(run_status(specs), now, now, "0", "local", list(specs))


@pytest.mark.parametrize(
    ("statuses", "worst"),
    [((), P), ((P, N), N), ((N, W), W), ((W, F), F), ((F, E), E), ((E, P), E), ((P, P), P)],
)
def test_lattice(statuses: tuple[Status, ...], worst: Status) -> None:
    assert worst_status(statuses) is worst


def test_spec_status_ignores_shadow_checks_and_puts_errors_first() -> None:
    assert spec(P, shadow=(F, E)).status is P
    assert spec(W, F).status is F
    assert spec(error="boom").status is E
    assert spec(P, error="boom").status is E
    assert spec().status is P


def test_run_status_is_the_worst_spec() -> None:
    assert run(spec(P), spec(W), spec(N)).status is W
    assert run().status is P


@pytest.mark.parametrize(
    ("specs", "fail_on", "code"),
    [
        ([spec(P), spec(N)], "fail", ExitCode.OK),
        ([spec(W)], "fail", ExitCode.OK),
        ([spec(W)], "warn", ExitCode.CHECK_FAILED),
        ([spec(N)], "warn", ExitCode.OK),  # no data under no_data: pass never fails a run
        ([spec(F)], "fail", ExitCode.CHECK_FAILED),
        ([spec(P, shadow=(F, E))], "fail", ExitCode.OK),  # shadow never counts
        ([spec(error="503", code=ExitCode.BACKEND_ERROR)], "fail", ExitCode.BACKEND_ERROR),
        ([spec(E)], "fail", ExitCode.BACKEND_ERROR),  # a check that could not be measured
        ([spec(F), spec(error="503", code=ExitCode.BACKEND_ERROR)], "fail", ExitCode.CHECK_FAILED),
        ([spec(W), spec(error="503", code=ExitCode.BACKEND_ERROR)], "warn", ExitCode.CHECK_FAILED),
        ([spec(F), spec(error="bad spec")], "fail", ExitCode.SPEC_ERROR),  # default kind: spec
        ([spec(F), spec(error="bad", code=ExitCode.SPEC_ERROR)], "fail", ExitCode.SPEC_ERROR),
        (
            [spec(error="bug", code=ExitCode.INTERNAL_ERROR), spec(error="bad")],
            "fail",
            ExitCode.INTERNAL_ERROR,
        ),
    ],
)
def test_exit_code_precedence(specs: list[SpecOutcome], fail_on: str, code: ExitCode) -> None:
    assert exit_code_for(run(*specs), fail_on=fail_on) is code


def test_exit_code_rejects_unknown_fail_on() -> None:
    with pytest.raises(ValueError, match="fail_on"):
        exit_code_for(run(), fail_on="error")
