"""apprise (the optional extra ``qrunner[apprise]``): e-mail, Teams, ntfy and the long tail.

Message-only: one message per envelope (a title with the counts, then each event as plain
text lines), no issue to update or close. apprise answers one boolean for all its URLs and
does not retry: ``False`` (or an exception inside apprise) is a failed attempt, retried with
the channel's backoff until ``NOTIFY_MAX_ATTEMPTS`` or the deadline, then FAILED — never SENT.
The URLs come from the env var ``urls_env`` (several separated by spaces or commas) and are
redacted from every message; apprise is imported only when such a channel is built.
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from qrunner.backends.http import RetryPolicy
from qrunner.errors import NotifyError
from qrunner.limits import NOTIFY_MAX_ATTEMPTS, SLACK_MAX_TEXT_CHARS
from qrunner.notify.channels.content import HEADINGS, describe, grouped, headline
from qrunner.notify.channels.escape import cut, text_inert
from qrunner.notify.channels.settings import AppriseSettings, read_env
from qrunner.notify.events import Delivery, Envelope, Message, Outcome
from qrunner.secrets import redact, register_secret

_SPLIT = re.compile(r"[\s,]+")
MAX_BODY_CHARS = SLACK_MAX_TEXT_CHARS * 10  # e-mail and the rest: generous, still bounded


def message_text(envelope: Envelope) -> tuple[str, str]:
    """(title, body) of the one message an envelope becomes."""
    lines: list[str] = []
    for kind, events in grouped(envelope.events):
        lines.append(f"{HEADINGS[kind]} ({len(events)})")
        for event in events:
            view = describe(event, envelope.links)
            where = f" ({text_inert(view.where)})" if view.where else ""
            lines.append(f"- {text_inert(view.title)}{where}: {text_inert(view.state, 1000)}")
            lines += [f"  {text_inert(m)}" for m in view.measures]
            lines += [f"  {text_inert(g)}: {text_inert(v)}" for g, v in view.offenders]
            if view.more_offenders:
                lines.append(f"  … and {view.more_offenders} more")
            lines.append("  " + " · ".join(text_inert(t) for t in view.timing))
            lines += [f"  {label}: {url}" for label, url in view.links]
        lines.append("")
    lines.append(f"run {text_inert(envelope.run_id)}")
    return headline(envelope.events), cut("\n".join(lines), MAX_BODY_CHARS)


class AppriseChannel:
    def __init__(self, name: str, settings: AppriseSettings, urls: list[str], apprise: Any):
        self.name = name
        self._env = settings.urls_env
        self._urls = urls
        self._apprise = apprise
        self.retry = RetryPolicy(max_attempts=NOTIFY_MAX_ATTEMPTS, base=0.5, cap=10.0)

    def __repr__(self) -> str:
        return f"AppriseChannel({self.name!r}, urls_env={self._env!r})"

    def render(self, envelope: Envelope) -> Sequence[Message]:
        if not envelope.events:
            return []
        title, body = message_text(envelope)
        ids = tuple(e.id for e in envelope.events)
        return [Message(f"{envelope.destination}.apprise.txt", f"{title}\n\n{body}\n", ids)]

    def _notify_once(self, title: str, body: str) -> str | None:
        """None when apprise says it delivered, else why not."""
        with warnings.catch_warnings():
            # apprise's plugins load lazily and some import deprecated modules (imghdr)
            warnings.simplefilter("ignore", DeprecationWarning)
            return self._notify(title, body)

    def _notify(self, title: str, body: str) -> str | None:
        apobj = self._apprise.Apprise()
        for url in self._urls:
            if not apobj.add(url):
                return f"apprise does not understand a URL in {self._env}"
        try:
            ok = apobj.notify(title=title, body=body, body_format=self._apprise.NotifyFormat.TEXT)
        except Exception as exc:  # apprise's plugins raise what they like; it is a failure
            return redact(f"apprise raised {type(exc).__name__}: {exc}", self._urls)
        return None if ok else "apprise reported a failed delivery (False)"

    def deliver(self, envelope: Envelope, *, deadline: float) -> Sequence[Delivery]:
        if not envelope.events:
            return []
        title, body = message_text(envelope)
        outcome, attempts = Outcome.FAILED, 0
        error: str | None = "the notify step's time budget ran out"
        for attempt in range(1, self.retry.max_attempts + 1):
            if time.monotonic() >= deadline:
                break
            attempts = attempt
            why = self._notify_once(title, body)
            if why is None:
                outcome, error = Outcome.SENT, None
                break
            error = f"{why} (attempt {attempt} of {self.retry.max_attempts})"
            if why.startswith("apprise does not understand"):
                outcome = Outcome.REJECTED
                break
            wait = self.retry.backoff(attempt)
            if attempt < self.retry.max_attempts and time.monotonic() + wait < deadline:
                time.sleep(wait)
        return [
            Delivery(self.name, e.id, e.kind, outcome, attempts=attempts, error=error)
            for e in envelope.events
        ]


def build(name: str, settings: AppriseSettings, environ: Mapping[str, str]) -> AppriseChannel:
    raw = read_env(environ, settings.urls_env, name, "one or more apprise URLs")
    urls = [u for u in _SPLIT.split(raw) if u]
    for url in urls:
        register_secret(url)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import apprise
    except ImportError:
        raise NotifyError(
            f"channel {name!r} (apprise): install the extra: pip install 'qrunner[apprise]'"
        ) from None
    return AppriseChannel(name, settings, urls, apprise)
