"""Hostile input, tried as a user would: qrunner in a subprocess with secrets in its
environment, a generous time bound, and the same assertions for every case.

Each case asserts the exit code, the location in the message, that no traceback is printed,
that the process ends within ``TIME_BOUND`` seconds (a hang fails the case, a slow machine does
not), that no secret value appears in any output or report, and that no output carries a raw
terminal escape or starts a GitHub workflow command on one of its lines.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

TIME_BOUND = 60  # seconds; the limits themselves are a few seconds at most

# Secrets under names the old rule let through, and values that carry credentials.
SECRETS = {
    "DB_PASS": "pw-db-7f3a9c1e55",
    "MYSQL_PWD": "pw-mysql-2b8e4d6f",
    "GH_PAT": "ghp_Q3v9xLm2Rt8sWk5Yp1Zb",
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0AAA/B0BBB/slackSecret9d8c7",
    "SENTRY_DSN": "https://sentrykey4e5f6a7b@o1.ingest.sentry.io/42",
    "SESSION_COOKIE": "cookie-9a8b7c6d5e4f",
    "DD_API_KEY": "ddapikey-5c4b3a2910fe",
    "APP_DATABASE_URL": "postgres://app:pw-url-6e5d4c3b2a@db.internal:5432/app",
    "UPLOAD_TARGET": "https://deployer:pw-upload-1a2b3c4d@files.internal/upload",
}
SECRET_VALUES = [*SECRETS.values(), "pw-url-6e5d4c3b2a", "pw-upload-1a2b3c4d"]

_WORKFLOW_COMMAND = re.compile(r"^[ \t]*::|##\[", re.MULTILINE)
_OUR_COMMAND = re.compile(r"^::(error|warning|notice) (file=|title=)")


@dataclass
class Outcome:
    args: list[str]
    exit_code: int
    stdout: str
    stderr: str
    reports: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        shown = "\n".join(f"--- {k}\n{v}" for k, v in self.reports.items())
        return (
            f"$ qrunner {' '.join(self.args)}\nexit {self.exit_code}\n--- stdout\n{self.stdout}"
            f"\n--- stderr\n{self.stderr}\n{shown}"
        )

    @property
    def outputs(self) -> dict[str, str]:
        return {"stdout": self.stdout, "stderr": self.stderr, **self.reports}


def qrunner(
    args: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
    reports: dict[str, Path] | None = None,
    timeout: float = TIME_BOUND,
) -> Outcome:
    """Run ``qrunner ARGS`` in a subprocess with the secrets in its environment."""
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "QRUNNER_", "DD_"))
    }
    environ.update(SECRETS)
    environ.update(env or {})
    try:
        done = subprocess.run(
            [sys.executable, "-m", "qrunner", *args],
            cwd=cwd,
            env=environ,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as e:  # pragma: no cover - the failure being guarded
        pytest.fail(f"qrunner {' '.join(args)} did not finish within {timeout} s: {e}")
    written = {}
    for name, path in (reports or {}).items():
        if path.is_file():
            written[name] = path.read_text(encoding="utf-8", errors="replace")
    return Outcome(list(args), done.returncode, done.stdout, done.stderr, written)


def assert_hostile(outcome: Outcome, *, exit_code: int, where: str = "", says: str = "") -> None:
    """The assertions every hostile case makes."""
    assert outcome.exit_code == exit_code, str(outcome)
    both = outcome.stdout + outcome.stderr
    if where:
        assert where in both, f"expected the location {where!r}\n{outcome}"
    if says:
        assert says in both, f"expected {says!r}\n{outcome}"
    assert_inert(outcome)


def assert_inert(outcome: Outcome) -> None:
    for name, text in outcome.outputs.items():
        assert "Traceback (most recent call last)" not in text, f"traceback in {name}\n{outcome}"
        for secret in SECRET_VALUES:
            assert secret not in text, f"secret {secret[:6]}… in {name}\n{outcome}"
        assert "\x1b" not in text, f"raw terminal escape in {name}\n{outcome}"
        for match in _WORKFLOW_COMMAND.finditer(text):
            line = text[match.start() : text.find("\n", match.start()) % (len(text) + 1)]
            ours = name == "github" and _OUR_COMMAND.match(line)
            assert ours, f"workflow command in {name}: {line[:80]!r}\n{outcome}"


def header(path: Path) -> dict[str, str]:
    """The ``# key: value`` comment lines at the top of a case file."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, sep, value = line[1:].partition(":")
        if sep:
            found[key.strip()] = value.strip()
    return found


class Harness:
    """The helpers above, handed to tests as the ``hostile`` fixture."""

    qrunner = staticmethod(qrunner)
    assert_hostile = staticmethod(assert_hostile)
    assert_inert = staticmethod(assert_inert)
    header = staticmethod(header)
    secrets = SECRETS
    secret_values = SECRET_VALUES


@pytest.fixture(scope="session")
def hostile() -> Harness:
    return Harness()


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for every run case: the sample dataset is generated once."""
    return tmp_path_factory.mktemp("qrunner-cache")
