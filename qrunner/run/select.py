"""Which specs a run selects (``--select``), and what it records about where each came from."""

from __future__ import annotations

import fnmatch
import subprocess
from collections.abc import Sequence
from pathlib import Path

from qrunner.spec.model import QuerySpec


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
