"""Spec format v1: the pydantic models a query spec file is read into.

The models describe the file *before* rendering: ``request`` is any mapping (its
strings may hold Jinja) and is checked against the API's JSON Schema after
rendering, by :mod:`qrunner.validate.specs`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

SUPPORTED_VERSIONS = (1,)
SOURCE_NAMES = ("datadog.ci_tests", "datadog.ci_pipelines", "datadog.spans", "tekton.summary")

NoDataPolicy = Literal["pass", "warn", "fail", "error"]
Scope = Literal["total", "each", "max", "min", "sum", "avg", "count"]
Reducer = Literal["last", "first", "max", "min", "avg", "sum"]
Mode = Literal["enforce", "shadow"]
BaselineReducer = Literal["median", "mean", "min", "max", "last"]
Threshold = str | float | list[str | float] | None


class BaselineSpec(BaseModel):
    """What a check's ``change``, ``delta`` and ``zscore`` conditions compare with: the same
    request on the window moved back (``shift: 7d``), or the check's past values in the
    history store (``history: 10``). Exactly one of the two."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    shift: str | None = Field(
        default=None, description="run the same request with the window moved back: 7d, 24h"
    )
    history: int | None = Field(
        default=None, ge=1, le=1000, description="the last N recorded values (needs --history)"
    )
    reduce: BaselineReducer = Field(
        default="median", description="how the history's values become one baseline"
    )
    min_points: int | None = Field(
        default=None,
        ge=1,
        description="fewer recorded values than this is no baseline (default: 3, at most history)",
    )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class FreshnessSpec(_Strict):
    """The guard against reports that stopped arriving: the check fails (or warns) when no
    event of the source (or of the query's filter) arrived in the ``max_age`` before the
    window's end (the run's ``now`` without a schedule)."""

    max_age: str = Field(description="the newest event may be at most this old: 2d, 12h")
    of: Literal["source", "filter"] = Field(
        default="source",
        description="source: any event of the source; filter: events matching filter.query",
    )
    level: Literal["fail", "warn"] = Field(default="fail", description="what stale data does")

    @field_validator("max_age", mode="before")
    @classmethod
    def _max_age(cls, value: Any) -> Any:
        return _schedule_field(value, "max_age")


Severity = Literal["page", "ticket", "info"]


class CheckNotifySpec(_Strict):
    """A check's own ``notify:``: overrides the spec's for this check's incidents."""

    for_: int | None = Field(
        default=None, alias="for", ge=1, le=1000,
        description="failing ticks in a row before the incident fires (default 1)",
    )  # fmt: skip
    resolve_after: int | None = Field(
        default=None, ge=1, le=1000, description="passing ticks in a row before it resolves"
    )
    severity: Severity | None = Field(default=None, description="routes may match on it")
    runbook: str | None = Field(default=None, description="a URL shown in every message")
    per_group: bool = Field(
        default=False,
        description="one incident per failing group (capped), not one for the whole check",
    )


class NotifySpec(CheckNotifySpec):
    """How the spec's incidents reach people (the routing file says where)."""

    report: bool = Field(
        default=False, description="send the result table to the route at every tick"
    )


class CheckSpec(_Strict):
    """A threshold on the query's output.

    ``fail``/``warn`` are conditions that *trigger* that level: ``fail: "> 5"`` fails when
    the observed value is above 5. Forms: ``> 5``, ``<= 300ms``, ``== 0``, ``!= 0``,
    ``< 95%``, ranges ``10..20`` (triggers inside, inclusive) and ``not 10..20``
    (triggers outside). A bare number means ``>= number``. Over a ``baseline``:
    ``change > 20%``, ``delta > 5m``, ``zscore > 3``, ``mzscore > 3.5``.
    """

    name: str = Field(min_length=1)
    metric: str = Field(
        min_length=1, description="c0, a Tekton field, a named metric, or an expression"
    )
    fail: Threshold = Field(
        default=None, description="condition(s) that fail the check; a list triggers on any"
    )
    warn: Threshold = Field(
        default=None, description="condition(s) that warn; a list triggers on any"
    )
    unit: str | None = Field(
        default=None, description="unit the observed value is shown in (e.g. ms, s, %)"
    )
    scope: Scope = Field(
        default="each",
        description="total: the ungrouped value; each: every bucket; or a reducer over buckets",
    )
    reduce: Reducer = Field(default="last", description="how a timeseries becomes one value")
    no_data: NoDataPolicy = "fail"
    baseline: BaselineSpec | None = None
    no_baseline: NoDataPolicy = Field(
        default="pass",
        description="what a change/delta/zscore condition does without a baseline",
    )
    mode: Mode = "enforce"
    freshness: FreshnessSpec | None = Field(
        default=None, description="fail when the data stopped arriving (overrides the spec's)"
    )
    description: str | None = None
    notify: CheckNotifySpec | Literal[False] | None = Field(
        default=None, description="this check's notify settings, or false: never notifies"
    )


