"""Each channel type's entry in the routing file (minus ``type``), validated by pydantic.

Secrets are never written in the routing file: only the names of the environment variables
that hold them (``url_env: SLACK_WEBHOOK_URL``). :func:`read_env` turns a missing or empty one
into a :class:`~qrunner.errors.NotifyError` that says which variable to set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from qrunner.errors import NotifyError

EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=128)]
DEFAULT_GITHUB_API_URL = "https://api.github.com"


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GitHubIssuesSettings(_Settings):
    # The first label also finds the open incidents' issues again (listing by label).
    labels: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=lambda: ["qrunner"], min_length=1, max_length=20
    )
    max_new_issues: int = Field(default=10, ge=1, le=100)
    repository_env: EnvName = "GITHUB_REPOSITORY"  # "owner/name"
    token_env: EnvName = "GITHUB_TOKEN"
    api_url_env: EnvName = "GITHUB_API_URL"  # optional; api.github.com when unset


class SlackSettings(_Settings):
    url_env: EnvName  # the incoming webhook's URL


class WebhookSettings(_Settings):
    url_env: EnvName
    secret_env: EnvName | None = None  # signs each body with HMAC-SHA256 when given


class AppriseSettings(_Settings):
    urls_env: EnvName  # one or more apprise URLs, separated by spaces or commas


def read_env(environ: Mapping[str, str], name: str, channel: str, what: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise NotifyError(f"channel {channel!r}: set {name} ({what})")
    return value
