"""The documentation is tested: every command, reporter, backend and source is documented."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from qrunner.cli.main import cli

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    """Every command the CLI has, found in the click group (not listed by hand): a new
    command is covered the day it is registered."""
    out = []
    for name, command in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        out.append((full, command))  # a group's --help is read too: it needs an example
        if isinstance(command, click.Group):
            out.extend(_commands(command, f"{full} "))
    return out


COMMANDS = _commands(cli)


def test_the_scheduling_commands_are_covered() -> None:
    assert {"plan", "merge", "run"} <= {name for name, _ in COMMANDS}


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_has_help_with_an_example(name: str, command: click.Command) -> None:
    assert command.help and "Example" in command.help, f"`qrunner {name}` needs an example"
    example = command.help[command.help.index("Example") :]
    assert f"qrunner {name}" in example, f"`qrunner {name}`'s example does not use it"


@pytest.mark.parametrize("name", [n for n, _ in COMMANDS])
def test_every_help_shows_its_example_as_written(name: str) -> None:
    # \b keeps click from re-wrapping the example into the prose above it
    result = CliRunner().invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("Example"))
    example = lines[at + 1 : lines.index("", at)]
    assert any(line.strip().startswith(f"qrunner {name}") for line in example), result.output


@pytest.mark.parametrize("name", [n for n, _ in COMMANDS])
def test_every_command_is_in_the_readme(name: str) -> None:
    assert f"qrunner {name}" in README


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_option_is_in_the_readme(name: str, command: click.Command) -> None:
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            longest = max(param.opts, key=len)
            assert longest in README, f"`qrunner {name} {longest}` is not documented"


def test_every_reporter_is_documented() -> None:
    from qrunner.reports import REPORTERS

    for name in REPORTERS:
        assert f"`{name}`" in README


def test_every_source_is_documented() -> None:
    from qrunner.sources import SOURCES

    for name in SOURCES:
        assert f"`{name}`" in README


def test_every_backend_is_documented() -> None:
    from qrunner.backends.registry import BACKENDS

    for name in BACKENDS:
        assert f"`{name}`" in README or f"|{name}|" in README.replace(" ", "")


def test_every_exit_code_is_documented() -> None:
    from qrunner.errors import ExitCode

    for code in ExitCode:
        assert f"| {int(code)} |" in README
