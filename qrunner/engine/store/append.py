"""Files added to a loaded dataset: loaded alone and appended to its table.

The added files are loaded into a table of their own exactly as a cold load would load them
(:func:`~qrunner.engine.store.load.load_parts`), then merged into the dataset's table: a column
the table lacks is added (its older rows have no value), a column whose types disagree is
widened the way a cold load unifies parts (DOUBLE when both are numeric, else VARCHAR), an
attribute spelled in other letter case is the same column (renamed to its all-lower-case
spelling when the new file gives one, as a cold load names it). The other files are not read.

One case cannot be appended: a column DuckDB typed DATE, TIME or TIMESTAMP (strings it read as
dates) on one side and otherwise on the other. A cold load would keep the strings as written
(``2024-03-15T10:00:00``); widening the loaded dates to text would print them DuckDB's way
(``2024-03-15 10:00:00``), and a search for the written value would no longer match. The
dataset is reloaded instead (:class:`NotAppendable`).
"""

from __future__ import annotations

from typing import Any

from qrunner.engine.store.columns import quote_ident
from qrunner.engine.store.load import column_spelling, unified_type


def _schema(con: Any, table: str) -> dict[str, str]:
    rows = con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {table})").fetchall()
    return {str(name): str(duck_type) for name, duck_type in rows}


class NotAppendable(Exception):
    """Appending would answer otherwise than a cold load of the same files: reload."""


def _is_temporal(duck_type: str) -> bool:
    return duck_type.startswith(("DATE", "TIME"))


def append_table(con: Any, table: str, part: str) -> None:
    """Insert every row of ``part`` into ``table``, widening ``table`` as needed; drop ``part``.
    :class:`NotAppendable` (before any change) when a date column would have to change type."""
    have = _schema(con, table)
    by_key = {name.lower(): name for name in have}
    added = _schema(con, part)
    for column, duck_type in added.items():
        existing = by_key.get(column.lower())
        if existing is None or have[existing] == duck_type:
            continue
        if _is_temporal(have[existing]) or _is_temporal(duck_type):
            raise NotAppendable(f"{column}: {have[existing]} and {duck_type}")
    selects: dict[str, str] = {}
    for column, duck_type in added.items():
        existing = by_key.get(column.lower())
        if existing is None:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {quote_ident(column)} {duck_type}")
            by_key[column.lower()] = existing = column
            have[column] = duck_type
        wanted = unified_type({have[existing], duck_type})
        if wanted != have[existing]:
            con.execute(f"ALTER TABLE {table} ALTER COLUMN {quote_ident(existing)} TYPE {wanted}")
            have[existing] = wanted
        chosen = column_spelling([existing, column])
        if chosen != existing:
            con.execute(
                f"ALTER TABLE {table} RENAME COLUMN {quote_ident(existing)} "
                f"TO {quote_ident(chosen)}"
            )
            have[chosen] = have.pop(existing)
            by_key[column.lower()] = existing = chosen
        selects[existing] = f"CAST({quote_ident(column)} AS {have[existing]})"
    names = ", ".join(quote_ident(name) for name in selects)
    values = ", ".join(selects.values())
    con.execute(f"INSERT INTO {table} ({names}) SELECT {values} FROM {part}")
    con.execute(f"DROP TABLE {part}")
