"""Hostile spec files: adding a case is adding a file.

``specs/*.yaml`` are validated (``qrunner validate FILE``); ``runs/*.yaml`` are run on the
local engine with every report written (``qrunner run FILE --report …``). Each file starts with
comment lines: ``# exit: N``, ``# line: L`` (the location ``FILE:L:`` must be quoted; for runs,
the GitHub annotation must point at it), and optionally ``# says: TEXT`` (a phrase of the
message), ``# data: DIR`` (a folder under ``data/`` instead of the sample dataset) and
``# why:`` (what the case attacks).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
SPEC_CASES = sorted((HERE / "specs").glob("*.yaml"))
RUN_CASES = sorted((HERE / "runs").glob("*.yaml"))
REPORTS = {"json": "r.json", "junit": "r.xml", "markdown": "r.md", "github": "gh.txt"}


def _where(case: Path, expected: dict[str, str]) -> str:
    line = expected.get("line", "")
    return f"{case.name}:{line}:" if line else case.name


@pytest.mark.parametrize("case", SPEC_CASES, ids=[c.stem for c in SPEC_CASES])
def test_validate_refuses(case: Path, tmp_path: Path, hostile: Any) -> None:
    expected = hostile.header(case)
    shutil.copy(case, tmp_path / case.name)
    outcome = hostile.qrunner(["validate", case.name], cwd=tmp_path)
    hostile.assert_hostile(
        outcome,
        exit_code=int(expected.get("exit", "2")),
        where=_where(case, expected),
        says=expected.get("says", ""),
    )


@pytest.mark.parametrize("case", RUN_CASES, ids=[c.stem for c in RUN_CASES])
def test_run_stays_inert(case: Path, tmp_path: Path, cache_dir: Path, hostile: Any) -> None:
    expected = hostile.header(case)
    shutil.copy(case, tmp_path / case.name)
    args = ["run", case.name, "--at", "2024-05-01T06:00:00Z", "--report", "console"]
    for fmt, name in REPORTS.items():
        args += ["--report", f"{fmt}:out/{name}"]
    if "data" in expected:
        args += ["--data", str(HERE / "data" / expected["data"])]
    outcome = hostile.qrunner(
        args,
        cwd=tmp_path,
        env={"QRUNNER_CACHE_DIR": str(cache_dir)},
        reports={fmt: tmp_path / "out" / name for fmt, name in REPORTS.items()},
    )
    assert set(outcome.reports) == set(REPORTS), str(outcome)
    hostile.assert_hostile(
        outcome, exit_code=int(expected.get("exit", "0")), says=expected.get("says", "")
    )
    # the annotation points at the check's line in the spec
    annotation = f"file={case.name},line={expected['line']}"
    assert annotation in outcome.reports["github"], str(outcome)
