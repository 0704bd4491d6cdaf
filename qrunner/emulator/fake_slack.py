"""A fake Slack incoming webhook on 127.0.0.1, answering as Slack's webhooks do.

``with SlackFake() as slack:`` then set ``SLACK_WEBHOOK_URL=slack.webhook_url`` (its path is
``/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX`` unless ``path=`` says otherwise). A POST of
JSON (or of a form field ``payload=<JSON>``) with ``text`` and/or ``blocks`` answers 200 with
the text body ``ok`` and the payload joins ``slack.messages``. Errors, as Slack sends them
(status and a plain-text code):

=====  ======================  ==========================================================
400    ``invalid_payload``     the body is not JSON, or not a JSON object
400    ``no_text``             neither ``text`` nor ``blocks``
400    ``invalid_blocks``      ``blocks`` breaks a Block Kit limit: more than 50 blocks; an
                               unknown block type; a section with neither text nor fields,
                               its text over 3,000 characters, more than 10 fields or one
                               over 2,000; a header over 150; a context with more than 10
                               elements; an empty text object; a ``block_id`` over 255
404    ``no_service``          another path, or ``slack.state = "removed"``
403    ``invalid_token``       ``slack.state = "revoked"``
410    ``channel_is_archived`` ``slack.state = "archived"``
429    ``rate_limited``        a fault (``Fault("rate_limited", retry_after="3")``) or an
                               emulated limit (``slack.faults.limit(RateLimit(1, 1.0))``),
                               always with ``Retry-After``
=====  ======================  ==========================================================

A ``text`` over 40,000 characters is accepted and truncated, as Slack does. Other faults
(endpoint ``slack``): ``status`` (a 500 says ``emulated failure``), ``latency``, ``reset``,
``hang``. Test helpers: ``slack.messages``, ``slack.requests``, ``slack.state``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from qrunner.emulator.faults import FaultScript
from qrunner.emulator.loopback import LoopbackServer, Reply, Request

DEFAULT_PATH = "/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_BLOCK_ID = 255
MAX_MESSAGE_TEXT = 40000  # longer text is truncated, not refused
# Block types accepted without a closer look (their own limits are not emulated).
_OTHER_BLOCKS = frozenset(
    {"divider", "actions", "image", "rich_text", "markdown", "file", "input", "video"}
)
_STATES = {
    "ok": None,
    "archived": (410, "channel_is_archived"),
    "revoked": (403, "invalid_token"),
    "removed": (404, "no_service"),
}


class SlackFake(LoopbackServer):
    endpoint = "slack"

    def __init__(
        self, *, path: str = DEFAULT_PATH, faults: FaultScript | None = None, **kwargs: Any
    ) -> None:
        super().__init__(faults=faults, **kwargs)
        self.path = path
        self.state = "ok"  # or "archived", "revoked", "removed"
        self.messages: list[dict[str, Any]] = []

    def snapshot(self) -> dict[str, Any]:
        return {"messages": self.messages}

    @property
    def webhook_url(self) -> str:
        return self.url + self.path

    def answer(self, request: Request) -> Reply:
        if request.path != self.path:
            return Reply(404, "no_service")
        refused = _STATES.get(self.state)
        if refused is not None:
            return Reply(*refused)
        if request.method != "POST":
            return Reply(405, "invalid_method")
        payload = _payload(request)
        if not isinstance(payload, dict):
            return Reply(400, "invalid_payload")
        text, blocks = payload.get("text"), payload.get("blocks")
        if not text and not blocks:
            return Reply(400, "no_text")
        if text is not None and not isinstance(text, str):
            return Reply(400, "invalid_payload")
        if blocks is not None and block_problem(blocks) is not None:
            return Reply(400, "invalid_blocks")
        if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
            payload = {**payload, "text": text[:MAX_MESSAGE_TEXT]}
        self.messages.append(payload)
        return Reply(200, "ok")


def _payload(request: Request) -> Any:
    content_type = request.headers.get("content-type", "")
    raw = request.raw.decode("utf-8", "replace")
    try:
        if content_type.startswith("application/x-www-form-urlencoded"):
            return json.loads(parse_qs(raw).get("payload", ["null"])[0])
        return json.loads(raw)
    except ValueError:
        return None


def block_problem(blocks: Any) -> str | None:
    """Why Slack would refuse ``blocks`` (``invalid_blocks``), or ``None``."""
    if not isinstance(blocks, list):
        return "blocks is not an array"
    if len(blocks) > MAX_BLOCKS:
        return f"more than {MAX_BLOCKS} blocks"
    for index, block in enumerate(blocks):
        problem = _one_block(block)
        if problem is not None:
            return f"blocks[{index}]: {problem}"
    return None


def _one_block(block: Any) -> str | None:
    if not isinstance(block, dict):
        return "not an object"
    block_id = block.get("block_id")
    if block_id is not None and (not isinstance(block_id, str) or len(block_id) > MAX_BLOCK_ID):
        return "bad block_id"
    kind = block.get("type")
    if kind == "section":
        return _section(block)
    if kind == "header":
        text = block.get("text")
        if not isinstance(text, dict) or text.get("type") != "plain_text":
            return "a header's text must be plain_text"
        return _text(text, MAX_HEADER_TEXT)
    if kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= MAX_CONTEXT_ELEMENTS:
            return f"a context has 1 to {MAX_CONTEXT_ELEMENTS} elements"
        for element in elements:
            is_text = isinstance(element, dict) and element.get("type") != "image"
            problem = _text(element, MAX_SECTION_TEXT) if is_text else None
            if problem is not None:
                return problem
        return None
    return None if kind in _OTHER_BLOCKS else f"unknown block type {kind!r}"


def _section(block: dict[str, Any]) -> str | None:
    text, fields = block.get("text"), block.get("fields")
    if text is None and fields is None:
        return "a section needs text or fields"
    if text is not None:
        problem = _text(text, MAX_SECTION_TEXT)
        if problem is not None:
            return problem
    if fields is not None:
        if not isinstance(fields, list) or not 1 <= len(fields) <= MAX_SECTION_FIELDS:
            return f"a section has 1 to {MAX_SECTION_FIELDS} fields"
        for field in fields:
            problem = _text(field, MAX_FIELD_TEXT)
            if problem is not None:
                return problem
    return None


def _text(obj: Any, limit: int) -> str | None:
    """A text object: ``plain_text`` or ``mrkdwn``, 1 to ``limit`` characters."""
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        return "not a text object"
    text = obj.get("text")
    if not isinstance(text, str) or not 1 <= len(text) <= limit:
        return f"text must be 1 to {limit} characters"
    return None
