"""Discover spec files and load them into :class:`LoadedSpec` objects.

A directory is searched recursively for ``*.yaml``/``*.yml``; files and directories whose
name starts with ``_`` (shared templates in ``queries/_templates/``) or ``.`` are not specs, nor
are spec unit tests (``*.test.yaml``).
Every problem in a file is reported, not just the first one.
"""

from __future__ import annotations

import difflib
import os
import re
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
        errors = one_error_per_union(doc.data, e.errors())
        return None, [_diagnostic_from_pydantic(doc, err) for err in errors]


def _model_fields_at(loc: tuple[Any, ...]) -> list[str]:
    from qrunner.spec.model import CheckSpec, NotifySpec, QuerySpec, ScheduleSpec

    if (loc[:1] == ("notify",) and len(loc) == 2) or (
        loc[:1] == ("checks",) and loc[2:3] == ("notify",)
    ):
        return [f.alias or name for name, f in NotifySpec.model_fields.items()]
    if loc[:1] == ("checks",) and len(loc) == 3:
        return list(CheckSpec.model_fields)
    if loc[:1] == ("schedule",) and len(loc) == 2:
        return list(ScheduleSpec.model_fields)
    if len(loc) == 1:
        return list(QuerySpec.model_fields)
    return []


# How pydantic names a union's branch in an error's ``loc``: a model class, a parametrized type
# (``literal[False]``, ``list[union[str,float]]``), or a plain one.
_BRANCH = re.compile(r"^(?:[A-Z]\w*|[\w-]+\[.*\]|str|int|float|bool|none)$")
_BRANCH_WORDS = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
}


def one_error_per_union(data: Any, errors: Sequence[Any]) -> list[dict[str, Any]]:
    """pydantic reports every branch of a union (``notify: NotifySpec | false``, ``fail: str |
    number | list``) apart, with the branch's type in ``loc``. The user wrote one value: keep the
    errors of the branch its shape chose, at the value's own path; a value whose shape no branch
    takes is one error naming what would be. Nested unions are unwound one level per pass."""
    found = [dict(err, loc=tuple(err["loc"])) for err in errors]
    for _ in range(4):
        unions: dict[tuple[Any, ...], list[tuple[str, dict[str, Any]]]] = {}
        kept: list[dict[str, Any]] = []
        for err in found:
            split = _branch_in(data, err["loc"])
            if split is None:
                kept.append(err)
            else:
                at, branch, rest = split
                unions.setdefault(at, []).append((branch, dict(err, loc=at + rest)))
        if not unions:
            return kept
        for at, branches in unions.items():
            value = _value_at(data, at)
            chosen = [err for branch, err in branches if _shape_fits(branch, value)]
            if chosen:
                kept.extend(chosen)
                continue
            words = list(dict.fromkeys(_branch_word(branch) for branch, _ in branches))
            expected = " or ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)
            kept.append({"type": "union_shape", "loc": at, "input": value, "msg": expected})
        found = kept
    return found


def _branch_in(
    data: Any, loc: tuple[Any, ...]
) -> tuple[tuple[Any, ...], str, tuple[Any, ...]] | None:
    node = data
    for i, segment in enumerate(loc):
        if (isinstance(node, dict) and segment in node) or (
            isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node)
        ):
            node = node[segment]
        elif isinstance(segment, str) and _BRANCH.match(segment):
            return loc[:i], segment, loc[i + 1 :]
        else:
            return None
    return None


def _value_at(data: Any, loc: tuple[Any, ...]) -> Any:
    for segment in loc:
        data = data[segment]
    return data


def _shape_fits(branch: str, value: Any) -> bool:
    """Whether ``value``'s shape is the branch's (a literal never fits: its error says only that
    the value is not the literal, when what the user missed is the other shapes)."""
    if branch[0].isupper() or branch.startswith("dict["):
        return isinstance(value, dict)
    if branch.startswith("list["):
        return isinstance(value, list)
    if branch == "str":
        return isinstance(value, str)
    if branch in ("float", "int"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    return branch == "bool" and isinstance(value, bool)


def _branch_word(branch: str) -> str:
    if branch[0].isupper() or branch.startswith("dict["):
        return "a mapping"
    if branch.startswith("list["):
        return "a list"
    if branch.startswith("literal["):
        return branch[len("literal[") : -1].replace("False", "false").replace("True", "true")
    return _BRANCH_WORDS.get(branch, branch)


def _diagnostic_from_pydantic(doc: YamlDocument, err: Any) -> Diagnostic:
    loc = tuple(err["loc"])
    pointer = format_pointer(loc)
    kind = err["type"]
    if kind == "union_shape":
        message = f"expected {err['msg']}, got {_describe(err['input'])}"
        return Diagnostic(doc.locate(loc), message, pointer)
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
