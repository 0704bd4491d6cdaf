"""Schedules: a spec's cron, time zone, window and delay → ticks and data windows.

A scheduled spec is a pure function of its **tick** (the moment the cron fires, its logical
time): its window is ``[tick - delay - window, tick - delay)``, whatever moment the run
actually starts. Cron expressions are Debian cron's (:mod:`qrunner.spec.crontab` parses them;
other crons' extensions are refused) and their ticks follow the README's DST rules
(:mod:`qrunner.spec.ticks`): a wall time that does not exist fires when the gap ends, one that
happens twice fires at its first occurrence, and a cron with ``*`` in its minute or hour field
follows the real timeline (both passes of a repeated hour, nothing inside a gap). ``window``
and ``delay`` are exact durations: ``1d`` is 24 hours, also across a DST change. ``cronsim``
only puts a cron into words (:meth:`Schedule.describe`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache
from typing import Any, TypeVar

from qrunner.errors import ScheduleError
from qrunner.limits import MAX_SCHEDULE_DAYS, MAX_TICK_GAP_YEARS

from . import ticks
from .crontab import CronFields, names_a_real_day, parse_fields

ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
MAX_DURATION = timedelta(days=MAX_SCHEDULE_DAYS)

_DURATION = re.compile(r"^\s*(\d{1,9})\s*(s|m|h|d|w)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_FIELDS = 5


@dataclass(frozen=True, slots=True)
class Window:
    """The data interval of one tick: ``start`` inclusive, ``end`` exclusive (both UTC)."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Schedule:
    cron: str  # as written (an alias stays an alias)
    expression: str  # the five fields (an alias spelled out)
    timezone: str
    zone: tzinfo
    window: timedelta
    delay: timedelta

    @property
    def fields(self) -> CronFields:
        return parse_fields(self.expression)

    def latest_tick(self, at: datetime) -> datetime:
        """The latest tick at or before ``at`` (UTC)."""
        return ticks.latest_tick(self.fields, self.zone, at)

    def bracket(self, at: datetime) -> tuple[datetime, datetime]:
        """The latest tick at or before ``at`` and the first one after it (UTC)."""
        return self.latest_tick(at), self.next_tick(at)

    def next_tick(self, at: datetime) -> datetime:
        """The first tick strictly after ``at`` (UTC)."""
        return ticks.next_tick(self.fields, self.zone, at)

    def ticks_between(self, after: datetime, until: datetime, limit: int) -> list[datetime]:
        """Ticks in ``(after, until]``, newest first, at most ``limit`` of them."""
        return ticks.ticks_between(self.fields, self.zone, after, until, limit)

    def window_of(self, tick: datetime) -> Window:
        try:
            end = tick.astimezone(UTC) - self.delay
            return Window(start=end - self.window, end=end)
        except OverflowError:
            raise ScheduleError(f"window: the window of tick {tick} starts before year 1") from None

    def is_tick(self, moment: datetime) -> bool:
        return self.latest_tick(moment) == moment.astimezone(UTC)

    def describe(self) -> str:
        """The schedule in words: ``At 06:00 on Monday through Friday (Europe/Berlin)``."""
        from cronsim import CronSim

        try:
            words = CronSim(self.expression, datetime.now(UTC)).explain()
        except Exception:  # explain() is best effort; the expression itself is valid
            words = self.cron
        return f"{words} ({self.timezone})"


def parse_duration_text(text: Any, what: str) -> timedelta:
    """``30m``, ``7d``, ``1w``: whole numbers of s, m, h, d or w (0 allowed)."""
    match = _DURATION.match(str(text)) if isinstance(text, str | int) else None
    if match is None or isinstance(text, bool):
        raise ScheduleError(f"{what}: invalid duration {text!r}; use e.g. 30m, 6h, 7d or 1w")
    value = timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])
    if value > MAX_DURATION:
        raise ScheduleError(f"{what}: {text} is longer than the limit of {MAX_SCHEDULE_DAYS}d")
    return value


def parse_cron(text: Any) -> str:
    """Five cron fields (or an alias) → the five fields, checked (:mod:`.crontab`)."""
    if not isinstance(text, str) or not text.strip():
        raise ScheduleError(f"cron: expected five fields or an @alias, got {text!r}")
    stripped = " ".join(text.split())
    if stripped.startswith("@"):
        if stripped.lower() not in ALIASES:
            raise ScheduleError(
                f"cron: unknown alias {stripped!r}; use one of {', '.join(ALIASES)}"
            )
        return ALIASES[stripped.lower()]
    if len(stripped.split(" ")) != _FIELDS:
        raise ScheduleError(
            f"cron: {text!r} has {len(stripped.split(' '))} fields; "
            "use five: minute hour day-of-month month day-of-week"
        )
    _check_expression(stripped)
    return stripped


