"""The routing file's model: channels, owners' mentions, routes and silences, reviewed in git.

``schemas/notify-v1.schema.json`` describes it for editors; :mod:`.routing_file` reads and
checks it into a :class:`Routing`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from qrunner.spec.loader import Diagnostic

StatusClass = Literal["fail", "warn", "error"]
# What a route without ``status`` carries: failures and everything that is not warn or error.
DEFAULT_STATUSES: frozenset[str] = frozenset({"fail"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Match(_Strict):
    """Every given field must match (globs for names); an empty match matches everything."""

    owner: str | None = None
    spec: str | None = None
    check: str | None = None
    target: str | None = None
    tag: str | None = None
    severity: str | None = None
    status: StatusClass | list[StatusClass] | None = Field(
        default=None, description="fail (the default), warn, error: warn only where asked"
    )


class Route(_Strict):
    match: Match | None = None
    to: list[str] = Field(default_factory=list)
    continue_: bool = Field(default=False, alias="continue")
    renotify: str | None = Field(default=None, description="remind while failing: 24h, 7d")
    default: list[str] | None = Field(default=None, description="the catch-all route")

    @model_validator(mode="after")
    def _one_kind(self) -> Route:
        if self.default is None and self.match is None:
            raise ValueError("a route needs `match:` and `to:`, or `default:`")
        if self.default is not None and (self.match is not None or self.to):
            raise ValueError("`default:` is a route of its own: no `match:` or `to:` beside it")
        if self.match is not None and not self.to:
            raise ValueError("a route with `match:` needs `to:` (a list of channels)")
        return self

    @property
    def destinations(self) -> list[str]:
        return self.default if self.default is not None else self.to


class Silence(_Strict):
    match: Match
    until: datetime = Field(description="required: a silence cannot be forgotten")
    reason: str = Field(min_length=1)
    by: str | None = None


class OwnerMentions(_Strict):
    slack: str | None = None
    github: str | None = None


class LinkTemplates(_Strict):
    run: str | None = Field(default=None, description="{env[GITHUB_RUN_ID]}-style template")
    trend: str | None = None
    spec: str | None = Field(default=None, description="a spec line: {file} {line} {commit}")


class RoutingFile(_Strict):
    version: Literal[1]
    channels: dict[str, dict[str, Any]]
    owners: dict[str, OwnerMentions] = Field(default_factory=dict)
    routes: list[Route]
    silences: list[Silence] = Field(default_factory=list)
    links: LinkTemplates = Field(default_factory=LinkTemplates)


@dataclass(slots=True)
class Routing:
    """A routing file that passed every check, with its channels' validated settings."""

    path: str
    config: RoutingFile
    settings: dict[str, Any]  # channel name → its type's settings model instance
    types: dict[str, str]  # channel name → its type ("slack")
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def default_route(self) -> Route:
        return next(r for r in self.config.routes if r.default is not None)


def _glob(pattern: str, value: str | None) -> bool:
    return value is not None and fnmatch.fnmatchcase(value, pattern)


def matches(match: Match, fields: Mapping[str, Any]) -> bool:
    """Every field the match gives holds (globs for names; ``tag`` any of the tags)."""
    for name in ("owner", "spec", "check", "target", "severity"):
        pattern = getattr(match, name)
        if pattern is not None and not _glob(pattern, fields.get(name)):
            return False
    if match.tag is not None and not any(_glob(match.tag, t) for t in fields.get("tags", ())):
        return False
    if "status" in fields:  # silences leave it out: they hold whatever the status
        wanted = [match.status] if isinstance(match.status, str) else match.status or ["fail"]
        return fields["status"] in wanted
    return True


def channel_types() -> Mapping[str, Any]:
    """The channel registry (``qrunner.notify.channels.CHANNELS``), imported only when needed:
    its modules bring httpx."""
    import importlib

    registry: Mapping[str, Any] = importlib.import_module("qrunner.notify.channels").CHANNELS
    return registry
