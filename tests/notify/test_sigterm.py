"""SIGTERM during delivery keeps the outbox: ``qrunner notify`` killed while Slack hangs
leaves the event queued, and the next run delivers it exactly once, marked delayed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qrunner.emulator.fake_github import GitHubFake
from qrunner.emulator.fake_slack import SlackFake
from qrunner.emulator.faults import Fault
from tests.notify.doubles import ROUTING, check, report, spec


def _notify(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "qrunner", "notify", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.mark.slow
def test_sigterm_during_delivery_keeps_the_outbox(tmp_path: Path) -> None:
    (tmp_path / "notify.yaml").write_text(ROUTING)
    state = tmp_path / "alerts.json"
    seeded = tmp_path / "seed.json"
    seeded.write_text(
        json.dumps(report(spec("gate", "2026-12-01T01:00:00Z", [check("c", "pass")])))
    )
    failing = tmp_path / "failing.json"
    failing.write_text(
        json.dumps(report(spec("gate", "2026-12-01T02:00:00Z", [check("c", "fail")])))
    )
    args = ["--notify", str(tmp_path / "notify.yaml"), "--alert-state", str(state)]
    with GitHubFake(repo="acme/gates", token="t0k") as gh, SlackFake() as slack:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "QRUNNER_"))
        } | {
            "GITHUB_API_URL": gh.url, "GITHUB_REPOSITORY": "acme/gates", "GITHUB_TOKEN": "t0k",
            "SLACK_WEBHOOK_URL": slack.webhook_url,
        }  # fmt: skip
        first = _notify([str(seeded), *args], env)
        _, err = first.communicate(timeout=60)
        assert first.returncode == 0, err
        slack.faults.add(Fault("hang"))
        killed = _notify([str(failing), *args], env)
        deadline = time.monotonic() + 60
        while slack.count("POST") == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        killed.send_signal(signal.SIGTERM)
        killed.communicate(timeout=30)
        queued = json.loads(state.read_text())["outbox"]
        assert [e["destination"] for e in queued if e["event"]["kind"] == "firing"] >= ["chat"]
        slack.faults.clear()
        again = _notify([str(failing), *args], env)
        _, err = again.communicate(timeout=60)
        assert again.returncode == 0, err
        assert len(slack.messages) == 1 and len(gh.issues) == 1
        assert json.loads(state.read_text())["outbox"] == []
        delivered = json.loads(failing.read_text())["notifications"]
        assert any(n["destination"] == "chat" and n["delayed"] for n in delivered)
