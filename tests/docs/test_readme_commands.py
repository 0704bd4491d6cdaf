"""Every ``qrunner`` command in the README's shell blocks runs as written, in a scratch copy of
the repository: no traceback, and an exit code the README gives it (0, or 1 for a gate that is
meant to fail). Commands needing a server in the background are run by the emulator's tests."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_BLOCK = re.compile(r"^```(?:sh|bash|shell)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# Left to other tests: a server started with `&`, and commands aimed at it.
_ELSEWHERE = ("&", "--target remote")


def readme_commands() -> list[str]:
    """Each ``qrunner ...`` line of a shell block, continuation lines joined, comment dropped."""
    commands = []
    for block in _BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8")):
        for line in block.replace("\\\n", " ").splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command.startswith("qrunner ") and not any(s in command for s in _ELSEWHERE):
                commands.append(command)
    return commands


def test_the_readme_has_commands_to_run() -> None:
    assert len(readme_commands()) >= 4


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("repo")
    shutil.copytree(ROOT / "queries", copy / "queries")
    shutil.copytree(ROOT / "tests" / "engine" / "store", copy / "tests" / "engine" / "store")
    shutil.copy(ROOT / "notify.yaml", copy / "notify.yaml")  # the example routing file
    return copy


@pytest.mark.parametrize("command", readme_commands())
def test_a_readme_command_runs_as_written(scratch: Path, command: str) -> None:
    qrunner = f'"{sys.executable}" -m qrunner'
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("QRUNNER_", "DD_"))}
    done = subprocess.run(
        command.replace("qrunner ", f"{qrunner} ", 1),
        shell=True,
        check=False,
        cwd=scratch,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    shown = f"$ {command}\nexit {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert done.returncode in (0, 1), shown
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, shown
