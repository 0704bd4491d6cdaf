"""JUnit XML → test events."""

from __future__ import annotations

from pathlib import Path

from qrunner.engine.store.datastore import LocalStore
from qrunner.engine.store.junit import load_junit

REPORT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites timestamp="2024-06-01T08:00:00Z">
  <properties>
    <property name="git.branch" value="main"/>
    <property name="dd_tags[ci.pipeline.name]" value="api-ci"/>
  </properties>
  <testsuite name="users" timestamp="2024-06-01T10:00:00" time="3.5">
    <properties><property name="git.commit.sha" value="abc123"/></properties>
    <testcase classname="tests.test_users" name="test_create" time="1.5"/>
    <testcase classname="tests.test_users" name="test_delete" time="0.25">
      <failure message="expected 204" type="AssertionError">trace</failure>
    </testcase>
    <testcase classname="tests.test_users" name="test_skip" time="0"><skipped/></testcase>
    <testcase classname="tests.test_users" name="test_error" time="1">
      <error message="boom"/>
    </testcase>
  </testsuite>
  <testsuite name="orders">
    <testcase name="test_list" time="0.1"/>
  </testsuite>
</testsuites>
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_testcases_become_test_events(tmp_path: Path) -> None:
    events, warnings = load_junit(write(tmp_path / "checkout-service" / "report.xml", REPORT))
    assert warnings == []
    tests = [e for e in events if e["test_level"] == "test"]
    suites = [e for e in events if e["test_level"] == "suite"]
    assert [(e["test.name"], e["test.status"]) for e in tests] == [
        ("test_create", "pass"), ("test_delete", "fail"), ("test_skip", "skip"),
        ("test_error", "fail"), ("test_list", "pass"),
    ]  # fmt: skip
    create, delete = tests[0], tests[1]
    assert create["test.suite"] == "tests.test_users"
    assert create["test.full_name"] == "tests.test_users.test_create"
    assert create["test.service"] == "checkout-service"
    assert create["duration"] == 1_500_000_000
    assert create["timestamp"] == "2024-06-01T10:00:00.000Z"
    assert delete["timestamp"] == "2024-06-01T10:00:01.500Z"
    assert (delete["error.message"], delete["error.type"]) == ("expected 204", "AssertionError")
    assert (create["git.branch"], create["git.commit.sha"]) == ("main", "abc123")
    assert create["ci.pipeline.name"] == "api-ci"
    assert tests[4]["timestamp"] == "2024-06-01T08:00:00.000Z"
    assert tests[4]["test.suite"] == "orders"
    assert [(s["test.suite"], s["test.status"]) for s in suites] == [
        ("users", "fail"), ("orders", "pass"),
    ]  # fmt: skip
    assert suites[0]["duration"] == 3_500_000_000


def test_service_property_wins_over_the_directory(tmp_path: Path) -> None:
    report = REPORT.replace(
        '<property name="git.branch" value="main"/>',
        '<property name="git.branch" value="main"/><property name="test.service" value="svc"/>',
    )
    events, _ = load_junit(write(tmp_path / "dir" / "r.xml", report))
    assert {e["test.service"] for e in events} == {"svc"}


def test_broken_reports_are_warnings(tmp_path: Path) -> None:
    broken = write(
        tmp_path / "broken.xml", "<testsuite name='x'>\n<testcase name='a'>\n</testsuite>"
    )
    events, warnings = load_junit(broken)
    assert events == []
    (warning,) = warnings
    assert warning.path == str(broken) and warning.line == 3
    assert "unreadable JUnit XML" in warning.message

    other = write(tmp_path / "other.xml", "<html><body/></html>")
    assert "not a JUnit report" in load_junit(other)[1][0].message

    bomb = write(
        tmp_path / "bomb.xml",
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><testsuite name="&a;"/>',
    )
    events, warnings = load_junit(bomb)
    assert events == [] and "refused" in warnings[0].message


def test_junit_loads_with_json_lines(tmp_path: Path) -> None:
    write(tmp_path / "data" / "ci_tests" / "api" / "report.xml", REPORT)
    write(tmp_path / "data" / "ci_tests" / "bad.xml", "<testsuites><testsuite>")
    write(
        tmp_path / "data" / "ci_tests" / "events.jsonl",
        '{"timestamp": 1717243200000, "test_level": "test", "test": {"status": "pass"}}\n',
    )
    store = LocalStore(tmp_path / "data", tmp_path / "cache")
    table = store.dataset("ci_tests")
    assert table.rows == 8
    assert [w.path for w in store.warnings] == [str(tmp_path / "data" / "ci_tests" / "bad.xml")]
    with store.cursor() as cursor:
        failed = cursor.execute(
            f"""SELECT count(*) FROM {table.table} WHERE "test.status" = 'fail'
                AND test_level = 'test' AND "git.branch" = 'main'"""
        ).fetchone()
    assert failed == (2,)
    store.close()


def test_a_nested_testsuites_lends_its_properties_and_clock(tmp_path: Path) -> None:
    report = write(
        tmp_path / "svc" / "merged.xml",
        """<testsuites>
          <properties><property name="git.branch" value="main"/></properties>
          <testsuites name="job-api" timestamp="2024-07-01T10:00:00Z">
            <properties><property name="ci.job.name" value="api"/></properties>
            <testsuite name="api"><testcase name="a" time="1"/></testsuite>
          </testsuites>
          <testsuite name="web" timestamp="2024-07-01T12:00:00Z">
            <testcase name="b" time="1"/>
          </testsuite>
        </testsuites>""",
    )
    events, warnings = load_junit(report)
    assert warnings == []
    tests = {e["test.name"]: e for e in events if e["test_level"] == "test"}
    assert tests["a"]["ci.job.name"] == "api" and "ci.job.name" not in tests["b"]
    assert {e["git.branch"] for e in tests.values()} == {"main"}
    assert tests["a"]["timestamp"] == "2024-07-01T10:00:00.000Z"
    assert tests["a"]["test.suite_path"] == "api"


def test_testsuites_nested_too_deep_are_a_warning(tmp_path: Path) -> None:
    depth = 200
    text = "<testsuites>" * depth + '<testsuite name="s"><testcase name="t"/></testsuite>'
    report = write(tmp_path / "svc" / "deep.xml", text + "</testsuites>" * depth)
    events, warnings = load_junit(report, time=None)
    assert events == []
    assert [w.message for w in warnings][-1:] == ["testsuites nested deeper than 64: skipped"]


def test_a_property_in_two_letter_cases_is_one_column_spelled_as_json_lines_are(
    tmp_path: Path,
) -> None:
    prop = '<testsuite name="s"><properties><property name="{}" value="{}"/></properties>'
    for name, key, value in (
        ("a", "Team.Name", "x"),
        ("b", "team.name", "y"),
        ("c", "TEAM.NAME", "z"),
    ):
        text = prop.format(key, value) + f'<testcase name="{name}"/></testsuite>'
        write(tmp_path / "data" / "ci_tests" / "svc" / f"{name}.xml", text)
    store = LocalStore(tmp_path / "data", tmp_path / "cache")
    table = store.dataset("ci_tests")
    with store.cursor() as cursor:
        columns = [r[0] for r in cursor.execute(f"DESCRIBE {table.table}").fetchall()]
        values = cursor.execute(
            f"""SELECT "team.name" FROM {table.table} WHERE test_level = 'test' ORDER BY 1"""
        ).fetchall()
    assert [c for c in columns if c.lower().startswith("team.")] == ["team.name"]
    assert values == [("x",), ("y",), ("z",)]
    store.close()
