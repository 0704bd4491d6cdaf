"""qrunner's exception tree and exit codes.

Every error qrunner raises on purpose derives from :class:`QrunnerError`::

    QrunnerError                 exit 4 unless a subclass says otherwise
    ├── UsageError               2  bad flag, bad argument, nothing selected
    ├── SpecError                2  a spec file is wrong; carries where (file:line:col + breadcrumb)
    │   ├── SpecSyntaxError         YAML that cannot be read (tabs, duplicate keys, bombs, encoding)
    │   └── TemplateError           Jinja syntax, undefined variable, sandbox
    ├── QueryError               2  the API (or the local engine) rejects the query (HTTP 400)
    ├── DataError                2  local data that cannot be read at all
    ├── LimitError               2  an input past one of the bounds in ``qrunner.limits``
    ├── SchemaGenerationError    2  API doc pages that cannot be turned into schemas
    ├── ScheduleError            2  unreadable cron, time zone, window, delay or --tick
    ├── StateError               2  a --due state file that cannot be read, written or locked
    ├── HistoryError             2  a history store or report that cannot be read or written
    ├── NotifyError              2  a routing file, alert state or channel setting that cannot be
    │                               used (at run time: a delivery outcome, exit 5 if gates passed)
    └── BackendError             3  the backend could not answer (after retries)
        ├── BackendUnavailable      connection refused/reset, timeouts, 5xx, 429 past the deadline
        └── BackendResponseError    4xx other than 400, or a response qrunner cannot parse

Third-party exceptions are translated into this tree in exactly one place per library
(YAML in ``yamlsource``, Jinja in ``render``, httpx in ``backends.http``, DuckDB in ``engine``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """Stable, documented process exit codes."""

    OK = 0
    CHECK_FAILED = 1
    SPEC_ERROR = 2
    BACKEND_ERROR = 3
    INTERNAL_ERROR = 4
    NOTIFY_FAILED = 5  # the gates passed, but a notification was not delivered after retries


@dataclass(frozen=True, slots=True)
class Location:
    """Where in a file something is; ``line``/``col`` are 1-based, 0 when unknown."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.col or 1}"
        return self.path


class QrunnerError(Exception):
    """Root of every error qrunner raises on purpose."""

    exit_code: ExitCode = ExitCode.INTERNAL_ERROR


class UsageError(QrunnerError):
    exit_code = ExitCode.SPEC_ERROR


class SpecError(QrunnerError):
    """A problem with a spec file, located as precisely as we can.

    ``pointer`` is a breadcrumb into the spec's data (``checks[2].fail``,
    ``request.compute[0].aggregation``).
    """

    exit_code = ExitCode.SPEC_ERROR

    def __init__(self, message: str, location: Location, pointer: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.pointer = pointer

    def __str__(self) -> str:
        where = f" [{self.pointer}]" if self.pointer else ""
        return f"{self.location}: {self.message}{where}"


class SpecSyntaxError(SpecError):
    pass


class TemplateError(SpecError):
    pass


class QueryError(QrunnerError):
    """The query itself is invalid: what an API answers with 400."""

    exit_code = ExitCode.SPEC_ERROR


class DataError(QrunnerError):
    exit_code = ExitCode.SPEC_ERROR


class LimitError(QrunnerError):
    """An input past one of the bounds in :mod:`qrunner.limits` (not a regular file, too
    large, too deep); the caller says where."""

    exit_code = ExitCode.SPEC_ERROR


class SchemaGenerationError(QrunnerError):
    exit_code = ExitCode.SPEC_ERROR


class ScheduleError(QrunnerError):
    """A cron expression, time zone, window, delay or tick that cannot be used; the message
    names the field (``cron: ...``). In a spec it becomes a diagnostic at that field's line."""

    exit_code = ExitCode.SPEC_ERROR


class HistoryError(QrunnerError):
    """The history store (or a report to import into it) cannot be read or written."""

    exit_code = ExitCode.SPEC_ERROR


class StateError(QrunnerError):
    exit_code = ExitCode.SPEC_ERROR


class NotifyError(QrunnerError):
    """A routing file, an alert state or a channel's settings that cannot be used (a missing
    env var: "set SLACK_WEBHOOK_URL"); the message says where."""

    exit_code = ExitCode.SPEC_ERROR


class BackendError(QrunnerError):
    """The backend could not give an answer. ``url`` never carries credentials."""

    exit_code = ExitCode.BACKEND_ERROR

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        self.status = status

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.insert(0, f"HTTP {self.status}")
        if self.url:
            parts.insert(0, self.url)
        return ": ".join(parts)


class BackendUnavailable(BackendError):
    pass


class BackendResponseError(BackendError):
    pass