@cache
def _check_expression(expression: str) -> None:
    fields = parse_fields(expression)
    if not names_a_real_day(fields):
        raise ScheduleError(f"cron: {expression!r} never fires: no month has that day")
    if not ticks.fires_often_enough(fields):
        raise ScheduleError(
            f"cron: {expression!r} fires less often than once in {MAX_TICK_GAP_YEARS} years"
        )


@cache
def parse_timezone(name: Any) -> tzinfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not isinstance(name, str) or not name.strip():
        raise ScheduleError(f"timezone: expected an IANA name such as Europe/Berlin, got {name!r}")
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ScheduleError(
            f"timezone: unknown time zone {name!r}; use an IANA name such as Europe/Berlin"
        ) from None


@cache
def parse_schedule(
    cron: Any, timezone: Any = "UTC", window: Any = "1d", delay: Any = "0m"
) -> Schedule:
    """A validated schedule; every problem is a :class:`ScheduleError` naming the field."""
    expression = parse_cron(cron)
    zone = parse_timezone(timezone)
    length = parse_duration_text(window, "window")
    if length <= timedelta(0):
        raise ScheduleError("window: must be longer than 0")
    settle = parse_duration_text(delay, "delay")
    return Schedule(
        cron=" ".join(str(cron).split()),
        expression=expression,
        timezone=str(timezone),
        zone=zone,
        window=length,
        delay=settle,
    )


def resolve_tick(
    schedule: Schedule, *, at: datetime, tick: datetime | None, forced: datetime | None
) -> datetime:
    """The tick to render: ``tick`` when given (catch-up), else ``forced`` (``--tick``, which
    must be one of the schedule's ticks), else the latest tick at or before ``at``."""
    if tick is not None:
        return tick.astimezone(UTC)
    if forced is None:
        return schedule.latest_tick(at)
    if not schedule.is_tick(forced):
        raise ScheduleError(
            f"--tick {format_utc(forced)} is not a tick of this schedule ({schedule.cron}, "
            f"{schedule.timezone}); the ticks around it are "
            f"{format_utc(schedule.latest_tick(forced))} and "
            f"{format_utc(schedule.next_tick(forced))}"
        )
    return forced.astimezone(UTC)


_FIELDS_NAMED = ("cron", "timezone", "window", "delay")


def schedule_field(error: ScheduleError) -> tuple[tuple[str, ...], str]:
    """Where in a spec a schedule error belongs (``("schedule", "cron")``) and its message
    without the field's name, as validation reports it."""
    field, _, rest = str(error).partition(": ")
    if field in _FIELDS_NAMED:
        return ("schedule", field), rest
    return ("schedule",), str(error)


SCHEDULE_NAMES = frozenset({"tick", "window"})  # built in for scheduled specs


def tick_and_window(
    loaded: Any, renderer: Any, tick: datetime | None
) -> tuple[datetime | None, Window | None, dict[str, Any]]:
    """A loaded spec's tick, window and the names templates get, for ``renderer``
    (:class:`~qrunner.spec.render.Renderer`); (None, None, {}) without a schedule. Problems
    raise :class:`TemplateError` at ``schedule`` (or at a variable taking a built-in name)."""
    from qrunner.errors import TemplateError

    if loaded.spec.schedule is None:
        return None, None, {}
    clash = sorted(SCHEDULE_NAMES & {*loaded.spec.vars, *renderer.overrides})
    if clash:
        where = ("vars", clash[0]) if clash[0] in loaded.spec.vars else ("schedule",)
        message = f"'{clash[0]}' is built in for a scheduled spec (vars: or --var)"
        raise TemplateError(message, loaded.locate(where), ".".join(map(str, where)))
    try:
        schedule = loaded.spec.schedule.compile()
        tick = resolve_tick(schedule, at=renderer.at, tick=tick, forced=renderer.tick)
    except ScheduleError as e:
        raise TemplateError(str(e), loaded.locate(("schedule",)), "schedule") from e
    window = schedule.window_of(tick)
    return tick, window, {"tick": tick, "window": {"start": window.start, "end": window.end}}


RendererT = TypeVar("RendererT")


def pin_tick(renderer: RendererT, text: str | None) -> RendererT:
    """``--tick``: every scheduled spec the renderer renders runs at this tick."""
    if text is not None:
        renderer.tick = parse_tick(text)  # type: ignore[attr-defined]
    return renderer


def format_utc(moment: datetime) -> str:
    """``2024-05-01T06:00:00Z``: how ticks and windows are written everywhere."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_tick(text: str) -> datetime:
    """``--tick``: ISO-8601 (UTC unless an offset is given) or epoch seconds/ms."""
    stripped = text.strip()
    try:
        if re.fullmatch(r"\d{9,13}", stripped):
            number = int(stripped)
            return datetime.fromtimestamp(number / 1000 if number > 10**11 else number, UTC)
        value = datetime.fromisoformat(stripped.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise ScheduleError(
            f"--tick: invalid timestamp {text!r}; use ISO-8601, e.g. 2024-05-01T06:00:00Z"
        ) from None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
