"""Rendering: native types, variables and their precedence, time helpers, the sandbox."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from qrunner.errors import TemplateError, UsageError
from qrunner.spec.loader import load_specs
from qrunner.spec.render import Renderer, parse_at, parse_var_options

AT = datetime(2024, 5, 1, 6, 30, tzinfo=UTC)


def _write(folder: Path, text: str, name: str = "spec.yaml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def _render(path: Path, **kwargs: Any) -> Any:
    loaded = load_specs([path])
    assert not loaded.failed, loaded.failed
    renderer = Renderer(
        at=kwargs.pop("at", AT),
        environ=kwargs.pop("environ", {}),
        overrides=kwargs.pop("overrides", None),
    )
    return renderer.render(loaded.specs[0])


SPEC = """\
version: 1
name: demo
source: datadog.ci_tests
vars:
  branch: main
  limit: 10
  services: [web, api]
request:
  compute: [{aggregation: count}]
  filter:
    from: "{{ ago('7d') | epoch_ms }}"
    to: "{{ now | iso }}"
    query: "@git.branch:{{ branch }}"
  group_by:
    - facet: "@test.service"
      limit: "{{ limit }}"
      missing: "{{ services }}"
"""


def test_single_expression_keeps_its_native_type(tmp_path: Path) -> None:
    rendered = _render(_write(tmp_path, SPEC))
    group = rendered.request["group_by"][0]
    assert group["limit"] == 10
    assert group["missing"] == ["web", "api"]
    assert rendered.request["filter"]["from"] == int(AT.timestamp() * 1000) - 7 * 86_400_000
    assert rendered.request["filter"]["to"] == "2024-05-01T06:30:00Z"


def test_var_override_takes_the_type_of_the_default(tmp_path: Path) -> None:
    rendered = _render(_write(tmp_path, SPEC), overrides={"limit": "25", "branch": "1.10"})
    assert rendered.request["group_by"][0]["limit"] == 25
    assert rendered.request["filter"]["query"] == "@git.branch:1.10"


def test_a_variable_value_cannot_inject_structure(tmp_path: Path) -> None:
    evil = '"}\nhacked: true\nx: {"a": "'
    rendered = _render(_write(tmp_path, SPEC), overrides={"branch": evil})
    assert rendered.request["filter"]["query"] == f"@git.branch:{evil}"
    assert "hacked" not in rendered.request


def test_env_is_explicit_with_default(tmp_path: Path) -> None:
    spec = SPEC.replace("branch: main", "branch: \"{{ env.GITHUB_REF_NAME | default('main') }}\"")
    path = _write(tmp_path, spec)
    assert _render(path).request["filter"]["query"] == "@git.branch:main"
    rendered = _render(path, environ={"GITHUB_REF_NAME": "release"})
    assert rendered.request["filter"]["query"] == "@git.branch:release"


def test_secret_looking_env_vars_are_never_exposed(tmp_path: Path) -> None:
    spec = SPEC.replace("@git.branch:{{ branch }}", "{{ env.DD_API_KEY }}")
    with pytest.raises(TemplateError, match="looks like a secret") as info:
        _render(_write(tmp_path, spec), environ={"DD_API_KEY": "s3cr3t-value"})
    assert "s3cr3t-value" not in str(info.value)


def test_templates_are_imported_from_the_nearest_templates_folder(tmp_path: Path) -> None:
    (tmp_path / "_templates").mkdir()
    (tmp_path / "_templates" / "ci.j2").write_text(
        "{% macro tests_on(b) %}test_level:test @git.branch:{{ b }}{% endmacro %}"
    )
    (tmp_path / "team").mkdir()
    spec = SPEC.replace(
        '"@git.branch:{{ branch }}"', "\"{% import 'ci.j2' as ci %}{{ ci.tests_on(branch) }}\""
    )
    rendered = _render(_write(tmp_path / "team", spec))
    assert rendered.request["filter"]["query"] == "test_level:test @git.branch:main"


def test_the_template_loader_cannot_leave_its_folder(tmp_path: Path) -> None:
    (tmp_path / "_templates").mkdir()
    (tmp_path / "outside.j2").write_text("SECRET")
    os.symlink(tmp_path / "outside.j2", tmp_path / "_templates" / "link.j2")
    for name in ("../outside.j2", "link.j2"):
        spec = SPEC.replace('"@git.branch:{{ branch }}"', f"\"{{% include '{name}' %}}\"")
        with pytest.raises(TemplateError, match="template not found"):
            _render(_write(tmp_path, spec))


def test_start_of_and_duration_helpers(tmp_path: Path) -> None:
    spec = SPEC.replace(
        "\"{{ ago('7d') | epoch_ms }}\"",
        "\"{{ (now - duration('2d')) | start_of('week') | iso }}\"",
    )
    rendered = _render(_write(tmp_path, spec))
    assert rendered.request["filter"]["from"] == "2024-04-29T00:00:00Z"  # a Monday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T06:00:00Z", datetime(2024, 5, 1, 6, tzinfo=UTC)),
        ("2024-05-01T08:00:00+02:00", datetime(2024, 5, 1, 6, tzinfo=UTC)),
        ("2024-05-01 06:00", datetime(2024, 5, 1, 6, tzinfo=UTC)),
        ("1714543200", datetime(2024, 5, 1, 6, tzinfo=UTC)),
        ("1714543200000", datetime(2024, 5, 1, 6, tzinfo=UTC)),
    ],
)
def test_at_accepts_iso_and_epoch(text: str, expected: datetime) -> None:
    assert parse_at(text) == expected


@pytest.mark.parametrize("bad", ["yesterday", "2024-13-01", ""])
def test_at_rejects_garbage(bad: str) -> None:
    with pytest.raises(UsageError, match="--at"):
        parse_at(bad)


@pytest.mark.parametrize("bad", ["novalue", "=x", "bad name=1"])
def test_var_syntax_errors_are_usage_errors(bad: str) -> None:
    with pytest.raises(UsageError, match="--var"):
        parse_var_options([bad])


def test_render_command_prints_the_datadog_body(tmp_path: Path, run_cli: Any) -> None:
    path = _write(tmp_path, SPEC)
    text = path.read_text().replace("| epoch_ms }}", "| epoch_ms | string }}")
    path.write_text(text.replace('      missing: "{{ services }}"\n', ""))
    result = run_cli(
        "render", str(path), "--at", "2024-05-01T06:30:00Z", "--var", "limit=3", expect=0
    )
    body = json.loads(result.stdout)
    assert body["group_by"][0]["limit"] == 3
    assert body["filter"]["to"] == "2024-05-01T06:30:00Z"


def test_render_command_prints_the_tekton_url(tmp_path: Path, run_cli: Any) -> None:
    path = _write(
        tmp_path,
        "version: 1\nname: t\nsource: tekton.summary\nrequest:\n"
        "  parent: default/results/-\n  summary: total,failed\n  group_by: pipeline\n"
        "  order_by: ASC failed\n",
    )
    result = run_cli("render", str(path), expect=0)
    assert result.stdout.strip() == (
        "GET /apis/results.tekton.dev/v1alpha2/parents/default/results/-/records/summary"
        "?summary=total%2Cfailed&group_by=pipeline&order_by=failed+ASC"
    )


def test_example_specs_are_valid(run_cli: Any) -> None:
    root = Path(__file__).resolve().parents[2]
    result = run_cli("validate", str(root / "queries"), expect=0)
    assert "spec(s) valid" in result.stdout


def test_tekton_parent_defaults_to_every_namespace(tmp_path: Path, run_cli: Any) -> None:
    path = _write(
        tmp_path, "version: 1\nname: t\nsource: tekton.summary\nrequest:\n  summary: total\n"
    )
    result = run_cli("render", str(path), expect=0)
    assert result.stdout.startswith("GET /apis/results.tekton.dev/v1alpha2/parents/-/results/-/")


def test_a_default_sees_an_overridden_variable(tmp_path: Path) -> None:
    spec = SPEC.replace(
        "  branch: main\n", '  branch: main\n  scope: "@git.branch:{{ branch }}"\n'
    ).replace('"@git.branch:{{ branch }}"\n  group_by', '"{{ scope }}"\n  group_by')
    rendered = _render(_write(tmp_path, spec), overrides={"branch": "dev"})
    assert rendered.request["filter"]["query"] == "@git.branch:dev"


def test_builtin_names_cannot_be_overridden() -> None:
    with pytest.raises(UsageError, match="reserved"):
        parse_var_options(["now=yesterday"])
