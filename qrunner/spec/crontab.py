"""Debian cron's five fields, parsed into sets: what a schedule's ``cron:`` may say.

The grammar is Debian cron's (crontab(5)): each field is a comma-separated list of ``*``,
numbers, ranges ``a-b`` and steps ``*/n`` or ``a-b/n``; months and weekdays also take their
three-letter English names (``jan``, ``mon``, in any case, also in ranges); weekday 7 is Sunday,
like 0. When both day fields are restricted (neither starts with ``*``) a day matches either;
otherwise it must match both. Extensions other crons have are refused with a message saying
what Debian cron writes instead: ``L``, ``5L``, ``W``, ``MON#1``, ``?`` and a step on a single
number (``5/15``, which is ``5-59/15`` elsewhere).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache

from qrunner.errors import ScheduleError

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (what the field is called, lowest, highest, names numbered from ``lowest``)
_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _WEEKDAYS),
)
_ITEM = re.compile(r"^(?P<range>\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:/(?P<step>[0-9]+))?$")
_EXTENSIONS = (  # what other crons accept, and why Debian cron does not
    (re.compile(r"#"), "'#' (nth weekday, as in MON#1) is not Debian cron"),
    (re.compile(r"\?"), "'?' is not Debian cron; write *"),
    (re.compile(r"^(?:\d*l|l?w|\d+w)$"), "'L' and 'W' (last day, weekday) are not Debian cron"),
)
_LAST_DAY = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30}


@dataclass(frozen=True, slots=True)
class CronFields:
    """The sets a cron expression names; ``weekdays`` numbers Sunday 0 … Saturday 6."""

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    either_day: bool  # both day fields restricted: a day matches when either does
    wildcard: bool  # ``*`` in the minute or hour field: ticks follow the real timeline

    def matches_date(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        on_day = day.day in self.days
        on_weekday = (day.isoweekday() % 7) in self.weekdays
        return (on_day or on_weekday) if self.either_day else (on_day and on_weekday)


@cache
def parse_fields(expression: str) -> CronFields:
    """Five whitespace-separated fields → :class:`CronFields`, or a :class:`ScheduleError`
    (``cron: ...``) naming the field and what is wrong with it."""
    parts = expression.split()
    if len(parts) != len(_FIELDS):
        raise ScheduleError(f"cron: {expression!r} has {len(parts)} fields; use five")
    sets = [_parse_field(part, *spec) for part, spec in zip(parts, _FIELDS, strict=True)]
    weekdays = frozenset(d % 7 for d in sets[4])
    return CronFields(
        minutes=tuple(sorted(sets[0])),
        hours=tuple(sorted(sets[1])),
        days=frozenset(sets[2]),
        months=frozenset(sets[3]),
        weekdays=weekdays,
        either_day=not parts[2].startswith("*") and not parts[4].startswith("*"),
        wildcard="*" in parts[0] or "*" in parts[1],
    )


def names_a_real_day(fields: CronFields) -> bool:
    """Whether some month in the cron has one of its days (30 February has none)."""
    if fields.either_day and len(fields.weekdays) > 0:
        return True
    return any(day <= _LAST_DAY.get(month, 31) for month in fields.months for day in fields.days)


def _parse_field(text: str, what: str, low: int, high: int, names: tuple[str, ...]) -> set[int]:
    values: set[int] = set()
    for item in text.lower().split(","):
        for pattern, why in _EXTENSIONS:
            if any(pattern.search(part) for part in re.split(r"[-/]", item)):
                raise ScheduleError(f"cron: {what} {text!r}: {why}")
        match = _ITEM.match(item)
        if match is None:
            raise ScheduleError(f"cron: {what} {text!r}: {item!r} is not a number, range or step")
        first, last = low, high
        if match["range"] != "*":
            ends = [_number(end, what, low, high, names) for end in match["range"].split("-")]
            first, last = ends[0], ends[-1]
            if first > last:
                raise ScheduleError(f"cron: {what} {text!r}: range {item!r} runs backwards")
            if match["step"] is not None and len(ends) == 1:
                raise ScheduleError(
                    f"cron: {what} {text!r}: a step needs a range or * in Debian cron "
                    f"(write {first}-{high}/{match['step']})"
                )
        step = int(match["step"]) if match["step"] is not None else 1
        if not 0 < step <= high - low + 1:
            raise ScheduleError(f"cron: {what} {text!r}: step {step} is out of range")
        values.update(range(first, last + 1, step))
    return values


def _number(text: str, what: str, low: int, high: int, names: tuple[str, ...]) -> int:
    if text in names:
        return names.index(text) + low
    if not text.isdigit() or not low <= int(text) <= high:
        raise ScheduleError(f"cron: {what} {text!r} is not in {low}-{high}")
    return int(text)
