"""Warnings for scheduled specs whose request still takes its time range from ``now``.

A scheduled spec is meant to be a pure function of its tick: the same tick renders the same
request, however late the run starts. A request whose range comes from ``now`` (date math
such as ``now-7d``, or ``now``/``ago()`` in a template) measures whenever the run happened
instead, so its answer depends on the scheduler's delays. That is allowed, and warned about.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from qrunner.sources import SOURCES
from qrunner.spec.loader import Diagnostic
from qrunner.spec.render import RenderedSpec
from qrunner.spec.yamlsource import PathKey, format_pointer

_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_NOW = re.compile(r"\b(now|ago)\b")
HINT = "use {{ window.start | iso }} and {{ window.end | iso }} (or epoch_ms) instead"


def _strings(value: Any, path: PathKey) -> Iterator[tuple[PathKey, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))
    elif isinstance(value, str):
        yield path, value


def find_now_dependence(rendered: RenderedSpec) -> list[Diagnostic]:
    """One warning per request field of a scheduled spec that depends on ``now``."""
    if rendered.window is None:
        return []
    loaded = rendered.loaded
    found: dict[PathKey, str] = {}
    for path, text in _strings(loaded.spec.request, ("request",)):
        if any(_NOW.search(block) for block in _JINJA.findall(text)):
            found[path] = "uses now/ago() in a template"
    source = SOURCES[rendered.spec.source]
    if source.is_datadog:
        base: PathKey = ("request", "data", "attributes") if source.wrapped else ("request",)
        raw: Any = rendered.request
        for key in base[1:]:
            raw = raw.get(key, {}) if isinstance(raw, dict) else {}
        flt = raw.get("filter", {}) if isinstance(raw, dict) else {}
        flt = flt if isinstance(flt, dict) else {}
        for name, default in (("from", "now-15m"), ("to", "now")):
            value = flt.get(name, default)
            path = (*base, "filter", name)
            if isinstance(value, str) and value.strip().startswith("now"):
                found.setdefault(path, f"is {value!r}, relative to the moment the run starts")
    return [
        Diagnostic(
            loaded.locate(path),
            f"warning: this scheduled spec's {format_pointer(path)} {why}: its answer depends "
            f"on when it ran, not on its tick; {HINT}",
            format_pointer(path),
            severity="warning",
        )
        for path, why in found.items()
    ]
