"""Benchmark: deciding and rendering the notifications of a large run, and GitHub's calls.

Not part of the test run. Usage: python tests/bench/bench_notify.py [--checks 1000]
[--incidents 100] [--runs 5]. Prints the figures quoted in the README. Targets on the 2-core
reference machine: deciding, routing and rendering (``qrunner notify --dry-run``'s work, the
routing file read included, no network) for a run of 1,000 checks of which 100 open an
incident, under 1 s; GitHub calls per run at most one listing plus one call per event, counted
against the emulator's GitHub fake on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from qrunner.notify.pipeline import NotifyOptions, notify_report  # noqa: E402
from qrunner.notify.routing_file import read_routing  # noqa: E402
from tests.notify.doubles import check, report, spec  # noqa: E402

ROUTING = """\
version: 1
channels:
  gh: {type: github-issues, labels: [qrunner], max_new_issues: 100}
  chat: {type: slack, url_env: SLACK_WEBHOOK_URL}
  hook: {type: webhook, url_env: GATES_HOOK_URL, secret_env: GATES_HOOK_SECRET}
owners:
  team-0: {slack: "<!subteam^S0>", github: "@acme/team-0"}
routes:
  - match: {owner: "team-*"}
    to: [gh, chat, hook]
  - default: [gh]
"""


def run_report(checks: int, incidents: int, at: str, failing: bool) -> dict[str, Any]:
    per_spec = 10
    specs = []
    for s in range(checks // per_spec):
        rows = []
        for c in range(per_spec):
            bad = failing and s * per_spec + c < incidents * per_spec and c == 0
            rows.append(check(f"check-{c}", "fail" if bad else "pass"))
        specs.append(spec(f"spec-{s:04d}", at, rows, owner=f"team-{s % 7}"))
    return report(*specs, at=at)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--incidents", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from qrunner.emulator.fake_github import GitHubFake
    from qrunner.emulator.fake_slack import SlackFake
    from qrunner.emulator.fake_webhook import WebhookFake

    with (
        tempfile.TemporaryDirectory() as folder,
        GitHubFake() as gh,
        SlackFake() as slack,
        WebhookFake(secret="bench-secret") as hook,
    ):
        tmp = Path(folder)
        (tmp / "notify.yaml").write_text(ROUTING)
        env = {
            "GITHUB_API_URL": gh.url, "GITHUB_REPOSITORY": "acme/gates",
            "GITHUB_TOKEN": "emulator-token", "SLACK_WEBHOOK_URL": slack.webhook_url,
            "GATES_HOOK_URL": hook.hook_url, "GATES_HOOK_SECRET": "bench-secret",
        }  # fmt: skip
        seed = run_report(args.checks, args.incidents, "2026-12-01T00:00:00Z", failing=False)
        failing = run_report(args.checks, args.incidents, "2026-12-01T01:00:00Z", failing=True)
        state = tmp / "alerts.json"
        routing = read_routing(tmp / "notify.yaml")
        notify_report(seed, NotifyOptions(routing, alert_state=state, environ=env))
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            routing = read_routing(tmp / "notify.yaml")
            options = NotifyOptions(routing, alert_state=state, environ=env, dry_run=True)
            result = notify_report(failing, options)
            times.append(time.perf_counter() - started)
        rendered = len(result.rendered)
        print(
            f"decide + route + render, {args.checks} checks, {args.incidents} incidents, "
            f"{rendered} messages: median {statistics.median(times):.3f} s, "
            f"best {min(times):.3f} s (target < 1 s)"
        )
        before = gh.count()
        result = notify_report(failing, NotifyOptions(routing, alert_state=state, environ=env))
        events = sum(1 for n in result.notified if n.delivery.destination == "gh")
        calls = gh.count() - before
        print(
            f"GitHub, opening: {calls} calls for {events} events "
            f"(bound: 1 listing + 1 per event = {events + 1}); search calls {gh.search_calls}"
        )
        passing = run_report(args.checks, args.incidents, "2026-12-01T02:00:00Z", failing=False)
        before = gh.count()
        result = notify_report(passing, NotifyOptions(routing, alert_state=state, environ=env))
        events = sum(1 for n in result.notified if n.delivery.destination == "gh")
        print(
            f"GitHub, resolving (issue numbers known from the alert state): "
            f"{gh.count() - before} calls for {events} events (no listing; comment + close)"
        )


if __name__ == "__main__":
    main()
