"""Ticks: the instants a cron names in a time zone, under the README's DST rules.

The cron is read on local calendar days. Each wall time it names on a day becomes zero, one
or two instants:

* a wall time that happens once is that instant;
* one that happens twice (clocks go back) fires at its first occurrence, or at both when the
  cron has ``*`` in its minute or hour field (such crons follow the real timeline);
* one that does not exist (clocks go forward) fires when the gap ends — unless the cron has
  ``*`` in its minute or hour field: the real timeline never shows that wall time.

The work is plain arithmetic on naive wall times and UTC instants (never on aware local
datetimes, whose arithmetic is wall-clock arithmetic), and the search over days is bounded:
:data:`~qrunner.limits.MAX_TICK_GAP_YEARS` is both how rare a cron may be and how far a
search looks.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from itertools import pairwise

from qrunner.errors import ScheduleError
from qrunner.limits import MAX_TICK_GAP_YEARS

from .crontab import CronFields

# Every UTC offset in the tz database is under 16 hours, so the instants of local day D lie in
# [D 00:00 - 16h, D 24:00 + 16h) read as UTC (a gap's end included: it precedes the gap's
# wall time read in the offset before the change).
_REACH_BEFORE = timedelta(hours=16)
_REACH_AFTER = timedelta(days=1, hours=16)
SEARCH_DAYS = MAX_TICK_GAP_YEARS * 366 + 7
_DAY = timedelta(days=1)


def latest_tick(fields: CronFields, zone: tzinfo, at: datetime) -> datetime:
    """The latest tick at or before ``at`` (aware, any zone) as a UTC datetime."""
    try:
        return _latest_tick(fields, zone, at)
    except OverflowError:  # the calendar ends (year 1, year 9999) before a tick
        raise ScheduleError(f"cron: the calendar (years 1 to 9999) ends before {at}") from None


def _latest_tick(fields: CronFields, zone: tzinfo, at: datetime) -> datetime:
    moment = at.astimezone(UTC).replace(tzinfo=None)
    best: datetime | None = None
    for day in _days(moment + _REACH_BEFORE, -1):
        start = datetime(day.year, day.month, day.day)
        if best is not None and start + _REACH_AFTER <= best:
            return best.replace(tzinfo=UTC)
        if fields.matches_date(day):
            earlier = [t for t in day_ticks(fields, zone, day) if t <= moment]
            if earlier and (best is None or earlier[-1] > best):
                best = earlier[-1]
    raise _never(fields, at, "before")


def next_tick(fields: CronFields, zone: tzinfo, at: datetime) -> datetime:
    """The first tick strictly after ``at`` as a UTC datetime."""
    try:
        return _next_tick(fields, zone, at)
    except OverflowError:  # the calendar ends (year 1, year 9999) before a tick
        raise ScheduleError(f"cron: the calendar (years 1 to 9999) ends after {at}") from None


def _next_tick(fields: CronFields, zone: tzinfo, at: datetime) -> datetime:
    moment = at.astimezone(UTC).replace(tzinfo=None)
    best: datetime | None = None
    for day in _days(moment - _REACH_AFTER, 1):
        start = datetime(day.year, day.month, day.day)
        if best is not None and start - _REACH_BEFORE > best:
            return best.replace(tzinfo=UTC)
        if fields.matches_date(day):
            later = [t for t in day_ticks(fields, zone, day) if t > moment]
            if later and (best is None or later[0] < best):
                best = later[0]
    raise _never(fields, at, "after")


def ticks_between(
    fields: CronFields, zone: tzinfo, after: datetime, until: datetime, limit: int
) -> list[datetime]:
    """Ticks in ``(after, until]``, newest first, at most ``limit`` of them (UTC); the ones
    the calendar's ends cut off are not there."""
    try:
        return _ticks_between(fields, zone, after, until, limit)
    except OverflowError:
        return []


def _ticks_between(
    fields: CronFields, zone: tzinfo, after: datetime, until: datetime, limit: int
) -> list[datetime]:
    low = after.astimezone(UTC).replace(tzinfo=None)
    high = until.astimezone(UTC).replace(tzinfo=None)
    found: list[datetime] = []
    for day in _days(high + _REACH_BEFORE, -1):
        start = datetime(day.year, day.month, day.day)
        if start + _REACH_AFTER <= low:
            break
        if len(found) >= limit and start + _REACH_AFTER <= found[limit - 1]:
            break
        if fields.matches_date(day):
            found.extend(t for t in day_ticks(fields, zone, day) if low < t <= high)
            found.sort(reverse=True)
    return [t.replace(tzinfo=UTC) for t in found[:limit]]


