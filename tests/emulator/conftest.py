"""The notification fakes, each running for one test, and a client for each."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from qrunner.emulator.fake_github import GitHubFake
from qrunner.emulator.fake_slack import SlackFake
from qrunner.emulator.fake_webhook import WebhookFake

TOKEN = "ghs-SECRET-emulated-0123456789abcdef"
REPO = "acme/gates"
HOOK_SECRET = "whsec-SECRET-5e2f9a"


@pytest.fixture
def gh() -> Iterator[GitHubFake]:
    with GitHubFake(repo=REPO, token=TOKEN) as fake:
        yield fake


@pytest.fixture
def api(gh: GitHubFake) -> Iterator[httpx.Client]:
    """A client of the fake GitHub, as a notifier would hold one."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/vnd.github+json"}
    with httpx.Client(base_url=f"{gh.url}/repos/{REPO}", headers=headers, timeout=5) as client:
        yield client


@pytest.fixture
def slack() -> Iterator[SlackFake]:
    with SlackFake() as fake:
        yield fake


@pytest.fixture
def hook() -> Iterator[WebhookFake]:
    with WebhookFake(secret=HOOK_SECRET) as fake:
        yield fake
