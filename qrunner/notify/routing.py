"""The routing file: channels, owners' mentions, routes and silences, reviewed in git.

``schemas/notify-v1.schema.json`` describes it for editors; :func:`load_routing` reads it with
every node's line, checks it against the models below and against what a schema cannot say
(each route's channels exist, a default route is there, no literal secret, silences bounded),
and returns the problems as located diagnostics — ``qrunner validate --notify`` prints them
all; a run refuses the file on the first.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from qrunner.errors import Location, NotifyError, QrunnerError
from qrunner.limits import MAX_SILENCE_DAYS
from qrunner.secrets import carries_credential, is_secret_name
from qrunner.spec.loader import Diagnostic
from qrunner.spec.yamlsource import PathKey, YamlDocument, format_pointer, load_yaml_file

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


def load_routing(
    path: Path,
    *,
    registry: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    spec_owners: Mapping[str, Location] | None = None,
) -> tuple[Routing | None, list[Diagnostic]]:
    """Read and check the routing file; ``(routing, [])`` or ``(None, errors)``. Warnings (an
    owner of ``spec_owners`` that only the default route takes) are on ``routing.warnings``."""
    try:
        doc = load_yaml_file(path)
    except QrunnerError as e:
        location = getattr(e, "location", Location(str(path)))
        return None, [Diagnostic(location, getattr(e, "message", str(e)))]
    problems = _literal_secrets(doc, doc.data, ())
    try:
        config = RoutingFile.model_validate(doc.data)
    except ValidationError as e:
        return None, problems + [_located(doc, err) for err in e.errors()]
    registry = channel_types() if registry is None else registry
    settings, types = {}, {}
    for name, entry in config.channels.items():
        where: PathKey = ("channels", name)
        kind = str(entry.get("type"))
        if kind not in registry:
            known = ", ".join(sorted(registry))
            problems.append(
                _at(doc, (*where, "type"), f"unknown channel type {kind!r}; known: {known}")
            )
            continue
        try:
            settings[name] = registry[kind].settings_model.model_validate(
                {k: v for k, v in entry.items() if k != "type"}
            )
            types[name] = str(kind)
        except ValidationError as e:
            problems += [_located(doc, err, where) for err in e.errors()]
    problems += _check_routes(doc, config) + _check_silences(doc, config, now or datetime.now(UTC))
    if problems:
        return None, problems
    routing = Routing(str(doc.path), config, settings, types)
    routing.warnings = _unrouted_owners(doc, config, spec_owners or {})
    return routing, []


def read_routing(path: Path, *, registry: Mapping[str, Any] | None = None) -> Routing:
    """The routing file, or :class:`NotifyError` naming its first problem (and how many)."""
    routing, problems = load_routing(path, registry=registry)
    if routing is None:
        more = (
            f" (and {len(problems) - 1} more: run qrunner validate --notify)"
            if len(problems) > 1
            else ""
        )
        raise NotifyError(f"{problems[0]}{more}")
    return routing


def _at(doc: YamlDocument, pointer: PathKey, message: str) -> Diagnostic:
    return Diagnostic(doc.locate(pointer), message, format_pointer(pointer))


def _located(doc: YamlDocument, err: Any, prefix: PathKey = ()) -> Diagnostic:
    loc = (*prefix, *(p for p in err["loc"] if not str(p).startswith(("function-", "union["))))
    if err["type"] == "extra_forbidden":
        message = f"unknown field '{loc[-1]}'"
        if str(loc[-1]) in ("url", "token", "secret", "webhook"):
            message += f"; give the name of an env var: {loc[-1]}_env"
    elif err["type"] == "missing":
        return _at(doc, loc[:-1], f"missing required field '{loc[-1]}'")
    else:
        message = str(err["msg"]).removeprefix("Value error, ")
    return _at(doc, loc, message)


_SECRET_KEYS = ("url", "token", "secret", "webhook", "password", "key")


def _literal_secrets(doc: YamlDocument, node: Any, pointer: PathKey) -> list[Diagnostic]:
    """A secret written into the file is in git forever: refuse it, wherever it is."""
    found: list[Diagnostic] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _literal_secrets(doc, value, (*pointer, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _literal_secrets(doc, value, (*pointer, i))
    elif isinstance(node, str) and pointer[:1] in (("channels",),):
        key = str(pointer[-1])
        secret_key = key in _SECRET_KEYS or (is_secret_name(key) and not key.endswith("_env"))
        if secret_key or carries_credential(node) or "hooks.slack.com/" in node:
            found.append(
                _at(
                    doc,
                    pointer,
                    f"a literal secret: use {key.removesuffix('_env')}_env: ENV_VAR_NAME",
                )
            )
    elif isinstance(node, str) and carries_credential(node):
        found.append(_at(doc, pointer, "a literal secret in the routing file; use an env var"))
    return found


def _check_routes(doc: YamlDocument, config: RoutingFile) -> list[Diagnostic]:
    problems = []
    defaults = [i for i, r in enumerate(config.routes) if r.default is not None]
    if not defaults:
        problems.append(
            _at(
                doc,
                ("routes",),
                "no default route: add `- default: [CHANNEL]` last (no owner may be dropped)",
            )
        )
    elif defaults[0] != len(config.routes) - 1 or len(defaults) > 1:
        problems.append(
            _at(
                doc,
                ("routes", defaults[0]),
                "the default route must be the last route, and only one",
            )
        )
    for i, route in enumerate(config.routes):
        key = "default" if route.default is not None else "to"
        for j, name in enumerate(route.destinations):
            if name not in config.channels:
                known = ", ".join(sorted(config.channels)) or "none"
                problems.append(
                    _at(doc, ("routes", i, key, j), f"unknown channel {name!r}; channels: {known}")
                )
        if route.renotify is not None:
            problems += _duration(doc, ("routes", i, "renotify"), route.renotify)
    return problems


def _duration(doc: YamlDocument, pointer: PathKey, text: str) -> list[Diagnostic]:
    from qrunner.spec.cron import parse_duration_text

    try:
        if parse_duration_text(text, "renotify") <= timedelta(0):
            return [_at(doc, pointer, "renotify: must be longer than 0")]
    except QrunnerError as e:
        return [_at(doc, pointer, str(e))]
    return []


def _check_silences(doc: YamlDocument, config: RoutingFile, now: datetime) -> list[Diagnostic]:
    problems = []
    cap = now + timedelta(days=MAX_SILENCE_DAYS)
    for i, silence in enumerate(config.silences):
        if silence.until.utcoffset() is None:
            problems.append(_at(doc, ("silences", i, "until"), "until: give a time zone (…Z)"))
        elif silence.until > cap:
            problems.append(
                _at(
                    doc,
                    ("silences", i, "until"),
                    f"until: more than {MAX_SILENCE_DAYS} days ahead (the cap): renew it instead",
                )
            )
    return problems


def _unrouted_owners(
    doc: YamlDocument, config: RoutingFile, spec_owners: Mapping[str, Location]
) -> list[Diagnostic]:
    warnings = []
    for owner, location in sorted(spec_owners.items()):
        routed = any(
            r.match is not None and r.match.owner is not None and matches(r.match, {"owner": owner})
            for r in config.routes
        )
        if not routed:
            message = f"owner {owner!r} has no route of its own: only the default route takes it"
            warnings.append(Diagnostic(location, message, "owner", severity="warning"))
    for owner in config.owners:
        if not any(
            r.match and r.match.owner and matches(r.match, {"owner": owner}) for r in config.routes
        ):
            warnings.append(
                Diagnostic(
                    doc.locate(("owners", owner)),
                    f"owner {owner!r} has no route",
                    severity="warning",
                )
            )
    return warnings


def spec_owners(paths: Sequence[Path]) -> dict[str, Location]:
    """Each owner named by a spec under ``paths``, and where (its first mention)."""
    from qrunner.spec.loader import load_specs

    owners: dict[str, Location] = {}
    for loaded in load_specs(paths).specs:
        owner = loaded.spec.owner
        if owner and owner not in owners:
            owners[owner] = loaded.locate(("owner",))
    return owners


def check_routing(path: Path, paths: Sequence[Path]) -> list[Diagnostic]:
    """``qrunner validate --notify``: the routing file's errors, or its warnings (owners of
    the specs under ``paths`` that no route of their own takes)."""
    routing, problems = load_routing(path, spec_owners=spec_owners(paths))
    return problems if routing is None else routing.warnings
