"""Every malformed spec gives exit 2 and one clear message with the right file and line.

Adding a case means adding a file to ``invalid/``: its first lines declare
``# expect-line: N`` and ``# expect: <text the message must contain>``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
CASES = sorted((HERE / "invalid").glob("*.yaml"))


def _expectation(path: Path) -> tuple[int, str]:
    header = path.read_bytes()[:400].decode("utf-8", "replace")
    line = re.search(r"# expect-line: (\d+)", header)
    text = re.search(r"# expect: (.+)", header)
    assert line and text, f"{path.name} must declare # expect-line: and # expect:"
    return int(line.group(1)), text.group(1).strip()


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_invalid_spec_is_reported_with_file_and_line(case: Path, run_cli: Any) -> None:
    line, text = _expectation(case)
    result = run_cli("validate", str(case), expect=2)
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert f"{case.name}:{line}:" in output, str(result)
    assert text in output.replace(case.name, ""), str(result)  # in the message, not the path


def _spec(name: str) -> str:
    return (
        "version: 1\n"
        f"name: {name}\n"
        "source: datadog.ci_tests\n"
        "request:\n"
        "  compute: [{aggregation: count}]\n"
    )


def test_alias_bomb_is_refused(tmp_path: Path, run_cli: Any) -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    spec = tmp_path / "bomb.yaml"
    spec.write_text(_spec("bomb") + "vars:\n  " + "\n  ".join(lines) + "\n")
    result = run_cli("validate", str(spec), expect=2)
    assert "alias bomb" in result.stdout


def test_huge_file_is_refused_without_reading_it(tmp_path: Path, run_cli: Any) -> None:
    spec = tmp_path / "huge.yaml"
    with spec.open("wb") as handle:
        handle.write(_spec("huge").encode())
        handle.seek(50 * 1024 * 1024)
        handle.write(b"\n")
    result = run_cli("validate", str(spec), expect=2)
    assert "huge.yaml: larger than 1 MiB, the limit for a spec" in result.stdout


def test_binary_file_is_refused(tmp_path: Path, run_cli: Any) -> None:
    spec = tmp_path / "binary.yaml"
    spec.write_bytes(b"version: 1\nname: x\n\x00\x01\x02\xff")
    result = run_cli("validate", str(spec), expect=2)
    assert "binary.yaml:3:" in result.stdout and "binary file" in result.stdout


def test_non_utf8_file_is_refused_with_its_line(tmp_path: Path, run_cli: Any) -> None:
    spec = tmp_path / "latin1.yaml"
    spec.write_bytes(_spec("latin1").encode() + "description: caf\xe9\n".encode("latin-1"))
    result = run_cli("validate", str(spec), expect=2)
    assert "latin1.yaml:6:" in result.stdout and "not valid UTF-8" in result.stdout


def test_duplicate_names_name_both_files(tmp_path: Path, run_cli: Any) -> None:
    (tmp_path / "a.yaml").write_text(_spec("same"))
    (tmp_path / "b.yaml").write_text(_spec("same"))
    result = run_cli("validate", str(tmp_path), expect=2)
    assert "duplicate spec name 'same'" in result.stdout
    assert "a.yaml:2" in result.stdout and "b.yaml:2" in result.stdout


def test_every_error_is_reported_not_just_the_first(tmp_path: Path, run_cli: Any) -> None:
    (tmp_path / "one.yaml").write_text(_spec("one") + "nmae: x\nowner: [1]\n")
    (tmp_path / "two.yaml").write_text("version: 1\nname: [\n")
    (tmp_path / "good.yaml").write_text(_spec("good"))
    result = run_cli("validate", str(tmp_path), "--format", "json", expect=2)
    import json

    payload = json.loads(result.stdout)
    assert payload["specs"] == 3 and payload["invalid_specs"] == 2
    files = sorted({(e["file"].rsplit("/", 1)[-1], e["line"]) for e in payload["errors"]})
    assert ("one.yaml", 6) in files and ("one.yaml", 7) in files
    assert any(f == "two.yaml" for f, _ in files)


def test_missing_path_is_a_usage_error(run_cli: Any) -> None:
    result = run_cli("validate", "does/not/exist", expect=2)
    assert "no such file or directory: does/not/exist" in result.stderr


def test_large_trees_are_checked_in_parallel_with_the_same_findings(
    tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    import qrunner.validate.specs

    for i in range(260):
        (tmp_path / f"s{i:03d}.yaml").write_text(_spec(f"spec-{i}"))
    (tmp_path / "s001.yaml").write_text(_spec("spec-1") + "nmae: typo\n")
    (tmp_path / "s250.yaml").write_text(_spec("spec-7"))  # a duplicate, far from its twin
    parallel = run_cli("validate", str(tmp_path), "--format", "json", expect=2)
    monkeypatch.setattr(qrunner.validate.specs, "PARALLEL_MIN_FILES", 10**9)
    sequential = run_cli("validate", str(tmp_path), "--format", "json", expect=2)
    assert json.loads(parallel.stdout) == json.loads(sequential.stdout)
    messages = [e["message"] for e in json.loads(parallel.stdout)["errors"]]
    assert any("duplicate spec name 'spec-7'" in m for m in messages)
    assert any("did you mean 'name'" in m for m in messages)
