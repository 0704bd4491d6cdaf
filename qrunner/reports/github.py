"""GitHub Actions workflow commands: annotations on the spec file, at the check's line.

``::error`` for failed or errored enforced checks and spec errors, ``::warning`` for warned
ones, ``::notice`` for shadow checks that would have warned or failed. Values are escaped as
the runner expects: ``%``, ``\\r``, ``\\n`` in messages, and also ``:`` and ``,`` in properties.
"""

from __future__ import annotations

from qrunner.judge.outcomes import CheckOutcome, RunResult, SpecOutcome, Status, format_check_value
from qrunner.reports.json_report import format_timestamp
from qrunner.secrets import escape_controls


def escape_data(text: str) -> str:
    text = escape_controls(text, keep="\r")
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_command(command: str, message: str, **properties: str | int) -> str:
    """``::command key=value,...::message`` with every part escaped."""
    props = ",".join(
        f"{k}={escape_property(str(v))}" for k, v in properties.items() if v not in ("", 0)
    )
    return (
        f"::{command} {props}::{escape_data(message)}"
        if props
        else f"::{command}::{escape_data(message)}"
    )


def _command_for(check: CheckOutcome) -> str | None:
    if check.status in (Status.PASS, Status.NO_DATA):
        return None
    if not check.enforced:
        return "notice"
    return "warning" if check.status is Status.WARN else "error"


def _check_command(spec: SpecOutcome, check: CheckOutcome) -> str | None:
    command = _command_for(check)
    if command is None:
        return None
    shadow = " [shadow]" if not check.enforced else ""
    observed = format_check_value(check, check.observed)
    message = f"{check.status}{shadow}: {check.message} (observed {observed}; {check.threshold})"
    return format_command(
        command,
        message,
        file=spec.file,
        line=check.line or spec.line,
        title=f"{spec.name}/{check.name}",
    )


class GithubReporter:
    def __init__(self, *, color: bool = False) -> None:
        del color

    def render(self, run: RunResult) -> str:
        lines = []
        for spec in run.specs:
            if spec.error is not None:
                lines.append(
                    format_command(
                        "error", spec.error, file=spec.file, line=spec.line, title=spec.name
                    )
                )
            for check in spec.checks:
                line = _check_command(spec, check)
                if line is not None:
                    lines.append(line)
            if spec.missed_ticks:
                ticks = ", ".join(format_timestamp(t) for t in spec.missed_ticks)
                message = f"missed ticks (not run, beyond --catch-up): {ticks}"
                lines.append(
                    format_command(
                        "warning", message, file=spec.file, line=spec.line, title=spec.name
                    )
                )
        return "".join(f"{line}\n" for line in lines)
