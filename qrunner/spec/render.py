"""Render a spec's strings with sandboxed Jinja.

Strings are rendered *after* YAML parsing, so a variable's value can never inject
structure. A string that is a single ``{{ expr }}`` keeps the expression's native type
(number, bool, list). Variables, from lowest to highest precedence:

* the spec's ``vars`` (defaults; their own strings may use ``env`` and ``now``),
* ``--var key=value`` (a value takes the type of the spec's default when that is a
  number or a bool, else stays a string),
* ``env``: the process environment, explicit (``{{ env.GITHUB_REF_NAME | default('main') }}``);
  variables that look like secrets (by name or by value, see :mod:`qrunner.secrets`) are
  never exposed, and their values are redacted from every output,
* ``now``: the run's time, UTC, pinned by ``--at``; helpers ``ago('7d')``,
  ``duration('90m')``, filters ``iso``, ``epoch_ms``, ``epoch_s``, ``start_of('day')``.

Macros come from the nearest ``_templates/`` directory above the spec, through a loader
that cannot leave that directory. All Jinja exceptions become :class:`TemplateError` here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from qrunner.errors import LimitError, Location, TemplateError, UsageError
from qrunner.limits import (
    EARLIEST_TIMESTAMP_MS,
    LATEST_TIMESTAMP_MS,
    MAX_TEMPLATE_BYTES,
    excerpt,
    read_regular_file,
)
from qrunner.secrets import is_secret_name, visible_environment
from qrunner.spec.cron import tick_and_window
from qrunner.spec.loader import LoadedSpec
from qrunner.spec.sandbox import (
    RenderLimit,
    bounded_environment,
    checked_join,
    run_bounded,
    trace_templates,
)
from qrunner.spec.yamlsource import PathKey, format_pointer

_MARKERS = ("{{", "{%", "{#")
RESERVED_NAMES = frozenset({"now", "env", "ago", "duration"})
_SINGLE_EXPR = re.compile(r"^\s*\{\{(?P<expr>(?:(?!\{\{|\}\}|\{%|%\}).)*)\}\}\s*$", re.DOTALL)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d|w)\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True, slots=True)
class RenderedSpec:
    loaded: LoadedSpec
    spec: Any  # QuerySpec with rendered check thresholds
    request: dict[str, Any]
    variables: dict[str, Any]
    at: datetime  # the run's "now" the strings were rendered with
    tick: datetime | None = None  # scheduled specs: the tick rendered (UTC)
    window: Any = None  # scheduled specs: its qrunner.spec.cron.Window


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"invalid duration {text!r}; use e.g. 30s, 15m, 2h, 7d, 1w")
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def _iso(value: datetime) -> str:
    value = value.astimezone(UTC)
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _epoch_s(value: datetime) -> int:
    return int(value.timestamp())


def _start_of(value: datetime, unit: str) -> datetime:
    value = value.astimezone(UTC)
    if unit == "minute":
        return value.replace(second=0, microsecond=0)
    if unit == "hour":
        return value.replace(minute=0, second=0, microsecond=0)
    day = value.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "day":
        return day
    if unit == "week":  # ISO weeks start on Monday
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    raise ValueError(f"start_of: unknown unit {unit!r}; use minute, hour, day, week or month")


def find_templates_dir(spec_path: Path) -> Path | None:
    """The nearest ``_templates`` directory from the spec's folder up to the project root."""
    return _templates_dir_from(spec_path.parent)


@cache
def _templates_dir_from(folder: Path) -> Path | None:
    here = folder.resolve()
    for candidate_dir in (here, *here.parents):
        candidate = candidate_dir / "_templates"
        if candidate.is_dir():
            return candidate
        if (candidate_dir / ".git").exists() or (candidate_dir / "pyproject.toml").exists():
            break
    return None


@cache
def _environment(templates_dir: Path | None) -> Any:
    from jinja2 import FileSystemLoader, StrictUndefined, TemplateNotFound

    class ConfinedLoader(FileSystemLoader):
        """A loader that refuses anything resolving outside its directory (symlinks too)."""

        def get_source(self, environment: Any, template: str) -> Any:
            root = Path(self.searchpath[0]).resolve()
            path = (root / template).resolve()
            if not path.is_relative_to(root) or not path.exists():
                raise TemplateNotFound(template)
            try:  # only a regular file, and a bounded one (a FIFO would block forever)
                raw = read_regular_file(path, MAX_TEMPLATE_BYTES, "a template")
            except LimitError as e:
                raise TemplateNotFound(f"{template} ({e})") from e
            mtime = path.stat().st_mtime
            source = raw.decode("utf-8")
            return source, str(path), lambda: path.stat().st_mtime == mtime

    loader = ConfinedLoader(str(templates_dir)) if templates_dir else None
    env = bounded_environment(
        loader=loader, undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
    )
    env.filters.update(iso=_iso, epoch_ms=_epoch_ms, epoch_s=_epoch_s, start_of=_start_of)
    env.globals.update(duration=parse_duration)
    return env


