"""Hostile cases that are not a spec file: special files, the command line, the environment,
answers from an API, signals. Each makes the same assertions as the spec-file cases."""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SPEC = """\
version: 1
name: {name}
source: datadog.ci_tests
vars:
  branch: main
request:
  filter: {{from: now-7d, to: now, query: "@git.branch:{{{{ branch }}}}"}}
checks:
  - name: tests
    metric: c0
    fail: "< 0"
"""
AT = "2024-05-01T06:00:00Z"


def _spec(folder: Path, name: str = "good") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(SPEC.format(name=name), encoding="utf-8")
    return path


# --- files that are not regular files, or too large ---------------------------------------------


def test_fifo_spec_is_refused_not_read(tmp_path: Path, hostile: Any) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    outcome = hostile.qrunner(["validate", "pipe.yaml"], cwd=tmp_path)
    hostile.assert_hostile(outcome, exit_code=2, where="pipe.yaml", says="not a regular file")


def test_fifo_in_a_folder_is_refused_and_the_rest_validated(tmp_path: Path, hostile: Any) -> None:
    (tmp_path / "specs").mkdir()
    _spec(tmp_path / "specs")
    os.mkfifo(tmp_path / "specs" / "pipe.yaml")
    outcome = hostile.qrunner(["validate", "specs"], cwd=tmp_path)
    hostile.assert_hostile(outcome, exit_code=2, where="specs/pipe.yaml", says="a FIFO")
    assert "1 of 2 spec(s)" in outcome.stdout, str(outcome)


def test_link_to_a_device_is_refused(tmp_path: Path, hostile: Any) -> None:
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    outcome = hostile.qrunner(["validate", "zero.yaml"], cwd=tmp_path)
    hostile.assert_hostile(outcome, exit_code=2, where="zero.yaml", says="a character device")


def test_render_of_a_fifo_is_refused(tmp_path: Path, hostile: Any) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    outcome = hostile.qrunner(["render", "pipe.yaml"], cwd=tmp_path)
    hostile.assert_hostile(outcome, exit_code=2, where="pipe.yaml", says="not a regular file")


def test_sparse_huge_spec_is_refused_after_reading_a_little(tmp_path: Path, hostile: Any) -> None:
    with (tmp_path / "huge.yaml").open("wb") as handle:
        handle.write(SPEC.format(name="huge").encode())
        handle.seek(4 * 1024**3)  # claims 4 GiB; only what is read counts
        handle.write(b"\n")
    outcome = hostile.qrunner(["validate", "huge.yaml"], cwd=tmp_path)
    hostile.assert_hostile(outcome, exit_code=2, where="huge.yaml", says="larger than 1 MiB")


def test_fifo_template_is_refused(tmp_path: Path, hostile: Any) -> None:
    (tmp_path / "_templates").mkdir()
    os.mkfifo(tmp_path / "_templates" / "ci.j2")
    spec = SPEC.format(name="t").replace("@git.branch:", "{% import 'ci.j2' as ci %}")
    (tmp_path / "t.yaml").write_text(spec, encoding="utf-8")
    outcome = hostile.qrunner(["validate", "t.yaml"], cwd=tmp_path)
    hostile.assert_hostile(outcome, exit_code=2, where="t.yaml:7", says="not a regular file")


def test_special_files_in_data_are_skipped(tmp_path: Path, hostile: Any) -> None:
    data = tmp_path / "data"
    for dataset in ("ci_tests", "tekton"):
        (data / dataset).mkdir(parents=True)
    os.mkfifo(data / "ci_tests" / "events.jsonl")
    os.mkfifo(data / "tekton" / "records.jsonl")
    (data / "ci_tests" / "zero.jsonl").symlink_to("/dev/zero")
    _spec(tmp_path)
    outcome = hostile.qrunner(
        ["run", "good.yaml", "--data", "data", "--at", AT],
        cwd=tmp_path,
        env={"QRUNNER_CACHE_DIR": str(tmp_path / "cache")},
    )
    hostile.assert_hostile(outcome, exit_code=0, says="tests  0")


