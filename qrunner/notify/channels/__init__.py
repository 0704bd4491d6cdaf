"""The channel types a routing file may name, by ``type``: the registry the notify step uses.

``CHANNELS["slack"].settings_model`` validates a routing-file entry (minus ``type``);
``CHANNELS["slack"](name, settings, environ)`` builds the :class:`~qrunner.notify.events.Channel`
(raising :class:`~qrunner.errors.NotifyError` when an env var it needs is unset);
``required_env(settings)`` names those variables for ``qrunner validate``. Adding a channel
type is adding a module and a line here. Channel modules (and httpx, apprise) are imported only
when a channel is built.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel

from qrunner.notify.channels.settings import (
    AppriseSettings,
    GitHubIssuesSettings,
    SlackSettings,
    WebhookSettings,
)
from qrunner.notify.events import Channel


class ChannelType(Protocol):
    settings_model: type[BaseModel]

    def __call__(self, name: str, settings: Any, environ: Mapping[str, str]) -> Channel: ...

    def required_env(self, settings: Any) -> list[str]: ...


@dataclass(slots=True)
class _LazyChannelType:
    settings_model: type[BaseModel]
    module: str  # under qrunner.notify.channels; defines build(name, settings, environ)
    env: Callable[[Any], list[str]]

    def __call__(self, name: str, settings: Any, environ: Mapping[str, str]) -> Channel:
        if isinstance(settings, Mapping):
            settings = self.settings_model.model_validate(settings)
        module = importlib.import_module(f"qrunner.notify.channels.{self.module}")
        channel: Channel = module.build(name, settings, environ)
        return channel

    def required_env(self, settings: Any) -> list[str]:
        return self.env(settings)


CHANNELS: dict[str, ChannelType] = {
    "github-issues": _LazyChannelType(
        GitHubIssuesSettings, "github_issues", lambda s: [s.token_env, s.repository_env]
    ),
    "slack": _LazyChannelType(SlackSettings, "slack", lambda s: [s.url_env]),
    "webhook": _LazyChannelType(
        WebhookSettings,
        "webhook",
        lambda s: [s.url_env] + ([s.secret_env] if s.secret_env else []),
    ),
    "apprise": _LazyChannelType(AppriseSettings, "apprise_channel", lambda s: [s.urls_env]),
}

__all__ = ["CHANNELS", "ChannelType"]
