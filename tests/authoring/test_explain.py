"""`qrunner explain`: golden output for a per-group check, a reduced timeseries and no data;
the partial-result rule on a remote target; JSON output; errors."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from qrunner.emulator.server import running_emulator

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCRIPT = "tests/authoring/generate_explain_golden.py"
FIXTURES = HERE / "explain"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "generate_explain_golden", HERE / "generate_explain_golden.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("generate_explain_golden", module)
    spec.loader.exec_module(module)
    return module


GENERATOR = _load_generator()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        result: dict[str, str] = GENERATOR.render_all(tmp_path_factory.mktemp("explain-cache"))
    return result


@pytest.mark.parametrize(
    "file",
    [f"explain-{s}.{x}" for s in GENERATOR.SPECS for x in GENERATOR.FORMATS.values()],
)
def test_golden(file: str, rendered: dict[str, str]) -> None:
    golden = HERE / "golden" / file
    expected = golden.read_text(encoding="utf-8") if golden.exists() else None
    assert rendered[file] == expected, (
        f"{file} differs from its golden file; if the change is intended, regenerate with "
        f"`python {SCRIPT}` and review the diff"
    )


def test_each_step_of_a_per_group_check_is_there(rendered: dict[str, str]) -> None:
    data = json.loads(rendered["explain-per-group.json"])
    steps = data["checks"][0]["steps"]
    kinds = [s["step"] for s in steps]
    assert kinds == ["metric", "buckets", *["value"] * 3, *["threshold"] * 3, "scope", "verdict"]
    assert steps[2]["by"] == {"@ci.pipeline.name": "build"}
    assert "ns → 1608 s" in steps[2]["detail"]
    assert steps[5] == {
        "step": "threshold",
        "detail": "26.8m: fail > 20m → fail",
        "by": {"@ci.pipeline.name": "build"},
    }


def _timed_out(source_name: str, request: dict[str, Any]) -> tuple[int, Any]:
    return 200, {
        "data": {"buckets": [{"by": {}, "computes": {"c0": 2}}]},
        "meta": {"status": "timeout", "warnings": [{"title": "slow index"}]},
    }


def test_partial_result_rule_on_a_remote_target(run_cli: Any, tmp_path: Path) -> None:
    spec = tmp_path / "gate.yaml"
    spec.write_text(
        "version: 1\nname: gate\nsource: datadog.ci_tests\n"
        "request:\n  compute: [{aggregation: count, type: total}]\n"
        "  filter: {from: now-1d, to: now, query: '@test.status:fail'}\n"
        "checks:\n  - {name: few failures, metric: c0, fail: '> 5'}\n",
        encoding="utf-8",
    )
    with running_emulator(_timed_out, api_key="k-SECRET-1", app_key="a-SECRET-2") as emu:
        env = {
            "QRUNNER_DATADOG_URL": emu.url,
            "DD_API_KEY": "k-SECRET-1",
            "DD_APP_KEY": "a-SECRET-2",
        }
        out = run_cli("explain", str(spec), "--target", "datadog", "--format", "json", env=env)
    assert out.exit_code == 0, str(out)
    assert "SECRET" not in out.stdout + out.stderr
    check = json.loads(out.stdout)["checks"][0]
    assert check["status"] == "warn"
    partial = [s for s in check["steps"] if s["step"] == "partial"]
    assert (
        partial
        and "partial result" in partial[0]["detail"]
        and "slow index" in partial[0]["detail"]
    )


def test_explain_every_example_spec_on_sample_data(run_cli: Any, sample_dir: Path) -> None:
    for spec in sorted((ROOT / "queries").glob("*.yaml")):
        out = run_cli(
            "explain", str(spec), "--data", str(sample_dir), "--at", "2024-05-01T12:00:00Z"
        )
        assert out.exit_code == 0, str(out)
        assert "verdict" in out.stdout
        assert "· window 20" in out.stdout  # the examples are scheduled: the tick's window


def test_a_broken_spec_is_a_located_error(run_cli: Any, tmp_path: Path) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text("version: 1\nname: b\nsource: datadog.ci_test\nrequest: {}\n", encoding="utf-8")
    out = run_cli("explain", str(spec), expect=2)
    assert "broken.yaml:3:" in out.stderr and "datadog.ci_tests" in out.stderr


def _tekton_rows(source_name: str, request: dict[str, Any]) -> tuple[int, Any]:
    rows = [
        {"group_value": "build", "total": 4, "avg_duration": "00:30:00"},
        {"group_value": "deploy", "total": 2, "avg_duration": "1 day 01:00:00"},
    ]
    return 200, {"summary": rows}


def test_tekton_target_interval_conversion(run_cli: Any, tmp_path: Path) -> None:
    spec = tmp_path / "tekton.yaml"
    spec.write_text(
        "version: 1\nname: t\nsource: tekton.summary\n"
        "request: {summary: 'total,avg_duration', group_by: pipeline}\n"
        "checks:\n  - {name: slow pipelines, metric: avg_duration, unit: h, warn: '> 1h'}\n",
        encoding="utf-8",
    )
    with running_emulator(_tekton_rows, tekton_token="t-SECRET-3") as emu:
        env = {"TEKTON_RESULTS_URL": emu.url, "TEKTON_RESULTS_TOKEN": "t-SECRET-3"}
        out = run_cli("explain", str(spec), "--target", "tekton", env=env)
    assert out.exit_code == 0, str(out)
    assert "SECRET" not in out.stdout + out.stderr
    assert "GET /apis/results.tekton.dev/" in out.stdout
    assert "avg_duration = '1 day 01:00:00' (interval) → 90000 s" in out.stdout
    assert "[group_value=deploy]" in out.stdout and "25h: warn > 1h → warn" in out.stdout  # unit: h
