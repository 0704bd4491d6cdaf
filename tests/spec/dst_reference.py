"""An independent reading of the README's DST rules: a minute-by-minute walk of the real
timeline, for the schedule property test (tests/spec/test_dst_ticks.py) and its large run
(tests/bench/bench_dst_ticks.py).

It shares no code with qrunner: croniter expands the fields, the walk goes forward over UTC
minutes and reads each one's local wall time (``astimezone``: zoneinfo's UTC → local path,
where qrunner goes local → UTC), and applies the rules as the README states them:

* a minute whose wall time the cron names is a tick — for a cron with ``*`` in its minute or
  hour field on every pass, otherwise on the first pass only (zoneinfo's ``fold == 0``);
* when the wall clock jumps forward, a cron without such a ``*`` that names a skipped wall
  time fires at the first minute after the jump.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

MINUTE = timedelta(minutes=1)
ALIASES = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@weekly": "0 0 * * 0"}


@cache
def expand(cron: str) -> tuple[tuple[frozenset[int] | None, ...], bool, bool]:
    """(field sets, None for ``*``), whether both day fields are restricted, and whether the
    minute or hour field has a ``*``."""
    from croniter import croniter

    text = ALIASES.get(cron, cron)
    parts = text.split()
    sets = tuple(
        None if values == ["*"] else frozenset(int(v) % 7 if i == 4 else int(v) for v in values)
        for i, values in enumerate(croniter(text).expanded)
    )
    either = not parts[2].startswith("*") and not parts[4].startswith("*")
    return sets, either, "*" in parts[0] or "*" in parts[1]


def _names(cron: str, wall: datetime) -> bool:
    (minutes, hours, days, months, weekdays), either, _ = expand(cron)
    if minutes is not None and wall.minute not in minutes:
        return False
    if hours is not None and wall.hour not in hours:
        return False
    if months is not None and wall.month not in months:
        return False
    on_day = days is None or wall.day in days
    on_weekday = weekdays is None or (wall.isoweekday() % 7) in weekdays
    return (on_day or on_weekday) if either else (on_day and on_weekday)


def reference_ticks(cron: str, zone: str, start: datetime, end: datetime) -> list[datetime]:
    """Every tick in ``[start, end]`` (UTC, whole minutes), oldest first."""
    tz = ZoneInfo(zone)
    wildcard = expand(cron)[2]
    out: list[datetime] = []
    moment = start.astimezone(UTC).replace(second=0, microsecond=0)
    previous = (moment - MINUTE).astimezone(tz)
    while moment <= end:
        local = moment.astimezone(tz)
        wall = local.replace(tzinfo=None)
        fires = _names(cron, wall) and (wildcard or local.fold == 0)
        skipped = previous.replace(tzinfo=None) + MINUTE
        while not wildcard and not fires and skipped < wall:  # the clock jumped forward
            fires = _names(cron, skipped)
            skipped += MINUTE
        if fires and moment >= start:
            out.append(moment)
        previous, moment = local, moment + MINUTE
    return out


@cache
def transitions(zone: str, first_year: int = 2000, last_year: int = 2037) -> tuple[datetime, ...]:
    """The instants (UTC) at which ``zone``'s offset changes, found by sampling every six hours
    and bisecting to the minute."""
    tz = ZoneInfo(zone)
    out: list[datetime] = []
    moment = datetime(first_year, 1, 1, tzinfo=UTC)
    step = timedelta(hours=6)
    while moment.year <= last_year:
        after = moment + step
        if moment.astimezone(tz).utcoffset() != after.astimezone(tz).utcoffset():
            low, high = 0, int(step / MINUTE)  # minutes after ``moment``: bisect to one
            while high - low > 1:
                middle = (low + high) // 2
                shifted = (moment + middle * MINUTE).astimezone(tz).utcoffset()
                same = shifted == moment.astimezone(tz).utcoffset()
                low, high = (middle, high) if same else (low, middle)
            out.append(moment + high * MINUTE)
        moment = after
    return tuple(out)