_COMPILED: dict[tuple[int, str], tuple[Any, bool]] = {}


def _compile(env: Any, source: str) -> tuple[Any, bool]:
    """Compiled templates, cached: the same strings recur across thousands of specs."""
    key = (id(env), source)
    hit = _COMPILED.get(key)
    if hit is None:
        match = _SINGLE_EXPR.match(source)
        if match:
            hit = (env.compile_expression(match.group("expr"), undefined_to_none=False), True)
        else:
            hit = (env.from_string(source), False)
        if len(_COMPILED) < 50_000:
            _COMPILED[key] = hit
    return hit


def _call(function: Any) -> Any:
    return function()


def _to_data(value: Any) -> Any:
    """Native results must be JSON data: no datetimes, tuples or Jinja objects."""
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_to_data(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _to_data(v) for k, v in value.items()}
    raise TypeError(f"a template produced a {type(value).__name__}, not JSON data")


class Renderer:
    """Renders one spec at a time with a fixed ``now``, environment and overrides."""

    def __init__(
        self,
        *,
        at: datetime,
        environ: Mapping[str, str],
        overrides: Mapping[str, str] | None = None,
    ) -> None:
        self.at = at.astimezone(UTC)
        self.tick: datetime | None = None  # --tick, set by qrunner.spec.cron.pin_tick
        self.overrides = dict(overrides or {})
        self.environ, self.hidden = visible_environment(environ)

    def render(self, loaded: LoadedSpec, tick: datetime | None = None) -> RenderedSpec:
        """``loaded`` rendered, within the template limits (:mod:`qrunner.spec.sandbox`); a
        scheduled spec at ``tick`` (default: its latest tick at or before ``now``, or --tick)."""
        rendered: RenderedSpec = run_bounded(lambda: self._render_spec(loaded, tick))
        return rendered

    def _render_spec(self, loaded: LoadedSpec, tick: datetime | None = None) -> RenderedSpec:
        templates = find_templates_dir(loaded.path)
        env = _environment(templates)
        base: dict[str, Any] = {
            "now": self.at,
            "env": self.environ,
            "ago": lambda text: self.at - parse_duration(text),
        }
        tick, window, names = tick_and_window(loaded, self, tick)
        base.update(names)
        variables: dict[str, Any] = {}
        context = {**base}
        # In order, so a default may use an earlier variable, overridden or not.
        for key, default in loaded.spec.vars.items():
            if key in self.overrides:
                value = _coerce(self.overrides[key], default)
            else:
                value = self._render(env, default, ("vars", key), loaded, context)
            context[key] = variables[key] = value
        for key, raw in self.overrides.items():
            if key not in variables:
                variables[key] = context[key] = raw
        request = self._render(env, loaded.spec.request, ("request",), loaded, context)
        checks = []
        for i, check in enumerate(loaded.spec.checks):
            update = {}
            for level in ("fail", "warn"):
                value = getattr(check, level)
                texts = value if isinstance(value, list) else [value]
                if any(isinstance(t, str) and any(m in t for m in _MARKERS) for t in texts):
                    update[level] = self._render(env, value, ("checks", i, level), loaded, context)
            checks.append(check.model_copy(update=update) if update else check)
        spec = loaded.spec.model_copy(update={"checks": checks})
        return RenderedSpec(loaded, spec, request, variables, self.at, tick, window)

    def _render(
        self, env: Any, value: Any, path: PathKey, loaded: LoadedSpec, context: dict[str, Any]
    ) -> Any:
        if isinstance(value, dict):
            return {k: self._render(env, v, (*path, k), loaded, context) for k, v in value.items()}
        if isinstance(value, list):
            return [self._render(env, v, (*path, i), loaded, context) for i, v in enumerate(value)]
        if not isinstance(value, str) or not any(m in value for m in _MARKERS):
            return value
        return self._render_string(env, value, path, loaded, context)

    def _render_string(
        self, env: Any, source: str, path: PathKey, loaded: LoadedSpec, context: dict[str, Any]
    ) -> Any:
        import jinja2
        from jinja2.exceptions import SecurityError

        where = loaded.locate(path)
        pointer = format_pointer(path)
        try:
            template, native = _compile(env, source)
            # Without a statement or a call a template cannot loop or recurse: its sizes are
            # still checked, and tracing (the costly part of the budget) is left out.
            traced = trace_templates if "{%" in source or "(" in source else _call
            if native:
                value = traced(lambda: template(**context))
                if isinstance(value, jinja2.Undefined):
                    str(value)  # StrictUndefined raises UndefinedError with its name
                return _to_data(value)
            return traced(lambda: checked_join(template.generate(**context)))
        except RenderLimit as e:
            raise TemplateError(f"template limit: {e}", where, pointer) from e
        except RecursionError as e:
            raise TemplateError("template limit: recursion too deep", where, pointer) from e
        except MemoryError as e:
            raise TemplateError("template limit: out of memory", where, pointer) from e
        except jinja2.TemplateSyntaxError as e:
            loc = where
            if path in loaded.doc.literal_blocks and where.line:
                # a literal block's text starts on the line after `|`
                loc = Location(where.path, where.line + (e.lineno or 1), 1)
            raise TemplateError(f"template syntax error: {e.message}", loc, pointer) from e
        except jinja2.UndefinedError as e:
            raise TemplateError(self._undefined_message(e, context), where, pointer) from e
        except SecurityError as e:
            raise TemplateError(f"template not allowed by the sandbox: {e}", where, pointer) from e
        except jinja2.TemplateNotFound as e:
            raise TemplateError(
                f"template not found in _templates/: {e.name}", where, pointer
            ) from e
        except jinja2.TemplateError as e:
            raise TemplateError(f"template error: {e}", where, pointer) from e
        except TypeError as e:
            if "no loader" in str(e):
                raise TemplateError(
                    "template not found: no _templates/ folder above this spec to import from",
                    where,
                    pointer,
                ) from e
            raise TemplateError(f"template error: {e}", where, pointer) from e
        except (ValueError, ArithmeticError, OverflowError) as e:
            raise TemplateError(f"template error: {e}", where, pointer) from e

    def _undefined_message(self, error: Exception, context: Mapping[str, Any]) -> str:
        text = str(error)
        match = re.search(r"has no attribute '([^']+)'", text) or re.search(
            r"'([^']+)' is undefined", text
        )
        if match:
            name = match.group(1)
            if name in self.hidden or ("no attribute" in text and is_secret_name(name)):
                return f"env.{name} looks like a secret and is not available to templates"
            known = sorted(k for k in context if k not in ("env",))
            import difflib

            close = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            if "is undefined" in text:
                return (
                    f"undefined variable '{name}'{hint} "
                    f"(define it under vars: or pass --var {name}=...)"
                )
            return f"undefined: {text}{hint}"
        return f"undefined: {text}"


