"""Reports: one module per format, looked up by name in :data:`REPORTERS`.

Every reporter turns a :class:`~qrunner.judge.outcomes.RunResult` into text and does nothing else;
the caller writes it (to a stream, or with :func:`~qrunner.reports.atomic.write_atomic`).
Reporters are built with ``REPORTERS[name](color=...)``; only ``console`` uses colour.

Adding a format is adding a module and a line here.
"""

from __future__ import annotations

from typing import Protocol

from qrunner.judge.outcomes import RunResult
from qrunner.reports.console import ConsoleReporter
from qrunner.reports.github import GithubReporter
from qrunner.reports.json_report import JsonReporter
from qrunner.reports.junit import JunitReporter
from qrunner.reports.markdown import MarkdownReporter


class Reporter(Protocol):
    def __init__(self, *, color: bool = False) -> None: ...

    def render(self, run: RunResult) -> str: ...


REPORTERS: dict[str, type[Reporter]] = {
    "console": ConsoleReporter,
    "json": JsonReporter,
    "junit": JunitReporter,
    "markdown": MarkdownReporter,
    "github": GithubReporter,
}

__all__ = ["REPORTERS", "Reporter"]
