"""Opening the cached DuckDB database that processes running at once may share.

DuckDB lets one process at a time open a database file for writing; a second one is refused
("Could not set lock on file"). qrunner runs started together on one cache (the shards of a CI
job) therefore share it like this:

* opening is serialised by an advisory ``flock`` on ``<database>.lock``, held only while
  DuckDB opens (creates, or rebuilds) the file: a process never sees the file half-created by
  another one, which it would take for a broken cache;
* the first process to open the file keeps it for its run; a process that finds it in use
  loads its data into memory for its own run instead (the same answer, a full load, a notice);
* a file that is not a DuckDB database (another DuckDB version's cache, a crash while it was
  created) is deleted and rebuilt, under the lock, so never while another process uses it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_Config = dict[str, str | bool | int | float | list[str]]


class CacheInUse(Exception):
    """Another process has the database open."""


@contextlib.contextmanager
def held_lock(lock: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on the file ``lock`` (created if missing) for the block;
    another process asking for it waits until the block ends."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # not POSIX: DuckDB's own lock still refuses a second writer
        yield
        return
    with open(lock, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _in_use(error: Exception) -> bool:
    return "lock" in str(error).lower()


def open_cache(database: Path, config: _Config) -> Any:
    """A read-write connection to ``database``; :class:`CacheInUse` when another process has
    it open; ``duckdb.Error`` or ``OSError`` when it cannot be used at all."""
    import duckdb

    with held_lock(Path(f"{database}.lock")):
        try:
            return duckdb.connect(str(database), config=config)
        except duckdb.IOException as e:
            if _in_use(e):
                raise CacheInUse(str(e)) from e
        # Not a database DuckDB can read, and no qrunner process is creating it: rebuild.
        database.unlink(missing_ok=True)
        Path(f"{database}.wal").unlink(missing_ok=True)
        try:
            return duckdb.connect(str(database), config=config)
        except duckdb.IOException as e:
            if _in_use(e):  # a process that opened it without the lock (an older qrunner)
                raise CacheInUse(str(e)) from e
            raise


__all__ = ["CacheInUse", "held_lock", "open_cache"]
