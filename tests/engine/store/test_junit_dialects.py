"""Every JUnit dialect loads whole: one fixture report per dialect, its expectations beside it.

Adding a dialect is adding ``junit_dialects/NAME.xml`` and ``NAME.expected.json``:
``statuses`` (test-level counts), ``duration_ns`` (their total), ``first``/``last`` (test-level
timestamps), ``suites`` (suite events), ``retries``/``flaky`` (flagged executions),
``warnings`` (``[line, words in the message]``), optionally ``time`` (the caller's time for
suites without one), ``suite_paths`` and ``attributes`` (exact values on every test event).
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from qrunner.engine.store.junit import load_junit

DIALECTS = Path(__file__).parent / "junit_dialects"
CASES = sorted(p.stem for p in DIALECTS.glob("*.xml"))


@pytest.mark.parametrize("dialect", CASES)
def test_dialect_loads_whole(dialect: str, tmp_path: Path) -> None:
    expected: dict[str, Any] = json.loads((DIALECTS / f"{dialect}.expected.json").read_text())
    report = tmp_path / "svc" / f"{dialect}.xml"
    report.parent.mkdir()
    shutil.copyfile(DIALECTS / f"{dialect}.xml", report)
    time = datetime.fromisoformat(expected["time"]) if "time" in expected else None
    events, warnings = load_junit(report, time=time)

    tests = [e for e in events if e["test_level"] == "test"]
    assert dict(Counter(e["test.status"] for e in tests)) == expected["statuses"]
    assert sum(e.get("duration", 0) for e in tests) == expected["duration_ns"]
    stamps = sorted(e["timestamp"] for e in tests)
    assert (stamps[0], stamps[-1]) == (expected["first"], expected["last"])
    assert sum(e["test_level"] == "suite" for e in events) == expected["suites"]
    assert sum(bool(e.get("test.is_retry")) for e in tests) == expected["retries"]
    assert sum(bool(e.get("test.is_flaky")) for e in tests) == expected["flaky"]
    assert len(warnings) == len(expected["warnings"]), warnings
    for warning, (line, words) in zip(warnings, expected["warnings"], strict=True):
        assert warning.path == str(report) and warning.line == line and words in warning.message
    if "suite_paths" in expected:
        assert sorted({e["test.suite_path"] for e in tests}) == expected["suite_paths"]
    for key, value in expected.get("attributes", {}).items():
        assert {e[key] for e in tests} == {value}
    assert {e["test.service"] for e in events} == {"svc"}
