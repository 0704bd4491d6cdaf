"""`qrunner emulator --notify-fakes` prints the variables that route notifications to it."""

from __future__ import annotations

import contextlib
import os
import queue
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator

import httpx
import pytest

from qrunner.emulator.destinations import running_destinations
from qrunner.emulator.fake_webhook import signature_headers

NAMES = ("GITHUB_API_URL", "GITHUB_REPOSITORY", "GITHUB_TOKEN", "SLACK_WEBHOOK_URL",
         "GATES_HOOK_URL", "GATES_HOOK_SECRET")  # fmt: skip


def _exports(lines: queue.Queue[str], wait: float) -> dict[str, str]:
    """The variables of the ``export GITHUB_...`` line the command prints on stderr."""
    seen = ""
    with contextlib.suppress(queue.Empty):
        while line := lines.get(timeout=wait):
            seen += line
            if "GITHUB_API_URL=" in line:
                words = shlex.split(line.strip().removeprefix("export "))
                return dict(word.split("=", 1) for word in words)
    raise AssertionError(f"no export line from qrunner emulator --notify-fakes:\n{seen}")


@pytest.fixture
def served() -> Iterator[dict[str, str]]:
    command = [sys.executable, "-m", "qrunner", "emulator", "--port", "0", "--notify-fakes"]
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("QRUNNER_", "DD_"))}
    lines: queue.Queue[str] = queue.Queue()
    with subprocess.Popen(
        command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=environ
    ) as process:

        def pump() -> None:
            assert process.stderr is not None
            for line in process.stderr:
                lines.put(line)
            lines.put("")

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        try:
            yield _exports(lines, wait=60)
        finally:
            process.terminate()
            process.wait(timeout=30)
            reader.join(timeout=30)


def test_the_printed_variables_reach_working_fakes(served: dict[str, str]) -> None:
    assert set(served) == set(NAMES)
    assert httpx.post(served["SLACK_WEBHOOK_URL"], json={"text": "hello"}).text == "ok"
    body = b'{"event": "test"}'
    headers = {**signature_headers(served["GATES_HOOK_SECRET"], body), "Idempotency-Key": "k"}
    assert httpx.post(served["GATES_HOOK_URL"], content=body, headers=headers).status_code == 200
    issues = f"{served['GITHUB_API_URL']}/repos/{served['GITHUB_REPOSITORY']}/issues"
    made = httpx.post(
        issues, json={"title": "t"}, headers={"Authorization": f"token {served['GITHUB_TOKEN']}"}
    )
    assert made.status_code == 201
    # What each received, for a person trying routes by hand:
    slack_base = served["SLACK_WEBHOOK_URL"].split("/services/")[0]
    assert httpx.get(f"{slack_base}/_emulator/state").json() == {"messages": [{"text": "hello"}]}
    hook_state = httpx.get(
        served["GATES_HOOK_URL"].removesuffix("/hook") + "/_emulator/state"
    ).json()
    assert hook_state["deliveries"] == [{"key": "k", "payload": {"event": "test"}}]
    github_state = httpx.get(f"{served['GITHUB_API_URL']}/_emulator/state").json()
    assert [issue["title"] for issue in github_state["issues"]] == ["t"]


def test_the_state_endpoint_is_neither_recorded_nor_faulted() -> None:
    from qrunner.emulator.faults import Fault

    with running_destinations() as fakes:
        fakes.slack.faults.add(Fault("status", status=500))
        assert httpx.get(f"{fakes.slack.url}/_emulator/state").status_code == 200
        assert fakes.slack.requests == []
        assert fakes.env()["GITHUB_REPOSITORY"] == "acme/gates"
