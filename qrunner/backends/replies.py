"""What an HTTP reply says: the API's own error text, and how long the server asks us to wait."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_EXCERPT = 200


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: Any  # the parsed JSON


def retry_hint(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asks us to wait: ``Retry-After`` (seconds or HTTP date) or
    ``X-RateLimit-Reset`` (seconds until the window resets); the larger when both are given."""
    hints: list[float] = []
    retry_after = headers.get("retry-after", "").strip()
    if retry_after:
        try:
            hints.append(float(retry_after))
        except ValueError:
            try:
                when = parsedate_to_datetime(retry_after).timestamp()
                hints.append(when - (time.time() if now is None else now))
            except (TypeError, ValueError, IndexError):
                pass
    reset = headers.get("x-ratelimit-reset", "").strip()
    if reset:
        with contextlib.suppress(ValueError):
            hints.append(float(reset))
    return max(0.0, *hints) if hints else None


def describe_error_body(text: str) -> str:
    """The API's own error text from any of its shapes, else a short excerpt of the body."""
    try:
        body = json.loads(text)
    except ValueError:
        return describe_unreadable(text)
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            parts = []
            for err in errors:
                if isinstance(err, dict):
                    title, detail = err.get("title"), err.get("detail")
                    parts.append(": ".join(str(p) for p in (title, detail) if p) or str(err))
                else:
                    parts.append(str(err))
            return "; ".join(parts)
        if "message" in body:  # Tekton / gRPC gateway: {"code": 3, "message": "..."}
            return str(body["message"])
    return describe_unreadable(text)


def describe_unreadable(text: str) -> str:
    head = " ".join(text.split())
    kind = "an HTML page" if head[:200].lower().lstrip().startswith(("<!doctype", "<html")) else ""
    excerpt = head[:_EXCERPT] + ("…" if len(head) > _EXCERPT else "")
    if not excerpt:
        return "an empty body"
    return f"{kind}: {excerpt!r}" if kind else repr(excerpt)
