"""The spec's ``notify:`` block: validated where it is written, carried by the JSON report (and
through ``qrunner merge``) so that ``qrunner notify`` replays a report exactly as it ran."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.run.conftest import sample_dir

__all__ = ["sample_dir"]

SPEC = """\
version: 1
name: gate
owner: team-platform
source: datadog.ci_tests
request:
  compute: [{aggregation: count, type: total}]
  filter: {from: now-7d, to: now, query: "test_level:test"}
notify: {for: 2, severity: page, runbook: "https://runbooks.example/gate"}
checks:
  - name: some tests ran
    metric: c0
    fail: "< 1"
    notify: {resolve_after: 3, per_group: true}
  - name: quiet
    metric: c0
    warn: "> 1"
    notify: false
"""


def test_the_block_reaches_the_report_and_survives_a_merge(
    run_cli: Any, tmp_path: Path, sample_dir: Path
) -> None:
    (tmp_path / "gate.yaml").write_text(SPEC)
    shard = tmp_path / "shard.json"
    run_cli(
        "run", str(tmp_path / "gate.yaml"), "--data", str(sample_dir), "--shard", "1/1",
        "--at", "2024-05-01T12:00:00Z", "--report", f"json:{shard}", expect=0,
    )  # fmt: skip
    merged = tmp_path / "merged.json"
    run_cli("merge", str(shard), "--report", f"json:{merged}", expect=0)
    for path in (shard, merged):
        (spec,) = json.loads(path.read_text())["specs"]
        assert spec["notify"] == {
            "off": False, "for": 2, "severity": "page", "runbook": "https://runbooks.example/gate",
            "checks": {"some tests ran": {"off": False, "resolve_after": 3, "per_group": True},
                       "quiet": {"off": True}},
        }  # fmt: skip


def test_a_wrong_block_is_refused_at_its_line(run_cli: Any, tmp_path: Path) -> None:
    (tmp_path / "gate.yaml").write_text(SPEC.replace("for: 2", "for: 0").replace("page", "pager"))
    result = run_cli("validate", str(tmp_path), expect=2)
    assert f"{tmp_path / 'gate.yaml'}:8:" in result.stdout + result.stderr
