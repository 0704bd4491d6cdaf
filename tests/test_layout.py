"""The tree stays readable: few top-level modules, no giant module, a small median."""

from __future__ import annotations

import statistics
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "qrunner"
MAX_TOP_LEVEL_MODULES = 8
MAX_MODULE_LINES = 400
MAX_MEDIAN_LINES = 200


def _line_counts() -> dict[str, int]:
    return {
        str(path.relative_to(PACKAGE)): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def test_few_modules_directly_under_the_package() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


def test_no_module_is_too_long() -> None:
    long = {name: n for name, n in _line_counts().items() if n > MAX_MODULE_LINES}
    assert not long, f"split these modules (limit {MAX_MODULE_LINES} lines): {long}"


def test_the_median_module_is_small() -> None:
    assert statistics.median(_line_counts().values()) < MAX_MEDIAN_LINES


# A module name shared by two packages must mean the same thing in both, so that a path tells a
# newcomer where a bug lives. These pairs do: one per grammar, per API or per format direction,
# or the CLI's command module named for what it drives. Any other repeated name is a test failure.
SHARED_NAMES = {
    "base.py": "each package's own protocol and shared types (engine, backends)",
    "ingest.py": "the ingest command and what it drives",
    "specs.py": "the validate/render commands and the validate stage they drive",
    "junit.py": "the JUnit format: read into the store, written as a report",
    "markdown.py": "Markdown: the API doc pages read, the step summary written",
    "nodes.py": "each grammar's AST (search syntax, CEL)",
    "parse.py": "each grammar's parser (search syntax, CEL)",
    "sql.py": "SQL for one API: the search compiler and the aggregation",
    "sample.py": "each dataset's sample (CI events, Tekton records)",
    "tekton.py": "Tekton Results: its doc page read, its API called",
}


def test_a_module_name_means_one_thing() -> None:
    seen: dict[str, list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if path.name != "__init__.py":
            seen.setdefault(path.name, []).append(str(path.parent.relative_to(PACKAGE)))
    repeated = {name: where for name, where in seen.items() if len(where) > 1}
    unexplained = {n: w for n, w in repeated.items() if n not in SHARED_NAMES}
    assert not unexplained, f"one name, two things (rename one, or explain it): {unexplained}"
