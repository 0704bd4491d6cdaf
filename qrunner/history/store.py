"""The history store on disk: Parquet files written by DuckDB, one new file per run.

Layout (hive-style partitions, readable by DuckDB, pandas/pyarrow, Spark or a warehouse's
external tables without qrunner)::

    HISTORY/
      date=2024-05-01/
        run-<run id>-<digest>.parquet     one file per run (per shard), never rewritten
      date=2024-05-02/
        ...

``date`` is the UTC date of the run's ``at``; the columns are
:data:`qrunner.history.rows.COLUMNS`. A file is written under a temporary name and renamed
into place, so a reader never sees half a file and concurrent writers (shards, parallel
runs) never touch each other's files. The digest is of the rows, so importing the report of a
run that was already recorded (live or imported) adds nothing.

``prune`` deletes whole partitions older than the retention; nothing else ever deletes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from qrunner.errors import HistoryError, UsageError
from qrunner.history.rows import COLUMNS

__all__ = ["HistoryError", "Past", "append_rows", "data_files", "prune", "query", "recent_values"]

NEW_CHECK_PARTITIONS = 32  # date partitions (days) searched for a check with no value at all
PARTITION = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _duckdb() -> Any:
    import duckdb

    return duckdb


def _connect() -> Any:
    con = _duckdb().connect(":memory:")
    con.execute("SET threads = 2")
    return con


def data_files(directory: Path) -> list[Path]:
    """Every data file of the store (temporary files are not)."""
    if not directory.is_dir():
        return []
    return sorted(directory.glob("date=*/*.parquet"))


def current_sql(source: str) -> str:
    """Only the latest recording of each measurement: running a spec's tick again (or a spec
    without a schedule at the same ``--at``) replaces that tick's rows for its target — every
    check and group of that spec, as the re-run judged them. Nothing is deleted: the older
    file stays, unread (``started_at`` then ``run_id`` decide which recording is the latest)."""
    return f"""(SELECT * FROM {source} QUALIFY dense_rank() OVER (
        PARTITION BY spec, coalesce(target, ''), coalesce(tick, run_at)
        ORDER BY started_at DESC NULLS LAST, run_id DESC) = 1)"""


def source_sql(directory: Path) -> str:
    """A FROM clause over the whole store, each tick's latest recording only (callers check
    that it has files)."""
    pattern = str(directory / "date=*" / "*.parquet").replace("'", "''")
    return current_sql(f"read_parquet('{pattern}', hive_partitioning = true, union_by_name = true)")


@dataclass(frozen=True, slots=True)
class Appended:
    path: Path | None  # None: the same rows were already recorded
    rows: int


def append_rows(directory: Path, run_id: str, rows: Sequence[dict[str, Any]]) -> Appended:
    """Write ``rows`` (one run) as one new Parquet file in its date partition."""
    if not rows:
        return Appended(None, 0)
    canonical = json.dumps(rows, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    day = str(rows[0]["run_at"] or "")[:10] or date.today().isoformat()
    folder = directory / f"date={day}"
    target = folder / f"run-{_UNSAFE.sub('_', run_id)[:80]}-{digest}.parquet"
    if target.exists():
        return Appended(None, len(rows))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _write_parquet(folder, target, rows)
    except OSError as e:
        raise HistoryError(f"cannot write the history under {directory}: {e.strerror}") from e
    return Appended(target, len(rows))


def _write_parquet(folder: Path, target: Path, rows: Sequence[dict[str, Any]]) -> None:
    columns = ", ".join(f"{json.dumps(k)}: '{v}'" for k, v in COLUMNS.items())
    names = ", ".join(f'"{k}"' for k in COLUMNS)
    handle, staging = tempfile.mkstemp(prefix=".rows-", suffix=".jsonl", dir=folder)
    temporary = folder / f".{target.name}.{uuid.uuid4().hex}.tmp"
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, default=str, allow_nan=False) + "\n")
        con = _connect()
        try:
            source = str(staging).replace("'", "''")
            con.execute(
                f"COPY (SELECT {names} FROM read_json('{source}', format = 'newline_delimited', "
                f"columns = {{{columns}}})) TO '{str(temporary).replace(chr(39), chr(39) * 2)}' "
                "(FORMAT parquet, COMPRESSION zstd)"
            )
        finally:
            con.close()
        os.replace(temporary, target)
    finally:
        Path(staging).unlink(missing_ok=True)
        temporary.unlink(missing_ok=True)


def query(directory: Path, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run ``sql`` with ``{history}`` standing for the store; no files is no rows."""
    if not data_files(directory):
        return []
    con = _connect()
    try:
        rows: list[tuple[Any, ...]] = con.execute(
            sql.format(history=source_sql(directory)), list(parameters)
        ).fetchall()
        return rows
    except _duckdb().Error as e:
        raise HistoryError(f"cannot read the history under {directory}: {e}") from e
    finally:
        con.close()


def _partitions(directory: Path) -> list[Path]:
    """Date partitions, newest first."""
    folders = [p for p in directory.glob("date=*") if PARTITION.match(p.name) and p.is_dir()]
    return sorted(folders, key=lambda p: p.name, reverse=True)


def _file_list_sql(files: Sequence[Path]) -> str:
    quoted = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
    return f"read_parquet([{quoted}], hive_partitioning = true, union_by_name = true)"


