"""`qrunner run` against the emulator over real sockets: faults, deadlines, signals, publishing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from qrunner.emulator.faults import Fault
from qrunner.emulator.server import Emulator, running_emulator

from .conftest import AT, QUERIES

API_KEY = "ddapi-SECRET-0a1b2c3d4e5f6a7b8c9d"
APP_KEY = "ddapp-SECRET-9f8e7d6c5b4a39281706"
TOKEN = "tekton-SECRET-token-5e6f7a8b9c0d"


@pytest.fixture
def emulator(sample_dir: Path, tmp_path: Path) -> Iterator[Emulator]:
    with running_emulator(
        data_dir=sample_dir,
        at=datetime(2024, 5, 1, 12, tzinfo=UTC),
        cache_dir=tmp_path / "emu-cache",
        api_key=API_KEY,
        app_key=APP_KEY,
        tekton_token=TOKEN,
    ) as emu:
        yield emu


def _env(emu: Emulator) -> dict[str, str]:
    return {
        "QRUNNER_DATADOG_URL": emu.url,
        "QRUNNER_DATADOG_INTAKE_URL": emu.url,
        "TEKTON_RESULTS_URL": emu.url,
        "DD_API_KEY": API_KEY,
        "DD_APP_KEY": APP_KEY,
        "TEKTON_RESULTS_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": "acme/gates",
    }


def _run_remote(run_cli: Any, emu: Emulator, *args: str) -> Any:
    return run_cli("run", str(QUERIES), "--at", AT, "--target", "remote", *args, env=_env(emu))


def _no_secrets(*texts: str) -> None:
    for text in texts:
        for secret in (API_KEY, APP_KEY, TOKEN):
            assert secret not in text


def test_remote_run_agrees_with_the_local_engine(
    run_cli: Any, emulator: Emulator, sample_dir: Path, tmp_path: Path
) -> None:
    local, remote = tmp_path / "local.json", tmp_path / "remote.json"
    run_cli("run", str(QUERIES), "--at", AT, "--data", str(sample_dir), "--report", f"json:{local}")
    result = _run_remote(run_cli, emulator, "--report", f"json:{remote}")
    statuses = {
        name: {
            s["name"]: (s["status"], [c["observed"] for c in s["checks"]])
            for s in json.loads(path.read_text())["specs"]
        }
        for name, path in (("local", local), ("remote", remote))
    }
    assert statuses["local"] == statuses["remote"]
    _no_secrets(result.stdout, result.stderr, remote.read_text())


def test_a_failing_backend_is_an_error_and_the_others_still_run(
    run_cli: Any, emulator: Emulator, tmp_path: Path
) -> None:
    emulator.faults.add(Fault("status", endpoint="spans", status=503))
    out = tmp_path / "r.json"
    result = _run_remote(run_cli, emulator, "--timeout", "20", "--report", f"json:{out}")
    specs = {s["name"]: s for s in json.loads(out.read_text())["specs"]}
    assert specs["payments-errors"]["status"] == "error"
    assert "503" in specs["payments-errors"]["error"]
    assert specs["tekton-failed-runs"]["error"] is None
    assert specs["flaky-tests-main"]["status"] == "fail"  # the sample's flaky suite
    assert result.exit_code == 1, str(result)  # a check failed outright: that wins over 3
    _no_secrets(result.stdout, result.stderr, out.read_text())


def test_bad_credentials_quote_the_api_and_hide_the_key(run_cli: Any, emulator: Emulator) -> None:
    env = {**_env(emulator), "DD_API_KEY": "wrong-SECRET-key-123456"}
    result = run_cli(
        "run",
        str(QUERIES),
        "--at",
        AT,
        "--target",
        "datadog",
        "--select",
        "source:datadog.*",
        env=env,
    )
    assert result.exit_code == 3, str(result)
    assert "403" in result.stdout and "DD_API_KEY" in result.stdout
    assert "wrong-SECRET-key-123456" not in result.stdout + result.stderr


def test_the_deadline_bounds_the_run_and_reports_are_still_written(
    run_cli: Any, emulator: Emulator, tmp_path: Path
) -> None:
    # Warm the emulator first: loading its data must not eat the healthy spec's share of the
    # deadline on a busy machine.
    _run_remote(run_cli, emulator, "--select", "flaky-tests-main")
    emulator.faults.add(Fault("hang", endpoint="ci_pipelines"))
    out = tmp_path / "r.json"
    started = time.monotonic()
    result = _run_remote(
        run_cli,
        emulator,
        "--timeout",
        "3",
        "--select",
        "source:datadog.ci_*",
        "--report",
        f"json:{out}",
    )
    assert time.monotonic() - started < 10
    specs = {s["name"]: s for s in json.loads(out.read_text())["specs"]}
    assert specs["pipeline-duration-p90"]["status"] == "error"
    assert "deadline" in specs["pipeline-duration-p90"]["error"]
    assert specs["flaky-tests-main"]["error"] is None
    assert result.exit_code in (1, 3)


def test_sigterm_stops_the_run_and_still_writes_reports(emulator: Emulator, tmp_path: Path) -> None:
    emulator.faults.add(Fault("hang", endpoint="tekton"))
    out = tmp_path / "r.json"
    env = {**os.environ, **_env(emulator), "QRUNNER_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "qrunner",
            "run",
            str(QUERIES),
            "--at",
            AT,
            "--target",
            "remote",
            "--report",
            f"json:{out}",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while emulator.count("tekton") == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=20)
    assert "Traceback" not in stderr
    report = json.loads(out.read_text())
    assert report["interrupted"] is True
    tekton = next(s for s in report["specs"] if s["name"] == "tekton-failed-runs")
    assert tekton["status"] == "error" and "interrupted" in tekton["error"]
    assert proc.returncode != 0


def test_publishing_sends_one_event_per_check(
    run_cli: Any, emulator: Emulator, tmp_path: Path
) -> None:
    out = tmp_path / "r.json"
    result = _run_remote(
        run_cli,
        emulator,
        "--publish",
        "datadog",
        "--application-id",
        "app-123",
        "--report",
        f"json:{out}",
    )
    specs = json.loads(out.read_text())["specs"]
    checks = [c for s in specs for c in s["checks"]]
    assert len(emulator.events) == len(checks)
    # every example spec is scheduled: each event says which tick and window it measured
    published = {
        e["qrunner"]["spec"]: (e["qrunner"]["tick"], e["qrunner"]["window"])
        for e in emulator.events
    }
    assert published == {s["name"]: (s["tick"], s["window"]) for s in specs}
    event = emulator.events[0]
    assert event["type"] == "server" and event["application"]["id"] == "app-123"
    assert event["account"]["id"] == "acme/gates"
    assert "published" in result.stderr
    _no_secrets(result.stdout, result.stderr, json.dumps(emulator.events))


def test_a_publishing_failure_never_changes_the_verdict(run_cli: Any, emulator: Emulator) -> None:
    emulator.faults.add(Fault("status", endpoint="prodlytics", status=400))
    plain = _run_remote(run_cli, emulator)
    published = _run_remote(
        run_cli, emulator, "--publish", "datadog", "--application-id", "app-123"
    )
    assert published.exit_code == plain.exit_code
    assert "400" in published.stderr