@lru_cache(maxsize=4096)
def day_ticks(fields: CronFields, zone: tzinfo, day: date) -> tuple[datetime, ...]:
    """The instants (naive UTC, sorted, distinct) the cron names on local ``day``."""
    out: set[datetime] = set()
    for hour in fields.hours:
        steady = _steady_offset(day, hour, zone)
        if steady is not None:  # the usual hour: no change of offset in it, one instant each
            start = datetime(day.year, day.month, day.day, hour) - steady
            out.update(start + timedelta(minutes=minute) for minute in fields.minutes)
            continue
        for minute in fields.minutes:
            wall = datetime(day.year, day.month, day.day, hour, minute)
            first, second = _offsets(wall, zone)
            if first == second:  # the usual case: the wall time happens once
                out.add(wall - first)
            elif first > second:  # clocks went back: it happens twice
                out.add(wall - first)
                if fields.wildcard:
                    out.add(wall - second)
            elif not fields.wildcard:  # clocks went forward: it never happens
                out.add(_gap_end(wall - second, wall - first, zone))
    return tuple(sorted(out))


def _steady_offset(day: date, hour: int, zone: tzinfo) -> timedelta | None:
    """The UTC offset of every minute of this local hour, when it is one (None in an hour
    with a change). Both ends read the same both ways only when no change happens between
    them: no zone changes its offset twice within an hour."""
    first = _offsets(datetime(day.year, day.month, day.day, hour), zone)
    last = _offsets(datetime(day.year, day.month, day.day, hour, 59), zone)
    return first[0] if first[0] == first[1] == last[0] == last[1] else None


def _offsets(wall: datetime, zone: tzinfo) -> tuple[timedelta, timedelta]:
    """The UTC offset of ``wall``'s first and second reading (equal outside a change)."""
    first = wall.replace(tzinfo=zone).utcoffset()
    second = wall.replace(tzinfo=zone, fold=1).utcoffset()
    assert first is not None and second is not None  # tzinfo objects always answer
    return first, second


def _gap_end(low: datetime, high: datetime, zone: tzinfo) -> datetime:
    """The instant in ``(low, high]`` (naive UTC) at which the offset becomes the later one:
    when the clocks went forward. Bisection to the second: at most ~17 steps for a day-long
    gap."""
    later = _offset_at(high, zone)
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle <= low:
            break
        if _offset_at(middle, zone) == later:
            high = middle
        else:
            low = middle
    return high


def _offset_at(instant: datetime, zone: tzinfo) -> timedelta:
    offset = instant.replace(tzinfo=UTC).astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def _days(moment: datetime, step: int) -> Iterator[date]:
    """Local days from ``moment``'s date onwards (step 1) or backwards (step -1), at most
    :data:`SEARCH_DAYS` of them, stopping quietly at the calendar's ends."""
    day = moment.date()
    for _ in range(SEARCH_DAYS):
        yield day
        try:
            day += _DAY * step
        except OverflowError:
            return


def _never(fields: CronFields, at: datetime, where: str) -> ScheduleError:
    return ScheduleError(
        f"cron: no tick within {MAX_TICK_GAP_YEARS} years {where} "
        f"{at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
    )


def fires_often_enough(fields: CronFields) -> bool:
    """Whether the cron names a day in every :data:`MAX_TICK_GAP_YEARS` years: the dates of
    the Gregorian calendar (weekdays included) repeat every 400 years, so one cycle decides."""
    if fields.either_day or len(fields.weekdays) == 7 or len(fields.days) == 31:
        return True  # a named weekday in every month it allows, or a (month, day) every 8 years
    matching = [
        date(year, month, day).toordinal()
        for year in range(2000, 2400)
        for month in sorted(fields.months)
        for day in sorted(fields.days)
        if _exists(year, month, day) and fields.matches_date(date(year, month, day))
    ]
    if not matching:
        return False
    gaps = [b - a for a, b in pairwise(matching)]
    gaps.append(matching[0] + 146097 - matching[-1])  # around the cycle
    return max(gaps) <= MAX_TICK_GAP_YEARS * 365


def _exists(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True
