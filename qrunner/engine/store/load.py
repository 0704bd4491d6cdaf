"""Files of one dataset → one flat DuckDB table (the loading half of :mod:`datastore`).

The fast path reads every JSON Lines file in one ``read_json`` (parallel, schema unified by
name) and flattens nested objects into dotted columns in the same statement. A file that makes
DuckDB fail, or whose attributes have mixed JSON types, is re-read alone; if it still fails it is
cleaned line by line in Python and the clean copy is loaded (so is one that spells an attribute
in two letter cases, which ``read_json`` would load as two columns, ``Foo`` and ``foo_1``).
Parts are then unified (a column whose types disagree becomes VARCHAR, or DOUBLE when all are
numeric; one spelled in other letter case is one column) and rows without a usable timestamp
are dropped with one warning per file.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qrunner.engine.base import DataWarning
from qrunner.engine.store.columns import (
    FILE_COLUMN,
    JSON_SUFFIXES,
    TIME_COLUMN,
    quote_ident,
    quote_literal,
)
from qrunner.engine.store.jsonlines import clean_json_lines, first_bad_timestamp_line
from qrunner.engine.store.names import unusable_name
from qrunner.engine.store.readers import Schema, has_dates, read_json, read_parquet
from qrunner.engine.store.staging import literal_paths, original_path, write_junit

_NUMERIC_IDS = {
    "tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint", "usmallint",
    "uinteger", "ubigint", "uhugeint", "float", "double", "decimal",
}  # fmt: skip
_NUMERIC_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
    "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE",
}  # fmt: skip


class _Unclean(Exception):
    """Attributes of mixed JSON types: DuckDB typed them JSON, so the careful path is needed."""


def _time_expression(expr: str, type_name: str) -> str:
    """SQL turning a ``timestamp`` column of any detected type into epoch ms (NULL if unusable)."""
    if type_name in _NUMERIC_TYPES or type_name.startswith("DECIMAL"):
        return f"TRY_CAST({expr} AS BIGINT)"
    if type_name.startswith("TIMESTAMP"):
        return f"epoch_ms({expr})"
    if type_name == "DATE":
        return f"epoch_ms(CAST({expr} AS TIMESTAMP))"
    if type_name not in ("VARCHAR", "JSON"):
        return "CAST(NULL AS BIGINT)"
    text = f"json_extract_string({expr}, '$')" if type_name == "JSON" else expr
    return (
        f"COALESCE(TRY_CAST(TRY_CAST({text} AS DOUBLE) AS BIGINT), "
        f"epoch_ms(TRY_CAST({text} AS TIMESTAMPTZ)))"
    )


def _flatten(path: str, expr: str, duck_type: Any, out: dict[str, list[tuple[str, str]]]) -> None:
    """Collect the leaf columns of one read column under their dotted path.

    A nested ``{"git": {"branch": …}}`` and a flat ``"git.branch"`` key are the same attribute
    (Datadog flattens both the same way), so one path may get several expressions."""
    if duck_type.id == "struct":
        for child, child_type in duck_type.children:
            if unusable_name(child, f"{path}.{child}", top=False):
                raise _Unclean(path)
            _flatten(f"{path}.{child}", f"{expr}[{quote_literal(child)}]", child_type, out)
        return
    if str(duck_type) == "JSON":
        raise _Unclean(path)
    if duck_type.id == "map" or path.startswith("__"):
        return
    out.setdefault(path, []).append((expr, str(duck_type)))


def _merged(sources: list[tuple[str, str]]) -> str:
    """One SQL expression for an attribute spelled several ways (the first non-null wins)."""
    if len(sources) == 1:
        return sources[0][0]
    if len({duck_type for _, duck_type in sources}) == 1:
        return f"COALESCE({', '.join(expr for expr, _ in sources)})"
    return f"COALESCE({', '.join(f'CAST({expr} AS VARCHAR)' for expr, _ in sources)})"


def column_spelling(spellings: list[str]) -> str:
    """The name of an attribute spelled in several letter cases: the all-lower-case spelling
    when one is (the one Datadog's facets use), else the first met."""
    return next((name for name in spellings if name == name.lower()), spellings[0])


def _renamed_by_duckdb(paths: list[str]) -> bool:
    """Whether ``read_json`` renamed a key that another one spells in other letter case
    (``Foo`` then ``foo`` → columns ``Foo`` and ``foo_1``): those files need the careful path,
    which gives them one spelling before DuckDB reads them."""
    seen: dict[str, set[str]] = {}
    for path in paths:
        parts = path.split(".")
        for end in range(1, len(parts) + 1):
            prefix = ".".join(parts[:end])
            seen.setdefault(prefix.lower(), set()).add(prefix)
    for spellings in seen.values():
        for prefix in spellings:
            head, _, last = prefix.rpartition(".")
            stem, underscore, number = last.rpartition("_")
            if not (underscore and stem and number.isdigit()):
                continue
            original = f"{head}.{stem}" if head else stem
            if any(other != original for other in seen.get(original.lower(), ())):
                return True
    return False


def _create_part(
    con: Any,
    part: str,
    source: str,
    *,
    renamed_ok: bool = False,
    typed: Callable[[Schema], str] | None = None,
) -> None:
    """``source`` read into the table ``part``, flattened; ``typed`` turns the schema read
    into the source to load from, when that is cheaper than ``source`` again."""
    # Taken once, as plain data: DuckDB binds a relation again (for JSON, infers the schema
    # from every line again) when it is asked its columns after any catalog change.
    relation = con.sql(f"SELECT * FROM {source}")
    schema: Schema = list(zip(relation.columns, relation.types, strict=True))
    selected: dict[str, list[tuple[str, str]]] = {}
    time_sql = "CAST(NULL AS BIGINT)"
    for name, duck_type in schema:
        if name == "timestamp":
            time_sql = _time_expression(quote_ident(name), str(duck_type))
        elif name != FILE_COLUMN:
            if unusable_name(name, name, top=True):
                raise _Unclean(name)
            _flatten(name, quote_ident(name), duck_type, selected)
    if not renamed_ok and _renamed_by_duckdb(list(selected)):
        raise _Unclean("an attribute spelled in two letter cases")
    # DuckDB's column names ignore case: ``Git.Branch`` and ``git.branch`` are one column.
    merged: dict[str, tuple[list[str], list[tuple[str, str]]]] = {}
    for path, exprs in selected.items():
        names, found = merged.setdefault(path.lower(), ([], []))
        names.append(path)
        found += exprs
    columns = [
        f"{_merged(exprs)} AS {quote_ident(column_spelling(names))}"
        for names, exprs in merged.values()
    ]
    columns += [f"{time_sql} AS {TIME_COLUMN}", quote_ident(FILE_COLUMN)]
    select = f"SELECT {', '.join(columns)} FROM"
    con.execute(f"DROP TABLE IF EXISTS {part}")
    if typed is None:
        con.execute(f"CREATE TABLE {part} AS {select} {source}")
    else:
        _create_typed(con, part, select, typed(schema), source, schema)
    _normalize_integers(con, part)


def _create_typed(
    con: Any, part: str, select: str, typed: str, source: str, schema: Schema
) -> None:
    """Load from ``typed`` (no second inference); from ``source`` when that fails on strings
    DuckDB read as dates or times in a format it detected (``15-03-2024 10:00:00``): the
    column types do not carry the format, and the inference would otherwise drop the file."""
    import duckdb

    try:
        con.execute(f"CREATE TABLE {part} AS {select} {typed}")
    except duckdb.Error:
        if not has_dates(schema):
            raise
        con.execute(f"DROP TABLE IF EXISTS {part}")
        con.execute(f"CREATE TABLE {part} AS {select} {source}")


_SMALL_INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "UTINYINT", "USMALLINT", "UINTEGER"}
_WIDE_INTEGERS = {"UBIGINT", "HUGEINT", "UHUGEINT"}


