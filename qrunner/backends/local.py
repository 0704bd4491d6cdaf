"""``LocalBackend``: the embedded engine behind the :class:`~qrunner.backends.base.Backend`
protocol.

Datadog sources are answered by :func:`qrunner.engine.datadog.aggregate.run_aggregate` over a
:class:`~qrunner.engine.store.datastore.LocalStore`; ``tekton.summary`` by
:func:`~qrunner.engine.tekton.summary.summarize` over records read once per backend.
DuckDB work runs in daemon worker threads, each query on its own cursor, so concurrent calls are
safe, and a query still running when the run is interrupted never keeps the process alive.
Without a data directory the built-in sample dataset is generated into
``<cache_dir>/sample-data/``, ending at the end of the run's day (UTC) so that windows such as
``now-7d`` always see data; it is regenerated when that day (or the generator) changes.
"""

from __future__ import annotations

import json
import shutil
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from qrunner.backends.base import PreparedQuery, TargetOptions
from qrunner.backends.workers import Workers
from qrunner.engine.base import DataWarning
from qrunner.errors import QueryError
from qrunner.limits import INTERRUPT_GRACE_SECONDS

SAMPLE_DAYS = 36  # five weeks and today: shift baselines of a week and more have data
SAMPLE_SEED = 20240601
SAMPLE_VERSION = 3  # bump when the generator's output changes (3: 36 days)
_STAMP = ".qrunner-sample.json"


def _sample_end(at: datetime) -> datetime:
    day = at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day + timedelta(days=1)


def ensure_sample_data(cache_dir: Path, at: datetime) -> tuple[Path, bool]:
    """The sample data directory for ``at``'s day; (path, whether it was (re)generated)."""
    from qrunner.engine.store.cache_file import held_lock

    target = cache_dir / "sample-data"
    end = _sample_end(at)
    stamp = {
        "version": SAMPLE_VERSION,
        "seed": SAMPLE_SEED,
        "days": SAMPLE_DAYS,
        "end": end.isoformat(),
    }
    if _stamped(target, stamp):
        return target, False
    # Runs started together wait for the one generating it instead of each swapping in its own.
    with held_lock(cache_dir / "sample-data.lock"):
        if _stamped(target, stamp):
            return target, False
        _generate(cache_dir, target, stamp, end)
    return target, True


def _stamped(target: Path, stamp: dict[str, Any]) -> bool:
    try:
        return bool(json.loads((target / _STAMP).read_text(encoding="utf-8")) == stamp)
    except (OSError, ValueError):
        return False


def _generate(cache_dir: Path, target: Path, stamp: dict[str, Any], end: datetime) -> None:
    from qrunner.engine.store.sample import generate_sample

    # Generate beside the target and swap, so that a concurrent run never sees half a dataset.
    fresh = cache_dir / f"sample-data.{uuid.uuid4().hex}"
    generate_sample(fresh, days=SAMPLE_DAYS, seed=SAMPLE_SEED, end=end)
    (fresh / _STAMP).write_text(json.dumps(stamp), encoding="utf-8")
    old = cache_dir / f"sample-data.old.{uuid.uuid4().hex}"
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)


class LocalBackend:
    """Answers every source from local files (or the sample dataset) like the real APIs."""

    name = "local"

    def __init__(self, options: TargetOptions) -> None:
        from qrunner.engine.store.datastore import default_cache_dir

        self.options = options
        self.at = options.at
        self.cache_dir = options.cache_dir or default_cache_dir(options.env or None)
        self.data_dir = options.data_dir
        self.notices: list[str] = []
        self._store: Any = None
        self._tekton: tuple[list[Any], list[DataWarning]] | None = None
        self._lock = threading.Lock()
        self._workers: Workers | None = None
        self._busy = 0  # queries running in worker threads (guarded by _busy_lock)
        self._busy_lock = threading.Lock()

    @property
    def warnings(self) -> list[DataWarning]:
        """Problems found in the local data so far (skipped lines, broken reports...)."""
        found = list(self._store.warnings) if self._store is not None else []
        if self._tekton is not None:
            found.extend(self._tekton[1])
        return found

    def _data_dir(self) -> Path:
        if self.data_dir is None:
            directory, generated = ensure_sample_data(self.cache_dir, self.at)
            end = _sample_end(self.at)
            start = (end - timedelta(days=SAMPLE_DAYS)).date()
            what = "generated" if generated else "cached"
            self.notices.append(
                f"no --data given: using the built-in sample dataset ({what}, {start} to "
                f"{(end - timedelta(days=1)).date()}) in {directory}"
            )
            self.data_dir = directory
        return self.data_dir

    def _get_store(self) -> Any:
        from qrunner.engine.store.datastore import LocalStore

        with self._lock:
            if self._store is None:
                self._store = LocalStore(self._data_dir(), self.cache_dir)
            return self._store

    def _tekton_records(self) -> list[Any]:
        from qrunner.engine.tekton.summary import load_tekton_records

        with self._lock:
            if self._tekton is None:
                directory = self._data_dir() / "tekton"
                self._tekton = load_tekton_records(directory) if directory.is_dir() else ([], [])
            return self._tekton[0]

    def answer(self, query: PreparedQuery) -> dict[str, Any]:
        """One answer as the API gives it (a tests aggregate answers one page); blocking."""
        source = query.source
        if source.backend == "tekton":
            from qrunner.engine.tekton.summary import summarize
            from qrunner.sources import tekton_parent, tekton_query_params

            params = {"parent": tekton_parent(query.request), **tekton_query_params(query.request)}
            return summarize(self._tekton_records(), params)
        if not source.is_datadog:
            raise QueryError(f"the local engine cannot answer source {source.name}")
        from qrunner.engine.datadog.aggregate import run_aggregate

        store = self._get_store()
        try:
            return run_aggregate(store, source, query.request, self.at)
        finally:
            self.notices.extend(n for n in store.notices if n not in self.notices)

    def _execute_counted(self, query: PreparedQuery) -> dict[str, Any]:
        with self._busy_lock:
            self._busy += 1
        try:
            return self.answer(query)
        finally:
            with self._busy_lock:
                self._busy -= 1

    async def execute(self, query: PreparedQuery) -> dict[str, Any]:
        """The answer with every page followed, as the remote backend reads it."""
        from qrunner.backends.pages import follow_pages

        if self._workers is None:
            self._workers = Workers(max(1, self.options.concurrency))
        workers = self._workers

        async def fetch(body: dict[str, Any]) -> dict[str, Any]:
            page = PreparedQuery(query.spec_name, query.source, body)
            result: dict[str, Any] = await workers.run(self._execute_counted, page)
            return result

        return await follow_pages(query.request, await fetch(query.request), fetch, query.pages)

    async def aclose(self) -> None:
        if self._workers is not None:
            self._workers.close()
        with self._busy_lock:
            busy = self._busy
        # An interrupted run leaves a query running: closing DuckDB under it is unsafe, and
        # waiting for it is what the interrupt is meant to avoid. The process exit ends it.
        if busy or not self._lock.acquire(timeout=INTERRUPT_GRACE_SECONDS):
            return
        try:
            if self._store is not None:
                self._store.close()
        finally:
            self._lock.release()
