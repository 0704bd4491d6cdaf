"""Discover spec files and load them into :class:`LoadedSpec` objects.

A directory is searched recursively for ``*.yaml``/``*.yml``; files and directories whose
name starts with ``_`` (shared templates in ``queries/_templates/``) or ``.`` are not specs, nor
are spec unit tests (``*.test.yaml``).
Every problem in a file is reported, not just the first one.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qrunner.errors import Location, SpecError, UsageError
from qrunner.spec.yamlsource import PathKey, YamlDocument, format_pointer, load_yaml_file

SPEC_SUFFIXES = (".yaml", ".yml")
TEST_SUFFIXES = (".test.yaml", ".test.yml")  # spec unit tests (qrunner.spec.testfile), not specs


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a spec, as data."""

    location: Location
    message: str
    pointer: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        where = f" [{self.pointer}]" if self.pointer else ""
        return f"{self.location}: {self.message}{where}"

    @classmethod
    def from_error(cls, error: SpecError) -> Diagnostic:
        return cls(error.location, error.message, error.pointer)


@dataclass(slots=True)
class LoadedSpec:
    """A spec file that parsed and matched the v1 model (not yet rendered)."""

    path: Path
    display: str
    doc: YamlDocument
    spec: Any  # qrunner.spec.model.QuerySpec (imported lazily: pydantic is slow to import)

    def locate(self, pointer: PathKey) -> Location:
        return self.doc.locate(pointer)

    @property
    def line(self) -> int:
        return self.doc.positions.get(("name",), (1, 1))[0]


@dataclass(slots=True)
class LoadResult:
    specs: list[LoadedSpec] = field(default_factory=list)
    # display path → that file's diagnostics; a file with diagnostics has no LoadedSpec
    failed: dict[str, list[Diagnostic]] = field(default_factory=dict)


def display_path(path: Path) -> str:
    """Paths as the user would type them: relative to the working directory when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path.resolve()) if relative.startswith("..") else relative


def discover_specs(paths: Sequence[Path]) -> list[Path]:
    """Spec files under ``paths`` in a stable order; a missing path is a usage error."""
    found: list[Path] = []
    for root in paths:
        if root.is_dir():
            found.extend(_walk(root))
        elif root.exists():  # a file; reading it refuses FIFOs and devices, with the reason
            found.append(root)
        else:
            raise UsageError(f"no such file or directory: {root}")
    seen: set[str] = set()
    unique = []
    for path in found:
        key = os.path.abspath(path)
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def walk_files(root: Path, wanted: Callable[[str], bool]) -> Iterable[Path]:
    """Files under ``root`` whose name ``wanted`` accepts, sorted; names and folders starting
    with ``_`` or ``.`` (shared templates, hidden files) are never walked into or returned."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(("_", ".")))
        for name in sorted(filenames):
            if not name.startswith(("_", ".")) and wanted(name):
                yield Path(dirpath) / name


def is_spec_name(name: str) -> bool:
    return name.endswith(SPEC_SUFFIXES) and not name.endswith(TEST_SUFFIXES)


def _walk(root: Path) -> Iterable[Path]:
    return walk_files(root, is_spec_name)


def load_spec_file(path: Path) -> tuple[str, LoadedSpec | None, list[Diagnostic]]:
    """Read and model-check one file: (display path, the spec or None, its diagnostics)."""
    display = display_path(path)
    try:
        doc = load_yaml_file(path, display)
    except SpecError as e:
        return display, None, [Diagnostic.from_error(e)]
    spec, diagnostics = validate_model(doc)
    if diagnostics:
        return display, None, diagnostics
    return display, LoadedSpec(path=path, display=display, doc=doc, spec=spec), []


def load_specs(paths: Sequence[Path]) -> LoadResult:
    """Load every spec under ``paths``; bad files become diagnostics, never exceptions."""
    result = LoadResult()
    for path in discover_specs(paths):
        display, loaded, diagnostics = load_spec_file(path)
        if loaded is None:
            result.failed[display] = diagnostics
        else:
            result.specs.append(loaded)
    named = [(s.spec.name, s.display, s.locate(("name",))) for s in result.specs]
    for display, diagnostic in find_duplicate_names(named):
        result.failed.setdefault(display, []).append(diagnostic)
    result.specs = [s for s in result.specs if s.display not in result.failed]
    return result


def find_duplicate_names(
    named: Sequence[tuple[str, str, Location]],
) -> list[tuple[str, Diagnostic]]:
    """(display, error) for every spec whose name an earlier one has; the error names both."""
    first: dict[str, Location] = {}
    found = []
    for name, display, location in named:
        other = first.setdefault(name, location)
        if other is not location:
            message = f"duplicate spec name '{name}' (also defined in {other})"
            found.append((display, Diagnostic(location, message, "name")))
    return found


def validate_model(doc: YamlDocument) -> tuple[Any, list[Diagnostic]]:
    """Check the document against the v1 models; map pydantic errors to file positions."""
    from pydantic import ValidationError

    from qrunner.spec.model import QuerySpec

    if not isinstance(doc.data, dict):
        return None, [Diagnostic(doc.locate(()), "a spec must be a YAML mapping")]
    if "version" not in doc.data:
        return None, [
            Diagnostic(doc.locate(()), "missing required field 'version' (use: version: 1)")
        ]
    try:
        return QuerySpec.model_validate(doc.data), []
    except ValidationError as e:
        return None, [_diagnostic_from_pydantic(doc, err) for err in e.errors()]


def _model_fields_at(loc: tuple[Any, ...]) -> list[str]:
    from qrunner.spec.model import CheckSpec, QuerySpec, ScheduleSpec

    if loc[:1] == ("checks",) and len(loc) == 3:
        return list(CheckSpec.model_fields)
    if loc[:1] == ("schedule",) and len(loc) == 2:
        return list(ScheduleSpec.model_fields)
    if len(loc) == 1:
        return list(QuerySpec.model_fields)
    return []


def _diagnostic_from_pydantic(doc: YamlDocument, err: Any) -> Diagnostic:
    loc = tuple(err["loc"])
    pointer = format_pointer(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        message = f"unknown field '{key}'"
        close = difflib.get_close_matches(key, _model_fields_at(loc), n=1, cutoff=0.6)
        if close:
            message += f"; did you mean '{close[0]}'?"
        return Diagnostic(doc.locate(loc), message, pointer)
    if kind == "missing":
        return Diagnostic(doc.locate(loc[:-1]), f"missing required field '{loc[-1]}'", pointer)
    if kind == "literal_error":
        got = err.get("input")
        expected = err.get("ctx", {}).get("expected", "")
        message = f"{got!r} is not one of {expected}"
        options = [o.strip(" '") for o in str(expected).replace(" or ", ",").split(",")]
        close = difflib.get_close_matches(str(got), options, n=1, cutoff=0.6)
        if close:
            message += f"; did you mean '{close[0]}'?"
        return Diagnostic(doc.locate(loc), message, pointer)
    message = str(err["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    got = err.get("input")
    expected = _EXPECTED.get(kind)
    if expected:
        message = f"expected {expected}, got {_describe(got)}"
    elif kind == "string_pattern_mismatch" and loc == ("name",):
        message = (
            f"a spec name is letters, digits, '_', '.' and '-', starting with a letter or digit; "
            f"got {got!r}"
        )
    return Diagnostic(doc.locate(loc), message, pointer)


_EXPECTED = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "a mapping",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
}


def _describe(value: Any) -> str:
    kind = {dict: "a mapping", list: "a list", str: "the string", bool: "the boolean"}.get(
        type(value), type(value).__name__
    )
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{kind} {shown}"
