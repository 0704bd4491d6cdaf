"""JSON Lines read in Python: the careful path for files that DuckDB's fast reader rejects.

:func:`clean_json_lines` finds every problem a line can have and says where, then writes the
usable events to a new file that DuckDB can load:

* a line that is not JSON, or not a JSON object, or nested deeper than
  :data:`~qrunner.limits.MAX_RECORD_DEPTH` → skipped, one warning per line;
* an attribute whose name cannot be a column (:mod:`.names`) → left out of that event, one
  warning per line;
* no usable ``timestamp`` (missing, not ISO-8601 / epoch ms) → dropped, one warning per file
  with the count and the first line; usable ones are rewritten as epoch milliseconds;
* an attribute whose JSON type differs from the one most events give it (a string ``duration``
  among numbers, ``"test": "x"`` where other events have an object) → that attribute is left
  out of that event, one warning per line;
* an attribute spelled in other letter case by some events (``Foo`` and ``foo``) → one spelling
  for all, the all-lower-case one when there is one, else the first met (DuckDB's column names
  ignore case; it would load the second as ``foo_1``). An event spelling it twice keeps the
  first, one warning per line.

Line warnings stop at :data:`MAX_LINE_WARNINGS` per file, followed by a count of the rest.
"""

from __future__ import annotations

import gzip
import io
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from qrunner.engine.base import DataWarning
from qrunner.engine.store.names import drop_unusable_names
from qrunner.limits import (
    MAX_LINE_WARNINGS,
    MAX_RECORD_DEPTH,
    json_depth_exceeds,
    open_regular_file,
)

_KIND_PRIORITY = ("object", "string", "number", "boolean", "array")
_TOO_DEEP = f"nested deeper than {MAX_RECORD_DEPTH} levels (MAX_RECORD_DEPTH): skipped"


def open_text(path: Path) -> TextIO:
    """A JSON Lines file for reading, gunzipped when its name ends in ``.gz``."""
    raw = open_regular_file(path)  # a FIFO or a device is refused (LimitError), not read
    if path.name.endswith(".gz"):
        return gzip.open(raw, "rt", encoding="utf-8", errors="replace")
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace")


