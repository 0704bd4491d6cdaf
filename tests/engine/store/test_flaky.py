"""The data folder as a whole: flakiness per commit, flat and nested attributes, literal names."""

from __future__ import annotations

import json
from pathlib import Path

from qrunner.engine.datadog.search.sql import compile_search
from qrunner.engine.store.datastore import LocalStore


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def lines(*events: dict[str, object]) -> str:
    return "".join(json.dumps(e) + "\n" for e in events)


def count(store: LocalStore, query: str) -> int:
    table = store.dataset("ci_tests")
    where = compile_search(query, table.resolver)
    with store.cursor() as cursor:
        row = cursor.execute(f"SELECT count(*) FROM {table.table} WHERE {where}").fetchone()
    return int(row[0])


def run(sha: str, status: str, n: int, **extra: object) -> dict[str, object]:
    return {
        "timestamp": 1717243200000 + n, "test_level": "test", "service": "api",
        "test": {"service": "api", "suite": "s", "name": "t", "status": status, **extra},
        "git": {"commit": {"sha": sha}, "branch": "main"},
    }  # fmt: skip


def test_a_test_that_passed_and_failed_on_one_commit_is_flaky(tmp_path: Path) -> None:
    data = tmp_path / "data" / "ci_tests"
    # commit a: a fail in one file, a pass in another → both flaky
    write(data / "one.jsonl", lines(run("a", "fail", 1), run("b", "fail", 2), run("c", "pass", 3)))
    write(data / "two.jsonl", lines(run("a", "pass", 4), run("b", "fail", 5)))
    # an exported event that already says so keeps it; one without a commit stays as it is
    write(data / "three.jsonl", lines(run("c", "pass", 6, is_flaky=True), run("", "fail", 7)))
    no_commit = {"timestamp": 1717243200009, "test_level": "test",
                 "test": {"suite": "s", "name": "t", "status": "pass"}}  # fmt: skip
    write(data / "four.jsonl", lines(no_commit))
    store = LocalStore(tmp_path / "data", tmp_path / "cache")
    assert count(store, "@test.is_flaky:true") == 3  # a's two executions, and the exported one
    assert count(store, "@test.is_flaky:true @git.commit.sha:a") == 2
    assert count(store, "-@test.is_flaky:true") == 5
    store.close()


def test_flat_and_nested_attributes_are_one_and_dotted_properties_all_exist(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data" / "ci_tests"
    write(
        data / "svc" / "report.xml",
        '<testsuite name="s" timestamp="2024-06-01T10:00:00Z"><properties>'
        '<property name="java.vendor" value="Adoptium"/>'
        '<property name="java.vendor.url" value="https://adoptium.net/"/>'
        '<property name="git.branch" value="main"/></properties>'
        '<testcase name="t" classname="s" time="1"/></testsuite>',
    )
    write(
        data / "nested.jsonl",
        lines({"timestamp": 1717236000000, "test_level": "test", "git": {"branch": "main"}}),
    )
    write(
        data / "flat.jsonl",
        lines({"timestamp": 1717236000000, "test_level": "test", "git.branch": "main",
               "git": {"commit": {"sha": "x"}}}),
    )  # fmt: skip
    store = LocalStore(tmp_path / "data", tmp_path / "cache")
    assert count(store, "@java.vendor:Adoptium") == 2  # the suite and the test event
    assert count(store, "@java.vendor.url:*adoptium*") == 2
    assert count(store, "@git.branch:main test_level:test") == 3
    assert store.warnings == []
    store.close()


def test_file_names_are_never_glob_patterns(tmp_path: Path) -> None:
    data = tmp_path / "data" / "ci_tests"
    event = {"timestamp": 1717236000000, "test_level": "test"}
    for name in ("a*.jsonl", "a1.jsonl", "b?.jsonl", "bb.jsonl", "c[1].jsonl", "c1.jsonl"):
        write(data / name, lines(event))
    write(data / "d*.jsonl", "not json\n" + lines(event))
    store = LocalStore(tmp_path / "data", tmp_path / "cache")
    assert count(store, "*") == 7
    (warning,) = store.warnings
    assert (warning.path, warning.line) == (str(data / "d*.jsonl"), 1)
    assert "malformed JSON" in warning.message
    store.close()


def test_properties_never_shadow_the_loaders_own_attributes(tmp_path: Path) -> None:
    data = tmp_path / "data" / "ci_tests"
    names = ("Test.Status", "test.is_retry", "duration", "A", "a", "git", "timestamp", 'q"uote')
    props = "".join(
        f'<property name="{n.replace(chr(34), "&quot;")}" value="v{i}"/>'
        for i, n in enumerate(names)
    )
    write(
        data / "svc" / "one.xml",
        # go.version: a go test report, where a repeated name is another execution (-count)
        f'<testsuite name="s" timestamp="2024-06-01T10:00:00Z"><properties>{props}'
        '<property name="go.version" value="go1.22.1"/></properties>'
        '<testcase name="t" classname="s" time="1"/>'
        '<testcase name="t" classname="s" time="1"><failure/></testcase></testsuite>',
    )
    write(
        data / "svc" / "two.xml",
        '<testsuite name="s" timestamp="2024-06-01T10:00:00Z"><properties>'
        '<property name="a" value="again"/></properties><testcase name="u"/></testsuite>',
    )
    write(data / "nested.jsonl", lines(run("a", "fail", 1)))
    store = LocalStore(tmp_path / "data", tmp_path / "cache")
    assert count(store, "@test.status:fail") == 3  # the suite, the failed attempt, the JSON one
    assert count(store, "@test.is_retry:true") == 1
    # "A" and "a" are one attribute, spelled in lower case as some report spells it
    assert count(store, "@a:v3") == 3 and count(store, "@a:again") == 2
    assert count(store, "@duration:>0") == 3  # the first suite and its two cases
    assert store.warnings == []
    store.close()
