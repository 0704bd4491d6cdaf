"""Schedules: cron parsing, ticks, windows and daylight saving time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qrunner.errors import ScheduleError
from qrunner.spec.cron import format_utc, parse_schedule, parse_tick


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def test_latest_tick_is_at_or_before_and_the_window_ends_delay_before_it() -> None:
    schedule = parse_schedule("0 6 * * 1-5", "Europe/Berlin", "7d", "30m")
    at = utc("2024-05-01T12:00:00Z")  # a Wednesday; 06:00 CEST is 04:00 UTC
    tick = schedule.latest_tick(at)
    assert tick == utc("2024-05-01T04:00:00Z")
    assert schedule.latest_tick(tick) == tick  # a tick at exactly --at counts
    assert schedule.next_tick(tick) == utc("2024-05-02T04:00:00Z")
    window = schedule.window_of(tick)
    assert (window.start, window.end) == (utc("2024-04-24T03:30:00Z"), utc("2024-05-01T03:30:00Z"))


def test_weekday_schedule_skips_the_weekend() -> None:
    schedule = parse_schedule("0 6 * * 1-5", "UTC", "1d", "0m")
    assert schedule.latest_tick(utc("2024-05-05T12:00:00Z")) == utc("2024-05-03T06:00:00Z")


@pytest.mark.parametrize(
    ("alias", "at", "tick"),
    [
        ("@hourly", "2024-05-01T12:34:00Z", "2024-05-01T12:00:00Z"),
        ("@daily", "2024-05-01T12:34:00Z", "2024-05-01T00:00:00Z"),
        ("@weekly", "2024-05-01T12:34:00Z", "2024-04-28T00:00:00Z"),  # Sunday
        ("@monthly", "2024-05-01T12:34:00Z", "2024-05-01T00:00:00Z"),
    ],
)
def test_aliases(alias: str, at: str, tick: str) -> None:
    assert parse_schedule(alias, "UTC", "1d").latest_tick(utc(at)) == utc(tick)


# Europe/Berlin: clocks go 02:00 → 03:00 on 2024-03-31 and 03:00 → 02:00 on 2024-10-27.
# America/New_York: 02:00 → 03:00 on 2024-03-10 and 02:00 → 01:00 on 2024-11-03.
@pytest.mark.parametrize(
    ("cron", "zone", "after", "ticks"),
    [
        # 02:30 does not exist: it fires at 03:00 CEST, the first minute after the gap
        ("30 2 * * *", "Europe/Berlin", "2024-03-30T12:00:00Z", ["2024-03-31T01:00:00Z"]),
        # 02:30 happens twice: it fires once, at the first (CEST, before the change)
        ("30 2 * * *", "Europe/Berlin", "2024-10-26T12:00:00Z", ["2024-10-27T00:30:00Z"]),
        ("30 2 * * *", "America/New_York", "2024-03-09T12:00:00Z", ["2024-03-10T07:00:00Z"]),
        ("30 1 * * *", "America/New_York", "2024-11-02T12:00:00Z", ["2024-11-03T05:30:00Z"]),
        # "*" in the hour: the real timeline, both passes through the repeated hour
        (
            "*/30 * * * *",
            "Europe/Berlin",
            "2024-10-26T23:45:00Z",
            ["2024-10-27T00:00:00Z", "2024-10-27T00:30:00Z", "2024-10-27T01:00:00Z"],
        ),
        (
            "0 * * * *",
            "America/New_York",
            "2024-11-03T04:30:00Z",
            ["2024-11-03T05:00:00Z", "2024-11-03T06:00:00Z", "2024-11-03T07:00:00Z"],
        ),
    ],
)
def test_dst_days(cron: str, zone: str, after: str, ticks: list[str]) -> None:
    schedule = parse_schedule(cron, zone, "1d", "0m")
    moment = utc(after)
    found = []
    for _ in ticks:
        moment = schedule.next_tick(moment)
        found.append(format_utc(moment))
    assert found == ticks
    # read backwards the same way: each is the latest tick at or before itself
    for tick in ticks:
        assert format_utc(schedule.latest_tick(utc(tick) + timedelta(seconds=59))) == tick


def test_dst_day_ticks_are_one_per_day_and_windows_are_exact_hours() -> None:
    schedule = parse_schedule("30 2 * * *", "Europe/Berlin", "1d", "30m")
    ticks = schedule.ticks_between(utc("2024-10-25T12:00:00Z"), utc("2024-10-29T12:00:00Z"), 10)
    assert [format_utc(t) for t in reversed(ticks)] == [
        "2024-10-26T00:30:00Z",
        "2024-10-27T00:30:00Z",
        "2024-10-28T01:30:00Z",
        "2024-10-29T01:30:00Z",
    ]
    window = schedule.window_of(ticks[-1])
    assert window.end - window.start == timedelta(hours=24)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"cron": "0 6 * *"}, "has 4 fields"),
        ({"cron": "61 * * * *"}, "minute '61' is not in 0-59"),
        ({"cron": "@fortnightly"}, "unknown alias"),
        ({"cron": "0 0 30 2 *"}, "no month has that day"),
        ({"cron": "0 0 29 2 1-5"}, None),  # 29 February or any weekday of February: fine
        ({"cron": "0 0 */31 2 1"}, None),  # 1 February on a Monday: every 11 years at most
        # 29 February on a Sunday: 2088, then 2128
        ({"cron": "0 0 29 2 */7"}, "less often than once in 28 years"),
        # cronsim's extensions are not Debian cron: refused, with what to write instead
        ({"cron": "0 0 L * *"}, "'L' and 'W'"),
        ({"cron": "0 0 5L * *"}, "'L' and 'W'"),
        ({"cron": "0 0 15W * *"}, "'L' and 'W'"),
        ({"cron": "0 0 * * MON#1"}, "nth weekday"),
        ({"cron": "0 0 ? * *"}, "'[?]' is not Debian cron"),
        ({"cron": "5/15 * * * *"}, "a step needs a range or [*] in Debian cron [(]write 5-59/15"),
        ({"cron": "0 0 5-1 * *"}, "runs backwards"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"window": "7 days"}, "invalid duration"),
        ({"window": "0d"}, "longer than 0"),
        ({"delay": "-5m"}, "invalid duration"),
        ({"delay": "400d"}, "limit"),
    ],
)
def test_bad_schedules_name_the_field(fields: dict[str, str], message: str | None) -> None:
    args = {"cron": "0 6 * * *", "timezone": "UTC", "window": "1d", "delay": "0m", **fields}
    if message is None:
        parse_schedule(args["cron"], args["timezone"], args["window"], args["delay"])
        return
    with pytest.raises(ScheduleError, match=message):
        parse_schedule(args["cron"], args["timezone"], args["window"], args["delay"])


_TOKENS = st.sampled_from(
    ["*", "*/15", "0", "5", "59", "60", "1-5", "5-1", "MON", "JAN", "L", "W", "#", "?", "/", ",",
     "-", "1,2", "31", "@daily", "@x", "", "24", "0-23/2", "7", "2-30/0", "\u0663", "99999999999"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    cron=st.one_of(st.text(max_size=30), st.lists(_TOKENS, max_size=7).map(" ".join)),
    timezone=st.one_of(st.text(max_size=20), st.sampled_from(["UTC", "Europe/Berlin", "../x"])),
    window=st.one_of(st.text(max_size=8), st.integers(), st.none()),
    delay=st.one_of(st.text(max_size=8), st.sampled_from(["0m", "30m", "1w"])),
)
def test_the_parser_raises_only_schedule_errors(
    cron: str, timezone: str, window: Any, delay: str
) -> None:
    try:
        schedule = parse_schedule(cron, timezone, window, delay)
    except ScheduleError:
        return
    schedule.latest_tick(datetime(2024, 5, 1, tzinfo=UTC))


_FIELD = st.sampled_from(["*", "0", "15", "*/5", "1-3", "0,30"])


@settings(max_examples=150, deadline=None)
@given(
    minute=_FIELD,
    hour=st.sampled_from(["*", "0", "2", "6", "1-3", "*/6"]),
    dow=st.sampled_from(["*", "1-5", "0", "6"]),
    zone=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]),
    at=st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2037, 12, 31)),
)
def test_latest_and_next_tick_bracket_any_moment(
    minute: str, hour: str, dow: str, zone: str, at: datetime
) -> None:
    schedule = parse_schedule(f"{minute} {hour} * * {dow}", zone, "1h", "0m")
    moment = at.replace(tzinfo=UTC)
    latest, following = schedule.latest_tick(moment), schedule.next_tick(moment)
    assert latest <= moment < following
    assert schedule.latest_tick(latest) == latest
    assert schedule.next_tick(latest) == following or schedule.next_tick(latest) <= moment


def test_parse_tick() -> None:
    assert parse_tick("2024-05-01T06:00:00+02:00") == utc("2024-05-01T04:00:00Z")
    assert parse_tick("1714543200") == utc("2024-05-01T06:00:00Z")
    with pytest.raises(ScheduleError, match="--tick"):
        parse_tick("yesterday")


SPEC = """\
version: 1
name: s
source: datadog.ci_tests
schedule:
  cron: "{cron}"
  timezone: {zone}
  window: {window}
  delay: 30m