def parse_timestamp_ms(value: object) -> int | None:
    """``timestamp`` as epoch ms: ISO-8601 (no offset = UTC) or epoch ms (number or digits)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value) if math.isfinite(value) and abs(value) < 1e16 else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        return int(float(text))
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _kind(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return "object"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array"


def _count_kinds(record: dict[str, Any], prefix: str, counts: dict[str, Counter[str]]) -> None:
    for key, value in record.items():
        path = f"{prefix}{key}"
        kind = _kind(value)
        if kind is None:
            continue
        counts[path][kind] += 1
        if kind == "object":
            _count_kinds(value, f"{path}.", counts)


def _drop_minority(
    record: dict[str, Any], prefix: str, majority: dict[str, str], problems: list[str]
) -> None:
    for key in list(record):
        path = f"{prefix}{key}"
        kind = _kind(record[key])
        if kind is None:
            continue
        expected = majority.get(path, kind)
        if kind != expected:
            problems.append(
                f"@{path} is {_article(kind)}, other events have {_article(expected)}: ignored"
            )
            del record[key]
        elif kind == "object":
            _drop_minority(record[key], f"{path}.", majority, problems)


def _collect_spellings(record: dict[str, Any], prefix: str, found: dict[str, list[str]]) -> None:
    for key, value in record.items():
        path = f"{prefix}{key.lower()}"
        spellings = found.setdefault(path, [])
        if key not in spellings:
            spellings.append(key)
        if isinstance(value, dict):
            _collect_spellings(value, f"{path}.", found)


def _respell(
    record: dict[str, Any], prefix: str, spelling: dict[str, str], problems: list[str]
) -> dict[str, Any]:
    """``record`` with every key spelled as ``spelling`` says (nested objects merged)."""
    out: dict[str, Any] = {}
    first: dict[str, str] = {}  # the key that gave each name its value
    for key, raw in record.items():
        path = f"{prefix}{key.lower()}"
        name = spelling.get(path, key)
        value = _respell(raw, f"{path}.", spelling, problems) if isinstance(raw, dict) else raw
        if name not in out:
            out[name], first[name] = value, key
        elif isinstance(out[name], dict) and isinstance(value, dict):
            out[name] = _respell({**value, **out[name]}, f"{path}.", spelling, problems)
        else:
            problems.append(
                f"@{prefix}{key} repeats @{prefix}{first[name]} in other letter case: ignored"
            )
    return out


def _unify_key_case(records: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, str]]:
    """Give each attribute one spelling across ``records`` (in place); (line, problem) pairs."""
    found: dict[str, list[str]] = {}
    for _, record in records:
        _collect_spellings(record, "", found)
    spelling = {
        path: next((n for n in names if n == n.lower()), names[0])
        for path, names in found.items()
        if len(names) > 1
    }
    if not spelling:
        return []
    problems: list[tuple[int, str]] = []
    for index, (number, record) in enumerate(records):
        found_here: list[str] = []
        records[index] = (number, _respell(record, "", spelling, found_here))
        problems += [(number, problem) for problem in found_here]
    return problems


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _read_lines(path: Path) -> Iterator[tuple[int, str]]:
    with open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line


def first_bad_timestamp_line(path: Path) -> int:
    """The first line holding an object without a usable ``timestamp`` (0 if none)."""
    for number, line in _read_lines(path):
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(record, dict) and parse_timestamp_ms(record.get("timestamp")) is None:
            return number
    return 0


def clean_json_lines(path: Path, out: Path) -> tuple[int, list[DataWarning]]:
    """Write ``path``'s usable events to ``out`` (JSON Lines); return (events, warnings)."""
    warnings: list[DataWarning] = []
    line_problems = 0
    where = str(path)

    def report(line: int, message: str) -> None:
        nonlocal line_problems
        line_problems += 1
        if line_problems <= MAX_LINE_WARNINGS:
            warnings.append(DataWarning(where, line, message))

    records: list[tuple[int, dict[str, Any]]] = []
    no_time = 0
    first_no_time = 0
    for number, line in _read_lines(path):
        try:
            record = json.loads(line)
        except ValueError as e:
            report(
                number, f"malformed JSON: {getattr(e, 'msg', e)} (column {getattr(e, 'colno', 0)})"
            )
            continue
        except RecursionError:  # nested beyond what the parser recurses into
            report(number, _TOO_DEEP)
            continue
        if not isinstance(record, dict):
            report(number, f"not a JSON object but {_article(_kind(record) or 'null')}")
            continue
        if json_depth_exceeds(record, MAX_RECORD_DEPTH):
            report(number, _TOO_DEEP)
            continue
        renamed: list[str] = []
        drop_unusable_names(record, "", renamed)
        for problem in renamed:
            report(number, problem)
        stamp = parse_timestamp_ms(record.get("timestamp"))
        if stamp is None:
            no_time += 1
            first_no_time = first_no_time or number
            continue
        record["timestamp"] = stamp
        records.append((number, record))

    for number, problem in _unify_key_case(records):
        report(number, problem)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for _, record in records:
        _count_kinds(record, "", counts)
    majority = {
        path: max(kinds, key=lambda k: (kinds[k], -_KIND_PRIORITY.index(k)))
        for path, kinds in counts.items()
        if len(kinds) > 1
    }
    with out.open("w", encoding="utf-8") as sink:
        for number, record in records:
            if majority:
                problems: list[str] = []
                _drop_minority(record, "", majority, problems)
                for problem in problems:
                    report(number, problem)
            sink.write(json.dumps(record, separators=(",", ":")))
            sink.write("\n")
    if line_problems > MAX_LINE_WARNINGS:
        warnings.append(
            DataWarning(where, 0, f"... and {line_problems - MAX_LINE_WARNINGS} more problems")
        )
    if no_time:
        warnings.append(
            DataWarning(
                where,
                first_no_time,
                f"{no_time} event(s) without a usable timestamp dropped (first on this line)",
            )
        )
    return len(records), warnings
