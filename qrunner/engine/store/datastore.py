"""Local CI data loaded into a cached DuckDB database.

Layout under the data directory, one directory per dataset (a missing one is an empty dataset)::

    ci_tests/      *.jsonl *.ndjson (optionally .gz), *.parquet, JUnit *.xml (see junit.py)
    ci_pipelines/  *.jsonl *.ndjson (optionally .gz), *.parquet
    spans/         *.jsonl *.ndjson (optionally .gz), *.parquet

Events use Datadog's attribute layout: reserved attributes at the top level (``service``,
``env``, ``test_level``, ``ci_level``...), custom ones as nested objects (``{"test": {"status":
"fail"}}`` is ``@test.status``), durations in nanoseconds and a ``timestamp`` (ISO-8601 or epoch
ms, mixed freely). Each dataset becomes one table with one column per attribute path
(``"test.status"``), the epoch-ms time in :data:`.columns.TIME_COLUMN` and the source file in
:data:`.columns.FILE_COLUMN`.

The database lives at ``<cache_dir>/<hash of the data dir>.duckdb`` together with a manifest of
(file, size, mtime_ns) per dataset: files added since are loaded alone and appended
(:mod:`.append`: new columns added as needed, the other files not read); a file changed or
removed reloads the dataset. The schema is inferred from every line of every file, so an
attribute first met on any line of any file is a column.
Bad data never stops a run: a file DuckDB rejects is re-read line by line in Python
(:mod:`qrunner.engine.store.jsonlines`) and every problem becomes a :class:`DataWarning`.
Queries take their own cursor (:meth:`LocalStore.cursor`); loading is serialised by a lock.
Processes running at once on one cache share it as :mod:`.cache_file` says: the first one to
open it keeps it, the others load into memory for their run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qrunner.engine.base import Column, DataWarning
from qrunner.engine.store.columns import (
    CACHE_VERSION,
    DATASETS,
    JSON_SUFFIXES,
    Dataset,
    column_for,
)
from qrunner.errors import DataError


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/qrunner``, else ``~/.cache/qrunner``."""
    environ = os.environ if env is None else env
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qrunner"


def discover_files(directory: Path, dataset: str) -> list[Path]:
    """The data files of one dataset directory, recursively, in a stable order."""
    if not directory.is_dir():
        return []
    suffixes = (*JSON_SUFFIXES, ".parquet", *((".xml",) if dataset == "ci_tests" else ()))
    return sorted(
        p
        for p in directory.rglob("*")
        if p.is_file() and not p.name.startswith(".") and p.name.endswith(suffixes)
    )


def _added_files(stored: str | None, manifest: str) -> list[Path] | None:
    """The files ``manifest`` adds to ``stored`` ([] if they are the same); None when a file
    was changed or removed (or the cache is another version's): the dataset is reloaded."""
    if stored is None:
        return None
    try:
        version, entries = json.loads(stored)
    except (ValueError, TypeError):
        return None
    _, current = json.loads(manifest)
    if version != CACHE_VERSION or not isinstance(entries, list):
        return None
    before = {tuple(entry) for entry in entries if isinstance(entry, list)}
    now = {tuple(entry) for entry in current}
    if not before <= now:
        return None
    return [Path(entry[0]) for entry in current if tuple(entry) not in before]


def _stored_warnings(con: Any, name: str) -> list[DataWarning]:
    rows = con.execute(
        "SELECT path, line, message FROM __qrunner_warnings WHERE dataset = ? ORDER BY seq",
        [name],
    ).fetchall()
    return [DataWarning(p, int(ln), m) for p, ln, m in rows]


def _manifest(files: list[Path]) -> str:
    entries = []
    for path in files:
        stat = path.stat()
        entries.append([str(path.resolve()), stat.st_size, stat.st_mtime_ns])
    return json.dumps([CACHE_VERSION, entries])


