"""How each emulated service words an error, so one fault script serves every fake.

A :class:`Dialect` says what an error body looks like (a ``str`` body goes out as
``text/plain``, anything else as JSON), the texts of 401 and 403, and how a rate-limited
answer looks. :func:`dialect_of` maps a fault endpoint to its dialect:

=============================================  =============================================
endpoints                                      error body
=============================================  =============================================
``ci_tests``, ``ci_pipelines``, ``spans``      Datadog: ``{"errors": [text]}``
``tekton``                                     ``{"code": <gRPC code>, "message": text}``
``prodlytics``                                 JSON:API ``{"errors": [{status, title, detail}]}``
``github``                                     ``{"message", "documentation_url", "status"}``;
                                               rate limits as GitHub sends them (below)
``slack``                                      a plain-text code: ``invalid_payload``,
                                               ``no_service``, ``channel_is_archived`` …
``webhook``                                    ``{"error": text}``
=============================================  =============================================

GitHub's primary rate limit is 403 (or the fault's ``status``, e.g. 429) with
``x-ratelimit-remaining: 0`` and ``x-ratelimit-reset`` as epoch seconds; its secondary rate
limit is 403 with ``retry-after`` and "You have exceeded a secondary rate limit".
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

GITHUB_DOCS = "https://docs.github.com/rest"
GITHUB_SECONDARY_LIMIT = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
    "again. If you reach out to GitHub Support for help, please include the request ID "
    "EMU0:0000:0000000:0000000:00000000."
)
GITHUB_PRIMARY_LIMIT = "API rate limit exceeded for user ID 1."
GITHUB_HOURLY_LIMIT = 5000

# Slack's incoming-webhook error codes, by the status it sends them with.
SLACK_CODES = {
    400: "invalid_payload",
    403: "invalid_token",
    404: "no_service",
    410: "channel_is_archived",
    429: "rate_limited",
}

# (fault status, retry_after, reset) → (status, headers, text)
RateLimitAnswer = Callable[[int | None, str | None, float | None], tuple[int, dict[str, str], str]]


def phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _datadog_limit(
    status: int | None, retry_after: str | None, reset: float | None
) -> tuple[int, dict[str, str], str]:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    if reset is not None:
        headers.update(
            {
                "X-RateLimit-Limit": "100",
                "X-RateLimit-Period": "60",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(math.ceil(reset)),
                "X-RateLimit-Name": "emulated_fault",
            }
        )
    return 429, headers, "Too many requests"


def github_limit_headers(remaining: int, reset_in: float) -> dict[str, str]:
    """GitHub's primary-limit headers; ``x-ratelimit-reset`` is an absolute epoch second."""
    return {
        "x-ratelimit-limit": str(GITHUB_HOURLY_LIMIT),
        "x-ratelimit-remaining": str(remaining),
        "x-ratelimit-used": str(GITHUB_HOURLY_LIMIT - remaining),
        "x-ratelimit-reset": str(math.ceil(time.time() + reset_in)),
        "x-ratelimit-resource": "core",
    }


def _github_limit(
    status: int | None, retry_after: str | None, reset: float | None
) -> tuple[int, dict[str, str], str]:
    headers = github_limit_headers(0, 60.0 if reset is None else reset)
    if retry_after is not None:
        headers["retry-after"] = retry_after
    return status or 403, headers, GITHUB_PRIMARY_LIMIT


def _slack_limit(
    status: int | None, retry_after: str | None, reset: float | None
) -> tuple[int, dict[str, str], str]:
    return 429, {"Retry-After": retry_after or "1"}, "rate_limited"


def _webhook_limit(
    status: int | None, retry_after: str | None, reset: float | None
) -> tuple[int, dict[str, str], str]:
    return 429, {"Retry-After": retry_after or "1"}, "Too many requests"


@dataclass(frozen=True, slots=True)
class Dialect:
    body: Callable[[int, str], Any]  # (status, text) → body; a str is sent as text/plain
    unauthorized: str = "Unauthorized"
    forbidden: str = "Forbidden: this application key lacks the ci_visibility_read permission"
    rate_limited: RateLimitAnswer = _datadog_limit
    secondary_limit: str = "Forbidden: secondary rate limit"


def _tekton_body(status: int, text: str) -> dict[str, Any]:
    code = {401: 16, 403: 7, 404: 5, 429: 8, 501: 12, 503: 14}.get(status, 13)
    return {"code": 3 if status == 400 else code, "message": text}


def _github_body(status: int, text: str) -> dict[str, Any]:
    return {"message": text, "documentation_url": GITHUB_DOCS, "status": str(status)}


def _slack_body(status: int, text: str) -> str:
    return SLACK_CODES.get(status, text)


DATADOG = Dialect(body=lambda status, text: {"errors": [text]})

DIALECTS: dict[str, Dialect] = {
    "tekton": Dialect(body=_tekton_body, unauthorized="permission denied"),
    "prodlytics": Dialect(
        body=lambda status, text: {
            "errors": [{"status": str(status), "title": phrase(status), "detail": text}]
        }
    ),
    "github": Dialect(
        body=_github_body,
        unauthorized="Bad credentials",
        forbidden="Resource not accessible by integration",
        rate_limited=_github_limit,
        secondary_limit=GITHUB_SECONDARY_LIMIT,
    ),
    "slack": Dialect(
        body=_slack_body,
        unauthorized="invalid_token",
        forbidden="action_prohibited",
        rate_limited=_slack_limit,
    ),
    "webhook": Dialect(
        body=lambda status, text: {"error": text},
        forbidden="Forbidden",
        rate_limited=_webhook_limit,
    ),
}


def dialect_of(endpoint: str) -> Dialect:
    """The endpoint's dialect; Datadog's for its own endpoints and any other."""
    return DIALECTS.get(endpoint, DATADOG)
