"""One spec on its own: load, render and validate it (``render``, ``explain``, ``test``), or
send its request and return the raw answer (``qrunner query``)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from qrunner.backends.base import PreparedQuery, TargetOptions
from qrunner.errors import SpecError, UsageError
from qrunner.run.targets import Backends
from qrunner.sources import SOURCES
from qrunner.spec.loader import load_specs
from qrunner.spec.render import RenderedSpec, Renderer


def render_one(path: Path, renderer: Renderer) -> RenderedSpec:
    """Load, render and validate one spec file; its first problem is raised."""
    from qrunner.validate.specs import unused_overrides, validate_loaded

    if path.is_dir() or not path.exists():  # a FIFO or a device is refused when read
        raise UsageError(f"no such spec file: {path}")
    loaded = load_specs([path])
    for diagnostics in loaded.failed.values():
        first = diagnostics[0]
        raise SpecError(first.message, first.location, first.pointer)
    unused = unused_overrides(loaded.specs[0], renderer)
    if unused:
        raise UsageError(
            f"--var {', '.join(unused)}: {path} neither declares nor uses it (a typo?)"
        )
    rendered, diagnostics = validate_loaded(loaded.specs[0], renderer)
    diagnostics = [d for d in diagnostics if d.severity != "warning"]
    if diagnostics:
        first = diagnostics[0]
        raise SpecError(first.message, first.location, first.pointer)
    assert rendered is not None
    return rendered


def query_one(
    path: Path, renderer: Renderer, options: TargetOptions, *, pages: bool = False
) -> tuple[list[dict[str, Any]], list[str]]:
    """The answer with every page merged (one item), or with ``pages`` every page as answered;
    and the backends' notices."""
    rendered = render_one(path, renderer)
    source = SOURCES[rendered.spec.source]

    async def go() -> tuple[list[dict[str, Any]], list[str]]:
        backends = Backends(options)
        try:
            backend = backends.get(source)
            answered: list[dict[str, Any]] | None = [] if pages else None
            query = PreparedQuery(rendered.spec.name, source, rendered.request, answered)
            merged = await backend.execute(query)
            return (answered or [merged]) if pages else [merged], backends.notices()
        finally:
            await backends.aclose()

    return asyncio.run(go())
