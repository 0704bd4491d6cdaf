"""Every limit qrunner puts on what it reads and computes, in one place.

Specs arrive in pull requests, data files from other CI systems: each input is bounded in
bytes, depth, items and seconds, and exceeding a bound is an ordinary located error (a spec
error, exit 2), never a hang, a crash or an exhausted machine. The README's "Limits" table
lists each constant; ``tests/hostile`` checks each one.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path
from typing import Any, BinaryIO

from qrunner.errors import LimitError

# --- files ----------------------------------------------------------------------------------
MAX_SPEC_BYTES = 1024 * 1024  # a spec is a small text file; counted on the bytes read
MAX_TEMPLATE_BYTES = 256 * 1024  # one file under _templates/
MAX_DATA_FILE_BYTES = 4 * 1024**3  # one local data file (JSON Lines, JUnit XML, records)

# --- YAML ------------------------------------------------------------------------------------
MAX_YAML_NODES = 20_000  # bounds alias expansion ("billion laughs")
MAX_YAML_DEPTH = 64  # nested mappings and lists

# --- query languages and expressions --------------------------------------------------------
MAX_QUERY_CHARS = 16_384  # a Datadog search query or a Tekton CEL filter
MAX_EXPRESSION_CHARS = 1_024  # a derived metric, a check's metric, a threshold
MAX_NESTING = 64  # parentheses, negations, operators: the depth of any parsed tree
MAX_DERIVED_SIZE = 10_000  # nodes of a metric once named metrics are substituted

# --- templates -------------------------------------------------------------------------------
MAX_RENDER_OUTPUT_CHARS = 1024 * 1024  # one rendered string, and any string built on the way
MAX_RENDER_SECONDS = 2.0  # rendering one spec
MAX_RENDER_ITERATIONS = 100_000  # loop iterations and range() items while rendering one spec
MAX_RENDER_CALLS = 10_000  # macro and function calls while rendering one spec (recursion)
MAX_RENDER_INT_BITS = 4096  # an integer a template computes with ** (10 ** 10 ** 9 is refused)

# --- the run ---------------------------------------------------------------------------------
INTERRUPT_GRACE_SECONDS = 2.0  # after SIGINT/SIGTERM, the wait for the local engine's lock
MESSAGE_EXCERPT_CHARS = 200  # a value quoted in a message is cut to this many characters
MAX_PAGES = 10  # tests aggregate follow-up pages per query; beyond that the result is partial

# --- data values ---------------------------------------------------------------------------------
MAX_LINE_WARNINGS = 20  # warnings listed per JSON Lines file (then "... and N more")
MAX_REPORT_WARNINGS = 20  # warnings listed per JUnit report
MAX_SUITE_DEPTH = 64  # nested <testsuite> elements in a JUnit report
MAX_RECORD_DEPTH = 64  # nesting of one data record (JSON Lines event, Tekton record), it included
MAX_ATTRIBUTE_PATH_CHARS = 1_024  # an attribute's dotted path (``test.name``) in a data record
MAX_TEST_SECONDS = 86_400.0  # a JUnit time "longer than a day" is a unit mistake (ms or ns)
EARLIEST_TIMESTAMP_MS = 0  # 1970-01-01: older timestamps are warned about
LATEST_TIMESTAMP_MS = 7_258_118_400_000  # 2200-01-01: later timestamps are warned about

# --- schedules and due runs -----------------------------------------------------------------
MAX_SCHEDULE_DAYS = 366  # a schedule's window or delay: longer than any API keeps data
# a cron must name a day in every 28 years (29 February does); a tick search looks that far
MAX_TICK_GAP_YEARS = 28
MAX_PENDING_TICKS = 1_000  # owed ticks of one spec a due run looks at (and lists as missed)
CLAIM_LEASE_SECONDS = 6 * 3600  # a due run's claim on its ticks without --timeout

# --- notifications -----------------------------------------------------------------------------
MAX_SILENCE_DAYS = 90  # a silence's `until` at most this far ahead: it cannot be forgotten
NOTIFY_BUDGET_SECONDS = 60.0  # the whole notify step, every destination and retry included
MAX_ALERT_STATE_BYTES = 64 * 1024 * 1024  # the alert state file (incidents and outbox)
MAX_OUTBOX_EVENTS = 10_000  # undelivered events kept; the oldest go first, counted in a warning
MAX_RESET_NAMES = 20  # incidents a state-reset summary names (then "and N more")
MAX_GROUP_INCIDENTS = 20  # per-group incidents of one check; other groups share one incident


# --- notification channels ------------------------------------------------------------------
NOTIFY_MAX_ATTEMPTS = 4  # tries of one request to a destination (network errors, 5xx, 429)
NOTIFY_REQUEST_SECONDS = 15.0  # one request to a destination, within the notify step's budget
NOTIFY_OFFENDERS_SHOWN = 5  # offenders a message lists (then "and N more")
NOTIFY_NAME_CHARS = 200  # a name or group from data, as a message quotes it
SLACK_MAX_BLOCKS = 50  # Block Kit blocks in one Slack message (Slack's own limit)
SLACK_MAX_SECTION_CHARS = 3_000  # one section's text (Slack's own limit)
SLACK_MAX_TEXT_CHARS = 3_000  # a Slack message's text fallback (notification previews)
SLACK_POST_INTERVAL_SECONDS = 1.0  # between two posts to one Slack webhook (Slack's pacing)
GITHUB_MAX_TITLE_CHARS = 256  # an issue title (GitHub's own limit)
GITHUB_MAX_BODY_CHARS = 65_000  # an issue body or comment (GitHub refuses over 65,536)
GITHUB_MAX_LIST_PAGES = 10  # pages of 100 open issues listed to find incidents by marker


def excerpt(text: str, limit: int = MESSAGE_EXCERPT_CHARS) -> str:
    """``text`` cut to ``limit`` characters, marking the cut: what messages quote."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether parsed JSON is nested deeper than ``limit`` levels (a scalar is one level, an
    object holding one is two); iterative, so it works on values too deep for recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return False


