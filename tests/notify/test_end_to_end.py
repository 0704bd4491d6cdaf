"""Issue 20 end to end, through the CLI and the real channels, over HTTP to the emulator's
loopback fakes of GitHub and a Slack webhook: one issue and one chat message per incident,
quiet while failing, closed and "resolved" on recovery, an outage delivered exactly once on
the next run, exit code 5 only when the gates passed, and notifications[] in the report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from qrunner.emulator.fake_github import GitHubFake
from qrunner.emulator.fake_slack import SlackFake
from qrunner.emulator.faults import Fault
from tests.notify.doubles import ROUTING
from tests.run.conftest import ROOT, sample_dir

__all__ = ["sample_dir"]

SPEC = """\
version: 1
name: gate
owner: team-platform
source: datadog.ci_tests
request:
  compute: [{{aggregation: count, type: total}}]
  filter: {{from: now-7d, to: now, query: "test_level:test"}}
checks:
  - name: some tests ran
    metric: c0
    fail: "{condition}"
"""
PASSING, FAILING = "< 1", "> 1"


@pytest.fixture
def fakes() -> Iterator[tuple[GitHubFake, SlackFake]]:
    with GitHubFake(repo="acme/gates", token="t0k-emulated") as gh, SlackFake() as slack:
        yield gh, slack


class Gate:
    def __init__(self, run_cli: Any, tmp_path: Path, data: Path, gh: GitHubFake, slack: SlackFake):
        self.run_cli, self.tmp, self.data = run_cli, tmp_path, data
        self.routing = tmp_path / "notify.yaml"
        self.routing.write_text(ROUTING, encoding="utf-8")
        (tmp_path / "queries").mkdir()
        self.env = {
            "GITHUB_API_URL": gh.url, "GITHUB_REPOSITORY": "acme/gates",
            "GITHUB_TOKEN": "t0k-emulated",
            "SLACK_WEBHOOK_URL": slack.webhook_url, "GATES_HOOK_URL": "http://127.0.0.1:9/unused",
            "GATES_HOOK_SECRET": "unused-secret", "GITHUB_ACTIONS": "", "GITHUB_STEP_SUMMARY": "",
        }  # fmt: skip
        self.hour = 0

    def run(self, condition: str, expect: int, *extra: str) -> dict[str, Any]:
        self.hour += 1
        (self.tmp / "queries" / "gate.yaml").write_text(SPEC.format(condition=condition))
        report = self.tmp / f"run-{self.hour}.json"
        self.run_cli(
            "run", str(self.tmp / "queries"), "--data", str(self.data),
            "--at", f"2024-05-01T{self.hour:02d}:00:00Z",
            "--report", f"json:{report}", "--notify", str(self.routing),
            "--alert-state", str(self.tmp / "alerts.json"), *extra,
            expect=expect, env=self.env,
        )  # fmt: skip
        data: dict[str, Any] = json.loads(report.read_text())
        return data


def test_one_issue_and_one_message_per_incident_then_resolved(
    run_cli: Any, tmp_path: Path, sample_dir: Path, fakes: tuple[GitHubFake, SlackFake]
) -> None:
    gh, slack = fakes
    gate = Gate(run_cli, tmp_path, sample_dir, gh, slack)
    gate.run(PASSING, expect=0)
    assert not gh.issues
    for _ in range(3):
        gate.run(FAILING, expect=1)
    assert len(gh.issues) == 1
    issue = next(iter(gh.issues.values()))
    assert issue["state"] == "open" and "<!-- qrunner:incident=" in issue["body"]
    assert len(slack.messages) == 1
    report = gate.run(PASSING, expect=0)
    assert issue["state"] == "closed"
    assert len(gh.issues) == 1 and len(slack.messages) == 2
    assert "resolved" in json.dumps(slack.messages[-1]).lower()
    assert gh.search_calls == 0
    assert {(n["destination"], n["event"], n["outcome"]) for n in report["notifications"]} == {
        ("gh", "resolved", "sent"), ("chat", "resolved", "sent"),
    }  # fmt: skip
    schema = json.loads((ROOT / "schemas" / "report-v1.schema.json").read_text())
    jsonschema.validate(report, schema)


def test_an_outage_delivers_each_event_exactly_once_on_the_next_run(
    run_cli: Any, tmp_path: Path, sample_dir: Path, fakes: tuple[GitHubFake, SlackFake]
) -> None:
    gh, slack = fakes
    gate = Gate(run_cli, tmp_path, sample_dir, gh, slack)
    gate.run(PASSING, expect=0)
    down = [
        Fault("status", status=503, retry_after="0"),
        Fault("status", status=503, retry_after="0"),
    ]
    gh.faults.add(down[0])
    slack.faults.add(down[1])
    report = gate.run(FAILING, expect=1)  # the gate failed: 1 stands, never 5
    assert {n["outcome"] for n in report["notifications"]} == {"failed"}
    assert not gh.issues and not slack.messages
    gh.faults.clear()
    slack.faults.clear()
    report = gate.run(FAILING, expect=1)
    assert len(gh.issues) == 1 and len(slack.messages) == 1
    assert all(n["delayed"] for n in report["notifications"])
    gate.run(FAILING, expect=1)
    assert len(gh.issues) == 1 and len(slack.messages) == 1


def test_gates_passed_but_not_delivered_exits_5(
    run_cli: Any, tmp_path: Path, sample_dir: Path, fakes: tuple[GitHubFake, SlackFake]
) -> None:
    gh, slack = fakes
    gate = Gate(run_cli, tmp_path, sample_dir, gh, slack)
    gate.run(PASSING, expect=0)
    gate.run(FAILING, expect=1)
    slack.state = "revoked"  # a 403: rejected at once, not retried
    report = gate.run(PASSING, expect=5)
    chat = [n for n in report["notifications"] if n["destination"] == "chat"]
    assert [n["outcome"] for n in chat] == ["rejected"] and chat[0]["error"]
    assert slack.webhook_url not in json.dumps(report)


def test_the_report_gains_notifications_and_nothing_else_changes(
    run_cli: Any, tmp_path: Path, sample_dir: Path, fakes: tuple[GitHubFake, SlackFake]
) -> None:
    gh, slack = fakes
    gate = Gate(run_cli, tmp_path, sample_dir, gh, slack)
    (tmp_path / "queries" / "gate.yaml").write_text(SPEC.format(condition=FAILING))
    result = run_cli(
        "run", str(tmp_path / "queries"), "--data", str(sample_dir), "--at", "2024-05-01T01:00:00Z",
        "--report", f"json:{tmp_path / 'file.json'}", "--report", "json",
        "--notify", str(gate.routing), "--alert-state", str(tmp_path / "alerts.json"),
        expect=1, env=gate.env,
    )  # fmt: skip
    on_stdout = json.loads(result.stdout)  # written before delivery: no notifications yet
    in_file = json.loads((tmp_path / "file.json").read_text())
    assert on_stdout["notifications"] == [] and in_file["notifications"]
    assert {k: v for k, v in in_file.items() if k != "notifications"} == {
        k: v for k, v in on_stdout.items() if k != "notifications"
    }


def test_notify_after_merge_and_dry_run(
    run_cli: Any, tmp_path: Path, sample_dir: Path, fakes: tuple[GitHubFake, SlackFake]
) -> None:
    gh, slack = fakes
    gate = Gate(run_cli, tmp_path, sample_dir, gh, slack)
    (tmp_path / "queries" / "gate.yaml").write_text(SPEC.format(condition=FAILING))
    shard = tmp_path / "shard-1.json"
    run_cli(
        "run", str(tmp_path / "queries"), "--data", str(sample_dir), "--at", "2024-05-01T01:00:00Z",
        "--shard", "1/1", "--report", f"json:{shard}", expect=1, env=gate.env,
    )  # fmt: skip
    merged = tmp_path / "merged.json"
    run_cli("merge", str(shard), "--report", f"json:{merged}", expect=1)
    state = tmp_path / "alerts.json"
    out = tmp_path / "messages"
    common = ["--notify", str(gate.routing), "--alert-state", str(state)]
    run_cli("notify", str(merged), *common, "--dry-run", "--out", str(out), expect=0, env=gate.env)
    assert not state.exists() and not gh.issues and not slack.messages
    assert {p.parent.name for p in out.rglob("*") if p.is_file()} == {"gh", "chat"}
    run_cli("notify", str(merged), *common, expect=0, env=gate.env)
    assert len(gh.issues) == 1 and len(slack.messages) == 1
    assert json.loads(merged.read_text())["notifications"]
    run_cli("notify", str(merged), *common, expect=0, env=gate.env)  # a retried workflow
    assert len(gh.issues) == 1 and len(slack.messages) == 1


def test_shards_never_notify_on_their_own(run_cli: Any, tmp_path: Path) -> None:
    routing = tmp_path / "notify.yaml"
    routing.write_text(ROUTING)
    result = run_cli("run", str(tmp_path), "--shard", "1/2", "--notify", str(routing), expect=2)
    assert "shards never notify" in result.stderr


def test_notify_test_sends_a_marked_sample(
    run_cli: Any, tmp_path: Path, sample_dir: Path, fakes: tuple[GitHubFake, SlackFake]
) -> None:
    gh, slack = fakes
    gate = Gate(run_cli, tmp_path, sample_dir, gh, slack)
    result = run_cli(
        "notify", "test", "chat", "--notify", str(gate.routing), expect=0, env=gate.env
    )
    assert "chat: sent" in result.stdout
    assert len(slack.messages) == 1 and "test" in json.dumps(slack.messages[0]).lower()
    slack.state = "removed"
    result = run_cli(
        "notify", "test", "chat", "--notify", str(gate.routing), expect=5, env=gate.env
    )
    assert "rejected" in result.stderr and slack.webhook_url not in result.stderr
    env = gate.env | {"SLACK_WEBHOOK_URL": ""}
    result = run_cli("notify", "test", "chat", "--notify", str(gate.routing), expect=5, env=env)
    assert "set SLACK_WEBHOOK_URL" in result.stderr


def test_a_lost_alert_state_causes_no_storm(
    run_cli: Any, tmp_path: Path, sample_dir: Path, fakes: tuple[GitHubFake, SlackFake]
) -> None:
    gh, slack = fakes
    gate = Gate(run_cli, tmp_path, sample_dir, gh, slack)
    gate.run(PASSING, expect=0)
    gate.run(FAILING, expect=1)
    assert len(gh.issues) == 1 and len(slack.messages) == 1
    (tmp_path / "alerts.json").unlink()  # an evicted cache
    gate.run(FAILING, expect=1)
    assert len(gh.issues) == 1, "GitHub finds its open issue by the marker"
    assert len(slack.messages) == 2 and "state reset" in json.dumps(slack.messages[-1]).lower()
    gate.run(PASSING, expect=0)
    assert next(iter(gh.issues.values()))["state"] == "closed"


def test_the_history_seeds_a_lost_alert_state(
    run_cli: Any, tmp_path: Path, sample_dir: Path, fakes: tuple[GitHubFake, SlackFake]
) -> None:
    gh, slack = fakes
    gate = Gate(run_cli, tmp_path, sample_dir, gh, slack)
    history = ("--history", str(tmp_path / "history"))
    gate.run(PASSING, 0, *history)
    gate.run(FAILING, 1, *history)
    assert len(gh.issues) == 1 and len(slack.messages) == 1
    (tmp_path / "alerts.json").unlink()
    gate.run(FAILING, 1, *history)
    assert len(gh.issues) == 1 and len(slack.messages) == 1, "nothing announced again"
    gate.run(PASSING, 0, *history)
    assert next(iter(gh.issues.values()))["state"] == "closed"
    assert len(slack.messages) == 2 and "resolved" in json.dumps(slack.messages[-1]).lower()
