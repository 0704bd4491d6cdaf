"""The store: one new file per run in date partitions, concurrent writers, prune, show."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from qrunner.history.rows import COLUMNS, rows_from_report
from qrunner.history.store import append_rows, data_files, recent_values

RUNS = 10  # per concurrent writer


def _report(run_id: str, at: str, checks: int, offset: float = 0.0) -> dict[str, Any]:
    return {
        "version": 1, "run_id": run_id, "at": at, "started_at": at, "target": "local",
        "qrunner_version": "0", "specs": [{
            "name": f"spec-{run_id}", "source": "datadog.ci_tests", "file": "s.yaml",
            "owner": "team", "tags": ["t"], "error": None, "request_hash": "h",
            "git_commit": None, "checks": [
                {"name": f"c{i}", "status": "pass", "observed": i + offset, "unit": "s",
                 "threshold": "fail > 5s", "mode": "enforce", "metric": "c0", "message": "",
                 "bands": [{"level": "fail", "low": 5.0, "high": None}], "groups": []}
                for i in range(checks)
            ],
        }],
    }  # fmt: skip


def _append_many(args: tuple[str, int]) -> int:
    directory, worker = args
    for n in range(RUNS):
        report = _report(f"w{worker}-{n}", f"2026-05-0{1 + n % 3}T06:00:00Z", 50)
        append_rows(Path(directory), report["run_id"], rows_from_report(report))
    return worker


def _count(directory: Path) -> int:
    import duckdb

    pattern = str(directory / "date=*" / "*.parquet")
    [(count,)] = duckdb.sql(f"SELECT count(*) FROM read_parquet('{pattern}')").fetchall()
    return int(count)


def test_each_run_is_one_new_file_in_its_date_partition(tmp_path: Path) -> None:
    first = append_rows(tmp_path, "r1", rows_from_report(_report("r1", "2026-05-01T06:00:00Z", 3)))
    second = append_rows(tmp_path, "r2", rows_from_report(_report("r2", "2026-05-02T23:59:00Z", 3)))
    assert first.path is not None and first.path.parent.name == "date=2026-05-01"
    assert second.path is not None and second.path.parent.name == "date=2026-05-02"
    before = first.path.stat().st_mtime_ns
    append_rows(tmp_path, "r3", rows_from_report(_report("r3", "2026-05-01T07:00:00Z", 3)))
    assert first.path.stat().st_mtime_ns == before  # never rewritten
    assert len(data_files(tmp_path)) == 3 and _count(tmp_path) == 9
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".parquet"]


def test_the_layout_reads_without_qrunner(tmp_path: Path) -> None:
    import duckdb

    append_rows(tmp_path, "r1", rows_from_report(_report("r1", "2026-05-01T06:00:00Z", 2)))
    pattern = str(tmp_path / "date=*" / "*.parquet")
    rows = duckdb.sql(
        f"SELECT date, spec, check_name, observed, bands[1].low FROM "
        f"read_parquet('{pattern}', hive_partitioning = true) ORDER BY check_name"
    ).fetchall()
    assert [tuple(map(str, r)) for r in rows] == [
        ("2026-05-01", "spec-r1", "c0", "0.0", "5.0"),
        ("2026-05-01", "spec-r1", "c1", "1.0", "5.0"),
    ]
    described = duckdb.sql(f"DESCRIBE FROM read_parquet('{pattern}', hive_partitioning = false)")
    columns = described.fetchall()
    assert [c[0] for c in columns] == list(COLUMNS)


def test_four_concurrent_writers_lose_no_row(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        workers = pool.map(_append_many, [(str(tmp_path), w) for w in range(4)])
    assert sorted(workers) == [0, 1, 2, 3]
    assert len(data_files(tmp_path)) == 4 * RUNS
    assert _count(tmp_path) == 4 * RUNS * 50


def test_four_shards_of_one_ci_run_each_add_their_own_file(
    tmp_path: Path, regression_data: Path, regression_spec: Path
) -> None:
    history = tmp_path / "history"
    env = {**os.environ, "QRUNNER_RUN_ID": "4242-1", "QRUNNER_CACHE_DIR": str(tmp_path / "c")}
    reports = [tmp_path / f"shard{n}.json" for n in range(4)]
    shards = [
        subprocess.Popen(
            [sys.executable, "-m", "qrunner", "run", str(regression_spec), "--data",
             str(regression_data), "--at", f"2026-03-1{n}T06:00:00Z", "--history", str(history),
             "--report", f"json:{report}"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        for n, report in enumerate(reports)
    ]  # fmt: skip
    for shard in shards:
        _, err = shard.communicate(timeout=120)
        assert shard.returncode in (0, 1), err
    expected = sum(len(rows_from_report(json.loads(r.read_text()))) for r in reports)
    assert len(data_files(history)) == 4
    assert _count(history) == expected


def test_recent_values_are_newest_first_per_check_and_group(tmp_path: Path) -> None:
    for day in range(1, 6):
        report = _report("r", f"2026-05-0{day}T06:00:00Z", 2, offset=day * 10)
        report["run_id"] = f"r{day}"
        append_rows(tmp_path, f"r{day}", rows_from_report(report))
    found = recent_values(tmp_path, [("spec-r", "c1")], 3, before="2026-05-05 00:00:00")
    assert [(v, u) for _, v, u in found[("spec-r", "c1", "")]] == [
        (41.0, "s"),
        (31.0, "s"),
        (21.0, "s"),
    ]
    assert list(found) == [("spec-r", "c1", "")]


def test_prune_deletes_only_old_partitions(tmp_path: Path, run_cli: Any) -> None:
    for at in ("2026-01-01T06:00:00Z", "2026-04-01T06:00:00Z", "2026-05-01T06:00:00Z"):
        append_rows(tmp_path, at, rows_from_report(_report("r", at, 1)))
    result = run_cli("history", "prune", "--keep", "90d", "--at", "2026-05-02T00:00:00Z",
                     "--history", str(tmp_path), expect=0)  # fmt: skip
    assert "deleted 1 partition(s)" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["date=2026-04-01", "date=2026-05-01"]
    run_cli("history", "prune", "--keep", "soon", "--history", str(tmp_path), expect=2)


def test_show_prints_a_series_and_filters_groups(tmp_path: Path, run_cli: Any) -> None:
    for day in (1, 2):
        report = _report("r", f"2026-05-0{day}T06:00:00Z", 1, offset=day)
        report["run_id"] = f"r{day}"
        report["specs"][0]["checks"][0]["groups"] = [
            {"by": {"service": "api"}, "observed": 7.0 + day, "status": "fail"},
            {"by": {"service": "web"}, "observed": 1.0, "status": "pass"},
        ]
        append_rows(tmp_path, f"r{day}", rows_from_report(report))
    out = run_cli("history", "show", "spec-r", "--history", str(tmp_path), expect=0).stdout
    assert out.splitlines()[0].split()[:3] == ["tick", "(UTC)", "run"]
    assert out.splitlines()[1].split()[:5] == ["-", "2026-05-01", "06:00", "c0", "1s"]
    grouped = run_cli("history", "show", "spec-r", "--group", "api", "--history", str(tmp_path),
                      expect=0).stdout  # fmt: skip
    assert "service=api" in grouped and "service=web" not in grouped and "9s" in grouped
    from_env = run_cli("history", "show", "spec-r", env={"QRUNNER_HISTORY": str(tmp_path)})
    assert from_env.exit_code == 0 and from_env.stdout == out
    missing = run_cli("history", "show", "nope", "--history", str(tmp_path), expect=2)
    assert "no recorded values for 'nope'" in missing.stderr
    # a wrong check is named as the check, not blamed on the spec
    typo = run_cli("history", "show", "spec-r", "--check", "durations", "--history", str(tmp_path),
                   expect=2)  # fmt: skip
    assert "--check 'durations': 'spec-r' has no such check recorded; its checks: c0" in typo.stderr
    close = run_cli("history", "show", "spec-r", "--check", "c00", "--history", str(tmp_path),
                    expect=2)  # fmt: skip
    assert "did you mean 'c0'?" in close.stderr
    group = run_cli("history", "show", "spec-r", "--group", "db", "--history", str(tmp_path),
                    expect=2)  # fmt: skip
    assert "--group 'db'" in group.stderr


def test_importing_something_else_is_a_located_error(tmp_path: Path, run_cli: Any) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    other = tmp_path / "other.json"
    other.write_text('{"version": 2}')
    for path in (bad, other):
        result = run_cli("history", "import", str(path), "--history", str(tmp_path / "h"), expect=2)
        assert f"{path}:" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "h").exists()


def test_an_unreadable_store_is_reported_and_the_run_goes_on(
    tmp_path: Path, regression_data: Path, regression_spec: Path, run_cli: Any
) -> None:
    broken = tmp_path / "history" / "date=2026-03-01"
    broken.mkdir(parents=True)
    (broken / "run-x.parquet").write_bytes(b"not parquet")
    history = str(tmp_path / "history")
    result = run_cli("run", str(regression_spec), "--data", str(regression_data),
                     "--at", "2026-03-10T06:00:00Z", "--history", history)  # fmt: skip
    assert result.exit_code in (0, 1), str(result)
    assert "history: cannot read the history" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_trend_report_needs_a_history(tmp_path: Path, run_cli: Any) -> None:
    result = run_cli("report", "html", "--history", str(tmp_path / "none"),
                     "--out", str(tmp_path / "t.html"), expect=2)  # fmt: skip
    assert "no history under" in result.stderr


def test_a_scheduled_run_records_its_tick_and_window(tmp_path: Path) -> None:
    import duckdb

    report = _report("r", "2026-05-01T06:05:00Z", 1)
    report["specs"][0] |= {
        "tick": "2026-05-01T06:00:00Z",
        "window": {"start": "2026-04-30T06:00:00Z", "end": "2026-05-01T06:00:00Z"},
    }
    append_rows(tmp_path, "r", rows_from_report(report))
    unscheduled = _report("u", "2026-05-01T07:00:00Z", 1)
    append_rows(tmp_path, "u", rows_from_report(unscheduled))
    pattern = str(tmp_path / "date=*" / "*.parquet")
    rows = duckdb.sql(
        f"SELECT run_id, tick, window_start, window_end FROM read_parquet('{pattern}') "
        "ORDER BY run_id"
    ).fetchall()
    assert [tuple(str(v) for v in row) for row in rows] == [
        ("r", "2026-05-01 06:00:00", "2026-04-30 06:00:00", "2026-05-01 06:00:00"),
        ("u", "None", "None", "None"),
    ]