def _normalize_integers(con: Any, part: str) -> None:
    """Integers are BIGINT when they fit, else DOUBLE: decided by the values, never by how the
    records are split over files (DuckDB types ``0`` and ``-1`` in one file HUGEINT, in two
    files BIGINT each), so that one attribute has one type however the data is cut."""
    schema = con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {part})").fetchall()
    for name, duck_type in schema:
        column = quote_ident(name)
        wanted = "BIGINT" if duck_type in _SMALL_INTEGERS else None
        if duck_type in _WIDE_INTEGERS:
            row = con.execute(
                f"SELECT bool_and(TRY_CAST({column} AS BIGINT) IS NOT NULL) FROM {part} "
                f"WHERE {column} IS NOT NULL"
            ).fetchone()
            wanted = "BIGINT" if row is None or row[0] is not False else "DOUBLE"
        if wanted is not None:
            con.execute(f"ALTER TABLE {part} ALTER COLUMN {column} TYPE {wanted}")


def _try_json_part(con: Any, part: str, files: list[Path], *, renamed_ok: bool = False) -> bool:
    return _try_part(
        con,
        part,
        read_json(files),
        renamed_ok=renamed_ok,
        typed=lambda schema: read_json(files, schema),
    )


def _try_part(
    con: Any,
    part: str,
    source: str,
    *,
    renamed_ok: bool = False,
    typed: Callable[[Schema], str] | None = None,
) -> bool:
    import duckdb

    try:
        _create_part(con, part, source, renamed_ok=renamed_ok, typed=typed)
        return True
    except (duckdb.Error, _Unclean):
        con.execute(f"DROP TABLE IF EXISTS {part}")
        return False


def _load_json(
    con: Any,
    files: list[Path],
    name_part: Callable[[], str],
    staging: Path,
    warnings: list[DataWarning],
    originals: dict[str, str],
) -> list[str]:
    part = name_part()
    if _try_json_part(con, part, files):
        return [part]
    parts = []
    for number, path in enumerate(files):
        part = name_part()
        if _try_json_part(con, part, [path]):
            parts.append(part)
            continue
        cleaned = staging / f"clean-{number}.jsonl"
        try:
            kept, problems = clean_json_lines(path, cleaned)
        except (OSError, EOFError, ValueError) as e:
            warnings.append(DataWarning(str(path), 0, f"cannot read: {e}"))
            continue
        warnings.extend(problems)
        originals[str(cleaned)] = str(path)
        # Cleaning gave each attribute one spelling: a ``foo_1`` left is the data's own.
        if kept and not _try_json_part(con, part, [cleaned], renamed_ok=True):
            warnings.append(DataWarning(str(path), 0, "cannot load even after cleaning"))
        elif kept:
            parts.append(part)
    return parts


