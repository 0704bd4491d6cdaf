"""Hostile cases found by trying the newer commands (ingest, plan, merge, scheduling) as a
user would. Each makes the same assertions as the spec-file cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

JUNIT = '<testsuite name="s" timestamp="2024-05-01T06:00:00"><testcase name="a"/></testsuite>\n'


def _junit(folder: Path) -> Path:
    path = folder / "report.xml"
    path.write_text(JUNIT, encoding="utf-8")
    return path


def test_ingest_into_a_data_folder_that_cannot_be_made_is_a_data_error(
    tmp_path: Path, hostile: Any
) -> None:
    _junit(tmp_path)
    (tmp_path / "blocker").write_text("a file where a folder should be", encoding="utf-8")
    outcome = hostile.qrunner(
        ["ingest", "junit", "report.xml", "--data", "blocker/data", "--no-ci-env"], cwd=tmp_path
    )
    hostile.assert_hostile(outcome, exit_code=2, where="blocker/data", says="cannot write")
