"""Files staged for DuckDB: JUnit reports as JSON Lines, names DuckDB would glob behind links.

Everything staged is recorded in ``originals`` (staged path → the path it stands for), so that
warnings and each row's ``__file`` name the user's file, never a staged copy.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from qrunner.engine.base import DataWarning
from qrunner.engine.store.columns import JSON_SUFFIXES
from qrunner.engine.store.junit import load_junit, unify_key_case


def write_junit(
    files: list[Path], staging: Path, warnings: list[DataWarning], originals: dict[str, str]
) -> list[Path]:
    """The reports' events as JSON Lines, one staged file per report (so that each event's
    ``__file`` names its report), attributes spelled alike across all of them."""
    reports: list[tuple[Path, list[dict[str, Any]]]] = []
    for path in files:
        found, problems = load_junit(path)
        warnings.extend(problems)
        if found:
            reports.append((path, found))
    unify_key_case([event for _, found in reports for event in found])
    staged = []
    for number, (path, found) in enumerate(reports):
        out = staging / f"junit-{number}.jsonl"
        with out.open("w", encoding="utf-8") as sink:
            for event in found:
                sink.write(json.dumps(event, separators=(",", ":")) + "\n")
        originals[str(out)] = str(path)
        staged.append(out)
    return staged


_GLOB_CHARACTERS = frozenset("*?[]{}")


def literal_paths(files: list[Path], staging: Path, originals: dict[str, str]) -> list[Path]:
    """``files`` with every name DuckDB would glob-expand (``a*.jsonl``) behind a plain link."""
    plain = []
    for number, path in enumerate(files):
        if path.suffix == ".xml" or not _GLOB_CHARACTERS.intersection(str(path)):
            plain.append(path)
            continue
        suffix = next((s for s in (*JSON_SUFFIXES, ".parquet") if path.name.endswith(s)), "")
        link = staging / f"literal-{number}{suffix}"
        try:
            link.symlink_to(path.resolve())
        except OSError:
            shutil.copyfile(path, link)
        originals[str(link)] = str(path)
        plain.append(link)
    return plain


def original_path(originals: dict[str, str], path: str) -> str:
    while path in originals and originals[path] != path:
        path = originals[path]
    return path