class ScheduleSpec(_Strict):
    """When the spec runs and which data each run measures (``qrunner.spec.cron``)."""

    cron: str = Field(description="five cron fields, or @hourly, @daily, @weekly, @monthly")
    timezone: str = Field(default="UTC", description="IANA time zone the cron is read in")
    window: str = Field(description="length of the data interval: 1h, 1d, 7d")
    delay: str = Field(
        default="0m", description="settle delay: the window ends this long before the tick"
    )

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        return str(_schedule_field(value, "cron"))

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return str(_schedule_field(value, "timezone"))

    @field_validator("window", "delay", mode="before")
    @classmethod
    def _duration(cls, value: Any, info: ValidationInfo) -> Any:
        return _schedule_field(value, info.field_name or "window")

    def compile(self) -> Any:
        """The :class:`qrunner.spec.cron.Schedule` (cached per distinct schedule)."""
        from qrunner.spec.cron import parse_schedule

        return parse_schedule(self.cron, self.timezone, self.window, self.delay)


def _schedule_field(value: Any, name: str) -> Any:
    """pydantic reports ValueErrors at the field's position; ScheduleError is not one."""
    from qrunner.errors import ScheduleError
    from qrunner.spec import cron

    try:
        if name == "cron":
            cron.parse_cron(value)
        elif name == "timezone":
            cron.parse_timezone(value)
        elif cron.parse_duration_text(value, name).total_seconds() <= 0 and name in (
            "window",
            "max_age",
        ):
            raise ScheduleError(f"{name}: must be longer than 0")
    except ScheduleError as e:
        raise ValueError(str(e).removeprefix(f"{name}: ")) from None
    return value


class QuerySpec(_Strict):
    version: int = Field(strict=True)  # "1" is refused, as the editor schema does
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=200)
    description: str | None = None
    owner: str | None = None
    tags: list[str] = Field(default_factory=list)
    source: Literal["datadog.ci_tests", "datadog.ci_pipelines", "datadog.spans", "tekton.summary"]
    vars: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, str] = Field(
        default_factory=dict,
        description="names for computes or derived expressions: {flaky_rate: c1 / c0}",
    )
    request: dict[str, Any]
    checks: list[CheckSpec] = Field(default_factory=list)
    schedule: ScheduleSpec | None = Field(
        default=None, description="run per tick of a cron; templates get tick and window"
    )
    freshness: FreshnessSpec | None = Field(
        default=None, description="every check fails when the data stopped arriving"
    )
    notify: NotifySpec | Literal[False] | None = Field(
        default=None,
        description="for, resolve_after, severity, runbook, report; or false: never notifies",
    )

    def notify_settings(self) -> dict[str, Any] | None:
        """The ``notify`` blocks as plain data for the JSON report (``None`` when the spec has
        none): what ``qrunner notify`` reads, so an archived report replays as it ran."""
        checks = {c.name: c.notify for c in self.checks if c.notify is not None}
        if self.notify is None and not checks:
            return None
        settings = _notify_data(self.notify)
        settings["checks"] = {name: _notify_data(n) for name, n in checks.items()}
        return settings

    @field_validator("version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value not in SUPPORTED_VERSIONS:
            supported = ", ".join(str(v) for v in SUPPORTED_VERSIONS)
            raise ValueError(f"unsupported spec version {value}; supported: {supported}")
        return value


def _notify_data(block: CheckNotifySpec | Literal[False] | None) -> dict[str, Any]:
    if block is False:
        return {"off": True}
    if block is None:
        return {}
    return {"off": False} | block.model_dump(
        by_alias=True, exclude_none=True, exclude_defaults=True
    )
