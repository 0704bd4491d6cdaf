"""The DuckDB table functions that read data files, and what their inferred schema says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qrunner.engine.store.columns import FILE_COLUMN, quote_literal
from qrunner.limits import MAX_RECORD_DEPTH

Schema = list[tuple[str, Any]]  # (column name, DuckDBPyType) as DuckDB inferred them


def read_json(files: list[Path], typed: Schema | None = None) -> str:
    """Every line of every file is sampled (``sample_size=-1``): an attribute first met on
    line 150,000 is a column like the others. Levels deeper than a record may be are typed
    JSON, which sends the file to the careful path, where such records are skipped.

    ``typed`` (the schema inferred from the same files) gives the columns read, so that the
    statement that loads does not infer the schema a second time."""
    paths = ", ".join(quote_literal(str(p)) for p in files)
    if typed is not None:
        columns = ", ".join(
            f"{quote_literal(name)}: {quote_literal(str(duck_type))}"
            for name, duck_type in typed
            if name != FILE_COLUMN
        )
        return (
            f"read_json([{paths}], format='newline_delimited', records=true, "
            f"filename={quote_literal(FILE_COLUMN)}, columns={{{columns}}})"
        )
    return (
        f"read_json([{paths}], format='newline_delimited', records=true, union_by_name=true, "
        f"filename={quote_literal(FILE_COLUMN)}, map_inference_threshold=-1, "
        f"sample_size=-1, maximum_depth={MAX_RECORD_DEPTH})"
    )


def read_parquet(files: list[Path]) -> str:
    paths = ", ".join(quote_literal(str(p)) for p in files)
    return f"read_parquet([{paths}], union_by_name=true, filename={quote_literal(FILE_COLUMN)})"


def has_dates(schema: Schema) -> bool:
    """Whether any column, at any depth, is a DATE, TIME or TIMESTAMP (which ``read_json``
    infers from strings, in a format it detects)."""
    pending = [duck_type for _, duck_type in schema]
    while pending:
        duck_type = pending.pop()
        if duck_type.id in ("struct", "list", "map", "array"):
            pending.extend(child for _, child in duck_type.children)
        elif str(duck_type.id).startswith(("date", "time")):
            return True
    return False


__all__ = ["Schema", "has_dates", "read_json", "read_parquet"]
