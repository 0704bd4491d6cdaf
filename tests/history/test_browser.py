"""The trend report in a real browser: headless chromium opens the file (no network), every
chart is drawn with a marker per recorded value and its threshold bands, the filters work,
nothing is logged as an error; a screenshot is kept in ``artifacts/`` for CI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qrunner.history.rows import rows_from_report
from qrunner.history.store import append_rows
from tests.history.cdp import find_chromium, open_page

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
DAYS = 12
STATUSES = ["pass"] * 9 + ["warn", "fail", "fail"]


def _report(day: int) -> dict[str, Any]:
    at = f"2026-05-{day:02d}T06:00:00Z"
    checks = [
        {
            "name": "p90 duration",
            "status": STATUSES[day - 1],
            "observed": 10.0 + day,
            "unit": "m",
            "threshold": "fail > 20m, warn > 19m",
            "mode": "enforce",
            "metric": "c0",
            "message": "",
            "baseline": 10.0 + day / 2,
            "change": 5.0,
            "bands": [
                {"level": "fail", "low": 20.0, "high": None},
                {"level": "warn", "low": 19.0, "high": None},
            ],
            "groups": [
                {"by": {"pipeline": "build"}, "observed": 10.0 + day, "status": "pass"},
                {
                    "by": {"pipeline": "<script>alert(1)</script>"},
                    "observed": 3.0,
                    "status": "pass",
                },
            ],
        },
        {
            "name": "pass rate",
            "status": "pass",
            "observed": 99.0,
            "unit": "%",
            "threshold": "fail < 95%",
            "mode": "enforce",
            "metric": "c1",
            "message": "",
            "bands": [{"level": "fail", "low": None, "high": 95.0}],
            "groups": [],
        },
    ]
    return {"version": 1, "run_id": f"d{day}", "at": at, "started_at": at, "target": "local",
            "qrunner_version": "0", "specs": [
                {"name": "pipelines", "source": "datadog.ci_pipelines", "file": "p.yaml",
                 "owner": "team-platform", "tags": ["nightly"], "error": None,
                 "request_hash": "h", "git_commit": None, "checks": checks[:1]},
                {"name": "tests", "source": "datadog.ci_tests", "file": "t.yaml",
                 "owner": "team-ci", "tags": ["hourly"], "error": None,
                 "request_hash": "h", "git_commit": None, "checks": checks[1:]}]}  # fmt: skip


def _filter(page: Any, select: str, value: str) -> int:
    """Choose ``value`` in a filter; how many cards are left visible."""
    page.evaluate(
        f"{{ const s = document.getElementById('{select}'); s.value = '{value}';"
        "s.dispatchEvent(new Event('change')); }"
    )
    return int(page.evaluate("document.querySelectorAll('section.card:not(.hidden)').length"))


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = find_chromium()
    if binary is None:
        pytest.skip("chromium is not installed (.ci/run installs it: apt-get install chromium)")
    return binary


def test_the_trend_report_renders_in_chromium(chromium: str, tmp_path: Path, run_cli: Any) -> None:
    history = tmp_path / "history"
    for day in range(1, DAYS + 1):
        append_rows(history, f"d{day}", rows_from_report(_report(day)))
    out = tmp_path / "trends.html"
    run_cli("report", "html", "--history", str(history), "--out", str(out),
            "--at", "2026-05-13T00:00:00Z", expect=0)  # fmt: skip
    with open_page(chromium, out.resolve().as_uri()) as page:
        assert page.wait_for("document.body && document.body.dataset.rendered") == "2"
        markers = page.evaluate("document.querySelectorAll('.scatterlayer path.point').length")
        assert markers == 2 * DAYS  # one per recorded value of each check
        colours = page.evaluate(
            "[...document.querySelectorAll('.scatterlayer path.point')]"
            ".map(p => p.style.fill).filter((c, i, all) => all.indexOf(c) === i).length"
        )
        assert colours == 3  # pass, warn and fail points differ
        assert page.evaluate("document.querySelectorAll('.shapelayer path').length") == 3
        legend = page.evaluate("document.querySelector('main').innerText")
        assert "<script>alert(1)</script>" in legend  # a group name shown as text, not run
        assert _filter(page, "f-status", "fail") == 1
        assert _filter(page, "f-status", "") == 2
        assert _filter(page, "f-owner", "team-ci") == 1
        assert _filter(page, "f-owner", "") == 2
        assert _filter(page, "f-tag", "nightly") == 1
        assert _filter(page, "f-tag", "") == 2
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(ARTIFACTS / "trend-report.png")
        assert page.errors == []
    assert (ARTIFACTS / "trend-report.png").stat().st_size > 10_000
