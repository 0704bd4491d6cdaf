"""Tests aggregate pagination: the ``meta.page.after`` cursor the engine answers and reads.

The live tests aggregate answers ``meta.page.after`` (an opaque string) when its top-level
group_by reached ``limit`` while more groups existed; the follow-up request is the same body
with the cursor added to ``page``. Here a cursor names how many top-level groups were already
answered and a fingerprint of the body without ``page``, so that it is refused (the API's 400)
with any other request. ``page.limit`` is accepted and, as nothing says what it does with a
group_by, does not change the answer: the top-level ``limit`` is the page size.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from qrunner.errors import QueryError

PAGED_SOURCES = frozenset({"datadog.ci_tests"})  # only tests aggregate has been seen paging
_PREFIX = "qr1."


def _fingerprint(attributes: Mapping[str, Any]) -> str:
    rest = {key: value for key, value in attributes.items() if key != "page"}
    text = json.dumps(rest, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def make_cursor(attributes: Mapping[str, Any], offset: int) -> str:
    """The cursor of the page starting after ``offset`` top-level groups."""
    raw = json.dumps([offset, _fingerprint(attributes)]).encode()
    return _PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_offset(attributes: Mapping[str, Any]) -> int:
    """How many top-level groups to skip: 0 without ``page.cursor``."""
    page = attributes.get("page")
    if page is None:
        return 0
    if not isinstance(page, Mapping):
        raise QueryError("page must be an object")
    limit = page.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise QueryError(f"page.limit must be a positive integer, not {limit!r}")
    cursor = page.get("cursor")
    if cursor is None:
        return 0
    refused = QueryError(f"page.cursor {cursor!r} is not a cursor answered for this request")
    if not isinstance(cursor, str) or not cursor.startswith(_PREFIX):
        raise refused
    text = cursor.removeprefix(_PREFIX)
    try:
        offset, fingerprint = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, TypeError) as e:
        raise refused from e
    if not isinstance(offset, int) or offset < 0 or fingerprint != _fingerprint(attributes):
        raise refused
    return offset
