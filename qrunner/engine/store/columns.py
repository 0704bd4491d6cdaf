"""The tables of the local store: column names, quoting and how the search syntax reads columns.

Shared by the store (which creates the tables), the loaders (which fill them) and the Datadog
aggregates (which query them), so that none of those has to import another.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from qrunner.engine.base import Column

DATASETS = ("ci_tests", "ci_pipelines", "spans")
TIME_COLUMN = "__ts"
FILE_COLUMN = "__file"
CACHE_VERSION = 4  # bump when loading gives different tables for the same files
JSON_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
# Searched by bare terms and phrases, when the table has them.
FREE_TEXT_PATHS = (
    "message", "test.name", "test.full_name", "test.suite", "error.message",
    "ci.pipeline.name", "ci.stage.name", "ci.job.name", "resource_name", "operation_name",
)  # fmt: skip
_NUMERIC = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
    "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE",
}  # fmt: skip


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def is_duration_path(path: str) -> bool:
    last = path.rsplit(".", 1)[-1]
    return last in ("duration", "queue_time") or last.endswith("_duration")


def column_for(path: str, duck_type: str) -> Column | None:
    """How the resolver reads a table column of the given DuckDB type (None: not searchable)."""
    sql = quote_ident(path)
    base = duck_type.split("(", maxsplit=1)[0]
    if duck_type.endswith("]"):
        return Column(f"CAST({sql} AS VARCHAR)", "string")
    if duck_type == "VARCHAR":
        return Column(sql, "string")
    if duck_type == "BOOLEAN":
        return Column(sql, "boolean")
    if duck_type in _NUMERIC or base == "DECIMAL":
        return Column(sql, "number", duration_ns=is_duration_path(path))
    if duck_type.startswith("TIMESTAMP"):
        return Column(f"epoch_ms({sql})", "number")
    if duck_type in ("JSON", "DATE", "UUID", "TIME"):
        return Column(f"CAST({sql} AS VARCHAR)", "string")
    return None


@dataclass(frozen=True, slots=True)
class TableResolver:
    """The :class:`~qrunner.engine.datadog.search.nodes.FieldResolver` of one dataset table.

    Reserved attributes and ``@`` attributes live side by side at the top of an event, so both
    spellings resolve the same path (``service`` and ``@service``)."""

    columns: Mapping[str, Column]

    def resolve(self, name: str, *, reserved: bool) -> Column | None:
        return self.columns.get(name)

    def free_text(self) -> list[Column]:
        return [
            self.columns[path]
            for path in FREE_TEXT_PATHS
            if path in self.columns and self.columns[path].kind == "string"
        ]


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    table: str
    rows: int
    columns: Mapping[str, Column]
    types: Mapping[str, str] = field(default_factory=dict)  # path → DuckDB type

    @property
    def resolver(self) -> TableResolver:
        return TableResolver(self.columns)
