"""What scheduled runs put in the reports beyond the JSON report: JUnit suite names per tick."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from .test_schedule_run import _daily


def _suite_names(path: Path) -> list[str]:
    return [suite.get("name", "") for suite in ET.parse(path).getroot().iter("testsuite")]


def test_caught_up_ticks_of_one_spec_are_distinct_junit_suites(
    run_cli: Any, sample_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "q"
    _daily(folder, "daily")
    state, junit = tmp_path / "state.json", tmp_path / "junit.xml"
    common = [str(folder), "--data", str(sample_dir), "--due", "--state", str(state)]
    run_cli("run", *common, "--at", "2024-04-27T05:00:00Z", "--report", "json:/dev/null")
    run_cli(
        "run", *common, "--at", "2024-04-30T05:00:00Z", "--catch-up", "3",
        "--report", f"junit:{junit}",
    )  # fmt: skip
    assert _suite_names(junit) == [
        "daily @ 2024-04-28T04:00:00Z",
        "daily @ 2024-04-29T04:00:00Z",
        "daily @ 2024-04-30T04:00:00Z",
    ]
    # the check keeps its identity across ticks: CI viewers chart its history as one test
    assert {case.get("classname") for case in ET.parse(junit).getroot().iter("testcase")} == {
        "daily"
    }


def test_an_unscheduled_spec_keeps_its_name_as_the_junit_suite(
    run_cli: Any, sample_dir: Path, tmp_path: Path
) -> None:
    junit = tmp_path / "junit.xml"
    spec = _daily(tmp_path / "q", "unscheduled")
    text = re.sub(r"schedule:\n(  .*\n)+", "", spec.read_text())
    text = re.sub(r"from: .*", "from: now-1d", text)
    spec.write_text(re.sub(r"to: .*", "to: now", text))
    run_cli("run", str(spec), "--data", str(sample_dir), "--at", "2024-04-30T05:00:00Z",
            "--report", f"junit:{junit}", expect=0)  # fmt: skip
    assert _suite_names(junit) == ["unscheduled"]
