"""The Backend protocol and the options every backend is built from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from qrunner.sources import Source

# Appended where a remote target misses its credentials: the same specs run without any.
WITHOUT_CREDENTIALS = (
    "no credentials? the same specs run on local data: --target local --data DIR "
    "(`qrunner ingest junit` writes DIR), or on the built-in sample data without --data"
)


@dataclass(frozen=True, slots=True)
class PreparedQuery:
    """One rendered request, ready to send.

    ``request`` is exactly what the spec rendered to: a Datadog JSON body, or for Tekton
    ``{"parent": ..., "summary": ..., "group_by": ..., "order_by": ..., "filter": ...}``.
    """

    spec_name: str
    source: Source
    request: dict[str, Any]
    # when a list: every page as the API answered it, in order (``qrunner query --pages``)
    pages: list[dict[str, Any]] | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class TargetOptions:
    """Everything a backend needs from the command line and environment."""

    target: str  # "local" | "datadog" | "tekton"
    at: datetime  # the run's "now", UTC-aware
    data_dir: Path | None = None  # local engine data; None: the built-in sample dataset
    cache_dir: Path | None = None
    concurrency: int = 8
    request_timeout: float = 30.0
    deadline: float | None = None  # monotonic time by which the whole run must end
    env: dict[str, str] = field(default_factory=dict)  # the environment (keys, URLs, DD_SITE...)
    tekton_ca: str | None = None
    tekton_insecure: bool = False


class Backend(Protocol):
    """Executes prepared queries. Raises only :class:`qrunner.errors.QrunnerError` subclasses:
    ``QueryError`` when the query is invalid (HTTP 400), ``BackendError`` when no answer could
    be had. Implementations must be safe to call concurrently from one event loop."""

    name: str

    async def execute(self, query: PreparedQuery) -> dict[str, Any]: ...

    async def aclose(self) -> None: ...