def _coerce(raw: str, default: Any) -> Any:
    """A --var value takes the type of the spec's default when that is a bool or a number."""
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered in ("true", "yes", "1", "on"):
            return True
        if lowered in ("false", "no", "0", "off"):
            return False
        raise UsageError(f"--var value {raw!r} is not a boolean (the spec's default is {default})")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise UsageError(f"--var value {raw!r} is not an integer") from None
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise UsageError(f"--var value {raw!r} is not a number") from None
    return raw


def build_renderer(
    *, at: str | None, variables: Sequence[str], environ: Mapping[str, str]
) -> Renderer:
    """A renderer from command-line values: ``--at``, ``--var NAME=VALUE``, the environment."""
    return Renderer(at=parse_at(at), environ=environ, overrides=parse_var_options(list(variables)))


def parse_var_options(values: Sequence[str]) -> dict[str, str]:
    """``["branch=main", "limit=5"]`` → ``{"branch": "main", "limit": "5"}``."""
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise UsageError(f"--var expects NAME=VALUE, got {item!r}")
        if key in RESERVED_NAMES:
            raise UsageError(f"--var {key}: '{key}' is reserved (it is built in)")
        out[key] = value
    return out


def parse_at(text: str | None, *, now: datetime | None = None) -> datetime:
    """``--at``: an ISO-8601 timestamp (UTC when no offset is given) or epoch seconds/ms."""
    if text is None:
        return now or datetime.now(UTC)
    stripped = text.strip()
    try:
        if re.fullmatch(r"\d{9,13}(\.\d+)?", stripped):
            number = float(stripped)
            return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, UTC)
        value = datetime.fromisoformat(stripped.replace("Z", "+00:00"))
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        raise UsageError(f"--at: {excerpt(text)!r} is outside the years 1970 to 2199") from None
    except ValueError:
        raise UsageError(
            f"--at: invalid timestamp {excerpt(text)!r}; use ISO-8601, e.g. 2024-05-01T06:00:00Z"
        ) from None
    epoch_ms = value.timestamp() * 1000
    if not EARLIEST_TIMESTAMP_MS <= epoch_ms < LATEST_TIMESTAMP_MS:
        raise UsageError(f"--at: {excerpt(text)!r} is outside the years 1970 to 2199")
    return value
