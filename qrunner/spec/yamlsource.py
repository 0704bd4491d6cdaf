"""Read a YAML spec file into plain data plus the position of every node.

PyYAML's composer gives nodes with marks; we build the Python values ourselves so that
every mapping key and value keeps its ``line:col``, duplicate keys are errors instead of
silent overwrites, and alias expansion is bounded (a "billion laughs" file is refused).
All PyYAML exceptions are translated into :class:`SpecSyntaxError` here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qrunner.errors import LimitError, Location, SpecSyntaxError
from qrunner.limits import MAX_SPEC_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES, read_regular_file

PathKey = tuple[str | int, ...]


@dataclass(slots=True)
class YamlDocument:
    """Plain data read from one file, with ``positions[path] = (line, col)`` (1-based)."""

    path: str
    data: Any
    positions: dict[PathKey, tuple[int, int]]
    # literal block scalars (``|``): their text starts on the line after the indicator
    literal_blocks: frozenset[PathKey] = frozenset()

    def locate(self, pointer: PathKey) -> Location:
        """The location of ``pointer`` or of its nearest ancestor that exists in the file."""
        for end in range(len(pointer), -1, -1):
            pos = self.positions.get(pointer[:end])
            if pos is not None:
                return Location(self.path, pos[0], pos[1])
        return Location(self.path, 1, 1)


def format_pointer(pointer: PathKey) -> str:
    """``("checks", 2, "fail")`` → ``checks[2].fail``."""
    out = ""
    for part in pointer:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def read_spec_text(path: Path, display: str) -> str:
    """The file's text, refusing what cannot be a spec: not a regular file, too large, binary,
    not UTF-8."""
    try:
        raw = read_regular_file(path, MAX_SPEC_BYTES, "a spec")
    except LimitError as e:
        raise SpecSyntaxError(str(e), Location(display)) from e
    except OSError as e:
        raise SpecSyntaxError(f"cannot read file: {e.strerror}", Location(display)) from e
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise SpecSyntaxError(
            "binary file (NUL byte); a spec must be UTF-8 text", Location(display, line)
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise SpecSyntaxError(
            f"not valid UTF-8 (byte 0x{raw[e.start]:02x})", Location(display, line, col)
        ) from e


def parse_yaml(text: str, display: str) -> YamlDocument:
    """Parse one YAML document into data and positions."""
    import yaml

    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        _check_depth(yaml, loader_cls, text, display)
        node = yaml.compose(text, Loader=loader_cls)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = e.problem or e.context or "invalid YAML"
        if e.context and e.context_mark:
            # "while scanning a quoted scalar ... found unexpected end of stream": the
            # quote that was never closed is where the user must look.
            if "end of stream" in problem or mark is None:
                mark = e.context_mark
            problem = f"{problem} ({e.context} started on line {e.context_mark.line + 1})"
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if mark is not None and text[mark.index : mark.index + 1] == "\t":
            problem += " (a tab: YAML indentation must use spaces)"
        raise SpecSyntaxError(f"invalid YAML: {problem}", Location(display, line, col)) from e
    except yaml.YAMLError as e:
        raise SpecSyntaxError(f"invalid YAML: {e}", Location(display, 1, 1)) from e
    if node is None:
        raise SpecSyntaxError("empty file; expected a spec mapping", Location(display, 1, 1))
    builder = _Builder(display, yaml)
    data = builder.build(node, ())
    return YamlDocument(
        path=display,
        data=data,
        positions=builder.positions,
        literal_blocks=frozenset(builder.literal_blocks),
    )


def _check_depth(yaml: Any, loader_cls: Any, text: str, display: str) -> None:
    """Refuse nesting deeper than MAX_YAML_DEPTH before composing: the composer recurses once
    per level (in C, without a limit). The event stream is flat, so counting costs little."""
    if (
        text.count("[") + text.count("{") + text.count("-") + text.count(":") + text.count("?")
        < MAX_YAML_DEPTH
    ):
        return  # too few indicators to nest that deep
    depth = 0
    for event in yaml.parse(text, Loader=loader_cls):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                mark = event.start_mark
                raise SpecSyntaxError(
                    f"nested more than {MAX_YAML_DEPTH} levels deep",
                    Location(display, mark.line + 1, mark.column + 1),
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def load_yaml_file(path: Path, display: str | None = None) -> YamlDocument:
    display = display or str(path)
    return parse_yaml(read_spec_text(path, display), display)


class _Builder:
    def __init__(self, display: str, yaml: Any) -> None:
        self.display = display
        self.yaml = yaml
        self.positions: dict[PathKey, tuple[int, int]] = {}
        self.literal_blocks: set[PathKey] = set()
        self.visited = 0
        self.open_collections: set[int] = set()  # ids of the collections being built
        self.constructor = yaml.constructor.SafeConstructor()

    def _where(self, node: Any) -> Location:
        return Location(self.display, node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node: Any, path: PathKey) -> Any:
        self.visited += 1
        if self.visited > MAX_YAML_NODES:
            raise SpecSyntaxError(
                f"document expands to more than {MAX_YAML_NODES} nodes (YAML alias bomb?)",
                self._where(node),
            )
        self.positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        yaml = self.yaml
        if isinstance(node, yaml.CollectionNode):
            # `a: &x [*x]` makes a node its own child: refuse it before recursing forever
            if id(node) in self.open_collections:
                raise SpecSyntaxError("an anchor is used inside itself", self._where(node))
            self.open_collections.add(id(node))
            try:
                if isinstance(node, yaml.MappingNode):
                    return self._mapping(node, path)
                return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
            finally:
                self.open_collections.discard(id(node))
        if node.style == "|":
            self.literal_blocks.add(path)
        return self._scalar(node)

    def _mapping(self, node: Any, path: PathKey) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, self.yaml.ScalarNode):
                raise SpecSyntaxError("mapping keys must be plain strings", self._where(key_node))
            # The key's source text: `on:` and `yes:` stay strings instead of YAML 1.1 booleans.
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in first_seen:
                raise SpecSyntaxError(
                    f"duplicate key '{key}' (first defined on line {first_seen[key]})",
                    self._where(key_node),
                    format_pointer((*path, key)),
                )
            first_seen[key] = line
            self.positions[(*path, key)] = (line, key_node.start_mark.column + 1)
            out[key] = self.build(value_node, (*path, key))
        return out

    def _scalar(self, node: Any) -> Any:
        tag = node.tag
        if tag == "tag:yaml.org,2002:timestamp":
            return node.value  # keep dates as written; requests want strings
        if tag == "tag:yaml.org,2002:str":
            return node.value
        if tag in (
            "tag:yaml.org,2002:int",
            "tag:yaml.org,2002:float",
            "tag:yaml.org,2002:bool",
            "tag:yaml.org,2002:null",
        ):
            return self.constructor.construct_object(node)
        raise SpecSyntaxError(f"unsupported YAML tag {tag}", self._where(node))