def test_ingest_of_a_fifo_is_refused(tmp_path: Path, hostile: Any) -> None:
    os.mkfifo(tmp_path / "report.xml")
    outcome = hostile.qrunner(["ingest", "junit", "report.xml", "--data", "out"], cwd=tmp_path)
    hostile.assert_hostile(outcome, exit_code=2, where="report.xml", says="not a regular file")


# --- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "0", "1e400"])
def test_timeout_must_be_finite(value: str, tmp_path: Path, hostile: Any) -> None:
    _spec(tmp_path)
    outcome = hostile.qrunner(["run", "good.yaml", "--timeout", value], cwd=tmp_path)
    hostile.assert_hostile(outcome, exit_code=2, says="--timeout")


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00+01:00",
        "2200-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "99999999999999",
        "1e400",
        "nan",
        "x" * 5000,
    ],
)
def test_at_outside_the_calendar_is_refused(value: str, tmp_path: Path, hostile: Any) -> None:
    _spec(tmp_path)
    outcome = hostile.qrunner(["validate", "good.yaml", "--at", value], cwd=tmp_path)
    hostile.assert_hostile(outcome, exit_code=2, says="--at")
    assert len(outcome.stderr) < 500, "a message quotes a bounded excerpt"


def test_two_reports_to_one_file_are_refused(tmp_path: Path, hostile: Any) -> None:
    _spec(tmp_path)
    args = ["run", "good.yaml", "--report", "json:out/r", "--report", "junit:./out/r"]
    outcome = hostile.qrunner(args, cwd=tmp_path)
    hostile.assert_hostile(outcome, exit_code=2, says="write the same file")
    assert not (tmp_path / "out").exists()


def test_a_report_that_cannot_be_written_fails_the_run(
    tmp_path: Path, cache_dir: Path, hostile: Any
) -> None:
    _spec(tmp_path)
    (tmp_path / "blocker").write_text("a file where a folder should be")
    args = ["run", "good.yaml", "--at", AT, "--report", "json:blocker/r.json"]
    outcome = hostile.qrunner(args, cwd=tmp_path, env={"QRUNNER_CACHE_DIR": str(cache_dir)})
    hostile.assert_hostile(outcome, exit_code=2, says="cannot write json report")


def test_reports_get_the_umask_permissions(tmp_path: Path, cache_dir: Path, hostile: Any) -> None:
    _spec(tmp_path)
    args = ["run", "good.yaml", "--at", AT, "--report", "json:out/r.json"]
    old = os.umask(0o027)
    try:
        outcome = hostile.qrunner(args, cwd=tmp_path, env={"QRUNNER_CACHE_DIR": str(cache_dir)})
    finally:
        os.umask(old)
    hostile.assert_hostile(outcome, exit_code=0)
    assert stat.S_IMODE((tmp_path / "out" / "r.json").stat().st_mode) == 0o640


def test_validate_of_a_folder_without_specs_exits_2(tmp_path: Path, hostile: Any) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not a spec")
    outcome = hostile.qrunner(["validate", "empty"], cwd=tmp_path)
    hostile.assert_hostile(outcome, exit_code=2, where="empty", says="no spec files")


@pytest.mark.parametrize("command", ["validate", "run", "render", "query"])
def test_a_var_no_spec_declares_is_a_typo(command: str, tmp_path: Path, hostile: Any) -> None:
    _spec(tmp_path)
    outcome = hostile.qrunner([command, "good.yaml", "--var", "brnach=release"], cwd=tmp_path)
    hostile.assert_hostile(outcome, exit_code=2, says="--var brnach")