Past = tuple[datetime, float, str | None]  # (measured at, naive UTC; observed; unit)


def recent_values(
    directory: Path,
    keys: Iterable[tuple[str, str]],
    limit: int,
    *,
    before: str | Mapping[tuple[str, str], str | None] | None = None,
) -> dict[tuple[str, str, str], list[Past]]:
    """The last ``limit`` measured values of each ``(spec, check)`` and each of its groups,
    newest first, measured (tick, else ``run_at``) before ``before`` — one time for every
    key, or one per key; the check's own value is under group ``""``. A tick recorded twice
    counts once, as last recorded.

    Recent values live in recent partitions: the newest few are read first, and older ones
    only for the checks that still lack values. A check with no value in the newest
    :data:`NEW_CHECK_PARTITIONS` partitions is taken to be new (or never measured) and is not
    looked for further back."""
    wanted = set(keys)
    limits = before if isinstance(before, Mapping) else dict.fromkeys(wanted, before)
    found: dict[tuple[str, str, str], list[Past]] = {}
    if not wanted or limit <= 0:
        return found
    partitions = _partitions(directory)
    taken = 0
    span = 2
    while wanted and taken < len(partitions):
        chosen = partitions[: taken + span]
        files = [f for folder in chosen for f in sorted(folder.glob("*.parquet"))]
        taken, span = len(chosen), span * 4
        if not files:
            continue
        pairs = [(s, c, limits.get((s, c))) for s, c in sorted(wanted)]
        for key, values in _recent(files, pairs, limit).items():
            found[key] = values
        complete = {(s, c) for (s, c, g), v in found.items() if g == "" and len(v) >= limit}
        wanted -= complete
        if taken >= NEW_CHECK_PARTITIONS:  # nothing in a month: a new (or never measured) check
            wanted &= {(s, c) for s, c, _ in found}
    return found


def _recent(
    files: Sequence[Path], keys: list[tuple[str, str, str | None]], limit: int
) -> dict[tuple[str, str, str], list[Past]]:
    values = ", ".join("(?, ?, CAST(? AS TIMESTAMP))" for _ in keys)
    parameters: list[Any] = [item for key in keys for item in key]
    sql = f"""
        WITH wanted(spec, check_name, before) AS (VALUES {values})
        SELECT r.spec, r.check_name, coalesce(r.group_key, ''), r.observed, r.unit,
               coalesce(r.tick, r.run_at) AS measured
        FROM {current_sql(_file_list_sql(files))} AS r
        JOIN wanted AS w ON r.spec = w.spec AND r.check_name = w.check_name
        WHERE r.observed IS NOT NULL AND r.status <> 'error'
          AND (w.before IS NULL OR coalesce(r.tick, r.run_at) < w.before)
        QUALIFY row_number() OVER (
            PARTITION BY r.spec, r.check_name, r.group_key ORDER BY measured DESC, r.run_id DESC
        ) <= {int(limit)}
        ORDER BY r.spec, r.check_name, r.group_key, measured DESC, r.run_id DESC
    """
    found: dict[tuple[str, str, str], list[Past]] = {}
    con = _connect()
    try:
        for spec, check, group, observed, unit, at in con.execute(sql, parameters).fetchall():
            found.setdefault((spec, check, group), []).append((at, float(observed), unit))
    except _duckdb().Error as e:
        raise HistoryError(f"cannot read the history: {e}") from e
    finally:
        con.close()
    return found


def prune(directory: Path, keep: timedelta, today: date) -> list[Path]:
    """Delete the partitions older than ``keep`` before ``today``; the deleted folders."""
    if keep.total_seconds() <= 0:
        raise UsageError("--keep must be a positive duration, like 90d")
    oldest = today - timedelta(days=keep.days)
    removed = []
    for folder in sorted(directory.glob("date=*")):
        match = PARTITION.match(folder.name)
        if match and folder.is_dir() and date.fromisoformat(match.group(1)) < oldest:
            try:
                shutil.rmtree(folder)
            except OSError as e:
                raise HistoryError(f"cannot delete {folder}: {e.strerror}") from e
            removed.append(folder)
    return removed


def last_statuses(directory: Path, before: str) -> dict[tuple[str, str], tuple[str, str]]:
    """Per ``(spec, check)``: the status and time (tick, else run) of its newest result before
    ``before`` (ISO), checks as a whole (not their groups). What seeds a lost alert state."""
    files = [
        f
        for folder in _partitions(directory)[:NEW_CHECK_PARTITIONS]
        for f in sorted(folder.glob("*.parquet"))
    ]
    if not files:
        return {}
    sql = f"""
        SELECT spec, check_name, status, strftime(coalesce(tick, run_at), '%Y-%m-%dT%H:%M:%SZ')
        FROM {_file_list_sql(files)}
        WHERE group_key IS NULL AND coalesce(tick, run_at) < CAST(? AS TIMESTAMP)
        QUALIFY row_number() OVER (
            PARTITION BY spec, check_name ORDER BY coalesce(tick, run_at) DESC, run_id DESC
        ) = 1
    """
    con = _connect()
    try:
        rows = con.execute(sql, [before.replace("Z", "")]).fetchall()
    except _duckdb().Error as e:
        raise HistoryError(f"cannot read the history: {e}") from e
    finally:
        con.close()
    return {(str(s), str(c)): (str(status), str(at)) for s, c, status, at in rows}
