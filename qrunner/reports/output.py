"""Writing a run's reports: to stdout or files (atomically), plus GitHub's step summary and
annotations when running in GitHub Actions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from qrunner.errors import UsageError
from qrunner.judge.outcomes import RunResult
from qrunner.secrets import inert, inert_json, redact, void_workflow_commands


@dataclass(slots=True)
class ReportRequest:
    fmt: str
    path: Path | None  # None: stdout


def parse_report_option(value: str) -> ReportRequest:
    from qrunner.reports import REPORTERS

    fmt, _, path = value.partition(":")
    if fmt not in REPORTERS:
        raise UsageError(f"--report: unknown format {fmt!r}; choose from {', '.join(REPORTERS)}")
    return ReportRequest(fmt, Path(path) if path else None)


def check_destinations(requested: Sequence[ReportRequest]) -> None:
    """Two reports written to one file would overwrite each other: refused before running."""
    seen: dict[Path, str] = {}
    for request in requested:
        if request.path is None:
            continue
        key = request.path.resolve()
        if key in seen:
            raise UsageError(
                f"--report {request.fmt}:{request.path} and --report {seen[key]}:{request.path} "
                "write the same file"
            )
        seen[key] = request.fmt


def finish_report(fmt: str, text: str) -> str:
    """The last pass over every report: no secret value, and no line a CI runner would take
    for a workflow command (the ``github`` report's own commands are escaped field by field;
    JSON strings cannot start a line)."""
    if fmt == "json":
        return inert_json(text)
    text = redact(text)
    if fmt == "github":  # our commands start the lines; the legacy form matches anywhere
        return text.replace("##[", "##\u200b[")
    return void_workflow_commands(text)


def write_reports(
    run: RunResult,
    requested: Sequence[ReportRequest],
    *,
    environ: Mapping[str, str],
    interactive: bool,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """Write every requested report (console on stdout when none is); a report that cannot be
    written is reported on stderr and never stops the others. Returns how many could not be
    written."""
    from qrunner.reports import REPORTERS
    from qrunner.reports.atomic import write_atomic

    requests = list(requested) or [ReportRequest("console", None)]
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary and not any(r.fmt == "markdown" for r in requests):
        requests.append(ReportRequest("markdown", Path(summary)))
    if environ.get("GITHUB_ACTIONS") == "true" and not any(r.fmt == "github" for r in requests):
        requests.append(ReportRequest("github", None))
    color = interactive and "NO_COLOR" not in environ and stdout.isatty()
    failed = 0
    for request in requests:
        text = REPORTERS[request.fmt](color=color and request.path is None).render(run)
        text = finish_report(request.fmt, text)
        if request.path is None:
            stdout.write(text)
            continue
        try:
            if request.fmt == "markdown" and summary and request.path == Path(summary):
                with open(summary, "a", encoding="utf-8") as handle:  # GitHub's file: append
                    handle.write(text)
            else:
                write_atomic(request.path, text)
        except OSError as e:
            failed += 1
            print(
                inert(
                    f"qrunner: error: cannot write {request.fmt} report to {request.path}: "
                    f"{e.strerror}"
                ),
                file=stderr,
            )
    return failed