request:
  compute: [{{aggregation: count, type: total}}]
  filter: {{from: "{{{{ window.start | epoch_ms | string }}}}", to: now, query: "*"}}
"""


def test_schedule_errors_are_located_and_now_is_warned_about(run_cli: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SPEC.format(cron="0 25 * * *", zone="Europe/Berlinn", window="7days"))
    result = run_cli("validate", str(bad), expect=2)
    assert f"{bad}:5:3: hour '25' is not in 0-23" in result.stdout
    assert f"{bad}:6:3: unknown time zone 'Europe/Berlinn'" in result.stdout
    assert f"{bad}:7:3: invalid duration '7days'" in result.stdout
    good = tmp_path / "good.yaml"
    good.write_text(SPEC.format(cron="@daily", zone="UTC", window="1d"))
    result = run_cli("validate", str(good), expect=0)
    warning = f"{good}:11:60: warning: this scheduled spec's request.filter.to is 'now'"
    assert warning in result.stdout


def test_window_is_reserved_in_a_scheduled_spec(run_cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SPEC.format(cron="@daily", zone="UTC", window="1d") + "vars: {window: 2}\n")
    result = run_cli("validate", str(path), expect=2)
    assert "'window' is built in for a scheduled spec" in result.stdout


_MINUTE = st.sampled_from(["*", "0", "7", "*/15", "5-20/5", "0,30", "59"])
_HOUR = st.sampled_from(["*", "0", "6", "23", "*/6", "9-17", "1,13"])
_DOM = st.sampled_from(["*", "1", "15", "28", "31", "1-7"])
_MONTH = st.sampled_from(["*", "1", "2", "*/3", "6-8", "12"])
_DOW = st.sampled_from(["*", "0", "1-5", "6", "1,3,5"])


@settings(max_examples=200, deadline=None)
@given(
    fields=st.tuples(_MINUTE, _HOUR, _DOM, _MONTH, _DOW),
    at=st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2037, 12, 31)),
)
def test_ticks_agree_with_croniter(fields: tuple[str, ...], at: datetime) -> None:
    """An implementation qrunner does not use, as a reference (UTC: no DST rules differ)."""
    from croniter import croniter

    cron = " ".join(fields)
    moment = at.replace(tzinfo=UTC, microsecond=0)
    try:
        schedule = parse_schedule(cron, "UTC", "1h", "0m")
    except ScheduleError:  # a day that no month has (31 February): refused up front
        assume(False)
        return
    reference = croniter(cron, moment + timedelta(seconds=1))
    assert schedule.latest_tick(moment) == reference.get_prev(datetime)
    assert schedule.next_tick(moment) == croniter(cron, moment).get_next(datetime)
