"""Tekton Results records on disk, and PostgreSQL interval text.

Two layouts are read from every ``*.jsonl`` / ``*.json`` file under a directory:

* JSON Lines, one record a line: ``{"name": "<ns>/results/<result>/records/<id>",
  "type": "tekton.dev/v1.PipelineRun", "data": {...}}``
  (without ``type``, it is derived from the data's ``apiVersion`` and ``kind``);
* ListRecords response pages as saved from the API:
  ``{"records": [{"name": ..., "data": {"type": ..., "value": "<base64 of the run JSON>"}}]}``
  (a ``.json`` file may hold one page, a list of pages, or one page a line).

Bad data never stops a run: the record is skipped with a :class:`DataWarning` naming the file and
line (``records[i]`` says which record of a page) — a record whose data is nested deeper than
:data:`~qrunner.limits.MAX_RECORD_DEPTH` too.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qrunner.engine.base import DataWarning
from qrunner.errors import DataError, LimitError
from qrunner.limits import (
    MAX_DATA_FILE_BYTES,
    MAX_RECORD_DEPTH,
    json_depth_exceeds,
    read_regular_file,
)

_RECORD_NAME = re.compile(r"([^/]+)/results/([^/]+)/records/([^/]+)")
_USECS_PER_DAY = 86_400_000_000
_TOO_DEEP = f"nested deeper than {MAX_RECORD_DEPTH} levels (MAX_RECORD_DEPTH): skipped"
_MAX_LIST_NESTING = 2  # a list of ListRecords pages, each a list: deeper is not a layout


@dataclass(frozen=True, slots=True)
class Record:
    """One stored record: a run (PipelineRun, TaskRun), a Log, an EventList..."""

    name: str  # "<ns>/results/<result>/records/<id>"
    namespace: str
    result_name: str
    short_name: str  # <id>, what CEL calls `name`
    data_type: str
    data: dict[str, Any]
    source: str
    line: int


def load_tekton_records(directory: Path) -> tuple[list[Record], list[DataWarning]]:
    """Read every record file under ``directory`` (recursively, in path order)."""
    if not directory.is_dir():
        raise DataError(f"{directory}: not a directory of Tekton records")
    loader = _Loader()
    for path in sorted(p for p in directory.rglob("*") if p.suffix in (".jsonl", ".json")):
        if path.is_file():
            loader.load_file(path)
    return loader.records, loader.warnings


class _Loader:
    def __init__(self) -> None:
        self.records: list[Record] = []
        self.warnings: list[DataWarning] = []
        self.seen: dict[str, str] = {}

    def warn(self, source: str, line: int, message: str) -> None:
        self.warnings.append(DataWarning(source, line, message))

    def load_file(self, path: Path) -> None:
        source = str(path)
        try:  # only a regular file (checked on the opened file), and a bounded one
            text = read_regular_file(path, MAX_DATA_FILE_BYTES, "a data file").decode("utf-8")
        except (OSError, UnicodeDecodeError, LimitError) as e:
            self.warn(source, 0, f"cannot read: {e}")
            return
        if path.suffix == ".json":
            try:
                document = json.loads(text)
            except json.JSONDecodeError as e:
                if not e.msg.startswith("Extra data"):
                    self.warn(source, e.lineno, f"malformed JSON: {e.msg}")
                    return
            except RecursionError:
                self.warn(source, 1, _TOO_DEEP)
                return
            else:
                self.load_value(document, source, 1, "")
                return
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as e:
                self.warn(source, number, f"malformed JSON: {e.msg}")
                continue
            except RecursionError:
                self.warn(source, number, _TOO_DEEP)
                continue
            self.load_value(value, source, number, "")

    def load_value(self, value: Any, source: str, line: int, where: str) -> None:
        if isinstance(value, list) and where.count("[") >= _MAX_LIST_NESTING:
            self.warn(source, line, f"{where}: lists nested too deep: not a Tekton record")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.load_value(item, source, line, f"{where}[{index}]")
        elif isinstance(value, dict) and "records" in value:
            records = value["records"]
            if not isinstance(records, list):
                self.warn(source, line, f"{where}records is not a list")
                return
            for index, item in enumerate(records):
                self.load_api_record(item, source, line, f"{where}records[{index}]: ")
        elif isinstance(value, dict) and ("name" in value or "data" in value):
            self.load_line_record(value, source, line, f"{where}: " if where else "")
        elif isinstance(value, dict) and not value:
            return  # an empty ListRecords page
        else:
            self.warn(source, line, f"{where + ': ' if where else ''}not a Tekton record")

    def load_line_record(self, value: dict[str, Any], source: str, line: int, where: str) -> None:
        data = value.get("data")
        if not isinstance(data, dict):
            self.warn(source, line, f"{where}data is not a JSON object")
            return
        data_type = value.get("type")
        if data_type is None and isinstance(data.get("apiVersion"), str):
            data_type = f"{data['apiVersion']}.{data.get('kind', '')}"
        if not isinstance(data_type, str) or not data_type:
            self.warn(source, line, f"{where}missing type")
            return
        self.add(value.get("name"), data_type, data, source, line, where)

    def load_api_record(self, value: Any, source: str, line: int, where: str) -> None:
        any_data = value.get("data") if isinstance(value, dict) else None
        if not isinstance(any_data, dict):
            self.warn(source, line, f"{where}record has no data")
            return
        try:
            raw = base64.b64decode(str(any_data.get("value", "")), validate=True)
        except (binascii.Error, ValueError) as e:
            self.warn(source, line, f"{where}data.value is not base64: {e}")
            return
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            self.warn(source, line, f"{where}data.value is not JSON: {e}")
            return
        if not isinstance(data, dict):
            self.warn(source, line, f"{where}data is not a JSON object")
            return
        data_type = any_data.get("type")
        if not isinstance(data_type, str) or not data_type:
            self.warn(source, line, f"{where}missing data.type")
            return
        assert isinstance(value, dict)
        self.add(value.get("name"), data_type, data, source, line, where)

    def add(
        self, name: Any, data_type: str, data: dict[str, Any], source: str, line: int, where: str
    ) -> None:
        if json_depth_exceeds(data, MAX_RECORD_DEPTH):
            self.warn(source, line, f"{where}data {_TOO_DEEP}")
            return
        if not isinstance(name, str) or not name:
            self.warn(source, line, f"{where}missing name")
            return
        match = _RECORD_NAME.fullmatch(name)
        if match is None:
            self.warn(
                source, line, f"{where}name {name!r} is not <ns>/results/<result>/records/<id>"
            )
            return
        here = f"{source}:{line}"
        if name in self.seen:
            self.warn(source, line, f"{where}duplicate record {name} (first at {self.seen[name]})")
            return
        self.seen[name] = here
        namespace, result_name, short_name = match.groups()
        self.records.append(
            Record(name, namespace, result_name, short_name, data_type, data, source, line)
        )


# ---------------------------------------------------------------------------------------------
# PostgreSQL intervals (IntervalStyle "postgres"), the text the summary's durations come in


@dataclass(frozen=True, slots=True)
class Interval:
    """PostgreSQL's interval without months: a day count and microseconds, kept apart."""

    days: int
    micros: int

    @classmethod
    def between(cls, start_micros: int, end_micros: int) -> Interval:
        """``end - start`` of two timestamps: PostgreSQL justifies hours into days."""
        return justify_hours(end_micros - start_micros)

    def __add__(self, other: Interval) -> Interval:
        # Sums are not normalised: 20h + 20h is "40:00:00".
        return Interval(self.days + other.days, self.micros + other.micros)

    def sort_key(self) -> int:
        return self.days * _USECS_PER_DAY + self.micros

    def divide(self, count: int) -> Interval:
        """``interval / count`` as PostgreSQL's ``interval_div`` (what ``avg`` ends with)."""
        days = int(self.days / count)
        seconds_left = _ts_round((self.days / count - days) * 86_400)
        if abs(seconds_left) >= 86_400:
            days += int(seconds_left / 86_400)
            seconds_left -= int(seconds_left / 86_400) * 86_400
        return Interval(days, round(self.micros / count + seconds_left * 1_000_000))

    def __str__(self) -> str:
        return _format(self.days, self.micros)


