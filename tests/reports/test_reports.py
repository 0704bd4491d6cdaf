"""Reporters: golden files, the JSON schema, JUnit structure, GitHub escaping, atomic writes."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from qrunner.judge.outcomes import RunResult, Status
from qrunner.reports import REPORTERS
from qrunner.reports.atomic import write_atomic
from qrunner.reports.github import escape_data, escape_property, format_command

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCRIPT = "tests/reports/generate_golden.py"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_golden", HERE / "generate_golden.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("generate_golden", module)
    spec.loader.exec_module(module)
    return module


GENERATOR = _load_generator()


@pytest.fixture
def run() -> RunResult:
    result: RunResult = GENERATOR.sample_run()
    return result


def test_registry_has_every_format() -> None:
    assert set(REPORTERS) == {"console", "json", "junit", "markdown", "github"}


@pytest.mark.parametrize("file", sorted(GENERATOR.FORMATS.values()))
def test_golden(file: str) -> None:
    expected_path = HERE / "golden" / file
    actual = GENERATOR.render_all()[file]
    expected = expected_path.read_text(encoding="utf-8") if expected_path.exists() else None
    assert actual == expected, (
        f"{file} differs from its golden file; if the change is intended, regenerate with "
        f"`python {SCRIPT}` and review the diff"
    )


def test_json_report_matches_its_schema(run: RunResult) -> None:
    import jsonschema

    schema = json.loads((ROOT / "schemas" / "report-v1.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    data = json.loads(REPORTERS["json"]().render(run))
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["version"] == 1
    assert data["specs"][0]["checks"][0]["offenders"][0] == {
        "by": {"@ci.pipeline.name": "build"},
        "observed": 432.0,
    }


def test_json_schema_rejects_a_bad_status(run: RunResult) -> None:
    import jsonschema

    schema = json.loads((ROOT / "schemas" / "report-v1.schema.json").read_text())
    data = json.loads(REPORTERS["json"]().render(run))
    data["specs"][0]["status"] = "red"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)


def test_junit_validates_against_the_xsd(run: RunResult) -> None:
    import xmlschema

    schema = xmlschema.XMLSchema(str(HERE / "junit.xsd"))
    schema.validate(REPORTERS["junit"]().render(run))


def test_junit_parses_with_junitparser(run: RunResult, tmp_path: Path) -> None:
    from junitparser import Error, Failure, JUnitXml, Skipped

    path = tmp_path / "junit.xml"
    path.write_text(REPORTERS["junit"]().render(run), encoding="utf-8")
    xml = JUnitXml.fromfile(str(path))
    suites = {suite.name: suite for suite in xml}
    # a scheduled spec's suite carries its tick; the others keep the spec's name
    duration_suite = "pipeline-duration @ 2024-05-01T04:00:00Z"
    assert list(suites) == [duration_suite, "tekton-failures", "broken", "unmeasured"]
    duration = suites[duration_suite]
    assert (duration.tests, duration.failures, duration.errors, duration.skipped) == (5, 2, 0, 1)
    cases = {case.name: case for case in duration}
    assert all(case.classname == "pipeline-duration" for case in cases.values())
    [failure] = cases["p90-duration"].result
    assert isinstance(failure, Failure)
    assert "7.2m" in (failure.message or "")
    assert "fail > 5m" in (failure.message or "")
    [shadow] = cases["new-check"].result
    assert isinstance(shadow, Skipped)
    assert "shadow" in (shadow.message or "")
    assert cases["queue-time"].is_passed and cases["failure-rate"].is_passed
    [no_data] = next(c for c in suites["tekton-failures"] if c.name == "failed-runs").result
    assert isinstance(no_data, Skipped)
    [spec_case] = list(suites["broken"])
    assert spec_case.name == "(spec)"
    assert isinstance(spec_case.result[0], Error)
    assert (xml.tests, xml.failures, xml.errors, xml.skipped) == (9, 2, 2, 2)


def test_junit_strips_characters_xml_cannot_carry(run: RunResult) -> None:
    import xmlschema

    run.specs[2].error = "bad \x00 byte\x1b[31m"
    text = REPORTERS["junit"]().render(run)
    xmlschema.XMLSchema(str(HERE / "junit.xsd")).validate(text)
    assert "\x00" not in text and "\x1b" not in text


def test_github_commands(run: RunResult) -> None:
    lines = REPORTERS["github"]().render(run).splitlines()
    assert lines[0].startswith(
        "::error file=queries/pipelines.yaml,line=14,title=pipeline-duration/p90-duration::fail: "
    )
    assert any(line.startswith("::warning file=queries/pipelines.yaml,line=25,") for line in lines)
    assert any(line.startswith("::notice ") and "[shadow]" in line for line in lines)
    spec_error = next(line for line in lines if "title=broken" in line)
    assert spec_error == (
        "::error file=queries/broken.yaml,line=3,title=broken::"
        "HTTP 503: service unavailable%0Aafter 3 attempts, 100%25 of them failed"
    )
    assert not any("queue-time" in line or "failed-runs" in line for line in lines)
    assert (
        "::warning file=queries/pipelines.yaml,line=1,title=pipeline-duration::missed ticks "
        "(not run, beyond --catch-up): 2024-04-29T04:00:00Z"
    ) in lines


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        ("100%", "100%25", "100%25"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("x: y, z", "x: y, z", "x%3A y%2C z"),
        ("%0A", "%250A", "%250A"),
    ],
)
def test_github_escaping(text: str, data: str, prop: str) -> None:
    assert escape_data(text) == data
    assert escape_property(text) == prop
    assert format_command("warning", text, title=text) == f"::warning title={prop}::{data}"


def test_console_colour_only_when_asked(run: RunResult) -> None:
    plain = REPORTERS["console"]().render(run)
    coloured = REPORTERS["console"](color=True).render(run)
    assert "\x1b[" not in plain
    assert "\x1b[" in coloured
    assert "p90-duration" in coloured


def test_console_shows_top_five_offenders(run: RunResult) -> None:
    from qrunner.judge.outcomes import Offender

    check = run.specs[0].checks[0]
    check.offenders = [Offender({"p": f"p{i}"}, float(100 - i)) for i in range(8)]
    text = REPORTERS["console"]().render(run)
    assert "(top 5 of 8)" in text
    assert "p=p4" in text and "p=p5" not in text


def test_markdown_escapes_cells(run: RunResult) -> None:
    run.specs[0].checks[1].name = "a|b<script>"
    text = REPORTERS["markdown"]().render(run)
    assert "a\\|b&lt;script>" in text
    assert text.startswith("### 💥 qrunner: error\n")


def test_empty_run_renders_everywhere(run: RunResult) -> None:
    run.specs = []
    run.status = Status.PASS
    for name, reporter in REPORTERS.items():
        assert isinstance(reporter().render(run), str), name


def test_write_atomic_replaces_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    write_atomic(target, "new\r\n")
    assert target.read_bytes() == b"new\r\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_write_atomic_cleans_up_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, "bad \udc80 surrogate")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_write_atomic_creates_a_missing_directory(tmp_path: Path) -> None:
    # `--report json:out/run.json` on a fresh checkout: out/ does not exist yet.
    write_atomic(tmp_path / "missing" / "report.json", "x")
    assert [p.name for p in (tmp_path / "missing").iterdir()] == ["report.json"]
