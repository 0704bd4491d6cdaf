"""History benchmarks: ``python tests/bench/bench_history.py`` prints the README's figures.

* appending 1,000 check results (one run's file);
* baseline lookups for 1,000 checks over a 1M-row history (1,000 runs over 90 days);
* the HTML trend report of 200 checks x 90 daily runs (time and size).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from qrunner.history.html import write_html_report
from qrunner.history.rows import rows_from_report
from qrunner.history.store import append_rows, recent_values

START = datetime(2026, 1, 1, 6, tzinfo=UTC)


def _report(run: int, checks: int, at: datetime) -> dict[str, Any]:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    statuses = ["pass", "pass", "pass", "warn", "fail"]
    return {
        "version": 1, "run_id": f"run-{run}", "at": stamp, "started_at": stamp,
        "target": "local", "qrunner_version": "bench",
        "specs": [{
            "name": f"spec-{c // 4}", "source": "datadog.ci_pipelines", "file": "s.yaml",
            "owner": f"team-{c % 5}", "tags": [f"tag-{c % 3}"], "error": None,
            "request_hash": "h", "git_commit": "abc", "checks": [{
                "name": f"check-{c}", "status": statuses[(run + c) % 5],
                "observed": 10.0 + (run * 7 + c) % 13, "unit": "m",
                "threshold": "fail > 20m, warn > 15m", "mode": "enforce", "metric": "c0",
                "message": "", "baseline": 11.0, "change": 3.5,
                "bands": [{"level": "fail", "low": 20.0, "high": None},
                          {"level": "warn", "low": 15.0, "high": None}],
                "groups": [{"by": {"pipeline": f"p{g}"}, "observed": 9.0 + g, "status": "pass"}
                           for g in range(3 if c % 10 == 0 else 0)],
            }],
        } for c in range(checks)],
    }  # fmt: skip


def bench_append(folder: Path) -> float:
    times = []
    for run in range(7):
        rows = rows_from_report(_report(run, 1000, START + timedelta(days=run)))
        started = time.perf_counter()
        append_rows(folder, f"run-{run}", rows)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def make_million(folder: Path) -> None:
    """1,000 runs x 1,000 checks over 90 days, one file per run, written by DuckDB directly."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"""
        COPY (
            SELECT 'run-' || r AS run_id,
                   TIMESTAMP '2026-01-01 06:00:00' + to_minutes(CAST(r * 130 AS BIGINT)) AS run_at,
                   'spec-' || (c // 4) AS spec, 'check-' || c AS check_name,
                   CAST(NULL AS VARCHAR) AS group_key, 10.0 + (r * 7 + c) % 13 AS observed,
                   CAST(NULL AS TIMESTAMP) AS tick,
                   'm' AS unit, 'pass' AS status,
                   CAST(TIMESTAMP '2026-01-01 06:00:00' + to_minutes(CAST(r * 130 AS BIGINT))
                        AS DATE) AS date,
                   r AS run
            FROM range(1000) t1(r), range(1000) t2(c)
        ) TO '{folder}' (FORMAT parquet, PARTITION_BY (date, run), OVERWRITE_OR_IGNORE)
    """)
    # fold the run=N sub-folders into one file per run under date=…/ (the store's layout)
    for path in folder.glob("date=*/run=*/*.parquet"):
        path.rename(path.parent.parent / f"{path.parent.name}-{path.name}")
        path.parent.rmdir()


def bench_lookup(folder: Path) -> float:
    keys = [(f"spec-{c // 4}", f"check-{c}") for c in range(1000)]
    times = []
    for _ in range(5):
        started = time.perf_counter()
        found = recent_values(folder, keys, 10)
        times.append(time.perf_counter() - started)
        assert len(found) == 1000 and all(len(v) == 10 for v in found.values())
    return statistics.median(times)


def bench_html(folder: Path, out: Path) -> tuple[float, int]:
    for day in range(90):
        report = _report(day, 200, START + timedelta(days=day))
        append_rows(folder, f"run-{day}", rows_from_report(report))
    now = START + timedelta(days=90)
    times, size = [], 0
    for _ in range(3):
        written = write_html_report(folder, out, days=90, now=now)
        times.append(written.seconds)
        size = written.bytes
    return statistics.median(times), size


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        append = bench_append(root / "append")
        print(f"append 1,000 check results: {append * 1000:.0f} ms (target < 200 ms)")
        make_million(root / "million")
        lookup = bench_lookup(root / "million")
        print(f"baseline lookups, 1,000 checks over 1M rows: {lookup * 1000:.0f} ms (target < 1 s)")
        seconds, size = bench_html(root / "html", root / "trends.html")
        print(
            f"HTML report, 200 checks x 90 days: {seconds:.2f} s, {size / 1e6:.1f} MB "
            "(targets < 5 s, < 10 MB)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
