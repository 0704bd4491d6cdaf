"""Values outside any sane range, found once a dataset is loaded: timestamps before 1970 or
after 2200, negative durations. Each is a warning naming the file and the first line; a
negative duration is cleared (no value: it would drag averages and percentiles below zero),
a far-off timestamp is kept (it only ever matches a window that far off).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qrunner.engine.base import DataWarning
from qrunner.engine.store.columns import FILE_COLUMN, JSON_SUFFIXES
from qrunner.engine.store.jsonlines import open_text, parse_timestamp_ms
from qrunner.errors import LimitError
from qrunner.limits import EARLIEST_TIMESTAMP_MS, LATEST_TIMESTAMP_MS

_NUMERIC = ("BIGINT", "INTEGER", "DOUBLE", "FLOAT", "HUGEINT", "DECIMAL", "SMALLINT", "UBIGINT")


def check_value_ranges(con: Any, table: str) -> list[DataWarning]:
    """Warn about (and for durations, clear) out-of-range values in ``table``."""
    described = {n: t for n, t, *_ in con.execute(f"DESCRIBE {table}").fetchall()}
    if FILE_COLUMN not in described:
        return []
    warnings: list[DataWarning] = []
    if "__ts" in described:
        condition = f'"__ts" < {EARLIEST_TIMESTAMP_MS} OR "__ts" >= {LATEST_TIMESTAMP_MS}'
        for path, count in _per_file(con, table, condition):
            line = _first_line(path, _far_timestamp)
            warnings.append(
                DataWarning(
                    path,
                    line,
                    f"{count} event(s) with a timestamp before 1970 or after 2200 (first on this "
                    "line); kept as they are",
                )
            )
    durations = [
        n for n, t in described.items() if n.endswith("duration") and t.startswith(_NUMERIC)
    ]
    for column in durations:
        condition = f'"{column}" < 0'
        for path, count in _per_file(con, table, condition):
            line = _first_line(path, functools.partial(_negative, column=column))
            warnings.append(
                DataWarning(
                    path,
                    line,
                    f"{count} event(s) with a negative {column} (first on this line); "
                    "the value is cleared",
                )
            )
        con.execute(f'UPDATE {table} SET "{column}" = NULL WHERE {condition}')
    return warnings


def _per_file(con: Any, table: str, condition: str) -> list[tuple[str, int]]:
    rows = con.execute(
        f'SELECT "{FILE_COLUMN}", count(*) FROM {table} WHERE {condition} GROUP BY 1 ORDER BY 1'
    ).fetchall()
    return [(str(path), int(count)) for path, count in rows]


def _far_timestamp(record: dict[str, Any]) -> bool:
    stamp = parse_timestamp_ms(record.get("timestamp"))
    return stamp is not None and not EARLIEST_TIMESTAMP_MS <= stamp < LATEST_TIMESTAMP_MS


def _negative(record: dict[str, Any], column: str) -> bool:
    value: Any = record
    for part in column.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None and isinstance(record.get(column), int | float):
        value = record[column]
    return isinstance(value, int | float) and not isinstance(value, bool) and value < 0


def _first_line(path: str, test: Callable[[dict[str, Any]], bool]) -> int:
    """The first line of a JSON Lines file whose record passes ``test`` (0 for other formats)."""
    file = Path(path)
    if not file.name.endswith(JSON_SUFFIXES):
        return 0
    try:
        with open_text(file) as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    record = json.loads(line)
                except (ValueError, RecursionError):
                    continue
                if isinstance(record, dict) and test(record):
                    return number
    except (OSError, LimitError):
        return 0
    return 0
