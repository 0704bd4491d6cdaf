"""No silent wrong answer from local data (issue 18), tried through the CLI as a user would:
every attribute is a column wherever it first appears, a bad record is skipped alone with its
line and reason, and no content of a data file is an internal error (exit 4)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

AT = "2024-06-02T00:00:00Z"
BASE_MS = 1717243200000  # 2024-06-01T12:00:00Z
GATE = """\
version: 1
name: {name}
source: datadog.ci_tests
request:
  compute: [{{aggregation: count, type: total}}]
  filter: {{from: "{start}", to: now, query: '{query}'}}
checks:
  - name: none
    metric: c0
    fail: "> 0"
    no_data: pass
"""


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QRUNNER_CACHE_DIR", str(tmp_path / "cache"))


def gate(folder: Path, query: str, name: str = "gate", start: str = "now-30d") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(GATE.format(name=name, query=query.replace("'", "''"), start=start))
    return path


def counted(run_cli: Any, spec: Path, data: Path) -> tuple[int, Any]:
    """The count a gate sees (through `qrunner query`) and the `qrunner run` result."""
    answer = run_cli("query", str(spec), "--data", str(data), "--at", AT, expect=0)
    value = json.loads(answer.stdout)["data"]["buckets"][0]["computes"]["c0"]
    return int(value), run_cli("run", str(spec), "--data", str(data), "--at", AT)


def line(n: int, **extra: Any) -> str:
    record = {"timestamp": BASE_MS + n, "service": "cart", "test_level": "test"}
    record["test"] = {"status": "pass", "name": f"t{n % 97}", "suite": "s", **extra}
    return json.dumps(record, separators=(",", ":"))


def test_an_attribute_first_sent_after_line_150000_of_a_big_file_is_counted(
    run_cli: Any, tmp_path: Path
) -> None:
    """The issue's case: a 37 MB file where `test.is_flaky` first appears after line 150,000.
    The loader used to infer the schema from the first 20,480 lines beyond 32 MiB and count 0."""
    data = tmp_path / "data"
    (data / "ci_tests").mkdir(parents=True)
    padding = "x" * 80
    with (data / "ci_tests" / "year.jsonl").open("w") as sink:
        for n in range(170_000):
            extra: dict[str, Any] = {"padding": padding}
            if n >= 150_001:
                extra["is_flaky"] = n % 3 == 0
            sink.write(line(n, **extra) + "\n")
    assert (data / "ci_tests" / "year.jsonl").stat().st_size > 32 * 1024 * 1024
    found, result = counted(run_cli, gate(tmp_path / "specs", "@test.is_flaky:true"), data)
    assert found == len([n for n in range(150_001, 170_000) if n % 3 == 0])
    assert result.exit_code == 1, str(result)


def test_an_attribute_only_in_the_last_of_many_files_is_counted(
    run_cli: Any, tmp_path: Path
) -> None:
    data = tmp_path / "data" / "ci_tests"
    data.mkdir(parents=True)
    for number in range(40):
        lines = [line(number * 100 + n) for n in range(100)]
        if number == 39:
            lines.append(line(99_999, owner={"team": "payments"}))
        (data / f"run-{number:02}.jsonl").write_text("\n".join(lines) + "\n")
    found, result = counted(
        run_cli, gate(tmp_path / "specs", "@test.owner.team:payments"), data.parent
    )
    assert found == 1 and result.exit_code == 1, str(result)


@pytest.mark.parametrize("started", ["15-03-2024 10:00:00", "2024-03-15", "03/15/2024"])
def test_an_attribute_holding_dates_in_any_format_loads_its_file(
    started: str, run_cli: Any, tmp_path: Path
) -> None:
    """DuckDB reads "15-03-2024 10:00:00" as a TIMESTAMP in the format it detected; loading
    with the inferred column types alone (formats lost) made every line fail to parse, and the
    whole file was dropped ("cannot load even after cleaning")."""
    data = tmp_path / "data" / "ci_tests"
    data.mkdir(parents=True)
    failing = line(2, started=started).replace('"pass"', '"fail"')
    (data / "f.jsonl").write_text("\n".join([line(1, started=started), failing]) + "\n")
    found, result = counted(run_cli, gate(tmp_path / "specs", "@test.status:fail"), data.parent)
    assert found == 1 and result.exit_code == 1, str(result)
    assert "cannot load" not in result.stderr, str(result)


def deep(levels: int) -> str:
    return f'{{"timestamp": {BASE_MS}, "a": ' + '{"b": ' * levels + "1" + "}" * levels + "}"


BAD_RECORDS = {
    "nested one level too deep": deep(63),
    "nested 5,000 deep": deep(5_000),
    "nested 200,000 deep": deep(200_000),
    "lists nested 200,000 deep": '{"timestamp": 1, "a": ' + "[" * 200_000 + "]" * 200_000 + "}",
    "bad JSON": '{"timestamp": 1717243200000, "test": {',
    "not an object": "[1, 2]",
    "a string where events have an object": json.dumps({"timestamp": BASE_MS, "test": "x"}),
    "no timestamp": json.dumps({"test": {"status": "fail"}}),
}


@pytest.mark.parametrize("bad", list(BAD_RECORDS), ids=list(BAD_RECORDS))
def test_a_bad_record_is_skipped_alone_with_its_line(
    bad: str, run_cli: Any, tmp_path: Path
) -> None:
    data = tmp_path / "data" / "ci_tests"
    data.mkdir(parents=True)
    failing = line(2).replace('"pass"', '"fail"')
    (data / "f.jsonl").write_text("\n".join([line(1), BAD_RECORDS[bad], failing]) + "\n")
    found, result = counted(run_cli, gate(tmp_path / "specs", "@test.status:fail"), data.parent)
    assert found == 1, "the good records of the file load"
    assert result.exit_code == 1, str(result)
    assert f"{data / 'f.jsonl'}:2:" in result.stderr, str(result)


def test_a_record_deeper_than_the_limit_says_which_limit(run_cli: Any, tmp_path: Path) -> None:
    data = tmp_path / "data" / "ci_tests"
    data.mkdir(parents=True)
    (data / "f.jsonl").write_text("\n".join([line(1), deep(62), deep(63)]) + "\n")
    found, result = counted(run_cli, gate(tmp_path / "specs", "test_level:test"), data.parent)
    assert found == 1
    assert "f.jsonl:3: nested deeper than 64 levels (MAX_RECORD_DEPTH): skipped" in result.stderr
    assert "f.jsonl:2:" not in result.stderr, "64 levels are within the limit"


ODD_NAMES = ["", "__file", "__ts", "a\u0000b", "line\nbreak", "tab\there", "x" * 10_000]


@pytest.mark.parametrize(
    "name", ODD_NAMES, ids=["empty", "__file", "__ts", "nul", "newline", "tab", "10k"]
)
def test_an_attribute_name_that_cannot_be_a_column_is_left_out_of_its_record(
    name: str, run_cli: Any, tmp_path: Path
) -> None:
    """The record keeps its other attributes (its failure counts); the good events of the file
    load; the warning names the line and the reason."""
    data = tmp_path / "data" / "ci_tests"
    data.mkdir(parents=True)
    odd = json.loads(line(2).replace('"pass"', '"fail"'))
    odd[name] = 1
    nested = json.loads(line(3))
    nested["test"][name] = "x"
    lines = [line(1), json.dumps(odd), json.dumps(nested), line(4)]
    (data / "f.jsonl").write_text("\n".join(lines) + "\n")
    found, result = counted(run_cli, gate(tmp_path / "specs", "@test.status:fail"), data.parent)
    assert found == 1 and result.exit_code == 1, str(result)
    everything, _ = counted(
        run_cli, gate(tmp_path / "specs", "test_level:test", "all"), data.parent
    )
    assert everything == 4
    assert f"{data / 'f.jsonl'}:2: attribute @" in result.stderr
    if name.startswith("__"):
        assert "f.jsonl:3:" not in result.stderr, "only a top-level name is reserved"
    else:
        assert f"{data / 'f.jsonl'}:3: attribute @test." in result.stderr
    assert "internal error" not in result.stderr


def test_tekton_records_too_deep_are_skipped_alone(tmp_path: Path) -> None:
    from qrunner.engine.tekton.records import load_tekton_records

    good = {"name": "ns/results/r1/records/a", "type": "tekton.dev/v1.PipelineRun",
            "data": {"metadata": {"name": "a"}}}  # fmt: skip
    deep_data = {"name": "ns/results/r1/records/b", "type": "tekton.dev/v1.PipelineRun"}
    lines = [
        json.dumps(good),
        json.dumps(deep_data)[:-1] + ', "data": ' + '{"a": ' * 100 + "1" + "}" * 100 + "}",
        '{"name": "ns/results/r1/records/c", "data": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "[" * 50 + "]" * 50,
    ]
    (tmp_path / "records.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "page.json").write_text('{"records": ' + "[" * 100_000 + "]" * 100_000 + "}")
    records, warnings = load_tekton_records(tmp_path)
    assert [r.short_name for r in records] == ["a"]
    where = {(Path(w.path).name, w.line) for w in warnings}
    assert {
        ("records.jsonl", 2),
        ("records.jsonl", 3),
        ("records.jsonl", 4),
        ("page.json", 1),
    } <= where
    assert any("MAX_RECORD_DEPTH" in w.message for w in warnings)


def test_hostile_junit_content_is_warned_about_and_its_failure_counts(
    run_cli: Any, tmp_path: Path
) -> None:
    levels = 100_000
    report = (
        '<testsuite name="pay" timestamp="2024-06-01T10:00:00Z"><properties>'
        f'<property name="{"x" * 10_000}" value="1"/><property name="a&#10;b" value="2"/>'
        "</properties>"
        '<testcase classname="pay" name="charges"><failure message="boom"/>'
        + "<x>" * levels
        + "</x>" * levels
        + "</testcase>"
        + "<testsuite>" * levels
        + "</testsuite>" * levels
        + "</testsuite>"
    )
    folder = tmp_path / "data" / "ci_tests" / "pay"
    folder.mkdir(parents=True)
    (folder / "TEST-pay.xml").write_text(report)
    spec = gate(tmp_path / "specs", "test_level:test @test.status:fail")
    found, result = counted(run_cli, spec, tmp_path / "data")
    assert found == 1 and result.exit_code == 1, str(result)
    assert "TEST-pay.xml:1: property @xxxx" in result.stderr
    assert "TEST-pay.xml:1: property @a\\nb left out: a control character" in result.stderr
    assert "nested deeper than 64" in result.stderr


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["", "__x", "a\x00", "test", "Test", "t.s"]), JSON_VALUES
        ).map(lambda d: json.dumps({"timestamp": BASE_MS, **d}))
        | st.text(max_size=20),
        max_size=8,
    )
)
def test_no_content_of_a_json_lines_file_is_an_internal_error(lines: list[str]) -> None:
    """Only DataWarnings, never an exception, whatever the lines hold."""
    from qrunner.engine.store.datastore import LocalStore

    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        (root / "data" / "spans").mkdir(parents=True)
        (root / "data" / "spans" / "f.jsonl").write_text("\n".join(lines) + "\n")
        store = LocalStore(root / "data", root / "cache")
        try:
            assert store.dataset("spans").rows <= len(lines)
        finally:
            store.close()
