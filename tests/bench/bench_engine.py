"""Benchmark the local engine: load rate and qrunner queries against hand-written DuckDB SQL.

Run from the repository: ``python tests/bench/bench_engine.py --events 1000000``. Generates
test events as JSON Lines (with DuckDB, so generation is quick), loads them through
``LocalStore``, times appending a 1,000-event file to it (incremental loading) and three
queries both through qrunner (request body → search compile →
engine → API-shaped response) and as hand-written SQL over the same table. Not a pytest test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qrunner.engine.datadog.aggregate import run_aggregate
from qrunner.engine.store.datastore import LocalStore
from qrunner.sources import SOURCES

AT = datetime(2024, 6, 12, tzinfo=UTC)
ADDED = 1_000  # events in the file added to the loaded dataset (incremental loading)
WEEK_MS = 7 * 86_400_000

SERVICES = "['web-ui-tests','api-tests','payments-tests','search-tests','auth-tests']"
GENERATE = """
COPY (
  SELECT {at} - (hash(i) % {week})::BIGINT AS timestamp,
         'test' AS test_level, 'test' AS type,
         {services}[1 + i % 5] AS service,
         {{'status': ['pass','pass','pass','fail','skip'][1 + (hash(i * 7) % 5)::BIGINT],
           'name': 'test_' || (hash(i * 3) % 500), 'suite': 'suite_' || (i % 40),
           'service': {services}[1 + i % 5],
           'is_flaky': hash(i * 11) % 100 = 0}} AS test,
         {{'branch': ['main','feature/a','feature/b'][1 + (hash(i * 5) % 3)::BIGINT]}} AS git,
         'python' AS language,
         (hash(i * 13) % 1000000000)::BIGINT AS duration
  FROM range({n}) t(i)
) TO '{path}' (FORMAT json)
"""

QUERIES: dict[str, tuple[dict[str, Any], str]] = {
    "failing tests per service": (
        {"compute": [{"aggregation": "count"}], "filter": {"from": "now-7d", "to": "now",
         "query": "@test.status:fail"}, "group_by": [{"facet": "@test.service"}]},
        """SELECT "test.service", count(*) FROM {t} WHERE __ts >= {start} AND __ts < {end}
           AND "test.status" = 'fail' AND "test.service" IS NOT NULL
           GROUP BY 1 ORDER BY 1 LIMIT 10""",
    ),
    "pc90 duration, 1h series, per service": (
        {"compute": [{"aggregation": "pc90", "metric": "@duration", "type": "timeseries",
         "interval": "1h"}], "filter": {"from": "now-7d", "to": "now"},
         "group_by": [{"facet": "@test.service"}]},
        """SELECT "test.service", __ts // 3600000 AS h, quantile_cont(duration, 0.9)
           FROM {t} WHERE __ts >= {start} AND __ts < {end} AND "test.service" IS NOT NULL
           GROUP BY 1, 2 ORDER BY 1, 2""",
    ),
    "count, five-term filter": (
        {"compute": [{"aggregation": "count"}], "filter": {"from": "now-7d", "to": "now",
         "query": "@test.status:fail service:(api-tests OR web-ui-tests) @git.branch:main "
                  "@duration:>100ms -@test.name:test_1*"}},
        """SELECT count(*) FROM {t} WHERE __ts >= {start} AND __ts < {end}
           AND "test.status" = 'fail' AND service IN ('api-tests', 'web-ui-tests')
           AND "git.branch" = 'main' AND duration > 100000000
           AND NOT coalesce("test.name" LIKE 'test\\_1%' ESCAPE '\\', false)""",
    ),
}  # fmt: skip


def cpu_seconds() -> float:
    """CPU time of this process, DuckDB's threads included: on a machine shared with other
    work it varies far less than the wall time."""
    times = os.times()
    return times.user + times.system


def best_of(runs: int, action: Callable[[], object]) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None, help="work directory (default: temp)")
    args = parser.parse_args()

    import duckdb

    with tempfile.TemporaryDirectory() as temp:
        root = args.dir or Path(temp)
        data = root / "data" / "ci_tests"
        data.mkdir(parents=True, exist_ok=True)
        path = data / "events.jsonl"
        at_ms = int(AT.timestamp() * 1000)
        started = time.perf_counter()
        duckdb.execute(
            GENERATE.format(at=at_ms, week=WEEK_MS, n=args.events, path=path, services=SERVICES)
        )
        generated = time.perf_counter() - started
        size = path.stat().st_size

        store = LocalStore(root / "data", root / "cache")
        cpu_before = cpu_seconds()
        started = time.perf_counter()
        table = store.dataset("ci_tests")
        loaded = time.perf_counter() - started
        cpu = cpu_seconds() - cpu_before
        assert table.rows == args.events, table.rows
        print(f"events: {args.events:,}  file: {size / 1e6:,.0f} MB  generated in {generated:.1f}s")
        print(f"load: {loaded:.2f}s = {args.events / loaded:,.0f} events/s "
              f"({size / 1e6 / loaded:,.0f} MB/s), {cpu:.1f} CPU-s, "
              f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        started = time.perf_counter()
        LocalStore(root / "data", root / "cache").dataset("ci_tests")
        print(f"cached reopen: {time.perf_counter() - started:.3f}s")
        added = data / "added.jsonl"
        duckdb.execute(
            GENERATE.format(at=at_ms, week=WEEK_MS, n=ADDED, path=added, services=SERVICES)
        )
        grown = LocalStore(root / "data", root / "cache")
        started = time.perf_counter()
        grown_table = grown.dataset("ci_tests")
        appended = time.perf_counter() - started
        assert grown.appends == ["ci_tests"] and grown_table.rows == args.events + ADDED
        grown.close()
        print(
            f"append a {ADDED:,}-event file: {appended:.3f}s = {appended / loaded:.1%} of the "
            "full load"
        )

        start, end = at_ms - WEEK_MS, at_ms
        print(f"\n{'query':<40} {'qrunner':>10} {'hand SQL':>10} {'ratio':>7}")
        for name, (body, sql) in QUERIES.items():
            run_aggregate(store, SOURCES["datadog.ci_tests"], body, AT)  # warm up

            def through_qrunner(body: dict[str, Any] = body) -> object:
                return run_aggregate(store, SOURCES["datadog.ci_tests"], body, AT)

            def by_hand(sql: str = sql) -> object:
                with store.cursor() as cursor:
                    return cursor.execute(
                        sql.format(t=table.table, start=start, end=end)
                    ).fetchall()

            ours = best_of(args.runs, through_qrunner)
            theirs = best_of(args.runs, by_hand)
            print(
                f"{name:<40} {ours * 1000:>8.1f}ms {theirs * 1000:>8.1f}ms {ours / theirs:>6.2f}x"
            )
        store.close()


if __name__ == "__main__":
    main()
