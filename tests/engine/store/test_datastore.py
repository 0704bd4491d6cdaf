"""Loading local data: the cache, formats, bad data."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from qrunner.engine.datadog.search.sql import compile_search
from qrunner.engine.store.datastore import LocalStore


def write_lines(path: Path, lines: list[object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    path.write_text(text)
    return path


def count(store: LocalStore, dataset: str, query: str = "*") -> int:
    table = store.dataset(dataset)
    where = compile_search(query, table.resolver)
    with store.cursor() as cursor:
        row = cursor.execute(f"SELECT count(*) FROM {table.table} WHERE {where}").fetchone()
    return int(row[0])


def event(n: int, **extra: object) -> dict[str, object]:
    return {"timestamp": 1717243200000 + n, "service": "api", "test": {"status": "pass"}, **extra}


def test_second_load_uses_the_cache_and_changes_are_seen(tmp_path: Path) -> None:
    data = write_lines(tmp_path / "data" / "spans" / "a.jsonl", [event(i) for i in range(5)])
    first = LocalStore(tmp_path / "data", tmp_path / "cache")
    assert count(first, "spans") == 5
    assert first.loads == ["spans"]
    first.close()

    second = LocalStore(tmp_path / "data", tmp_path / "cache")
    assert count(second, "spans") == 5
    assert second.loads == []
    second.close()

    write_lines(data, [event(i) for i in range(7)])
    os.utime(data, ns=(1, 10**18))
    third = LocalStore(tmp_path / "data", tmp_path / "cache")
    assert count(third, "spans") == 7
    assert third.loads == ["spans"]
    third.close()

    write_lines(tmp_path / "data" / "spans" / "more" / "b.ndjson", [event(9)])
    fourth = LocalStore(tmp_path / "data", tmp_path / "cache")
    assert count(fourth, "spans") == 8
    fourth.close()


def test_missing_dataset_is_empty(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "nothing", tmp_path / "cache")
    assert store.dataset("ci_pipelines").rows == 0
    assert count(store, "ci_pipelines", "@ci.status:error") == 0
    store.close()


def test_formats_and_mixed_timestamps(tmp_path: Path) -> None:
    root = tmp_path / "data" / "ci_pipelines"
    write_lines(root / "a.jsonl", [event(1), {**event(2), "timestamp": "2024-06-01T12:00:00Z"}])
    root.mkdir(parents=True, exist_ok=True)
    with gzip.open(root / "b.jsonl.gz", "wt") as sink:
        sink.write(json.dumps({**event(3), "timestamp": "2024-06-01T14:00:00+02:00"}) + "\n")
    import duckdb

    duckdb.sql(
        "COPY (SELECT 1717243200004 AS timestamp, 'web' AS service, "
        "{'status': 'fail'} AS test) TO '" + str(root / "c.parquet") + "' (FORMAT parquet)"
    )
    store = LocalStore(tmp_path / "data", tmp_path / "cache")
    table = store.dataset("ci_pipelines")
    assert table.rows == 4
    assert store.warnings == []
    with store.cursor() as cursor:
        stamps = sorted(r[0] for r in cursor.execute(f"SELECT __ts FROM {table.table}").fetchall())
    assert stamps == [1717243200000 + n for n in (0, 0, 1, 4)]
    assert count(store, "ci_pipelines", "@test.status:fail service:web") == 1
    store.close()


def test_bad_data_becomes_warnings_never_a_crash(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "data" / "ci_tests" / "bad.jsonl",
        [
            event(1),
            '{"timestamp": 2, "broken',
            "[1, 2, 3]",
            {"service": "no time"},
            {**event(3), "timestamp": "yesterday"},
            {**event(4), "duration": "slow"},
            {**event(5), "duration": 12},
            {**event(6), "duration": 13},
            {**event(7), "test": "not an object"},
        ],
    )
    write_lines(tmp_path / "data" / "ci_tests" / "good.jsonl", [event(10, duration=5)])
    store = LocalStore(tmp_path / "data", tmp_path / "cache")
    table = store.dataset("ci_tests")
    messages = {(w.path, w.line): w.message for w in store.warnings}
    assert "malformed JSON" in messages[(str(path), 2)]
    assert "not a JSON object" in messages[(str(path), 3)]
    assert "2 event(s) without a usable timestamp" in messages[(str(path), 4)]
    assert "@duration is a string" in messages[(str(path), 6)]
    assert "@test is a string" in messages[(str(path), 9)]
    assert table.rows == 6
    assert table.columns["duration"].kind == "number"
    assert count(store, "ci_tests", "@duration:>10") == 2
    store.close()
    cached = LocalStore(tmp_path / "data", tmp_path / "cache")
    cached.dataset("ci_tests")
    assert cached.loads == []
    assert [str(w) for w in cached.warnings] == [str(w) for w in store.warnings]
    cached.close()


def test_missing_timestamps_in_an_otherwise_good_file(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "data" / "spans" / "a.jsonl",
        [event(1), event(2), {"service": "x"}, event(3), {"service": "y", "timestamp": None}],
    )
    store = LocalStore(tmp_path / "data", tmp_path / "cache")
    assert store.dataset("spans").rows == 3
    (warning,) = store.warnings
    assert (warning.path, warning.line) == (str(path), 3)
    assert warning.message.startswith("2 event(s) without a usable timestamp")
    store.close()


def test_resolver_kinds_and_durations(tmp_path: Path) -> None:
    write_lines(
        tmp_path / "data" / "ci_pipelines" / "a.jsonl",
        [event(1, duration=5, ci={"queue_time": 3, "status": "error", "is_manual": False})],
    )
    store = LocalStore(tmp_path / "data", tmp_path / "cache")
    resolver = store.dataset("ci_pipelines").resolver
    duration = resolver.resolve("duration", reserved=False)
    assert duration is not None and duration.kind == "number" and duration.duration_ns
    queue = resolver.resolve("ci.queue_time", reserved=False)
    assert queue is not None and queue.duration_ns
    manual = resolver.resolve("ci.is_manual", reserved=False)
    assert manual is not None and manual.kind == "boolean"
    assert resolver.resolve("service", reserved=True) is not None
    assert resolver.resolve("nope", reserved=False) is None
    assert count(store, "ci_pipelines", "@ci.queue_time:>2ns @ci.status:error") == 1
    store.close()


@pytest.mark.parametrize("dataset", ["ci_tests", "ci_pipelines", "spans"])
def test_empty_files(tmp_path: Path, dataset: str) -> None:
    write_lines(tmp_path / "data" / dataset / "empty.jsonl", [])
    store = LocalStore(tmp_path / "data", tmp_path / "cache")
    assert store.dataset(dataset).rows == 0
    store.close()


def _columns(store: LocalStore, dataset: str) -> list[str]:
    table = store.dataset(dataset)
    with store.cursor() as cursor:
        rows = cursor.execute(f"SELECT column_name FROM (DESCRIBE {table.table})").fetchall()
    return [name for (name,) in rows if not name.startswith("__")]


@pytest.mark.parametrize(
    ("files", "column"),
    [
        ({"a.jsonl": [event(0, Foo="x")], "b.jsonl": [event(1, foo="y")]}, "foo"),
        ({"a.jsonl": [event(0, Foo="x"), event(1, foo="y")]}, "foo"),
        ({"a.jsonl": [event(0, Foo="x"), event(1, FOO="y")]}, "Foo"),
        ({"a.jsonl": [event(0, Foo="x")], "b.jsonl": [event(1, FOO="y")]}, "Foo"),
        ({"a.jsonl": [event(0, Foo=1)], "b.ndjson": [event(1, foo="y")]}, "foo"),
    ],
)
def test_one_attribute_in_two_letter_cases_is_one_column(
    files: dict[str, list[object]], column: str, tmp_path: Path
) -> None:
    """Spelled in two letter cases, an attribute is one column, not ``foo`` and ``foo_1``: the
    all-lower-case spelling when one is used, else the first met."""
    for name, lines in files.items():
        write_lines(tmp_path / "data" / "ci_tests" / name, lines)
    store = LocalStore(tmp_path / "data", tmp_path / "cache")
    assert [c for c in _columns(store, "ci_tests") if c.lower() == "foo" or "_1" in c] == [column]
    assert count(store, "ci_tests", f"@{column}:x") + count(store, "ci_tests", f"@{column}:1") == 1
    assert count(store, "ci_tests", f"@{column}:y") == 1
    assert store.warnings == []
    store.close()


def test_letter_case_in_nested_objects_and_within_one_event(tmp_path: Path) -> None:
    write_lines(
        tmp_path / "data" / "ci_tests" / "a.jsonl",
        [
            event(0, Git={"Branch": "x"}),
            event(1, git={"branch": "y"}),
            event(2, Foo="kept", foo="dropped", foo_1="its own"),
        ],
    )
    store = LocalStore(tmp_path / "data", tmp_path / "cache")
    assert {"git.branch", "foo", "foo_1"} <= set(_columns(store, "ci_tests"))
    assert (
        count(store, "ci_tests", "@git.branch:x") == count(store, "ci_tests", "@git.branch:y") == 1
    )
    assert count(store, "ci_tests", "@foo:kept") == count(store, "ci_tests", "@foo_1:its*") == 1
    [warning] = store.warnings
    assert warning.line == 3 and "@foo repeats @Foo in other letter case" in warning.message
    store.close()


def test_a_key_of_the_data_named_like_a_rename_is_kept(tmp_path: Path) -> None:
    write_lines(tmp_path / "data" / "ci_tests" / "a.jsonl", [event(0, foo="a", foo_1="b")])
    store = LocalStore(tmp_path / "data", tmp_path / "cache")
    assert {"foo", "foo_1"} <= set(_columns(store, "ci_tests"))
    assert count(store, "ci_tests", "@foo_1:b") == 1
    store.close()