def _load_parquet(
    con: Any, files: list[Path], name_part: Callable[[], str], warnings: list[DataWarning]
) -> list[str]:
    import duckdb

    part = name_part()
    if _try_part(con, part, read_parquet(files)):
        return [part]
    parts = []
    for path in files:
        part = name_part()
        try:  # one file's columns are its own: a rename needs two files
            _create_part(con, part, read_parquet([path]), renamed_ok=True)
            parts.append(part)
        except (duckdb.Error, _Unclean) as e:
            con.execute(f"DROP TABLE IF EXISTS {part}")
            warnings.append(DataWarning(str(path), 0, f"unreadable Parquet file: {e}"))
    return parts


def unified_type(types: set[str]) -> str:
    if len(types) == 1:
        return next(iter(types))
    if all(t in _NUMERIC_TYPES or t.startswith("DECIMAL") for t in types):
        return "DOUBLE"
    return "VARCHAR"


def _combine(con: Any, target: str, parts: list[str]) -> None:
    if not parts:
        con.execute(f"CREATE TABLE {target} ({TIME_COLUMN} BIGINT, {FILE_COLUMN} VARCHAR)")
        return
    if len(parts) == 1:
        con.execute(f"ALTER TABLE {parts[0]} RENAME TO {target}")
        return
    schemas = {
        part: dict(
            con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {part})").fetchall()
        )
        for part in parts
    }
    # Parts may spell one attribute in other letter case (``Foo`` in one file, ``foo`` in
    # another): one column, named as :func:`column_spelling` says.
    spellings: dict[str, list[str]] = {}
    wanted: dict[str, set[str]] = {}
    for schema in schemas.values():
        for column, column_type in schema.items():
            spellings.setdefault(column.lower(), []).append(column)
            wanted.setdefault(column.lower(), set()).add(column_type)
    types = {key: unified_type(found) for key, found in wanted.items()}
    selects = []
    for part, schema in schemas.items():
        own = {column.lower(): column for column in schema}
        exprs = [
            f"CAST({quote_ident(own[key]) if key in own else 'NULL'} AS {t}) "
            f"AS {quote_ident(column_spelling(spellings[key]))}"
            for key, t in types.items()
        ]
        selects.append(f"SELECT {', '.join(exprs)} FROM {part}")
    con.execute(f"CREATE TABLE {target} AS {' UNION ALL '.join(selects)}")
    for part in parts:
        con.execute(f"DROP TABLE {part}")


def _empty(path: Path) -> bool:
    try:
        return path.stat().st_size == 0
    except OSError:
        return False  # the reader says what is wrong with it


def load_parts(con: Any, target: str, files: list[Path], staging: Path) -> list[DataWarning]:
    """Load ``files`` into the new table ``target``; return the data warnings."""
    counter = itertools.count()

    def name_part() -> str:
        return f"{target}__part{next(counter)}"

    warnings: list[DataWarning] = []
    originals: dict[str, str] = {}
    files = literal_paths(files, staging, originals)
    # An empty file holds no event, and DuckDB refuses it among others ("expected records"),
    # which would send every file of the dataset down the one-by-one path.
    json_files = [p for p in files if p.name.endswith(JSON_SUFFIXES) and not _empty(p)]
    json_files += write_junit(
        [p for p in files if p.suffix == ".xml"], staging, warnings, originals
    )
    parts = (
        _load_json(con, json_files, name_part, staging, warnings, originals) if json_files else []
    )
    parquet = [p for p in files if p.suffix == ".parquet"]
    if parquet:
        parts += _load_parquet(con, parquet, name_part, warnings)
    con.execute(f"DROP TABLE IF EXISTS {target}")
    _combine(con, target, parts)
    for staged in originals:  # rows read from a staged copy name the file they came from
        con.execute(
            f"UPDATE {target} SET {FILE_COLUMN} = ? WHERE {FILE_COLUMN} = ?",
            [original_path(originals, staged), staged],
        )
    dropped = con.execute(
        f"SELECT {FILE_COLUMN}, count(*) FROM {target} WHERE {TIME_COLUMN} IS NULL "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()
    for source, count in dropped:
        path = Path(source)
        line = first_bad_timestamp_line(path) if path.name.endswith(JSON_SUFFIXES) else 0
        warnings.append(
            DataWarning(
                source,
                line,
                f"{count} event(s) without a usable timestamp dropped (first on this line)",
            )
        )
    if dropped:
        con.execute(f"DELETE FROM {target} WHERE {TIME_COLUMN} IS NULL")
    return [dataclasses.replace(w, path=original_path(originals, w.path)) for w in warnings]
