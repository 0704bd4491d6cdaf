"""What the fake GitHub checks before it changes anything, and how it pages: GitHub's rules.

* A body that is not a JSON object → 400 "Problems parsing JSON".
* A required field missing → 422 ``Invalid request. "title" wasn't supplied.``; a field of the
  wrong type → 422 ``Invalid request. For 'properties/labels', 3 is not an array.``
* Too long → 422 ``Validation Failed`` with ``{"resource", "code": "custom", "field",
  "message": "title is too long (maximum is 256 characters)"}`` (title 256 characters, body
  and comment 65,536 characters); a bad ``state``/``state_reason`` or label ``color`` →
  ``code: invalid``; a duplicate label name (case-insensitive) → ``code: already_exists``.
* Lists come in pages of ``per_page`` (default 30, at most 100; not a number → 30) from
  ``page`` (default 1), with a ``Link`` header naming ``next``/``last`` and, past page 1,
  ``prev``/``first``; no header when everything fits on one page.
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import urlencode

from qrunner.emulator.dialects import GITHUB_DOCS
from qrunner.emulator.loopback import Reply, Request

MAX_TITLE_CHARS = 256
MAX_BODY_CHARS = 65536
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
STATES = ("open", "closed")
STATE_REASONS = ("completed", "not_planned", "reopened", "duplicate", None)
_TYPES: dict[str, tuple[type, str]] = {
    "title": (str, "a string"),
    "body": (str, "a string"),
    "labels": (list, "an array"),
    "assignees": (list, "an array"),
    "state": (str, "a string"),
    "name": (str, "a string"),
    "color": (str, "a string"),
    "description": (str, "a string"),
}
_COLOR = re.compile(r"[0-9a-fA-F]{6}")


def error(status: int, message: str, errors: list[dict[str, Any]] | None = None) -> Reply:
    """An error as GitHub words it."""
    body: dict[str, Any] = {"message": message, "documentation_url": GITHUB_DOCS}
    if errors is not None:
        body["errors"] = errors
    body["status"] = str(status)
    return Reply(status, body)


def json_object(request: Request) -> dict[str, Any] | Reply:
    """The request's JSON object, or the 400 GitHub answers."""
    try:
        data = request.json()
    except ValueError:
        data = None
    return data if isinstance(data, dict) else error(400, "Problems parsing JSON")


def _shape_error(data: dict[str, Any], required: tuple[str, ...]) -> Reply | None:
    for name in required:
        if data.get(name) is None:
            return error(422, f'Invalid request.\n\n"{name}" wasn\'t supplied.')
    for name, (kind, what) in _TYPES.items():
        value = data.get(name)
        if value is not None and not isinstance(value, kind):
            shown = repr(value) if isinstance(value, str) else value
            return error(
                422, f"Invalid request.\n\nFor 'properties/{name}', {shown} is not {what}."
            )
    return None


def check_issue(
    data: dict[str, Any], required: tuple[str, ...], resource: str = "Issue"
) -> Reply | None:
    """``None`` when GitHub would accept ``data`` for an issue (or a comment), else its 422."""
    refused = _shape_error(data, required)
    if refused is not None:
        return refused
    errors: list[dict[str, Any]] = []
    if data.get("title") == "" and "title" in required:
        errors.append({"resource": resource, "code": "missing_field", "field": "title"})
    for name, limit in (("title", MAX_TITLE_CHARS), ("body", MAX_BODY_CHARS)):
        if len(data.get(name) or "") > limit:
            message = f"{name} is too long (maximum is {limit} characters)"
            errors.append(
                {"resource": resource, "code": "custom", "field": name, "message": message}
            )
    if "state" in data and data["state"] not in STATES:
        errors.append(invalid(resource, "state", data["state"]))
    if "state_reason" in data and data["state_reason"] not in STATE_REASONS:
        errors.append(invalid(resource, "state_reason", data["state_reason"]))
    for label in data.get("labels") or []:
        if not isinstance(label, str | dict) or not label_names([label])[0:1]:
            errors.append(invalid("Label", "name", label))
    return error(422, "Validation Failed", errors) if errors else None


def check_label(data: dict[str, Any], labels: dict[str, Any]) -> Reply | None:
    """``None`` when GitHub would create this label, else its 422."""
    refused = _shape_error(data, ("name",))
    if refused is not None:
        return refused
    if data["name"].lower() in labels:
        already = {"resource": "Label", "code": "already_exists", "field": "name"}
        return error(422, "Validation Failed", [already])
    color = data.get("color")
    if color is not None and not _COLOR.fullmatch(color):
        return error(422, "Validation Failed", [invalid("Label", "color", color)])
    return None


def invalid(resource: str, field: str, value: Any) -> dict[str, Any]:
    return {"resource": resource, "field": field, "code": "invalid", "value": value}


def label_names(labels: list[Any]) -> list[str]:
    """Names from strings or ``{"name": ...}`` objects, first spelling kept, no duplicates."""
    names: dict[str, str] = {}
    for label in labels:
        name = label.get("name") if isinstance(label, dict) else label
        if isinstance(name, str) and name.strip():
            names.setdefault(name.strip().lower(), name.strip())
    return list(names.values())


def _number(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def page_of(items: list[Any], request: Request, base_url: str) -> tuple[list[Any], dict[str, str]]:
    """One page of ``items`` and the headers (``Link``) GitHub sends with it."""
    per_page = min(MAX_PER_PAGE, max(1, _number(request.param("per_page"), DEFAULT_PER_PAGE)))
    page = max(1, _number(request.param("page"), 1))
    last = max(1, math.ceil(len(items) / per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    if last == 1:
        return chunk, {}

    def link(number: int, rel: str) -> str:
        query = {k: v[0] for k, v in request.query.items()}
        query.update(per_page=str(per_page), page=str(number))
        return f'<{base_url}{request.path}?{urlencode(query)}>; rel="{rel}"'

    rels: list[str] = []
    if page > 1:
        rels.append(link(min(page - 1, last), "prev"))
    if page < last:
        rels += [link(page + 1, "next"), link(last, "last")]
    if page > 1:
        rels.append(link(1, "first"))
    return chunk, {"Link": ", ".join(rels)}
