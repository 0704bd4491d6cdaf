"""Date math, intervals and time zones of the aggregate APIs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from qrunner.engine.datadog.datemath import (
    default_interval,
    format_epoch_ms,
    parse_instant,
    parse_interval,
    parse_timezone,
    to_epoch_ms,
    utc_offset_ms,
)
from qrunner.errors import QueryError

AT = datetime(2024, 6, 12, 15, 47, 31, 250000, tzinfo=UTC)  # a Wednesday


def ms(*args: int) -> int:
    return to_epoch_ms(datetime(*args, tzinfo=UTC))  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", to_epoch_ms(AT)),
        ("now-15m", to_epoch_ms(AT - timedelta(minutes=15))),
        ("now+1h", to_epoch_ms(AT + timedelta(hours=1))),
        ("now-7d", to_epoch_ms(AT - timedelta(days=7))),
        ("now-2w", to_epoch_ms(AT - timedelta(weeks=2))),
        ("now-30s", to_epoch_ms(AT - timedelta(seconds=30))),
        ("now/h", ms(2024, 6, 12, 15)),
        ("now-1d/d", ms(2024, 6, 11)),
        ("now/w", ms(2024, 6, 10)),
        ("now-1M", ms(2024, 5, 12, 15, 47, 31) + 250),
        ("now-1y/y", ms(2023, 1, 1)),
        ("now-1d/d+9h", ms(2024, 6, 11, 9)),
        ("2024-06-01", ms(2024, 6, 1)),
        ("2024-06-01T12:00:00Z", ms(2024, 6, 1, 12)),
        ("2024-06-01T12:00:00+02:00", ms(2024, 6, 1, 10)),
        ("2024-06-01T12:00:00.5Z", ms(2024, 6, 1, 12) + 500),
        ("1717243200000", 1717243200000),
        (1717243200000, 1717243200000),
    ],
)
def test_instants(text: object, expected: int) -> None:
    assert parse_instant(text, at=AT) == expected


def test_rounding_happens_in_the_query_zone() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert parse_instant("now/d", at=AT, zone=plus_two) == ms(2024, 6, 11, 22)


def test_month_arithmetic_clamps_the_day() -> None:
    at = datetime(2024, 3, 31, tzinfo=UTC)
    assert parse_instant("now-1M", at=at) == ms(2024, 2, 29)


@pytest.mark.parametrize("bad", ["now-15x", "yesterday", "", "now-", True, None, "2024-13-01"])
def test_bad_instants(bad: object) -> None:
    with pytest.raises(QueryError):
        parse_instant(bad, at=AT)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5m", 300_000), ("1h", 3_600_000), ("1d", 86_400_000), ("30s", 30_000), (60000, 60_000)],
)
def test_intervals(text: object, expected: int) -> None:
    assert parse_interval(text) == expected


@pytest.mark.parametrize("bad", ["5x", "fast", "", -5, 10, "0m", False])
def test_bad_intervals(bad: object) -> None:
    with pytest.raises(QueryError):
        parse_interval(bad)


def test_default_interval_gives_at_most_about_150_points() -> None:
    for span in (15 * 60_000, 3_600_000, 86_400_000, 7 * 86_400_000, 30 * 86_400_000):
        interval = default_interval(0, span)
        assert span / interval <= 150
        assert span / interval > 30
    assert default_interval(0, 15 * 60_000) == 10_000


@pytest.mark.parametrize(
    ("name", "offset_hours"),
    [("UTC", 0), ("GMT", 0), ("UTC+1", 1), ("GMT-05:30", -5.5), ("Asia/Kolkata", 5.5)],
)
def test_timezones(name: str, offset_hours: float) -> None:
    zone = parse_timezone(name)
    assert utc_offset_ms(zone, to_epoch_ms(AT)) == int(offset_hours * 3_600_000)


def test_iana_zones_know_daylight_saving() -> None:
    zone = parse_timezone("Europe/Paris")
    assert utc_offset_ms(zone, ms(2024, 1, 15)) == 3_600_000
    assert utc_offset_ms(zone, ms(2024, 7, 15)) == 7_200_000


@pytest.mark.parametrize("bad", ["Mars/Olympus", "UTC+99", "nowhere"])
def test_bad_timezones(bad: str) -> None:
    with pytest.raises(QueryError):
        parse_timezone(bad)


def test_point_format_matches_the_api() -> None:
    assert format_epoch_ms(ms(2023, 6, 29, 9, 40)) == "2023-06-29T09:40:00.000Z"
    assert format_epoch_ms(ms(2023, 6, 29, 9, 40) + 7) == "2023-06-29T09:40:00.007Z"
