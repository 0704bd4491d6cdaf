"""Following tests aggregate's ``meta.page.after``, for the remote and the local backend alike.

The live tests aggregate answers a cursor when its top-level group_by reached ``limit`` while
more groups existed; the follow-up request is the same body with the cursor added to ``page``
(other ``page`` fields, such as the deprecated ``page.limit``, are kept). Buckets of every
page are concatenated into one answer, so that checks judge all groups.

At most :data:`MAX_PAGES` follow-ups are sent. An answer that still ends with a cursor — the
cap was reached, a cursor was refused or came back twice — keeps that ``meta.page.after`` and
a warning saying why: :func:`qrunner.judge.results.normalize_response` reads it as a partial
result, which never passes silently.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

from qrunner.errors import QueryError
from qrunner.limits import MAX_PAGES

__all__ = ["MAX_PAGES", "follow_pages", "next_page_request", "page_cursor"]

Fetch = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def next_page_request(request: dict[str, Any], cursor: str) -> dict[str, Any]:
    """``request`` with ``cursor`` added to its ``page`` (not replacing it)."""
    page = request.get("page")
    kept = dict(page) if isinstance(page, dict) else {}
    return {**request, "page": {**kept, "cursor": cursor}}


async def follow_pages(
    request: dict[str, Any],
    first: dict[str, Any],
    fetch: Fetch,
    pages: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``first`` with the buckets of every following page appended (see the module doc);
    ``pages``, when given, receives a copy of every page as it was answered."""
    if pages is not None:
        pages.append(copy.deepcopy(first))
        original = fetch

        async def fetch(body: dict[str, Any]) -> dict[str, Any]:
            page = await original(body)
            pages.append(copy.deepcopy(page))
            return page

    if page_cursor(first) is None:  # the usual case: nothing to follow, nothing to copy
        return first
    response = copy.deepcopy(first)
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        cursor = page_cursor(response)
        if cursor is None:
            return response
        if cursor in seen:
            _warn(response, "stopped following meta.page.after: the same cursor came back")
            return response
        seen.add(cursor)
        try:
            page = await fetch(next_page_request(request, cursor))
        except QueryError as exc:
            _warn(response, f"stopped following meta.page.after: {exc}")
            return response
        data = page.get("data")
        buckets = (data.get("buckets") if isinstance(data, dict) else None) or []
        response.setdefault("data", {}).setdefault("buckets", []).extend(buckets)
        meta = dict(page.get("meta") or {})
        for key in ("status", "warnings"):
            if key in meta:
                _merge_meta(response, key, meta[key])
        response_meta = response.setdefault("meta", {})
        response_meta.pop("page", None)
        if meta.get("page"):
            response_meta["page"] = meta["page"]
    if page_cursor(response) is not None:
        _warn(response, f"more groups than {MAX_PAGES + 1} pages; the rest were not fetched")
    return response


def page_cursor(response: dict[str, Any]) -> str | None:
    """The answer's ``meta.page.after``, if it has one."""
    meta = response.get("meta")
    page = meta.get("page") if isinstance(meta, dict) else None
    after = page.get("after") if isinstance(page, dict) else None
    return after if isinstance(after, str) and after else None


def _merge_meta(response: dict[str, Any], key: str, value: Any) -> None:
    meta = response.setdefault("meta", {})
    if key == "status":
        # One partial page makes the whole answer partial.
        if value == "timeout" or "status" not in meta:
            meta["status"] = value
    elif isinstance(value, list):
        meta.setdefault("warnings", []).extend(value)


def _warn(response: dict[str, Any], text: str) -> None:
    response.setdefault("meta", {}).setdefault("warnings", []).append(
        {"code": "qrunner", "title": text}
    )
