"""Find the generated request/response schemas and validate instances against them.

A non-editable install ships the repository's top-level ``schemas/`` inside the package as
``qrunner/_schemas`` (hatch force-include); a checkout uses ``schemas/`` beside the package.

:func:`validate_instance` reports every problem, each as a :class:`SchemaIssue` with a path
into the instance and a message meant for people (``unknown field 'agregation'; did you mean
'aggregation'?``). Compiled validators are cached per schema; jsonschema is imported lazily so
that commands which never validate start fast.
"""

from __future__ import annotations

import copy
import difflib
import functools
import importlib
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from qrunner.errors import QrunnerError
from qrunner.limits import excerpt

SUFFIX = ".schema.json"


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    """One problem: ``path`` leads from the instance's root to the offending value."""

    path: tuple[str | int, ...]
    message: str

    @property
    def breadcrumb(self) -> str:
        """``compute[0].aggregation``; ``""`` for the root."""
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out

    def __str__(self) -> str:
        return f"{self.breadcrumb}: {self.message}" if self.path else self.message


@functools.cache
def schemas_dir() -> Path:
    """The directory holding ``*.schema.json``: installed package data, else the checkout's."""
    packaged = resources.files("qrunner").joinpath("_schemas")
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "schemas"
    if checkout.is_dir():
        return checkout
    raise QrunnerError(
        f"cannot find qrunner's schemas (looked in {packaged} and {checkout});"
        " reinstall qrunner or run `qrunner schemas generate` in a checkout"
    )


@functools.cache
def _load(name: str) -> dict[str, Any]:
    directory = schemas_dir()
    path = directory / (name + SUFFIX)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        known = sorted(p.name[: -len(SUFFIX)] for p in directory.glob("*" + SUFFIX))
        raise QrunnerError(f"no schema named {name!r} (known: {', '.join(known)})") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise QrunnerError(f"{path}: cannot read schema: {e}") from e
    if not isinstance(data, dict):
        raise QrunnerError(f"{path}: a schema must be a JSON object")
    return data


def load_schema(name: str) -> dict[str, Any]:
    """The schema called ``name`` (``datadog.ci_tests.request``); a fresh copy each call."""
    return copy.deepcopy(_load(name))


def _jsonschema(module: str) -> Any:
    # Imported by name: jsonschema ships no type information, and importing it costs
    # tens of milliseconds that commands which never validate should not pay.
    return importlib.import_module(module)


@functools.cache
def _validator(name: str) -> Any:
    validators = _jsonschema("jsonschema.validators")
    return validators.Draft202012Validator(_load(name))


def validate_instance(name: str, instance: object) -> list[SchemaIssue]:
    """Every way ``instance`` breaks schema ``name``; ``[]`` when it is valid."""
    validator = _validator(name)
    issues: list[SchemaIssue] = []
    for error in validator.iter_errors(instance):
        for issue in _describe(error):
            if issue not in issues:
                issues.append(issue)
    return sorted(issues, key=_sort_key)


def _sort_key(issue: SchemaIssue) -> tuple[tuple[tuple[int, int, str], ...], str]:
    return (
        tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in issue.path),
        issue.message,
    )


# --- messages ---------------------------------------------------------------------------------

_JSON_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),  # before int: bool is an int in Python
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
    (type(None), "null"),
)


def _json_type(value: object) -> str:
    return next((n for t, n in _JSON_TYPES if isinstance(value, t)), type(value).__name__)


def _show(value: object) -> str:
    """A value as a message quotes it: strings in quotes, scalars as JSON, containers by type."""
    if isinstance(value, str):
        return repr(excerpt(value, 80))
    if isinstance(value, bool | int | float) or value is None:
        return json.dumps(value)
    return _json_type(value)


def _got(value: object) -> str:
    kind = _json_type(value)
    if isinstance(value, dict | list) or value is None:
        return kind
    return f"{kind} {_show(value)}"


def _listing(words: list[str], last: str = "or") -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


def _path(error: Any) -> tuple[str | int, ...]:
    return tuple(error.absolute_path)