def _ts_round(value: float) -> float:
    return round(value * 1_000_000) / 1_000_000


def justify_hours(micros: int) -> Interval:
    """PostgreSQL's ``justify_hours``: whole days out of the time part, signs made to agree."""
    days = _trunc_div(micros, _USECS_PER_DAY)
    rest = micros - days * _USECS_PER_DAY
    if days > 0 and rest < 0:
        rest += _USECS_PER_DAY
        days -= 1
    elif days < 0 and rest > 0:
        rest -= _USECS_PER_DAY
        days += 1
    return Interval(days, rest)


def _trunc_div(a: int, b: int) -> int:
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient


def _format(days: int, micros: int) -> str:
    parts: list[str] = []
    before = False
    if days:
        parts.append(f"{days} day{'' if days == 1 else 's'}")
        before = days < 0
    if not parts or micros:
        sign = "-" if micros < 0 else ("+" if before else "")
        hours, rest = divmod(abs(micros), 3_600_000_000)
        minutes, rest = divmod(rest, 60_000_000)
        seconds, fraction = divmod(rest, 1_000_000)
        text = f"{sign}{hours:02d}:{minutes:02d}:{seconds:02d}"
        if fraction:
            text += f".{fraction:06d}".rstrip("0")
        parts.append(text)
    return " ".join(parts)


def format_interval(seconds: float) -> str:
    """The text PostgreSQL prints for a timestamp difference of ``seconds`` (µs precision)."""
    return str(justify_hours(round(seconds * 1_000_000)))


_INTERVAL_UNIT = re.compile(r"([+-]?\d+) (year|mon|day)s?")
_INTERVAL_TIME = re.compile(r"([+-])?(\d+):(\d{2}):(\d{2})(?:\.(\d{1,6}))?")
_UNIT_SECONDS = {"year": 365.25 * 86_400, "mon": 30 * 86_400, "day": 86_400}


def parse_interval(text: str) -> float:
    """PostgreSQL interval text (``1 day 01:00:00``, ``-00:00:05``, ``40:00:00``) → seconds.

    Years count 365.25 days and months 30, as ``EXTRACT(EPOCH FROM interval)`` does.
    Raises ValueError for anything else.
    """
    total = 0.0
    rest = text.strip()
    seen = False
    while match := _INTERVAL_UNIT.match(rest):
        total += int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        rest = rest[match.end() :].lstrip()
        seen = True
    if rest:
        match = _INTERVAL_TIME.fullmatch(rest)
        if match is None:
            raise ValueError(f"not a PostgreSQL interval: {text!r}")
        sign, hours, minutes, seconds, fraction = match.groups()
        value = int(hours) * 3600 + int(minutes) * 60 + int(seconds)
        value += int(fraction) / 10 ** len(fraction) if fraction else 0
        total += -value if sign == "-" else value
    elif not seen:
        raise ValueError(f"not a PostgreSQL interval: {text!r}")
    return total
