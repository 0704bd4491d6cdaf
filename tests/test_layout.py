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
