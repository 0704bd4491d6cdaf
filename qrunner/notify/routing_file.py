"""Reading the routing file: every node's line, the models of :mod:`.routing`, and what a
schema cannot say — each route's channels exist, a default route is there and last, no literal
secret anywhere, silences bounded, channel settings valid for their type — as located
diagnostics. ``qrunner validate --notify`` prints them all; a run refuses the file on the
first (:class:`~qrunner.errors.NotifyError`, exit 2; at run time exit 5 if the gates passed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from qrunner.errors import Location, NotifyError, QrunnerError
from qrunner.limits import MAX_SILENCE_DAYS
from qrunner.notify.routing import Routing, RoutingFile, channel_types, matches
from qrunner.secrets import carries_credential, is_secret_name
from qrunner.spec.loader import Diagnostic
from qrunner.spec.yamlsource import PathKey, YamlDocument, format_pointer, load_yaml_file


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
