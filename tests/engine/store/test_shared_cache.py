"""Processes running at once on one cache (the shards of a CI job, as the README recommends):
none fails, each answers alike, and the cache file is only ever one process's at a time."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from qrunner.engine.store.datastore import LocalStore

EVENTS = 5_000
PROCESSES = 6
ROUNDS = 3

# One process of a shard: load the dataset, count it, say how it got it.
CHILD = """
import json, sys
from pathlib import Path
from qrunner.engine.store.datastore import LocalStore
store = LocalStore(Path(sys.argv[1]), Path(sys.argv[2]))
table = store.dataset("ci_tests")
with store.cursor() as cursor:
    count = cursor.execute(f"SELECT count(*) FROM {table.table}").fetchall()[0][0]
print(json.dumps({"rows": table.rows, "count": count, "loads": store.loads,
                  "notices": store.notices}))
store.close()
"""


def write_events(data: Path) -> None:
    folder = data / "ci_tests"
    folder.mkdir(parents=True)
    lines = (
        json.dumps({"timestamp": 1717243200000 + i, "service": "cart", "test_level": "test",
                    "test": {"status": "fail" if i % 7 == 0 else "pass", "name": f"t{i % 50}"}})
        for i in range(EVENTS)
    )  # fmt: skip
    (folder / "events.jsonl").write_text("\n".join(lines) + "\n")


def start(data: Path, cache: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(data), str(cache)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def finish(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    result: dict[str, Any] = json.loads(out)
    assert result["rows"] == result["count"] == EVENTS, result
    return result


def in_memory(result: dict[str, Any]) -> bool:
    return any("in use by another process" in notice for notice in result["notices"])


def test_processes_started_together_on_a_cold_cache_never_fail_nor_share_its_file(
    tmp_path: Path,
) -> None:
    """Before the fix, a process could take the database file another one was creating for a
    broken cache, delete it and create its own: two processes then loaded "the" cache (and
    one failed with a lock error on the shared write-ahead log, exit 4)."""
    data = tmp_path / "data"
    write_events(data)
    for number in range(ROUNDS):
        cache = tmp_path / f"cache{number}"
        results = [finish(p) for p in [start(data, cache) for _ in range(PROCESSES)]]
        into_the_file = [r for r in results if r["loads"] and not in_memory(r)]
        assert len(into_the_file) <= 1, results
        # The others read the file once its owner was done, or loaded into memory meanwhile.
        assert all(r["loads"] == [] or in_memory(r) for r in results if r not in into_the_file)
        after = LocalStore(data, cache)
        assert after.dataset("ci_tests").rows == EVENTS
        assert after.loads == [] and after.notices == []
        after.close()


def test_a_run_beside_one_holding_the_cache_loads_into_memory_and_leaves_it_alone(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    write_events(data)
    holder = LocalStore(data, tmp_path / "cache")
    assert holder.dataset("ci_tests").rows == EVENTS
    beside = finish(start(data, tmp_path / "cache"))
    assert beside["loads"] == ["ci_tests"] and in_memory(beside), beside
    with holder.cursor() as cursor:  # the holder's database is untouched
        assert cursor.execute("SELECT count(*) FROM ds_ci_tests").fetchall() == [(EVENTS,)]
    holder.close()
    after = LocalStore(data, tmp_path / "cache")
    assert after.dataset("ci_tests").rows == EVENTS and after.loads == []
    after.close()


def test_a_cache_file_that_is_not_a_database_is_rebuilt(tmp_path: Path) -> None:
    """What a crash while the cache was created leaves: an empty file (and a stale log)."""
    data = tmp_path / "data"
    write_events(data)
    store = LocalStore(data, tmp_path / "cache")
    store.database_path.parent.mkdir(parents=True)
    store.database_path.write_bytes(b"")
    Path(f"{store.database_path}.wal").write_bytes(b"not a log")
    assert store.dataset("ci_tests").rows == EVENTS
    assert store.loads == ["ci_tests"] and store.notices == []
    store.close()
    again = LocalStore(data, tmp_path / "cache")
    assert again.dataset("ci_tests").rows == EVENTS and again.loads == []
    again.close()


def _waiting_on(lock: Path, process: subprocess.Popen[str]) -> bool:
    """Whether ``process`` is blocked on ``lock``'s flock (Linux's /proc/locks marks a waiter
    with ``->``); False once it has exited without waiting."""
    inode = f":{os.stat(lock).st_ino} "
    deadline = time.monotonic() + 120  # a bound on a hung test, not a timing assertion
    while process.poll() is None and time.monotonic() < deadline:
        for line in Path("/proc/locks").read_text().splitlines():
            if "->" in line and "FLOCK" in line and inode in line:
                return True
        time.sleep(0.01)
    return False


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux's /proc/locks")
def test_a_cache_file_another_process_is_creating_is_waited_for_not_deleted(
    tmp_path: Path,
) -> None:
    """The race, made deterministic: this test plays the process creating the cache, caught
    between creating the file and writing it. Before the fix, a second process took the empty
    file for a broken cache, deleted it and built its own."""
    import duckdb

    data = tmp_path / "data"
    write_events(data)
    database = LocalStore(data, tmp_path / "cache").database_path
    database.parent.mkdir(parents=True)
    lock = Path(f"{database}.lock")
    with lock.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        database.write_bytes(b"")  # created, not written yet
        second = start(data, tmp_path / "cache")
        assert _waiting_on(lock, second), second.communicate()
        database.unlink()  # what DuckDB's own creation amounts to, with a mark of ours
        creator = duckdb.connect(str(database))
        creator.execute("CREATE TABLE made_by_the_creator AS SELECT 42 AS answer")
        creator.close()
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    result = finish(second)
    assert result["loads"] == ["ci_tests"] and result["notices"] == [], result
    check = duckdb.connect(str(database), read_only=True)
    assert check.execute("SELECT answer FROM made_by_the_creator").fetchall() == [(42,)]
    check.close()


def test_runs_without_data_started_together_share_one_generated_sample(tmp_path: Path) -> None:
    """Each run used to generate the sample and swap it in (one could move the folder another
    was reading, or fail renaming onto the folder another had just put there): now one run
    generates it and the others wait for it."""
    spec = Path(__file__).parents[3] / "queries" / "flaky-tests-main.yaml"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QRUNNER_", "GITHUB_"))}
    env["QRUNNER_CACHE_DIR"] = str(tmp_path / "cache")
    reports = [tmp_path / f"run{n}.json" for n in range(4)]
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "qrunner", "run", str(spec), "--at", "2026-12-01T06:00:00Z",
             "--report", f"json:{report}"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        for report in reports
    ]  # fmt: skip
    generated = 0
    for run in runs:
        _, err = run.communicate(timeout=180)
        assert run.returncode in (0, 1) and "internal error" not in err, err
        generated += "built-in sample dataset (generated" in err
    assert generated == 1
    specs = [json.loads(report.read_text())["specs"] for report in reports]
    answers = [[(s["name"], s["status"], s["error"], s["checks"]) for s in run] for run in specs]
    assert all(answer == answers[0] for answer in answers) and answers[0][0][2] is None
    left = sorted(p.name for p in (tmp_path / "cache").glob("sample-data*"))
    assert left == ["sample-data", "sample-data.lock"]  # no half-made or swapped-out copies
