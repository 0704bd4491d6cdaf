"""Regenerate the report golden files from a fixed run: ``python tests/reports/generate_golden.py``.

Golden files are never edited by hand. Timestamps and the qrunner version are normalised
so that only a change in a reporter changes them.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from qrunner.judge.outcomes import (
    Band,
    CheckOutcome,
    GroupResult,
    Offender,
    RunResult,
    SpecOutcome,
    Status,
    run_status,
)

GOLDEN = Path(__file__).resolve().parent / "golden"
FORMATS = {
    "console": "console.txt",
    "json": "report.json",
    "junit": "junit.xml",
    "markdown": "summary.md",
}
STARTED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
AT = datetime(2024, 5, 1, 12, 0, 5, tzinfo=UTC)


def _check(name: str, status: Status, **kwargs: object) -> CheckOutcome:
    values: dict[str, object] = {
        "name": name,
        "status": status,
        "observed": None,
        "threshold": "fail > 5",
        "unit": None,
        "offenders": [],
        "message": "",
        "mode": "enforce",
        "line": 0,
        "metric": "c0",
    }
    values.update(kwargs)
    return CheckOutcome(**values)  # type: ignore[arg-type]


def sample_run() -> RunResult:
    """One run touching every status, scope shape and report feature."""
    duration = SpecOutcome(
        name="pipeline-duration",
        source="datadog.ci_pipelines",
        file="queries/pipelines.yaml",
        line=1,
        status=Status.FAIL,
        error=None,
        checks=[
            _check(
                "p90-duration",
                Status.FAIL,
                observed=7.2 * 60,
                unit="s",
                threshold="fail > 5m, warn > 3m",
                offenders=[
                    Offender({"@ci.pipeline.name": "build"}, 7.2 * 60),
                    Offender({"@ci.pipeline.name": "deploy|prod"}, 4.1 * 60),
                ],
                message="2 of 3 groups breach; worst @ci.pipeline.name=build: 7.2m",
                line=14,
                bands=[Band("fail", 300.0, None), Band("warn", 180.0, None)],
                groups=[
                    GroupResult({"@ci.pipeline.name": "build"}, 7.2 * 60, Status.FAIL),
                    GroupResult({"@ci.pipeline.name": "deploy|prod"}, 4.1 * 60, Status.WARN),
                    GroupResult({"@ci.pipeline.name": "lint"}, 30.0, Status.PASS),
                ],
            ),
            _check(
                "p90-duration-vs-last-week",
                Status.FAIL,
                observed=420.0,
                unit="s",
                threshold="fail change > 20%",
                message="c0 = 7m: fail change > 20% (baseline 5m, change +40.0%)",
                line=19,
                baseline=300.0,
                change=40.0,
                trend=[290.0, 300.0, 310.0, 305.0, 420.0],
            ),
            _check(
                "queue-time",
                Status.PASS,
                observed=250.0,
                unit="ms",
                threshold="fail > 2s",
                message="c1 = 250ms: within thresholds",
                line=20,
                metric="c1",
            ),
            _check(
                "failure-rate",
                Status.WARN,
                observed=3.5,
                unit="%",
                threshold="fail > 5%, warn > 2%",
                message="failure_rate = 3.5%: warn > 2%",
                line=25,
                metric="failure_rate",
            ),
            _check(
                "new-check",
                Status.FAIL,
                observed=12.0,
                threshold="fail > 10",
                message="c2 = 12: fail > 10",
                mode="shadow",
                line=31,
                metric="c2",
            ),
        ],
        request_hash="sha256:0123abcd",
        git_commit="deadbeef",
        duration_s=0.42,
        warnings=[],
        partial=False,
        tags=["ci"],
        tick=datetime(2024, 5, 1, 4, 0, tzinfo=UTC),
        window=(datetime(2024, 4, 24, 3, 30, tzinfo=UTC), datetime(2024, 5, 1, 3, 30, tzinfo=UTC)),
        missed_ticks=[datetime(2024, 4, 29, 4, 0, tzinfo=UTC)],
        owner="team-platform",
    )
    tekton = SpecOutcome(
        name="tekton-failures",
        source="tekton.summary",
        file="queries/tekton.yaml",
        line=1,
        status=Status.WARN,
        error=None,
        checks=[
            _check(
                "failed-runs",
                Status.NO_DATA,
                threshold="fail > 0",
                message="no data: the query returned no buckets (no_data: pass)",
                line=9,
                metric="failed",
            ),
            _check(
                "avg-duration",
                Status.WARN,
                observed=90000.0,
                unit="s",
                threshold="fail > 2d",
                message=(
                    "avg_duration = 1d: within thresholds; not trusted as a pass: "
                    "the query timed out: partial result"
                ),
                line=12,
                metric="avg_duration",
            ),
        ],
        request_hash="sha256:4567ef01",
        git_commit="deadbeef",
        duration_s=0.05,
        warnings=['index "ci" <is> slow, try a shorter range'],
        partial=True,
        tags=[],
    )
    broken = SpecOutcome(
        name="broken",
        source="datadog.spans",
        file="queries/broken.yaml",
        line=3,
        status=Status.ERROR,
        error="HTTP 503: service unavailable\nafter 3 attempts, 100% of them failed",
        checks=[],
        request_hash=None,
        git_commit="deadbeef",
        duration_s=1.5,
        warnings=[],
        partial=False,
        tags=[],
    )
    measured = SpecOutcome(
        name="unmeasured",
        source="datadog.ci_tests",
        file="queries/tests.yaml",
        line=1,
        status=Status.ERROR,
        error=None,
        checks=[
            _check(
                "flaky",
                Status.ERROR,
                message="no data: every value is null (no_data: error)",
                line=7,
            )
        ],
        request_hash="sha256:89ab",
        git_commit=None,
        duration_s=0.1,
        warnings=[],
        partial=False,
        tags=[],
    )
    specs = [duration, tekton, broken, measured]
    return RunResult(
        status=run_status(specs),
        started_at=STARTED,
        at=AT,
        qrunner_version="0.0.0-golden",
        target="local",
        specs=specs,
        run_id="12345-1",
    )


def render_all() -> dict[str, str]:
    """File name → expected text."""
    from qrunner.reports import REPORTERS

    run = sample_run()
    return {file: REPORTERS[name]().render(run) for name, file in FORMATS.items()}


def main() -> int:
    GOLDEN.mkdir(exist_ok=True)
    for file, text in render_all().items():
        (GOLDEN / file).write_text(text, encoding="utf-8", newline="")
        print(f"wrote {GOLDEN / file}")  # a developer script, not qrunner code
    return 0


if __name__ == "__main__":
    sys.exit(main())
