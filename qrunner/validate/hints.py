"""Requests that are valid but will not do what they seem to say, and ``freshness`` where
it cannot be measured.

A ``group_by[].sort`` with an ``aggregation`` (or a ``metric``) but no ``type`` is sorted
alphabetically: ``type`` defaults to ``alphabetical`` and the aggregation is then ignored, so
``limit`` keeps the first groups by name, not the top ones by the measure (API-FACTS).
"""

from __future__ import annotations

from typing import Any

from qrunner.sources import SOURCES, aggregate_attributes
from qrunner.spec.loader import Diagnostic
from qrunner.spec.render import RenderedSpec
from qrunner.spec.yamlsource import PathKey, format_pointer


def find_sort_without_type(rendered: RenderedSpec) -> list[Diagnostic]:
    """One warning per ``group_by[].sort`` naming a measure without ``type: measure``."""
    source = SOURCES[rendered.spec.source]
    if not source.is_datadog:
        return []
    base: PathKey = ("request", "data", "attributes") if source.wrapped else ("request",)
    groups: Any = aggregate_attributes(source, rendered.request).get("group_by")
    found = []
    for index, group in enumerate(groups if isinstance(groups, list) else []):
        sort = group.get("sort") if isinstance(group, dict) else None
        if not isinstance(sort, dict) or "type" in sort:
            continue
        if sort.get("aggregation") is None and sort.get("metric") is None:
            continue
        path: PathKey = (*base, "group_by", index, "sort")
        what = "an aggregation" if sort.get("aggregation") is not None else "a metric"
        diagnostic = Diagnostic(
            rendered.loaded.locate(path),
            f"warning: {format_pointer(path)} has {what} but no type: Datadog then sorts the "
            "groups alphabetically (type defaults to alphabetical) and ignores it, so limit "
            "keeps the first groups by name; add type: measure to sort by the value",
            format_pointer(path),
            severity="warning",
        )
        found.append(diagnostic)
    return found


def find_freshness_problems(rendered: RenderedSpec) -> list[Diagnostic]:
    """``freshness`` on a Tekton spec is an error: it cannot be measured there
    (:mod:`qrunner.run.freshness`)."""
    spec = rendered.spec
    if SOURCES[spec.source].is_datadog:
        return []
    paths: list[PathKey] = [("freshness",)] if spec.freshness else []
    paths += [("checks", i, "freshness") for i, c in enumerate(spec.checks) if c.freshness]
    message = (
        "freshness is measured on Datadog sources only: the Tekton summary API cannot count "
        "the records of a time range without changing the spec's own filter"
    )
    return [
        Diagnostic(rendered.loaded.locate(path), message, format_pointer(path)) for path in paths
    ]
