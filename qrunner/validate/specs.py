"""The validate stage: every problem of every spec, as diagnostics.

For each spec: load (YAML + v1 model) → render (Jinja) → check the rendered request
against the API's generated JSON Schema → check the search query / CEL filter parses →
check the checks against what the request computes. A spec that passes is returned
rendered and ready to run; the others never stop the rest. A *screen* (``run --due``) may
keep a loaded spec from being rendered at all: loading still reports a broken file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from qrunner.errors import LimitError, Location, QueryError, SpecError, UsageError
from qrunner.limits import MAX_TEMPLATE_BYTES, excerpt, read_regular_file
from qrunner.sources import SOURCES, Source, aggregate_attributes, tekton_parent
from qrunner.spec.loader import (
    Diagnostic,
    LoadedSpec,
    discover_specs,
    find_duplicate_names,
    load_spec_file,
)
from qrunner.spec.render import RenderedSpec, Renderer
from qrunner.spec.yamlsource import PathKey, format_pointer


@dataclass(slots=True)
class ValidationReport:
    ready: list[RenderedSpec] = field(default_factory=list)
    failed: dict[str, list[Diagnostic]] = field(default_factory=dict)
    total: int = 0
    warnings: list[Diagnostic] = field(default_factory=list)  # never fail a spec
    unused_vars: list[str] = field(default_factory=list)  # --var names no spec mentions
    # With a screen: why each loaded spec it kept out was not rendered (display → reason),
    # and the files it let through.
    screened: dict[str, str] = field(default_factory=dict)
    admitted: set[str] = field(default_factory=set)

    def check_command_line(self, paths: Sequence[Path]) -> None:
        """What the command line got wrong, found while validating: no spec at all, a
        ``--var`` that no spec declares or uses (a typo)."""
        where = ", ".join(map(str, paths))
        if not self.total:
            raise UsageError(f"no spec files (*.yaml, *.yml) under {where}")
        if self.unused_vars:
            names = ", ".join(self.unused_vars)
            raise UsageError(f"--var {names}: no spec under {where} declares or uses it (a typo?)")

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for ds in self.failed.values() for d in ds]

    def screened_as(self, reason: str) -> int:
        """How many loaded specs the screen kept out for ``reason``."""
        return sum(1 for why in self.screened.values() if why == reason)

    def failures_owned(self, owns: Callable[[str], bool] | None) -> dict[str, list[Diagnostic]]:
        """The failures a run reports: all of them, or with ``--shard`` (``owns`` a name or a
        path) a file that did not load by the shard its path hashes to, and a spec the screen
        let through (this shard's by name) that failed to render by this one."""
        return {
            display: diagnostics
            for display, diagnostics in self.failed.items()
            if owns is None or owns(display) or display in self.admitted
        }


# Below this many files a second process costs more than it saves.
PARALLEL_MIN_FILES = 200

# Says why a loaded spec need not be rendered (a reason), or None to render and validate it.
Screen = Callable[[LoadedSpec], str | None]


@dataclass(slots=True)
class _FileResult:
    display: str
    name: str | None  # when the file read as a spec, for the duplicate-name check
    name_location: Location | None
    rendered: RenderedSpec | None  # only when asked for: it is costly to send between processes
    diagnostics: list[Diagnostic]
    mentioned: frozenset[str]  # the --var names the file declares or uses
    screened: str | None = None  # why the screen kept it from being rendered


def _mentioned(data: Any, names: frozenset[str]) -> frozenset[str]:
    """The names among ``names`` that appear as a word in any key or string of ``data``."""
    if not names:
        return frozenset()
    found: set[str] = set()
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            found.update(n for n in names if n in item and re.search(rf"\b{n}\b", item))
    return frozenset(found)


def _validate_file(
    path: Path, renderer: Renderer, keep: bool, screen: Screen | None = None
) -> _FileResult:
    display, loaded, diagnostics = load_spec_file(path)
    names = frozenset(renderer.overrides)
    if loaded is None:  # unreadable: it may use any of them
        return _FileResult(display, None, None, None, diagnostics, names)
    mentioned = _mentioned(loaded.doc.data, names) | _templates_mention(loaded.path, names)
    result = _FileResult(display, loaded.spec.name, loaded.locate(("name",)), None, [], mentioned)
    result.screened = screen(loaded) if screen is not None else None
    if result.screened is not None:
        return result
    rendered, result.diagnostics = validate_loaded(loaded, renderer)
    failed = any(d.severity != "warning" for d in result.diagnostics)
    result.rendered = rendered if keep and not failed else None
    return result


def unused_overrides(loaded: LoadedSpec, renderer: Renderer) -> list[str]:
    """The ``--var`` names that ``loaded`` neither declares nor uses (typos)."""
    names = frozenset(renderer.overrides)
    used = _mentioned(loaded.doc.data, names) | _templates_mention(loaded.path, names)
    return sorted(names - used)


def _templates_mention(path: Path, names: frozenset[str]) -> frozenset[str]:
    """Macros imported ``with context`` see variables too: any mention in _templates/ counts."""
    from qrunner.spec.render import find_templates_dir

    templates = find_templates_dir(path) if names else None
    if templates is None:
        return frozenset()
    texts = []
    for file in sorted(templates.rglob("*")):
        try:
            raw = read_regular_file(file, MAX_TEMPLATE_BYTES)
        except (LimitError, OSError):
            continue  # rendering reports it if a spec imports it
        texts.append(raw.decode("utf-8", errors="replace"))
    return _mentioned(texts, names)


# Set before forking, inherited by the workers (nothing to pickle on the way in).
_WORKER_STATE: tuple[Renderer, bool, Screen | None] | None = None


def _validate_chunk(paths: list[Path]) -> list[_FileResult]:
    assert _WORKER_STATE is not None
    renderer, keep, screen = _WORKER_STATE
    return [_validate_file(path, renderer, keep, screen) for path in paths]


def _validate_files(
    paths: list[Path], renderer: Renderer, keep: bool, screen: Screen | None
) -> list[_FileResult]:
    """Each file on its own; large trees are split across the CPUs (fork, where available)."""
    import multiprocessing
    import os
    import threading

    workers = min(os.cpu_count() or 1, 8)
    if (
        len(paths) < PARALLEL_MIN_FILES
        or workers < 2
        or "fork" not in multiprocessing.get_all_start_methods()
        # Forking a process that runs other threads can deadlock (and warns from 3.12 on).
        or threading.active_count() > 1
    ):
        return [_validate_file(path, renderer, keep, screen) for path in paths]
    global _WORKER_STATE  # noqa: PLW0603 - the fork start method hands state over this way
    _WORKER_STATE = (renderer, keep, screen)
    # imports everything once, before forking
    first = _validate_file(paths[0], renderer, keep, screen)
    size = -(-(len(paths) - 1) // (workers * 2))
    chunks = [paths[i : i + size] for i in range(1, len(paths), size)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return [first, *(r for chunk in pool.map(_validate_chunk, chunks) for r in chunk)]


def validate_specs(
    paths: Sequence[Path], renderer: Renderer, *, keep: bool = True, screen: Screen | None = None
) -> ValidationReport:
    """Validate every spec under ``paths``; ``keep=False`` (``qrunner validate``) returns only
    the diagnostics, which lets large trees be checked in parallel cheaply. ``screen`` is
    asked about each spec that loaded; one it gives a reason for is neither rendered nor
    checked further (its file's load errors and duplicate names are still reported)."""
    results = _validate_files(discover_specs(paths), renderer, keep, screen)
    report = ValidationReport(total=len(results))
    mentioned = frozenset().union(*(r.mentioned for r in results))
    report.unused_vars = sorted(set(renderer.overrides) - mentioned)
    for result in results:
        if result.screened is not None:
            report.screened[result.display] = result.screened
        elif screen is not None and result.name is not None:
            report.admitted.add(result.display)
        errors = [d for d in result.diagnostics if d.severity != "warning"]
        report.warnings.extend(d for d in result.diagnostics if d.severity == "warning")
        if errors:
            report.failed[result.display] = errors
    named = [
        (r.name, r.display, r.name_location)
        for r in results
        if r.name is not None and r.name_location is not None
    ]
    for display, diagnostic in find_duplicate_names(named):
        report.failed.setdefault(display, []).append(diagnostic)
    report.ready = [
        r.rendered for r in results if r.rendered is not None and r.display not in report.failed
    ]
    return report


def validate_loaded(
    loaded: LoadedSpec, renderer: Renderer, tick: datetime | None = None
) -> tuple[RenderedSpec | None, list[Diagnostic]]:
    """Render (a scheduled spec at ``tick``, default its latest) and validate; warnings
    (``severity="warning"``) come after the errors and never make a spec fail."""
    from qrunner.validate.hints import find_freshness_problems, find_sort_without_type
    from qrunner.validate.timing import find_now_dependence

    try:
        rendered = renderer.render(loaded, tick)
    except SpecError as e:
        return None, [Diagnostic.from_error(e)]
    errors = validate_rendered(rendered) + find_freshness_problems(rendered)
    return rendered, errors + find_now_dependence(rendered) + find_sort_without_type(rendered)


def _diag(loaded: LoadedSpec, path: PathKey, message: str) -> Diagnostic:
    return Diagnostic(loaded.locate(path), message, format_pointer(path))


_TEKTON_ORDER = {"parent": 1, "summary": 2, "group_by": 3, "order_by": 4, "filter": 5}


def validate_rendered(rendered: RenderedSpec) -> list[Diagnostic]:
    from qrunner.validate.schemastore import validate_instance

    loaded = rendered.loaded
    source = SOURCES[rendered.spec.source]
    issues = validate_instance(f"{source.schema}.request", rendered.request)
    if source.backend == "tekton":  # in the order the server checks them: it names the first
        issues.sort(
            key=lambda issue: _TEKTON_ORDER.get(str(issue.path[0]) if issue.path else "", 0)
        )
    diagnostics = [_diag(loaded, ("request", *issue.path), issue.message) for issue in issues]
    if not diagnostics:
        diagnostics.extend(_validate_query_language(rendered, source))
    from qrunner.judge.checks import validate_checks

    for pointer, message in validate_checks(rendered.spec, source, rendered.request):
        path = _parse_pointer(pointer)
        diagnostics.append(Diagnostic(loaded.locate(path), message, pointer))
    return diagnostics


def _validate_datadog_filter(rendered: RenderedSpec, source: Source) -> list[Diagnostic]:
    """The search query parses, and the time window is readable and not empty (the APIs
    answer 422 when ``from`` is not before ``to``)."""
    from qrunner.engine.datadog.datemath import parse_instant
    from qrunner.engine.datadog.search.parse import parse_search

    loaded = rendered.loaded
    path: PathKey = (
        ("request", "data", "attributes", "filter")
        if source.wrapped
        else (
            "request",
            "filter",
        )
    )
    flt = aggregate_attributes(source, rendered.request).get("filter")
    flt = flt if isinstance(flt, dict) else {}
    query = flt.get("query")
    if isinstance(query, str):
        try:
            parse_search(query)
        except QueryError as e:
            message = f"{str(e).splitlines()[0]} in {excerpt(query)!r}"
            return [_diag(loaded, (*path, "query"), message)]
    bounds = {}
    for name, default in (("from", "now-15m"), ("to", "now")):
        try:
            bounds[name] = parse_instant(flt.get(name, default), at=rendered.at)
        except QueryError as e:
            return [_diag(loaded, (*path, name), str(e))]
    if bounds["from"] >= bounds["to"]:
        return [
            _diag(
                loaded,
                (*path, "from"),
                f"filter.from ({flt.get('from', 'now-15m')}) must be before filter.to "
                f"({flt.get('to', 'now')}); the API answers 422",
            )
        ]
    return _validate_datadog_body(rendered, source, path[:-1])


class _NoColumns:
    """A resolver that knows no attribute: what depends on the data is left to the run."""

    def resolve(self, name: str, *, reserved: bool) -> None:
        del name, reserved

    def free_text(self) -> list[Any]:
        return []


_WHERE = re.compile(r"^([A-Za-z_]+(?:\[\d+\])?(?:\.[A-Za-z_]+(?:\[\d+\])?)*)(?=:| must)")


def _validate_datadog_body(rendered: RenderedSpec, source: Source, at: PathKey) -> list[Diagnostic]:
    """What the run's request parser refuses before querying (a negative limit, an interval
    below the API's minimum, too many points), at the field's line."""
    from qrunner.engine.datadog.request import parse_request

    attributes = aggregate_attributes(source, rendered.request)
    try:
        parse_request(attributes, _NoColumns(), rendered.at, source.time_offset_key)
    except QueryError as e:
        message = str(e)
        match = _WHERE.match(message)
        pointer = _parse_pointer(match.group(1)) if match else ()
        return [_diag(rendered.loaded, (*at, *pointer), message)]
    return []


def _validate_query_language(rendered: RenderedSpec, source: Source) -> list[Diagnostic]:
    """Search queries and CEL filters are parsed now, so a typo fails review, not the 3 a.m. run."""
    loaded = rendered.loaded
    if source.is_datadog:
        return _validate_datadog_filter(rendered, source)
    from qrunner.engine.tekton.cel.compile import CelSqlFailure
    from qrunner.engine.tekton.summary import parse_summary_query, tekton_query_params

    params = tekton_query_params(rendered.request)
    try:
        parse_summary_query({"parent": tekton_parent(rendered.request), **params})
    except QueryError as e:
        return [_diag(loaded, ("request",), f"Tekton Results would answer 400: {e}")]
    flt = params.get("filter", "").strip()
    if flt:
        try:
            _compile_cel(flt)
        except QueryError as e:
            return [_diag(loaded, ("request", "filter"), str(e).splitlines()[0])]
        except CelSqlFailure as e:
            return [_diag(loaded, ("request", "filter"), f"the server cannot run this filter: {e}")]
    return []


@cache
def _compile_cel(text: str) -> None:
    from qrunner.engine.tekton.cel.compile import compile_filter

    compile_filter(text)


def _parse_pointer(pointer: str) -> PathKey:
    """``checks[2].fail`` → ``("checks", 2, "fail")``."""
    parts: list[str | int] = []
    for chunk in pointer.replace("]", "").split("."):
        name, *indexes = chunk.split("[")
        if name:
            parts.append(name)
        parts.extend(int(i) for i in indexes if i.isdigit())
    return tuple(parts)


def describe_request(source: Source, request: dict[str, Any]) -> str:
    """The request exactly as it would be sent (``qrunner render``)."""
    import json

    if source.backend == "tekton":
        from urllib.parse import urlencode

        from qrunner.engine.tekton.summary import tekton_query_params

        path = source.path.format(parent=tekton_parent(request))
        return f"GET {path}?{urlencode(tekton_query_params(request))}"
    return json.dumps(request, indent=2, ensure_ascii=False)