def tree_depth_exceeds(root: Any, limit: int) -> bool:
    """Whether a tree of dataclass nodes (children in fields, or tuples/lists of them) is
    deeper than ``limit``; iterative, so it works on trees too deep for recursion."""
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        for child in _children(node):
            stack.append((child, depth + 1))
    return False


def _children(node: Any) -> list[Any]:
    if not dataclasses.is_dataclass(node) or isinstance(node, type):
        return []
    found = []
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if dataclasses.is_dataclass(value):
            found.append(value)
        elif isinstance(value, tuple | list):
            found.extend(v for v in value if dataclasses.is_dataclass(v))
    return found


def open_regular_file(path: Path) -> BinaryIO:
    """``path`` opened for reading in binary, refusing what is not a regular file (checked on
    the opened file, like :func:`read_regular_file`), for readers that stream."""
    descriptor = _open_regular(path)
    os.set_blocking(descriptor, True)
    return os.fdopen(descriptor, "rb")


def _open_regular(path: Path) -> int:
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    descriptor = os.open(path, flags)
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        kind = _file_kind(mode)
        raise LimitError(f"not a regular file ({kind}); only regular files are read")
    return descriptor


def read_regular_file(path: Path, limit: int, what: str = "this file") -> bytes:
    """The bytes of ``path``, at most ``limit`` of them; raises :class:`LimitError` for what is
    not a regular file (a FIFO, a device, a link to one: checked on the opened file, so a
    rename in between cannot fool it) or is larger (counted on the bytes read, not on what
    ``stat`` claims); OSError when it cannot be opened."""
    descriptor = _open_regular(path)
    try:
        chunks = []
        total = 0
        while chunk := os.read(descriptor, 1024 * 1024):
            total += len(chunk)
            if total > limit:
                raise LimitError(f"larger than {_size(limit)}, the limit for {what}")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def _file_kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
    ):
        if test(mode):
            return name
    return "a special file"


def _size(limit: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if limit >= scale and limit % scale == 0:
            return f"{limit // scale} {unit}"
    return f"{limit} bytes"
