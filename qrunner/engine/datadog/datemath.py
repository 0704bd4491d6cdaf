"""Datadog's time expressions: date math, timestamps, intervals and time zones.

``filter.from``/``filter.to`` accept

* date math relative to the run's "now": ``now``, ``now-15m``, ``now+1h``, ``now-7d/d`` (round
  down to the unit), chains such as ``now-1d/d+9h``; units ``s m h d w M y`` (``M`` months,
  ``y`` years; ``ms`` too);
* ISO-8601 (``2024-06-01``, ``2024-06-01T12:00:00Z``, ``...+02:00``; no offset means UTC);
* epoch milliseconds, as a number or a string of digits.

Rounding (``/d``) happens in the query's zone: ``options.timezone`` or ``time_offset``.
Every function returns epoch milliseconds; every bad input raises :class:`QueryError`.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from qrunner.errors import QueryError
from qrunner.limits import excerpt

_UNIT_MS = {
    "ms": 1,
    "s": 1_000,
    "m": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
    "w": 7 * 86_400_000,
}
_MATH_STEP = re.compile(r"([+-])(\d+)(ms|[smhdwMy])|/(ms|[smhdwMy])")
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UTC_OFFSET = re.compile(r"^(?:UTC|GMT)\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
_DIGITS = re.compile(r"^-?\d+$")


def to_epoch_ms(moment: datetime) -> int:
    """A datetime (naive means UTC) as epoch milliseconds."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def format_epoch_ms(epoch_ms: int) -> str:
    """Epoch milliseconds in the APIs' point format: ``2023-06-29T09:40:00.000Z``."""
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=epoch_ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_timezone(name: str) -> tzinfo:
    """``UTC``, ``GMT``, ``UTC+1``, ``GMT-05:30`` or an IANA name such as ``Europe/Paris``."""
    text = name.strip()
    if text.upper() in ("UTC", "GMT", "Z"):
        return UTC
    match = _UTC_OFFSET.match(text)
    if match:
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        if delta > timedelta(hours=14):
            raise QueryError(f"invalid timezone {name!r}: offset out of range")
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise QueryError(f"invalid timezone {name!r}") from e


