"""Bad input to the notify step never produces a traceback: a located message and exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.notify.doubles import ROUTING, check, report, spec

STATES = {
    "not JSON": "{",
    "another version": '{"version": 7}',
    "outbox not a list": '{"version": 1, "outbox": {}}',
    "an outbox entry without its event": '{"version": 1, "outbox": [{"destination": "gh"}]}',
    "a damaged incident": '{"version": 1, "incidents": {"x": {"key": [], "status": 3}}}',
}
REPORTS = {
    "not JSON": "[",
    "no version": "{}",
    "no specs": '{"version": 1, "at": "2026-12-01T00:00:00Z"}',
    "a spec without a name": '{"version": 1, "at": "2026-12-01T00:00:00Z", "specs": [{}]}',
}


@pytest.mark.parametrize("text", STATES.values(), ids=STATES.keys())
def test_a_damaged_alert_state_is_refused(run_cli: Any, tmp_path: Path, text: str) -> None:
    (tmp_path / "notify.yaml").write_text(ROUTING)
    (tmp_path / "alerts.json").write_text(text)
    good = tmp_path / "r.json"
    good.write_text(json.dumps(report(spec("gate", None, [check("c", "fail")]))))
    result = run_cli(
        "notify", str(good), "--notify", str(tmp_path / "notify.yaml"),
        "--alert-state", str(tmp_path / "alerts.json"), "--dry-run", expect=2,
    )  # fmt: skip
    assert f"{tmp_path / 'alerts.json'}" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("text", REPORTS.values(), ids=REPORTS.keys())
def test_a_damaged_report_is_refused(run_cli: Any, tmp_path: Path, text: str) -> None:
    (tmp_path / "notify.yaml").write_text(ROUTING)
    bad = tmp_path / "r.json"
    bad.write_text(text)
    result = run_cli("notify", str(bad), "--notify", str(tmp_path / "notify.yaml"), expect=2)
    assert str(bad) in result.stderr and "Traceback" not in result.stderr


def test_out_needs_dry_run_and_alert_state_needs_notify(run_cli: Any, tmp_path: Path) -> None:
    (tmp_path / "notify.yaml").write_text(ROUTING)
    result = run_cli(
        "notify", "r.json", "--notify", str(tmp_path / "notify.yaml"), "--out", "x", expect=2
    )
    assert "--out needs --dry-run" in result.stderr
    result = run_cli("run", str(tmp_path), "--alert-state", "a.json", expect=2)
    assert "--alert-state needs --notify" in result.stderr