def test_invalid_spec_in_a_run_report_carries_its_line(
    tmp_path: Path, cache_dir: Path, hostile: Any
) -> None:
    (tmp_path / "bad.yaml").write_text(SPEC.format(name="bad").replace('"< 0"', '"< 1e999"'))
    args = ["run", "bad.yaml", "--at", AT, "--report", "json:r.json", "--report", "github:gh"]
    reports = {"json": tmp_path / "r.json", "github": tmp_path / "gh"}
    outcome = hostile.qrunner(
        args, cwd=tmp_path, env={"QRUNNER_CACHE_DIR": str(cache_dir)}, reports=reports
    )
    hostile.assert_hostile(outcome, exit_code=2, where="bad.yaml:11", says="finite")
    assert json.loads(outcome.reports["json"])["specs"][0]["line"] == 11
    assert "file=bad.yaml,line=11," in outcome.reports["github"]


# --- configuration found bad by a library -------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "target"),
    [
        ("QRUNNER_DATADOG_URL", "http://127.0.0.1:99999", "datadog"),
        ("QRUNNER_DATADOG_URL", "http://[::1", "datadog"),
        ("QRUNNER_DATADOG_URL", "ftp://example.invalid", "datadog"),
        ("DD_API_KEY", "ключ-секрет-123456", "datadog"),
        ("DD_APP_KEY", "line\nbreak-123456", "datadog"),
        ("DD_SITE", "datadoghq.com/evil path", "datadog"),
        ("TEKTON_RESULTS_URL", "https://results:notaport", "tekton"),
        ("TEKTON_RESULTS_TOKEN", "tok en-123456", "remote"),
    ],
)
def test_bad_configuration_names_the_variable(
    variable: str, value: str, target: str, tmp_path: Path, hostile: Any
) -> None:
    _spec(tmp_path)
    env = {
        "DD_API_KEY": "ddkey-123456",
        "DD_APP_KEY": "ddapp-123456",
        "TEKTON_RESULTS_URL": "https://127.0.0.1:1",
        "TEKTON_RESULTS_TOKEN": "token-123456",
        variable: value,
    }
    outcome = hostile.qrunner(["run", "good.yaml", "--target", target], cwd=tmp_path, env=env)
    hostile.assert_hostile(outcome, exit_code=2, says=variable)
    if "KEY" in variable or "TOKEN" in variable:
        assert value not in outcome.stdout + outcome.stderr


# --- what an API answers ------------------------------------------------------------------------


@pytest.fixture
def odd_api() -> Iterator[tuple[str, list[Any]]]:
    """A loopback Datadog answering each request with the next body of a list."""
    bodies: list[Any] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            data = json.dumps(bodies[0]).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            del args

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", bodies
    server.shutdown()
    server.server_close()


def _remote_env(url: str) -> dict[str, str]:
    return {"QRUNNER_DATADOG_URL": url, "DD_API_KEY": "k-1234567", "DD_APP_KEY": "a-1234567"}


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"data": {"buckets": [{"by": {"service": "x"}, "computes": {"c0": "NaN"}}]}}, "nan"),
        ({"data": {"buckets": [{"by": {"service": "x"}, "computes": {"c0": 1e308}}]}}, "inf"),
        (
            {
                "data": {
                    "buckets": [{"by": {"service": "\n::error::x\x1b[2J"}, "computes": {"c0": 1}}]
                }
            },
            "",
        ),
        ({"data": {"buckets": "x" * 100000}}, "data.buckets"),
    ],
)
def test_odd_answers_are_judged_safely(
    body: Any, says: str, odd_api: tuple[str, list[Any]], tmp_path: Path, hostile: Any
) -> None:
    url, bodies = odd_api
    bodies.append(body)
    spec = SPEC.format(name="remote").replace("metric: c0", "metric: c0 * 10")
    (tmp_path / "remote.yaml").write_text(spec)
    args = ["run", "remote.yaml", "--target", "datadog", "--at", AT]
    outcome = hostile.qrunner([*args, "--report", "console"], cwd=tmp_path, env=_remote_env(url))
    assert outcome.exit_code in (0, 1, 3), str(outcome)
    hostile.assert_hostile(outcome, exit_code=outcome.exit_code, says=says)
    assert len(outcome.stdout) < 5000, "messages quote bounded excerpts"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"data": {"buckets": [{"by": 5, "computes": {"c0": 1}}]}}, "data.buckets[0].by is 5"),
        (
            {"data": {"buckets": [{"computes": {"c0": [{"time": "t", "value": "x"}]}}]}},
            'data.buckets[0].computes.c0[0].value is "x", not a number',
        ),
        ({"data": ["bucket"]}, 'data[0] is "bucket", not an object'),
    ],
)
def test_a_malformed_answer_is_a_backend_response_error(
    body: Any, where: str, odd_api: tuple[str, list[Any]], tmp_path: Path, hostile: Any
) -> None:
    url, bodies = odd_api
    bodies.append(body)
    _spec(tmp_path, "remote")
    args = ["run", "remote.yaml", "--target", "datadog", "--at", AT, "--report", "console"]
    outcome = hostile.qrunner(args, cwd=tmp_path, env=_remote_env(url))
    endpoint = "/api/v2/ci/tests/analytics/aggregate: unexpected answer: "
    hostile.assert_hostile(outcome, exit_code=3, says=endpoint + where)
    assert "internal error" not in outcome.stdout + outcome.stderr, str(outcome)


