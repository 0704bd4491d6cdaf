"""Read the field tables out of the API doc pages.

Two layouts occur:

* the Datadog reference pages (``datadog-*-aggregate.md``): a Markdown table
  ``| Parent field | Field | Type | Description |`` under ``### Request`` and under the
  ``200`` tab of ``### Response``;
* the Product Analytics page, a flattened copy of the same reference page (Japanese
  headings): field name, type and description on separate lines, no parent column.
  Its nesting is recovered from the JSON example that follows the field list.

Both are turned into :class:`FieldRow` lists; :mod:`qrunner.schemagen.build` turns rows into
JSON Schema. Only structure is kept (names, types, required markers, enum values), never
the descriptions' prose.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from qrunner.errors import SchemaGenerationError

REQUIRED_MARK = "[*required*]"
FLAT_REQUIRED_MARK = "[required]"

_TABLE_HEADER = re.compile(r"^\|\s*Parent field\s*\|\s*Field\s*\|\s*Type\s*\|\s*Description\s*\|")
_ENUM_VALUES = re.compile(r"Allowed enum values:\s*`?([^`\n]+?)`?\s*$")
_FLAT_NAME = re.compile(r"^(?:[A-Za-z_][\w.-]*|<any-key>)(?: \[required\])?$")

# Type words as the reference pages spell them; build.py maps them to JSON Schema.
KNOWN_TYPES = frozenset(
    {
        "",
        "<oneOf>",
        "object",
        "string",
        "enum",
        "boolean",
        "int32",
        "int64",
        "integer",
        "double",
        "float",
        "number",
        "date-time",
        "[object]",
        "[string]",
        "[int64]",
        "[double]",
    }
)

REQUEST_HEADINGS = ("Request", "リクエスト")
RESPONSE_HEADINGS = ("Response", "応答")
FIELD_HEADINGS = ("Field", "フィールド")
TYPE_HEADINGS = ("Type", "種類")
DESCRIPTION_HEADINGS = ("Description", "説明")


@dataclass(frozen=True, slots=True)
class FieldRow:
    """One row of a field table: ``parent`` is ``""`` for top-level fields."""

    parent: str
    name: str
    type: str
    required: bool
    enum: tuple[str, ...]
    line: int  # 1-based line in the page, for error messages


def _normalise(text: str) -> str:
    # the rendered pages put a no-break space between a name and its required marker
    return text.replace("\u00a0", " ")


def parse_enum_values(description: str) -> tuple[str, ...]:
    """Return the values of an ``Allowed enum values: `a,b` `` sentence, or ``()``."""
    match = _ENUM_VALUES.search(description.strip())
    if match is None:
        return ()
    return tuple(v.strip() for v in match.group(1).split(",") if v.strip())


def _split_name(raw: str, mark: str) -> tuple[str, bool]:
    name = raw.strip()
    if name.endswith(mark):
        return name[: -len(mark)].strip(), True
    return name, False


def _check_type(page: str, line: int, name: str, type_: str) -> None:
    if type_ not in KNOWN_TYPES:
        raise SchemaGenerationError(
            f"{page}:{line}: unknown field type {type_!r} for field {name!r}"
            f" (known: {', '.join(sorted(t for t in KNOWN_TYPES if t))})"
        )


def _find_line(
    lines: Sequence[str], predicate: Callable[[str], object], start: int, stop: int | None = None
) -> int | None:
    end = len(lines) if stop is None else stop
    for i in range(start, end):
        if predicate(lines[i]):
            return i
    return None


def _parse_table(page: str, lines: Sequence[str], header: int) -> list[FieldRow]:
    rows: list[FieldRow] = []
    # header line, then the |---| separator, then rows until the first non-table line
    for i in range(header + 2, len(lines)):
        text = lines[i].strip()
        if not text.startswith("|"):
            break
        cells = [c.strip() for c in text.strip("|").split("|")]
        if len(cells) < 4:
            raise SchemaGenerationError(f"{page}:{i + 1}: table row has {len(cells)} cells, not 4")
        parent, raw_name, type_ = cells[0], cells[1], cells[2]
        description = "|".join(cells[3:])
        name, required = _split_name(raw_name, REQUIRED_MARK)
        _check_type(page, i + 1, name, type_)
        rows.append(FieldRow(parent, name, type_, required, parse_enum_values(description), i + 1))
    if not rows:
        raise SchemaGenerationError(f"{page}:{header + 1}: field table has no rows")
    return rows


def parse_reference_tables(page: str, text: str) -> tuple[list[FieldRow], list[FieldRow]]:
    """Return the (request, response-200) field tables of a Datadog reference page."""
    lines = _normalise(text).splitlines()
    request = _find_line(lines, lambda s: s.strip() == "### Request", 0)
    if request is None:
        raise SchemaGenerationError(f"{page}: no '### Request' section")
    response = _find_line(lines, lambda s: s.strip() == "### Response", request)
    if response is None:
        raise SchemaGenerationError(f"{page}: no '### Response' section")
    req_table = _find_line(lines, _TABLE_HEADER.match, request, response)
    if req_table is None:
        raise SchemaGenerationError(
            f"{page}: no '| Parent field | Field | Type | Description |' table under '### Request'"
        )
    ok_tab = _find_line(lines, lambda s: s.strip() == '{% tab title="200" %}', response)
    if ok_tab is None:
        raise SchemaGenerationError(f"{page}: no '200' tab under '### Response'")
    next_tab = _find_line(
        lines,
        lambda s: s.strip().startswith('{% tab title="') and s.strip()[13:14].isdigit(),
        ok_tab + 1,
    )
    resp_table = _find_line(lines, _TABLE_HEADER.match, ok_tab, next_tab)
    if resp_table is None:
        raise SchemaGenerationError(
            f"{page}: no '| Parent field | Field | Type | Description |' table in the 200 tab"
        )
    return _parse_table(page, lines, req_table), _parse_table(page, lines, resp_table)


# --- the flattened layout (Product Analytics) -------------------------------------------------


def _heading_index(lines: Sequence[str], names: Sequence[str], start: int) -> int | None:
    return _find_line(lines, lambda s: s.strip() in names, start)


def _flat_entries(page: str, lines: Sequence[str], start: int, stop: int) -> list[tuple[int, str]]:
    """Non-empty lines of a flattened field list, from after its header to its JSON example."""
    header = _find_line(lines, lambda s: s.strip() in FIELD_HEADINGS, start, stop)
    if header is None:
        raise SchemaGenerationError(
            f"{page}:{start + 1}: no field list (a line '{FIELD_HEADINGS[0]}' or"
            f" '{FIELD_HEADINGS[1]}') in this section"
        )
    # the header is three lines: field / type / description
    entries = [(i, lines[i].strip()) for i in range(header, stop) if lines[i].strip()]
    if len(entries) < 3:
        raise SchemaGenerationError(f"{page}:{header + 1}: the field list is cut short")
    for (line, text), names in zip(
        entries[1:3], (TYPE_HEADINGS, DESCRIPTION_HEADINGS), strict=True
    ):
        if text not in names:
            raise SchemaGenerationError(
                f"{page}:{line + 1}: expected the field list header {' or '.join(names)},"
                f" got {text!r}"
            )
    return entries[3:]


def _split_flat_fields(
    page: str, entries: list[tuple[int, str]]
) -> list[tuple[int, str, str, str]]:
    """Group ``name, type, description...`` lines into fields; stops at the JSON example."""
    fields: list[tuple[int, str, str, str]] = []
    i = 0
    while i < len(entries) and not entries[i][1].startswith("{"):
        line, name = entries[i]
        if i + 1 >= len(entries) or not _FLAT_NAME.match(name):
            raise SchemaGenerationError(f"{page}:{line + 1}: expected a field name, got {name!r}")
        type_ = entries[i + 1][1]
        _check_type(page, entries[i + 1][0] + 1, name, type_)
        j = i + 2
        description: list[str] = []
        while j < len(entries) and not entries[j][1].startswith("{"):
            is_next_field = (
                _FLAT_NAME.match(entries[j][1]) is not None
                and j + 1 < len(entries)
                and entries[j + 1][1] in KNOWN_TYPES
                and entries[j + 1][1] != ""
            )
            if is_next_field and description:
                break
            description.append(entries[j][1])
            j += 1
        fields.append((line + 1, name, type_, " ".join(description)))
        i = j
    return fields


def _flat_example(page: str, lines: Sequence[str], entries: list[tuple[int, str]]) -> Any:
    first = next((i for i, (_, s) in enumerate(entries) if s.startswith("{")), None)
    if first is None:
        raise SchemaGenerationError(f"{page}: no JSON example after the request field list")
    start = entries[first][0]
    depth = 0
    for end in range(start, len(lines)):
        depth += lines[end].count("{") - lines[end].count("}")
        if depth <= 0:
            break
    try:
        return json.loads("\n".join(lines[start : end + 1]))
    except json.JSONDecodeError as e:
        raise SchemaGenerationError(
            f"{page}:{start + 1}: the request example is not valid JSON: {e}"
        ) from e


def parse_flattened_request(page: str, text: str) -> list[FieldRow]:
    """Return the request field list of a flattened page, with parents filled in.

    The flattened list has no parent column, so nesting is read from the JSON example that
    follows it: a field is a child of the innermost open object whose example holds that key
    (a field absent from the example nests in the innermost open object).
    """
    lines = _normalise(text).splitlines()
    start = _heading_index(lines, REQUEST_HEADINGS, 0)
    if start is None:
        raise SchemaGenerationError(f"{page}: no request heading ({' / '.join(REQUEST_HEADINGS)})")
    stop = _heading_index(lines, RESPONSE_HEADINGS, start + 1)
    if stop is None:
        raise SchemaGenerationError(
            f"{page}: no response heading ({' / '.join(RESPONSE_HEADINGS)})"
        )
    entries = _flat_entries(page, lines, start, stop)
    fields = _split_flat_fields(page, entries)
    if not fields:
        raise SchemaGenerationError(f"{page}:{start + 1}: the request field list is empty")
    example = _flat_example(page, lines, entries)
    if not isinstance(example, dict):
        raise SchemaGenerationError(f"{page}: the request example is not a JSON object")

    rows: list[FieldRow] = []
    stack: list[tuple[str, dict[str, Any]]] = [("", example)]
    for line, raw_name, type_, description in fields:
        name, required = _split_name(raw_name, FLAT_REQUIRED_MARK)
        while len(stack) > 1 and name not in stack[-1][1]:
            stack.pop()
        parent = stack[-1][0]
        rows.append(FieldRow(parent, name, type_, required, parse_enum_values(description), line))
        if type_ == "object":
            value = stack[-1][1].get(name)
            stack.append((name, value if isinstance(value, dict) else {}))
    return rows


def flattened_response_is_empty(page: str, text: str) -> bool:
    """Whether the success response of a flattened page is documented as ``No response body``."""
    lines = text.splitlines()
    start = _heading_index(lines, RESPONSE_HEADINGS, 0)
    if start is None:
        raise SchemaGenerationError(
            f"{page}: no response heading ({' / '.join(RESPONSE_HEADINGS)})"
        )
    stop = _find_line(lines, lambda s: s.strip() == "{}", start)
    if stop is None:
        return False
    return any(s.strip() == "No response body" for s in lines[start:stop])
