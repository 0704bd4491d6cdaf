"""JUnit XML parsed safely, with the line of every element.

Reports are parsed with defusedxml (no entities, no external references); the expat parser's line
number is recorded for each start tag so that every warning about a test case can say where it
is. Namespaces are dropped from tag names (a few reporters write ``<ns:testsuite>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from qrunner.errors import LimitError
from qrunner.limits import open_regular_file

READ_CHUNK_BYTES = 1 << 16
_MAX_COMMENTS = 16  # reporters name themselves in the first comments
_COMMENT_CHARS = 200


class JUnitReadError(Exception):
    """A report that cannot be parsed: ``line`` is where the parser stopped (0 if unknown)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True, slots=True)
class ParsedReport:
    root: Element
    lines: dict[int, int]  # id(element) → line of its start tag
    comments: tuple[str, ...] = ()  # the report's XML comments (some name their reporter)

    def line_of(self, element: Element) -> int:
        return self.lines.get(id(element), 0)


class _LineTarget:
    """A TreeBuilder that remembers the line of each start tag."""

    def __init__(self) -> None:
        self.builder = TreeBuilder()
        self.lines: dict[int, int] = {}
        self.comments: list[str] = []
        self.expat: Any = None

    def comment(self, text: str) -> None:
        if len(self.comments) < _MAX_COMMENTS:
            self.comments.append(text[:_COMMENT_CHARS])

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        element = self.builder.start(tag.rsplit("}", 1)[-1], attrs)
        self.lines[id(element)] = int(self.expat.CurrentLineNumber) if self.expat else 0
        return element

    def end(self, tag: str) -> Element:
        return self.builder.end(tag.rsplit("}", 1)[-1])

    def data(self, text: str) -> None:
        self.builder.data(text)

    def close(self) -> Element:
        return self.builder.close()


def parse_report(path: Path) -> ParsedReport:
    """Parse one report; raise :class:`JUnitReadError` for anything that is not readable XML."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import DefusedXMLParser

    target = _LineTarget()
    parser = DefusedXMLParser(
        target=target, forbid_dtd=False, forbid_entities=True, forbid_external=True
    )
    target.expat = parser.parser
    try:
        with open_regular_file(path) as handle:  # a FIFO or a device is refused, not read
            while chunk := handle.read(READ_CHUNK_BYTES):
                parser.feed(chunk)
        root = parser.close()
    except ParseError as e:
        line = e.position[0] if e.position else 0
        raise JUnitReadError(f"unreadable JUnit XML: {e}", line) from e
    except DefusedXmlException as e:
        raise JUnitReadError(f"refused JUnit XML: {e}") from e
    except (OSError, LimitError) as e:
        raise JUnitReadError(f"cannot read JUnit XML: {e}") from e
    except (ValueError, RecursionError) as e:  # expat's own limits on hostile input
        raise JUnitReadError(f"unreadable JUnit XML: {e}") from e
    return ParsedReport(root, target.lines, tuple(target.comments))
