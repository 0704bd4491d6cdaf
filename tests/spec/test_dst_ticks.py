"""Ticks on DST days, as the README's Scheduling section states them, through `qrunner plan`
and against an independent minute-by-minute reading of the rules (dst_reference.py).

The cases of issue 19 first: each one was wrong (or hung) before.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrunner.spec.cron import parse_schedule

from .dst_reference import reference_ticks, transitions

SPEC = """\
version: 1
name: dst
source: datadog.ci_tests
schedule:
  cron: "{cron}"
  timezone: {zone}
  window: 1h
request:
  compute: [{{aggregation: count, type: total}}]
  filter:
    from: "{{{{ window.start | epoch_ms | string }}}}"
    to: "{{{{ window.end | epoch_ms | string }}}}"
    query: "*"
checks:
  - {{name: ran, metric: c0, fail: "< 0"}}
"""


def _plan(run_cli: Any, tmp_path: Path, cron: str, zone: str, at: str) -> dict[str, Any]:
    path = tmp_path / "dst.yaml"
    path.write_text(SPEC.format(cron=cron, zone=zone))
    result = run_cli("plan", str(path), "--at", at, "--format", "json", expect=0)
    entry: dict[str, Any] = json.loads(result.stdout)[0]
    return entry


@pytest.mark.parametrize(
    ("cron", "zone", "at", "latest", "following"),
    [
        # the last second before clocks go back: the latest tick is not in the future
        ("*/15 * * * *", "Europe/Berlin", "2024-10-27T00:59:59Z", "00:45", "01:00"),
        ("@hourly", "America/New_York", "2024-11-03T05:59:59Z", "05:00", "06:00"),
        # 30-minute change (Lord Howe, 02:00 → 02:30): 01:30 at 15:00Z, then 02:30 at 15:30Z
        ("30 * * * *", "Australia/Lord_Howe", "2024-10-05T15:00:00Z", "15:00", "15:30"),
        # a day that starts inside a midnight gap: Friday 00:00-00:59 never happens in Cairo
        ("*/30 0 * * 5", "Africa/Cairo", "2024-04-25T22:10:00Z", "04-18T22:30", "05-02T21:00"),
        # hung before: every second hour over Chatham's 45-minute fall-back
        ("0 */2 * * *", "Pacific/Chatham", "2026-04-04T14:15:00Z", "12:15", "15:15"),
    ],
)
def test_the_issue_cases_through_plan(
    run_cli: Any, tmp_path: Path, cron: str, zone: str, at: str, latest: str, following: str
) -> None:
    entry = _plan(run_cli, tmp_path, cron, zone, at)
    assert entry["latest_tick"] <= at < entry["next_tick"]
    assert entry["latest_tick"].endswith(f"{latest}:00Z"), entry
    assert entry["next_tick"].endswith(f"{following}:00Z"), entry


def test_chatham_repeated_hour_has_both_passes_for_a_wildcard(run_cli: Any, tmp_path: Path) -> None:
    """Chatham goes 03:45 → 02:45 on 2024-04-07 (14:00Z): 02:50 happens twice, 03:50 once."""
    schedule = parse_schedule("50 * * * *", "Pacific/Chatham", "1h", "0m")
    after, until = _utc("2024-04-06T12:00:00Z"), _utc("2024-04-06T15:30:00Z")
    found = schedule.ticks_between(after, until, 10)[::-1]
    assert [f"{t:%H:%M}" for t in found] == ["12:05", "13:05", "14:05", "15:05"]
    entry = _plan(run_cli, tmp_path, "50 * * * *", "Pacific/Chatham", "2024-04-06T14:04:59Z")
    assert (entry["latest_tick"], entry["next_tick"]) == (
        "2024-04-06T13:05:00Z",
        "2024-04-06T14:05:00Z",
    )


def test_a_fixed_time_in_a_45_minute_gap_fires_when_the_gap_ends(
    run_cli: Any, tmp_path: Path
) -> None:
    """Chatham goes 02:45 → 03:45 on 2024-09-29 (2024-09-28T14:00Z)."""
    entry = _plan(run_cli, tmp_path, "0 3 * * *", "Pacific/Chatham", "2024-09-28T14:00:00Z")
    assert entry["latest_tick"] == "2024-09-28T14:00:00Z"
    assert entry["next_tick"] == "2024-09-29T13:15:00Z"  # 03:00 CHADT (+13:45) the day after


def test_plan_and_validate_locate_schedule_errors_alike(run_cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "dst.yaml"
    for cron, text in [
        ("0 0 L * *", "'L' and 'W'"),
        ("0 0 * * MON#1", "nth weekday"),
        ("5/15 * * * *", "write 5-59/15"),
    ]:
        path.write_text(SPEC.format(cron=cron, zone="UTC"))
        validated = run_cli("validate", str(path), expect=2).stdout
        planned = run_cli("plan", str(path), expect=2).stderr
        expected = f"{path}:5:3: "
        assert expected in validated and "[schedule.cron]" in validated
        assert expected in planned and "[schedule.cron]" in planned, planned
        assert text in validated and text in planned


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# Zones with 30- and 45-minute changes, changes at midnight, and the usual ones.
ZONES = (
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Africa/Cairo",
    "America/Santiago",
    "America/Havana",
    "Asia/Beirut",
    "Europe/Berlin",
    "America/New_York",
)
_MINUTE = st.sampled_from(["*", "0", "30", "45", "*/15", "*/20", "0,30", "15-50/5", "59", "5-25"])
_HOUR = st.sampled_from(["*", "0", "1", "2", "3", "23", "*/2", "1-3", "0,12", "22-23"])
_DOW = st.sampled_from(["*", "*", "*", "0", "5", "1-5", "6,0"])
_DOM = st.sampled_from(["*", "*", "*", "2-31", "1,15"])  # either day (both restricted)
CRONS = st.one_of(
    # a restricted day of month only beside a restricted weekday (either matches): no
    # generated cron goes more than a week without a tick
    st.tuples(_MINUTE, _HOUR, _DOM, _DOW).map(
        lambda f: f"{f[0]} {f[1]} {f[2] if f[3] != '*' else '*'} * {f[3]}"
    ),
    st.sampled_from(["@hourly", "@daily"]),
)


def check_against_reference(cron: str, zone: str, at: datetime) -> None:
    """latest/next/ticks_between agree with the minute walk over ±3 days (±9 when that has
    no tick on a side: no generated cron goes more than a week without one)."""
    schedule = parse_schedule(cron, zone, "1h", "0m")
    for days in (3, 9):
        span = timedelta(days=days)
        walked = reference_ticks(cron, zone, at - span, at + span)
        before = [t for t in walked if t <= at]
        after = [t for t in walked if t > at]
        if before and after:
            break
    latest, following = schedule.bracket(at)
    assert latest <= at < following
    assert (latest, following) == (before[-1], after[0]), (cron, zone, at)
    recent = [t for t in before if t > at - timedelta(days=2)][::-1]
    assert schedule.ticks_between(at - timedelta(days=2), at, 10_000) == recent
    assert schedule.is_tick(latest)


@st.composite
def near_a_change(draw: st.DrawFn) -> tuple[str, datetime]:
    zone = draw(st.sampled_from(ZONES))
    changes = transitions(zone)
    change = draw(st.sampled_from(changes[-40:]))  # the last twenty years or so of each zone
    seconds = draw(st.integers(-2 * 86400, 2 * 86400))
    return zone, change + timedelta(seconds=seconds)


@settings(max_examples=300, deadline=None)
@given(cron=CRONS, where=near_a_change())
def test_ticks_agree_with_a_minute_walk_around_dst_changes(
    cron: str, where: tuple[str, datetime]
) -> None:
    zone, at = where
    check_against_reference(cron, zone, at)


def test_run_due_returns_on_the_schedule_that_hung(run_cli: Any, tmp_path: Path) -> None:
    """`run --due` shares the tick search with `plan`: the Chatham case runs its latest tick."""
    path = tmp_path / "dst.yaml"
    path.write_text(SPEC.format(cron="0 */2 * * *", zone="Pacific/Chatham"))
    (tmp_path / "data" / "ci_tests").mkdir(parents=True)
    event = {"timestamp": "2026-04-04T12:00:00Z", "test_level": "test"}
    (tmp_path / "data" / "ci_tests" / "t.jsonl").write_text(json.dumps(event) + "\n")
    report = tmp_path / "report.json"
    run_cli(
        "run", str(path), "--due", "--state", str(tmp_path / "state.json"),
        "--at", "2026-04-04T14:15:00Z", "--data", str(tmp_path / "data"),
        "--report", f"json:{report}", expect=0,
    )  # fmt: skip
    assert json.loads(report.read_text())["specs"][0]["tick"] == "2026-04-04T12:15:00Z"
