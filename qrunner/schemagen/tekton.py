"""The Tekton Results summary page: prose tables → the spec-level request schema.

The page (``tekton-results-summary.md``) is GitHub's rendering of ``summary-api.md`` with the
table borders lost: each table is a header line followed by one line per row, the first word
of a row being its key. From it we read the summary items, the time units and time fields of
``group_by``, the field groups of ``group_by`` and the ``order_by`` directions.

The request is the spec's view of the query parameters, ``{parent, summary, group_by,
order_by, filter}``, all strings. Two value shapes cannot be enums, so they are written as
``pattern`` plus a machine-readable annotation that :func:`finalize_patterns` turns into the
pattern after the overrides ran (overrides edit the annotation, never a regex):

* ``x-comma-list``: the allowed items of a comma-separated list without spaces (``summary``);
* ``x-order-by``: ``{"fields": [...], "directions": [...], "forms": [...]}`` where a form is
  ``"direction field"`` or ``"field direction"`` (``order_by``);
* ``x-trimmed: true`` (set by an override): whitespace around the whole value is allowed, as
  the server trims it — an ``enum`` becomes ``x-one-of`` plus a pattern, a pattern is wrapped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from qrunner.errors import SchemaGenerationError

_AGGREGATIONS_HEADER = "Field Type Description Example"
_TIME_GROUPS_HEADER = "Group By Example group_value ISO Timestamp of the group_value Remarks"
_FIELD_GROUPS_HEADER = "Group By Example group_value"
_TIME_FIELDS = re.compile(r"specify (\w+) or (\w+) fields")
_ORDER_HEADER = "Type Value to be passed"
_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DIRECTION_FIRST = "direction field"
FIELD_FIRST = "field direction"


def _table_keys(page: str, lines: Sequence[str], header: str) -> list[str]:
    """First words of the rows of the borderless table whose header line is ``header``."""
    try:
        start = next(i for i, s in enumerate(lines) if s.strip() == header)
    except StopIteration:
        raise SchemaGenerationError(f"{page}: no table with the header line {header!r}") from None
    keys: list[str] = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        key = line.split()[0]
        if not _WORD.match(key):
            raise SchemaGenerationError(f"{page}: unexpected row {line.strip()!r} in {header!r}")
        keys.append(key)
    if not keys:
        raise SchemaGenerationError(f"{page}: the table {header!r} has no rows")
    return keys


def _order_directions(page: str, lines: Sequence[str]) -> list[str]:
    """The direction words of the ordering table (``ASC running or `asc running``)."""
    try:
        start = next(i for i, s in enumerate(lines) if s.strip() == _ORDER_HEADER)
    except StopIteration:
        raise SchemaGenerationError(
            f"{page}: no ordering table with the header line {_ORDER_HEADER!r}"
        ) from None
    directions: list[str] = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        # "Ascending ASC running or `asc running": the row's words after its label
        for word in re.findall(r"[A-Za-z_]+", line.split(None, 1)[-1]):
            if word not in directions and word.upper() in ("ASC", "DESC"):
                directions.append(word)
    if not directions:
        raise SchemaGenerationError(f"{page}: the ordering table names no ASC/DESC direction")
    return directions


def build_tekton_request(page: str, text: str) -> dict[str, Any]:
    """The request schema as the page documents it (overrides fix what it gets wrong)."""
    lines = text.splitlines()
    items = _table_keys(page, lines, _AGGREGATIONS_HEADER)
    units = _table_keys(page, lines, _TIME_GROUPS_HEADER)
    field_groups = _table_keys(page, lines, _FIELD_GROUPS_HEADER)
    time_fields = _TIME_FIELDS.search(text)
    if time_fields is None:
        raise SchemaGenerationError(
            f"{page}: cannot find the time fields of group_by ('specify X or Y fields')"
        )
    directions = _order_directions(page, lines)
    group_by = [*units]
    group_by += [f"{u} {f}" for u in units for f in time_fields.groups()]
    group_by += field_groups
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "parent": {"type": "string"},
            "summary": {"type": "string", "x-comma-list": items},
            "group_by": {"type": "string", "enum": group_by},
            "order_by": {
                "type": "string",
                "x-order-by": {
                    "fields": list(items),
                    "directions": directions,
                    "forms": [DIRECTION_FIRST],
                },
            },
            "filter": {"type": "string"},
        },
    }


def _alternation(words: Sequence[str]) -> str:
    return "(?:" + "|".join(re.escape(w) for w in words) + ")"


def finalize_patterns(schema: Any, where: str) -> None:
    """Write the ``pattern`` of every ``x-comma-list`` / ``x-order-by`` node, in place."""
    if isinstance(schema, list):
        for item in schema:
            finalize_patterns(item, where)
        return
    if not isinstance(schema, dict):
        return
    items = schema.get("x-comma-list")
    if items is not None:
        if not items:
            raise SchemaGenerationError(f"{where}: x-comma-list is empty")
        one = _alternation(items)
        schema["pattern"] = f"^{one}(?:,{one})*$"
    order = schema.get("x-order-by")
    if order is not None:
        fields, directions = _alternation(order["fields"]), _alternation(order["directions"])
        forms = []
        for form in order["forms"]:
            if form == DIRECTION_FIRST:
                forms.append(f"{directions} {fields}")
            elif form == FIELD_FIRST:
                forms.append(f"{fields} {directions}")
            else:
                raise SchemaGenerationError(
                    f"{where}: unknown x-order-by form {form!r}"
                    f" (use {DIRECTION_FIRST!r} or {FIELD_FIRST!r})"
                )
        schema["pattern"] = "^(?:" + "|".join(forms) + ")$"
    if schema.get("x-trimmed") is True:
        _allow_surrounding_space(schema, where)
    for value in schema.values():
        finalize_patterns(value, where)


def _allow_surrounding_space(schema: dict[str, Any], where: str) -> None:
    if "enum" in schema:
        schema["x-one-of"] = schema.pop("enum")
        # a space needs no escape, and ECMA-262 regexes (editors) refuse a needless one
        words = "|".join(re.escape(w).replace("\\ ", " ") for w in schema["x-one-of"])
        schema["pattern"] = f"^(?:{words})$"
    pattern = schema.get("pattern")
    if not isinstance(pattern, str) or not pattern.startswith("^") or not pattern.endswith("$"):
        raise SchemaGenerationError(f"{where}: x-trimmed needs an enum or an anchored pattern")
    schema["pattern"] = rf"^\s*(?:{pattern[1:-1]})\s*$"
