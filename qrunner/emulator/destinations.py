"""The three notification fakes together, as ``qrunner emulator --notify-fakes`` serves them.

``with running_destinations() as fakes:`` starts :class:`~qrunner.emulator.fake_github.GitHubFake`,
:class:`~qrunner.emulator.fake_slack.SlackFake` and a signing
:class:`~qrunner.emulator.fake_webhook.WebhookFake`, each on its own free port of ``host``;
``fakes.env()`` is the environment a notifier reads to reach them (the names the routing
file's example uses: ``GITHUB_API_URL``, ``GITHUB_REPOSITORY``, ``GITHUB_TOKEN``,
``SLACK_WEBHOOK_URL``, ``GATES_HOOK_URL``, ``GATES_HOOK_SECRET``). The token and the secret
are fixed, fake values, safe to print.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from qrunner.emulator.fake_github import GitHubFake
from qrunner.emulator.fake_slack import SlackFake
from qrunner.emulator.fake_webhook import WebhookFake

REPOSITORY = "acme/gates"
TOKEN = "emulator-token"
HOOK_SECRET = "emulator-hook-secret"


@dataclass(frozen=True, slots=True)
class Destinations:
    github: GitHubFake
    slack: SlackFake
    hook: WebhookFake

    def env(self) -> dict[str, str]:
        return {
            "GITHUB_API_URL": self.github.url,
            "GITHUB_REPOSITORY": self.github.repo,
            "GITHUB_TOKEN": TOKEN,
            "SLACK_WEBHOOK_URL": self.slack.webhook_url,
            "GATES_HOOK_URL": self.hook.hook_url,
            "GATES_HOOK_SECRET": HOOK_SECRET,
        }


@contextlib.contextmanager
def running_destinations(host: str = "127.0.0.1") -> Iterator[Destinations]:
    """The three fakes, serving in background threads for the ``with`` block."""
    with (
        GitHubFake(repo=REPOSITORY, token=TOKEN, host=host) as github,
        SlackFake(host=host) as slack,
        WebhookFake(secret=HOOK_SECRET, host=host) as hook,
    ):
        yield Destinations(github, slack, hook)