# Registers, at interpreter start-up, a Datadog backend with a bug: a genuine internal error.
BROKEN_BACKEND = """\
from qrunner.backends import registry


class BrokenBackend:
    name = "datadog"

    def __init__(self, options):
        del options

    async def execute(self, query):
        return {"data": {"buckets": []}} + [query]  # the bug: a TypeError

    async def aclose(self):
        pass


registry.BACKENDS["datadog"] = BrokenBackend
"""


def test_an_unexpected_exception_is_that_specs_internal_error(tmp_path: Path, hostile: Any) -> None:
    """A backend with a bug (registered through ``BACKENDS`` by a ``sitecustomize`` on
    PYTHONPATH): the spec's error is an internal error, the traceback only on request."""
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(BROKEN_BACKEND, encoding="utf-8")
    env = {**_remote_env("http://127.0.0.1:9"), "PYTHONPATH": str(hooks)}
    _spec(tmp_path, "remote")
    args = ["run", "remote.yaml", "--target", "datadog", "--at", AT, "--report", "json:r.json"]
    args += ["--report", "console"]
    reports = {"json": tmp_path / "r.json"}
    outcome = hostile.qrunner(args, cwd=tmp_path, env=env, reports=reports)
    hostile.assert_hostile(outcome, exit_code=4, says="internal error: TypeError")
    assert "deadline" not in outcome.stdout + outcome.stderr
    error = json.loads(outcome.reports["json"])["specs"][0]["error"]
    assert error.startswith("internal error: TypeError"), error
    shown = hostile.qrunner(["--traceback", *args], cwd=tmp_path, env=env)
    assert shown.exit_code == 4
    assert "Traceback (most recent call last)" in shown.stderr, str(shown)
    assert "BrokenBackend" not in outcome.stderr and "sitecustomize.py" in shown.stderr


# --- signals ------------------------------------------------------------------------------------


@pytest.fixture
def silent_api() -> Iterator[str]:
    """A loopback server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_ends_a_stuck_run_and_the_reports_are_written(
    signum: int, silent_api: str, tmp_path: Path, hostile: Any
) -> None:
    _spec(tmp_path, "remote")
    args = ["run", "remote.yaml", "--target", "datadog", "--at", AT, "--report", "json:r.json"]
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DD_", "QRUNNER_"))}
    environ.update(hostile.secrets)
    environ.update(_remote_env(silent_api))
    proc = subprocess.Popen(
        [sys.executable, "-m", "qrunner", *args],
        cwd=tmp_path,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(3)  # started, and waiting on the silent server
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=60)
    report = json.loads((tmp_path / "r.json").read_text())
    assert proc.returncode == 3, stderr
    assert report["interrupted"] is True
    assert "interrupted" in report["specs"][0]["error"]
    for text in (stdout, stderr, json.dumps(report)):
        assert "Traceback" not in text
        assert not any(s in text for s in hostile.secret_values)