class LocalStore:
    """The datasets of one data directory, loaded on first use into a cached DuckDB file."""

    def __init__(self, data_dir: Path, cache_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.cache_dir = cache_dir
        self.loads: list[str] = []  # datasets this store (re)loaded from files, in order
        self.appends: list[str] = []  # datasets this store appended added files to
        self.notices: list[str] = []
        self._warnings: dict[str, list[DataWarning]] = {}
        self._datasets: dict[str, Dataset] = {}
        self._lock = threading.RLock()
        self._con: Any = None

    @property
    def warnings(self) -> list[DataWarning]:
        return [w for name in sorted(self._warnings) for w in self._warnings[name]]

    @property
    def database_path(self) -> Path:
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:20]
        return self.cache_dir / f"{digest}.duckdb"

    def _connect(self) -> Any:
        import duckdb

        from qrunner.engine.store.cache_file import CacheInUse, open_cache

        if self._con is not None:
            return self._con
        config: dict[str, str | bool | int | float | list[str]] = {
            "preserve_insertion_order": False
        }
        path = self.database_path
        try:
            con = open_cache(path, config)
        except CacheInUse:
            self.notices.append(
                f"local cache {path} is in use by another process; loading into memory for this run"
            )
            con = duckdb.connect(":memory:", config=config)
        except (duckdb.Error, OSError) as e:
            self.notices.append(f"local cache {path} unavailable ({e}); loading into memory")
            con = duckdb.connect(":memory:", config=config)
        con.execute("SET GLOBAL TimeZone = 'UTC'")
        con.execute(
            "CREATE TABLE IF NOT EXISTS __qrunner_manifest (dataset VARCHAR, manifest VARCHAR)"
        )
        con.execute(
            "CREATE TABLE IF NOT EXISTS __qrunner_warnings "
            "(dataset VARCHAR, seq INTEGER, path VARCHAR, line BIGINT, message VARCHAR)"
        )
        self._con = con
        return con

    def cursor(self) -> Any:
        """A DuckDB connection of its own for one query (close it, or use it in ``with``)."""
        with self._lock:
            return self._connect().cursor()

    def close(self) -> None:
        import duckdb

        with self._lock:
            if self._con is not None:
                # A query still running in another thread (an emulator request answered
                # while it shuts down) keeps the connection busy; the process is ending.
                with contextlib.suppress(duckdb.Error):
                    self._con.close()
                self._con = None
            self._datasets.clear()

    def dataset(self, name: str) -> Dataset:
        """The named dataset's table, loading or reloading it when its files changed."""
        if name not in DATASETS:
            raise DataError(f"unknown local dataset {name!r} (expected one of {DATASETS})")
        with self._lock:
            if name not in self._datasets:
                self._datasets[name] = self._refresh(name)
            return self._datasets[name]

    def _refresh(self, name: str) -> Dataset:
        import duckdb

        con = self._connect().cursor()
        try:
            table = f"ds_{name}"
            files = discover_files(self.data_dir / name, name)
            manifest = _manifest(files)
            stored = con.execute(
                "SELECT manifest FROM __qrunner_manifest WHERE dataset = ?", [name]
            ).fetchone()
            exists = con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]
            ).fetchone()
            loaded = bool(exists and exists[0])
            added = _added_files(stored[0] if stored else None, manifest) if loaded else None
            if added == []:
                self._warnings[name] = _stored_warnings(con, name)
            elif (
                added
                and (appended := self._try_append(con, name, table, added, manifest)) is not None
            ):
                self._warnings[name] = appended
                self.appends.append(name)
            else:
                self._warnings[name] = self._load(con, name, table, files, manifest)
                self.loads.append(name)
            return _describe(con, name, table)
        except duckdb.Error as e:
            raise DataError(f"cannot load local dataset {name} from {self.data_dir}: {e}") from e
        finally:
            con.close()

    def _load_files(self, con: Any, target: str, files: list[Path]) -> list[DataWarning]:
        from qrunner.engine.store.load import load_parts
        from qrunner.engine.store.ranges import check_value_ranges

        staging = self.cache_dir / "staging" / uuid.uuid4().hex
        staging.mkdir(parents=True, exist_ok=True)
        try:
            warnings = load_parts(con, target, files, staging)
            return warnings + check_value_ranges(con, target)
        finally:
            for leftover in staging.glob("*"):
                leftover.unlink(missing_ok=True)
            staging.rmdir()

    def _load(
        self, con: Any, name: str, table: str, files: list[Path], manifest: str
    ) -> list[DataWarning]:
        from qrunner.engine.store.flaky import derive_flakiness

        new = f"{table}__new"
        warnings = self._load_files(con, new, files)
        if name == "ci_tests":
            derive_flakiness(con, new)
        con.execute("BEGIN TRANSACTION")
        con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(f"ALTER TABLE {new} RENAME TO {table}")
        con.execute("DELETE FROM __qrunner_warnings WHERE dataset = ?", [name])
        _record(con, name, manifest, warnings, 0)
        return warnings

    def _try_append(
        self, con: Any, name: str, table: str, added: list[Path], manifest: str
    ) -> list[DataWarning] | None:
        """The dataset's warnings once ``added`` is appended; None if it could not be (the
        caller reloads the dataset instead)."""
        import duckdb

        from qrunner.engine.store.append import NotAppendable

        old = _stored_warnings(con, name)
        try:
            return old + self._append(con, name, table, added, manifest, len(old))
        except (duckdb.Error, NotAppendable):
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            with contextlib.suppress(duckdb.Error):
                con.execute(f"DROP TABLE IF EXISTS {table}__added")
            return None

    def _append(
        self, con: Any, name: str, table: str, added: list[Path], manifest: str, seq: int
    ) -> list[DataWarning]:
        """Load only the ``added`` files and append them to the loaded table."""
        from qrunner.engine.store.append import append_table
        from qrunner.engine.store.flaky import derive_flakiness

        part = f"{table}__added"
        warnings = self._load_files(con, part, added)
        con.execute("BEGIN TRANSACTION")
        append_table(con, table, part)
        if name == "ci_tests":
            derive_flakiness(con, table, files=[str(path) for path in added])
        _record(con, name, manifest, warnings, seq)
        return warnings


def _record(con: Any, name: str, manifest: str, warnings: list[DataWarning], seq: int) -> None:
    """Store the manifest and the new warnings, and commit the transaction the caller began."""
    con.execute("DELETE FROM __qrunner_manifest WHERE dataset = ?", [name])
    con.execute("INSERT INTO __qrunner_manifest VALUES (?, ?)", [name, manifest])
    if warnings:
        con.executemany(
            "INSERT INTO __qrunner_warnings VALUES (?, ?, ?, ?, ?)",
            [[name, seq + i, w.path, w.line, w.message] for i, w in enumerate(warnings)],
        )
    con.execute("COMMIT")
    con.execute("CHECKPOINT")


def _describe(con: Any, name: str, table: str) -> Dataset:
    described = con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {table})").fetchall()
    columns: dict[str, Column] = {}
    types: dict[str, str] = {}
    for path, duck_type in described:
        if path.startswith("__"):
            continue
        column = column_for(path, duck_type)
        if column is not None:
            columns[path] = column
            types[path] = duck_type
    count = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return Dataset(name, table, int(count[0]) if count else 0, columns, types)


__all__ = ["LocalStore", "default_cache_dir", "discover_files"]
