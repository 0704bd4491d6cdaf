"""`qrunner init`: from an empty folder, init → validate → test → run all succeed; files that
exist are never overwritten; the scaffold's editor schema lines point at real schemas."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from qrunner.authoring.scaffold import scaffold_files
from qrunner.spec.yamlsource import parse_yaml


@pytest.mark.slow
def test_init_validate_test_run_from_an_empty_folder(
    run_cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = run_cli("init", expect=0)
    assert "created queries/flaky-tests.yaml" in out.stdout
    assert "created .github/workflows/qrunner-gates.yml" in out.stdout
    assert out.stdout.rstrip().endswith(
        "next:\n  qrunner validate queries/\n  qrunner test queries/\n  qrunner run queries/"
    )
    assert "4 spec(s) valid" in run_cli("validate", expect=0).stdout
    assert "0 failed, 0 error(s)" in run_cli("test", expect=0).stdout
    # the built-in sample data, for today: the scaffold's gates pass or warn on it
    run_cli("run", expect=0)


def test_init_never_overwrites(run_cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "repo"
    (target / "queries").mkdir(parents=True)
    mine = target / "queries" / "flaky-tests.yaml"
    mine.write_text("# mine\n", encoding="utf-8")
    out = run_cli("init", str(target), expect=0)
    assert f"left alone {target}/queries/flaky-tests.yaml (it already exists)" in out.stdout
    assert mine.read_text(encoding="utf-8") == "# mine\n"
    assert f"cd {target}" in out.stdout
    again = run_cli("init", str(target), expect=0)
    assert "created" not in again.stdout
    assert again.stdout.count("left alone") == len(scaffold_files())


def _schema_line(text: str) -> str | None:
    match = re.match(r"# yaml-language-server: \$schema=(\S+)", text)
    return match.group(1) if match else None


def test_the_editor_schema_lines_point_at_schemas_the_files_match(tmp_path: Path) -> None:
    import jsonschema

    files = dict(scaffold_files())
    for relative, content in files.items():
        if relative.suffix != ".yaml":
            continue
        text = content.decode("utf-8")
        line = _schema_line(text)
        assert line is not None, f"{relative} has no editor schema line"
        schema_path = (relative.parent / line).resolve().relative_to(Path.cwd().resolve())
        schema = json.loads(files[schema_path])
        # read as editors do (YAML 1.2: a timestamp is a string), with qrunner's own reader
        data = parse_yaml(text, str(relative)).data
        jsonschema.Draft202012Validator(schema).validate(data)


def test_the_scaffold_is_package_data() -> None:
    names = {str(p) for p, _ in scaffold_files()}
    assert {
        ".github/workflows/qrunner-gates.yml",
        ".github/workflows/qrunner-validate.yml",
        "queries/_templates/ci.j2",
        "queries/_schemas/spec-v1.schema.json",
        "queries/_schemas/spec-test-v1.schema.json",
    } <= names
    sources = {
        yaml.safe_load(content)["source"]
        for path, content in scaffold_files()
        if path.parent == Path("queries") and path.suffix == ".yaml"
    }
    assert sources == {
        "datadog.ci_tests",
        "datadog.ci_pipelines",
        "datadog.spans",
        "tekton.summary",
    }


@pytest.mark.parametrize("recipe", ["datadog", "local"])
def test_every_recipe_gates_hourly_on_what_is_due_with_state_and_history(recipe: str) -> None:
    files = dict(scaffold_files(recipe))
    text = files[Path(".github/workflows/qrunner-gates.yml")].decode()
    workflow = yaml.safe_load(text)
    minute, hour, *_ = workflow[True]["schedule"][0]["cron"].split()  # YAML 1.1: `on` is True
    assert minute.isdigit() and minute != "0" and hour == "*"  # one wake-up an hour, off :00
    (job,) = workflow["jobs"].values()
    assert "matrix" not in job.get("strategy", {})  # one job: shards are the way to scale up
    run = " ".join(s.get("run", "") for s in job["steps"])
    assert all(option in run for option in ("--due", "--state", "--history"))
    cached = [s["with"]["path"] for s in job["steps"] if "actions/cache/" in s.get("uses", "")]
    assert any(".qrunner/state.json" in p and ".qrunner-history" in p for p in cached)
    assert "runner minutes a month" in text


def test_every_scheduled_workflow_states_its_cost() -> None:
    for recipe in ("datadog", "local"):
        for path, content in scaffold_files(recipe):
            if path.suffix == ".yml":
                assert "Cost:" in content.decode(), f"{recipe}: {path}"
