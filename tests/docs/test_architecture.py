"""docs/ARCHITECTURE.md is the map of qrunner/: every module is on it, and nothing else is."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "qrunner"
MAP = ROOT / "docs" / "ARCHITECTURE.md"
# A module row: `| `run/runner.py` | ...`; package names in the tree drawing: `run/`.
MODULE_ROW = re.compile(r"^\| `([\w/]+\.py)` \|", re.MULTILINE)
PACKAGE_LINE = re.compile(r"^\s*(\w+)/\s", re.MULTILINE)


def _modules_on_disk() -> set[str]:
    return {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py"
    }


def _packages_on_disk() -> set[str]:
    return {path.parent.name for path in PACKAGE.glob("*/__init__.py")}


def test_every_module_is_on_the_map_and_the_map_names_no_missing_one() -> None:
    named = MODULE_ROW.findall(MAP.read_text(encoding="utf-8"))
    assert len(named) == len(set(named)), "a module is listed twice"
    on_disk = _modules_on_disk()
    assert not on_disk - set(named), (
        f"missing from docs/ARCHITECTURE.md: {sorted(on_disk - set(named))}"
    )
    assert not set(named) - on_disk, f"named but not in qrunner/: {sorted(set(named) - on_disk)}"


def test_every_package_is_in_the_tree_drawing() -> None:
    text = MAP.read_text(encoding="utf-8")
    drawing = text.split("```")[1]
    drawn = set(PACKAGE_LINE.findall(drawing))
    packages = _packages_on_disk()
    assert not packages - drawn, f"packages missing from the drawing: {sorted(packages - drawn)}"
    nested = {p.parent.name for p in PACKAGE.glob("*/*/__init__.py")}
    assert not drawn - packages - nested, f"drawn but absent: {sorted(drawn - packages - nested)}"


def test_the_readme_development_paragraph_names_every_package() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    paragraph = readme.split("## Development", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`(\w+)/`", paragraph))
    packages = _packages_on_disk()
    assert not packages - named, f"README's Development misses {sorted(packages - named)}"
    nested = {p.parent.name for p in PACKAGE.glob("*/*/__init__.py")}
    assert not named - packages - nested, f"README names absent packages {sorted(named - packages)}"
