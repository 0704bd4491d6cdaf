"""Shared fixtures: no stray network, a CLI runner that shows its output on failure."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

SHARED = Path(__file__).resolve().parents[2] / "shared"
API_DOCS = SHARED / "api-docs"
DATADOG_CASES = SHARED / "datadog-cases"

needs_shared_docs = pytest.mark.skipif(
    not API_DOCS.is_dir(), reason="../shared/api-docs is not beside this clone"
)
needs_datadog_cases = pytest.mark.skipif(
    not DATADOG_CASES.is_dir(), reason="../shared/datadog-cases is not beside this clone"
)

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> None:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (
        host.startswith("127.") or host in ("localhost", "::1") or self.family == socket.AF_UNIX
    ):
        raise RuntimeError(f"test tried to reach the network: {address!r}")
    _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return f"exit {self.exit_code}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Invoke the qrunner CLI in-process: ``run_cli("validate", "queries/", expect=0)``."""
    from qrunner.cli.main import cli

    def invoke(
        *args: str, expect: int | None = None, env: dict[str, str] | None = None
    ) -> CliResult:
        runner = CliRunner()
        result = runner.invoke(cli, list(args), env=env, catch_exceptions=False)
        out = CliResult(result.exit_code, result.stdout, result.stderr)
        if expect is not None:
            assert out.exit_code == expect, str(out)
        return out

    yield invoke


@pytest.fixture(scope="session", autouse=True)
def _engine_answers_match_their_schemas() -> Iterator[None]:
    """Invariant: every answer the local engine gives, in any test, validates against the
    response schema of its endpoint. A violation fails the test that caused it and the run."""
    from qrunner.engine.datadog.aggregate import observe_answers
    from qrunner.validate.schemastore import validate_instance

    violations: list[str] = []

    def check(source: object, answer: dict[str, object]) -> None:
        name = f"{getattr(source, 'schema', '?')}.response"
        issues = validate_instance(name, answer)
        if issues:
            found = f"{name}: " + "; ".join(str(issue) for issue in issues[:5])
            violations.append(found)
            raise AssertionError(f"the engine's answer breaks its response schema: {found}")

    stop = observe_answers(check)
    yield
    stop()
    assert not violations, "engine answers broke their response schemas:\n" + "\n".join(violations)
