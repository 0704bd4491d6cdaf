"""Which specs a run selects (``--select``, the ``--due`` screen), and what it records about where
each came from."""

from __future__ import annotations

import fnmatch
import subprocess
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from qrunner.errors import UsageError
from qrunner.schedule import due
from qrunner.spec.model import QuerySpec

if TYPE_CHECKING:
    from qrunner.schedule.pairs import ScheduleOptions
    from qrunner.spec.loader import Diagnostic
    from qrunner.spec.render import RenderedSpec, Renderer
    from qrunner.validate.specs import ValidationReport


def matches_selectors(spec: QuerySpec, selectors: Sequence[str]) -> bool:
    if not selectors:
        return True
    for selector in selectors:
        if selector.startswith("tag:"):
            if any(fnmatch.fnmatchcase(t, selector[4:]) for t in spec.tags):
                return True
        elif selector.startswith("source:"):
            if fnmatch.fnmatchcase(spec.source, selector[7:]):
                return True
        elif fnmatch.fnmatchcase(spec.name, selector):
            return True
    return False


def select_specs(
    paths: Sequence[Path], selectors: Sequence[str], options: ScheduleOptions, renderer: Renderer
) -> tuple[ValidationReport, list[RenderedSpec], dict[str, list[Diagnostic]]]:
    """Validate (with ``--due``, only what is due) and select: the report, the selected
    ready specs, and the failures this run reports."""
    from qrunner.validate.specs import validate_specs

    chosen = partial(matches_selectors, selectors=selectors)
    screen = due.due_screen(options, chosen, renderer.at)
    report = validate_specs(paths, renderer, screen=screen)
    if report.total:
        report.check_command_line(paths)
    selected = [r for r in report.ready if chosen(r.spec)]
    unselected = report.screened_as(due.UNSELECTED)
    if not selected and not report.failed and len(report.screened) == unselected:
        what = " matching " + ", ".join(selectors) if selectors else ""
        raise UsageError(f"no specs selected{what} under {', '.join(map(str, paths))}")
    return report, selected, report.failures_owned(options.shard.owns if options.shard else None)


_GIT_COMMITS: dict[str, str | None] = {}


def git_commit_of(path: Path) -> str | None:
    """The commit checked out in the git repository holding ``path`` — what to check out to
    reproduce the run — or None outside a repository. One git call per folder."""
    folder = str(path.resolve().parent)
    if folder not in _GIT_COMMITS:
        try:
            out = subprocess.run(
                ["git", "-C", folder, "rev-parse", "--verify", "--quiet", "HEAD"],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            )
            _GIT_COMMITS[folder] = (out.stdout.strip() or None) if out.returncode == 0 else None
        except (OSError, subprocess.SubprocessError):
            _GIT_COMMITS[folder] = None
    return _GIT_COMMITS[folder]
