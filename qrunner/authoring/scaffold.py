"""``qrunner init``: write a working starting point into a repository, never over a file.

The files come from ``qrunner/authoring/starter/`` (package data, so a plain ``pip install``
has them): ``queries/`` with one commented example spec per source, ``queries/_templates/``, spec
unit tests in ``queries/tests/``, the pull-request workflow (``github/`` in the package becomes
``.github/``), and under ``recipes/NAME/`` the files of one recipe (its scheduled workflows),
laid over the others. A recipe also chooses which specs it keeps: the local one (JUnit reports
ingested in CI, no Datadog) keeps the specs its data can answer. The editor schemas are copied
from the installed package into ``queries/_schemas/`` — a path that works in any clone, which
the specs' first line points at (``# yaml-language-server: $schema=_schemas/spec-v1.schema.json``);
delete them and re-run ``qrunner init`` to refresh them after upgrading qrunner.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from qrunner.spec.schema import SPEC_SCHEMA_FILE, TEST_SCHEMA_FILE

SCHEMAS_FOLDER = Path("queries") / "_schemas"
NEXT_COMMANDS = ("qrunner validate queries/", "qrunner test queries/", "qrunner run queries/")
_RENAMED = {"github": ".github"}  # package data avoids dot-folders
_RECIPES_FOLDER = "recipes"
_CI_TESTS_SPECS = {"flaky-tests"}  # the starter specs of source datadog.ci_tests


@dataclass(frozen=True, slots=True)
class Recipe:
    """One way to run the gates: which shared starter files it keeps, then its own files."""

    summary: str
    keeps: Callable[[Path], bool]


def _every_file(_: Path) -> bool:
    return True


def _junit_answerable(path: Path) -> bool:
    # JUnit reports feed datadog.ci_tests only: the specs of other sources would find no data
    if path.parts[0] != "queries" or "_templates" in path.parts:
        return True
    return path.name.split(".")[0] in _CI_TESTS_SPECS


RECIPES = {
    "datadog": Recipe("scheduled gates against Datadog and Tekton Results", _every_file),
    "local": Recipe(
        "your JUnit reports ingested in CI, gates on the local engine", _junit_answerable
    ),
}
DEFAULT_RECIPE = "datadog"


@dataclass(slots=True)
class ScaffoldResult:
    root: Path
    created: list[Path] = field(default_factory=list)  # relative to root
    kept: list[Path] = field(default_factory=list)  # already there: left alone


def _walk(folder: Traversable, relative: Path) -> Iterator[tuple[Path, bytes]]:
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name == "__pycache__" or (not relative.parts and entry.name == _RECIPES_FOLDER):
            continue
        # only top-level folders are renamed (github/ → .github/)
        name = entry.name if relative.parts else _RENAMED.get(entry.name, entry.name)
        target = relative / name
        if entry.is_dir():
            yield from _walk(entry, target)
        else:
            yield target, entry.read_bytes()


def scaffold_files(recipe: str = DEFAULT_RECIPE) -> list[tuple[Path, bytes]]:
    """Every file ``qrunner init`` writes for ``recipe``, as (path relative to the target,
    content)."""
    from qrunner.validate.schemastore import schemas_dir

    starter = resources.files("qrunner").joinpath("authoring", "starter")
    own = dict(_walk(starter.joinpath(_RECIPES_FOLDER, recipe), Path()))
    files = [(p, c) for p, c in _walk(starter, Path()) if RECIPES[recipe].keeps(p) and p not in own]
    files += sorted(own.items())
    for name in (SPEC_SCHEMA_FILE, TEST_SCHEMA_FILE):
        files.append((SCHEMAS_FOLDER / name, (schemas_dir() / name).read_bytes()))
    return files


def write_scaffold(root: Path, recipe: str = DEFAULT_RECIPE) -> ScaffoldResult:
    """Write ``recipe``'s scaffold under ``root``; an existing file is kept and listed."""
    result = ScaffoldResult(root)
    for relative, content in scaffold_files(recipe):
        path = root / relative
        if path.exists():
            result.kept.append(relative)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as handle:  # exclusive: never replaces a file created meanwhile
            handle.write(content)
        result.created.append(relative)
    return result
