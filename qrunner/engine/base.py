"""Shared types of the local engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class DataWarning:
    """A problem in local data that did not stop the run (a skipped line, a broken report)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Column:
    """How the resolver reads one attribute: a SQL expression and its kind."""

    sql: str
    kind: Literal["string", "number", "boolean"]
    duration_ns: bool = False