def _round_down(moment: datetime, unit: str) -> datetime:
    if unit == "y":
        return moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "M":
        return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "w":
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return start - timedelta(days=start.weekday())
    if unit == "d":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "h":
        return moment.replace(minute=0, second=0, microsecond=0)
    if unit == "m":
        return moment.replace(second=0, microsecond=0)
    if unit == "s":
        return moment.replace(microsecond=0)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _add_months(moment: datetime, months: int) -> datetime:
    total = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    days_in_month = [31, 29 if _is_leap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return moment.replace(year=year, month=month, day=min(moment.day, days_in_month[month - 1]))


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _apply_math(anchor: datetime, math: str, zone: tzinfo, original: str) -> datetime:
    moment = anchor.astimezone(zone)
    position = 0
    while position < len(math):
        step = _MATH_STEP.match(math, position)
        if step is None:
            raise QueryError(
                f"invalid date math {excerpt(original)!r} at {excerpt(math[position:])!r}"
            )
        sign, amount, unit, round_unit = step.groups()
        if round_unit:
            moment = _round_down(moment, round_unit)
        else:
            count = int(amount) * (-1 if sign == "-" else 1)
            if unit in ("M", "y"):
                moment = _add_months(moment, count * (12 if unit == "y" else 1))
            else:
                moment = moment + timedelta(milliseconds=count * _UNIT_MS[unit])
        position = step.end()
    return moment


# The calendar datetime can represent: years 1 to 9999.
_MIN_EPOCH_MS = -62_135_596_800_000
_MAX_EPOCH_MS = 253_402_300_799_999


def parse_instant(value: object, *, at: datetime, zone: tzinfo = UTC) -> int:
    """A ``filter.from``/``filter.to`` value as epoch milliseconds, relative to ``at``; a time
    outside the years 1 to 9999 (``now-99999999d``, an infinite number) is a QueryError."""
    try:
        epoch_ms = _parse_instant(value, at=at, zone=zone)
    except (OverflowError, ValueError) as e:
        raise QueryError(
            f"time {excerpt(str(value))!r} is outside the calendar (years 1 to 9999)"
        ) from e
    if not _MIN_EPOCH_MS <= epoch_ms <= _MAX_EPOCH_MS:
        raise QueryError(f"time {excerpt(str(value))!r} is outside the calendar (years 1 to 9999)")
    return epoch_ms


def _parse_instant(value: object, *, at: datetime, zone: tzinfo) -> int:
    if isinstance(value, bool):
        raise QueryError(f"invalid time {value!r}")
    if isinstance(value, int | float):
        return int(value)
    if not isinstance(value, str) or not value.strip():
        raise QueryError(f"invalid time {value!r}")
    text = value.strip()
    if _DIGITS.match(text):
        return int(text)
    if text.startswith("now"):
        return to_epoch_ms(_apply_math(at, text[3:], zone, text))
    anchor_text, _, math = text.partition("||")
    try:
        anchor = datetime.fromisoformat(anchor_text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as e:
        raise QueryError(
            f"invalid time {excerpt(str(value))!r}: expected date math (now-15m), ISO-8601 "
            "or epoch milliseconds"
        ) from e
    if anchor.tzinfo is None:
        anchor = anchor.replace(tzinfo=UTC)
    return to_epoch_ms(_apply_math(anchor, math, zone, text) if math else anchor)


def parse_interval(value: object) -> int:
    """A timeseries interval (``5m``, ``1h``, ``1d``, ``30s``, or milliseconds) in milliseconds."""
    if isinstance(value, bool) or (isinstance(value, float) and not math.isfinite(value)):
        raise QueryError(f"invalid interval {value!r}")
    if isinstance(value, int | float):
        interval = int(value)
    elif isinstance(value, str) and (match := _INTERVAL.match(value)):
        amount, unit = match.groups()
        amount_ms = float(amount) * _UNIT_MS[unit or "ms"]
        if not math.isfinite(amount_ms):
            raise QueryError(f"invalid interval {excerpt(value)!r}: too large")
        interval = int(amount_ms)
    else:
        raise QueryError(
            f"invalid interval {value!r}: expected a duration such as 5m, 1h or 1d, "
            "or a number of milliseconds"
        )
    if interval < 1_000:
        raise QueryError(f"invalid interval {value!r}: the smallest interval is 1s")
    return interval


_NICE_INTERVALS_MS = [
    n * _UNIT_MS[u]
    for n, u in (
        (1, "s"), (5, "s"), (10, "s"), (15, "s"), (30, "s"),
        (1, "m"), (2, "m"), (5, "m"), (10, "m"), (15, "m"), (30, "m"),
        (1, "h"), (2, "h"), (3, "h"), (4, "h"), (6, "h"), (12, "h"),
        (1, "d"), (2, "d"), (7, "d"), (30, "d"),
    )
]  # fmt: skip


def default_interval(start_ms: int, end_ms: int, *, points: int = 150) -> int:
    """The smallest round interval that covers ``[start, end)`` in at most ~``points`` points."""
    wanted = max(1, end_ms - start_ms) / points
    for interval in _NICE_INTERVALS_MS:
        if interval >= wanted:
            return interval
    return _NICE_INTERVALS_MS[-1] * max(1, int(wanted // _NICE_INTERVALS_MS[-1]) + 1)


def utc_offset_ms(zone: tzinfo, at_ms: int) -> int:
    """The zone's offset from UTC at an instant, in milliseconds (DST-aware for IANA zones)."""
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=at_ms)
    offset = moment.astimezone(zone).utcoffset()
    return int(offset.total_seconds() * 1000) if offset else 0
