"""A run over more groups than the page cap: judged on what was fetched, never a silent pass."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qrunner.backends.pages import MAX_PAGES

SPEC = """\
version: 1
name: tests-per-service
source: datadog.ci_tests
request:
  compute: [{aggregation: count}]
  filter: {from: now-1h, to: now}
  group_by: [{facet: service, limit: 1}]
checks:
  - name: fewer than 100 tests per service
    metric: c0
    fail: ">= 100"
"""


def test_a_result_cut_by_the_page_cap_warns_with_the_reason(run_cli: Any, tmp_path: Path) -> None:
    data = tmp_path / "data" / "ci_tests"
    data.mkdir(parents=True)
    events = [
        {"timestamp": "2024-05-01T11:30:00Z", "service": f"svc-{i:02d}", "test_level": "test"}
        for i in range(MAX_PAGES + 3)
    ]
    (data / "e.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "spec.yaml").write_text(SPEC)
    report = tmp_path / "report.json"
    result = run_cli(
        "run", str(tmp_path / "specs"), "--data", str(tmp_path / "data"),
        "--at", "2024-05-01T12:00:00Z", "--report", f"json:{report}", "--report", "console",
        env={"XDG_CACHE_HOME": str(tmp_path / "cache")},
    )  # fmt: skip
    spec = json.loads(report.read_text())["specs"][0]
    assert spec["partial"] is True, str(result)
    check = spec["checks"][0]
    assert check["status"] == "warn"
    assert "not every page was fetched: partial result" in check["message"]
    assert "partial result: not every page was fetched" in result.stdout