def _describe(error: Any) -> list[SchemaIssue]:
    kind, value, instance = error.validator, error.validator_value, error.instance
    path = _path(error)
    if kind == "additionalProperties" and isinstance(instance, dict):
        return _unknown_fields(error, instance)
    if kind == "required" and isinstance(instance, dict):
        return [
            SchemaIssue(path, f"missing required field {field!r}")
            for field in value
            if field not in instance
        ]
    if kind == "enum":
        return [SchemaIssue(path, f"{_show(instance)} is not one of: {', '.join(map(str, value))}")]
    if kind == "const":
        return [SchemaIssue(path, f"expected {_show(value)}, got {_show(instance)}")]
    if kind == "type":
        expected = [value] if isinstance(value, str) else list(value)
        return [SchemaIssue(path, f"expected {_listing(expected)}, got {_got(instance)}")]
    if kind in ("oneOf", "anyOf"):
        return _alternatives(error)
    if kind == "pattern" and isinstance(instance, str):
        return [SchemaIssue(path, _pattern_message(error.schema, instance))]
    if kind == "not" and isinstance(value, dict) and set(value) == {"required"}:
        names = list(value["required"])
        return [
            SchemaIssue(
                path,
                f"give {_listing(names)}, not both"
                if len(names) == 2
                else f"give at most one of {_listing(names)}",
            )
        ]
    return [SchemaIssue(path, excerpt(error.message))]


def _unknown_fields(error: Any, instance: dict[str, Any]) -> list[SchemaIssue]:
    schema = error.schema
    known = list(schema.get("properties", {}))
    patterns = list(schema.get("patternProperties", {}))
    issues = []
    for key in instance:
        if key in known or any(_search(p, key) for p in patterns):
            continue
        message = f"unknown field {key!r}"
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        if close:
            message += f"; did you mean {close[0]!r}?"
        elif known:
            message += f" (known: {', '.join(known)})"
        issues.append(SchemaIssue((*_path(error), key), message))
    return issues


def _search(pattern: str, text: str) -> bool:
    return re.search(pattern, text) is not None


def _identity_names(branches: list[Any]) -> list[str] | None:
    """``usr.id``... when every branch only requires a field (and maybe fields inside it)."""
    names: list[str] = []
    for branch in branches:
        if not isinstance(branch, dict) or set(branch) - {"required", "properties"}:
            return None
        required = branch.get("required", [])
        if len(required) != 1:
            return None
        inner = branch.get("properties", {}).get(required[0], {}).get("required", [])
        names.append(".".join([required[0], *inner[:1]]))
    return names


def _alternatives(error: Any) -> list[SchemaIssue]:
    path = _path(error)
    names = _identity_names(error.validator_value)
    if names is not None:
        return [SchemaIssue(path, f"at least one of {_listing(names)} is required")]
    context = list(error.context or ())
    if not context:  # oneOf matched more than one alternative
        return [SchemaIssue(path, f"{_show(error.instance)} matches more than one alternative")]
    if all(e.validator == "type" and not e.relative_path for e in context):
        expected: list[str] = []
        for sub in context:
            for name in (
                [sub.validator_value]
                if isinstance(sub.validator_value, str)
                else sub.validator_value
            ):
                if name not in expected:
                    expected.append(name)
        return [SchemaIssue(path, f"expected {_listing(expected)}, got {_got(error.instance)}")]
    exceptions = _jsonschema("jsonschema.exceptions")
    return _describe(exceptions.best_match(context))


def _pattern_message(schema: dict[str, Any], value: str) -> str:
    items = schema.get("x-comma-list")
    if items is not None:
        allowed = ", ".join(items)
        for item in value.split(","):
            if item in items:
                continue
            if item.strip() in items:
                return f"{value!r}: no spaces allowed around the commas (item {item!r})"
            if not item:
                return f"{value!r}: empty item; give a comma-separated list of: {allowed}"
            return f"{value!r}: {item!r} is not one of: {allowed}"
    choices = schema.get("x-one-of")  # an enum that allows surrounding whitespace
    if choices is not None:
        return f"{value!r} is not one of: {', '.join(choices)}"
    order = schema.get("x-order-by")
    if order is not None:
        forms = " or ".join(
            "'<field> <direction>'" if f == "field direction" else "'<direction> <field>'"
            for f in order["forms"]
        )
        return (
            f"{value!r} is not a valid order: expected {forms} with direction one of"
            f" {', '.join(order['directions'])} and field one of: {', '.join(order['fields'])}"
        )
    return f"{value!r} does not match the pattern {schema.get('pattern')}"
