"""Slack incoming webhook: one grouped message per envelope (per run and route).

The message is Block Kit with a text fallback: a header with the counts ("qrunner: 2 firing,
1 resolved"), the owners' mentions (only from the routing file's ``owners``, only for events
that need attention), then a section per kind (Firing, Escalated, Still failing, Could not
judge, Missed ticks, …, Resolved) with a section per event, and a footer saying how to silence.
Slack's limits are kept, never exceeded: at most ``SLACK_MAX_BLOCKS`` blocks (the events that
do not fit are counted: "… and 7 more events"), ``SLACK_MAX_SECTION_CHARS`` a section, the
fallback text within ``SLACK_MAX_TEXT_CHARS``. Text from data goes through
:func:`~qrunner.notify.channels.escape.slack_text`.

Delivery: one POST per envelope, paced to one post per ``SLACK_POST_INTERVAL_SECONDS`` per
webhook, retried on network errors, 5xx and 429 (``Retry-After`` honoured); 400
(``invalid_payload``, ``invalid_blocks``), 403, 404 (``no_service``), 410
(``channel_is_archived``) are rejected at once. Every event of the envelope shares the outcome.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from qrunner.limits import (
    SLACK_MAX_BLOCKS,
    SLACK_MAX_SECTION_CHARS,
    SLACK_MAX_TEXT_CHARS,
    SLACK_POST_INTERVAL_SECONDS,
)
from qrunner.notify.channels.content import (
    ATTENTION,
    HEADINGS,
    describe,
    grouped,
    headline,
    silence_hint,
)
from qrunner.notify.channels.escape import cut, slack_mention, slack_text
from qrunner.notify.channels.sender import Sender, SendFailure
from qrunner.notify.channels.settings import SlackSettings, read_env
from qrunner.notify.events import Delivery, Envelope, Event, Message, Outcome
from qrunner.secrets import register_secret

_HEADER_CHARS = 150  # Slack's limit for a header block's text
# Blocks kept for the header, the mentions, the "and N more" line and the footer.
_RESERVED_BLOCKS = 4


def _section(text: str) -> dict[str, Any]:
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": cut(text, SLACK_MAX_SECTION_CHARS)},
    }


def event_text(event: Event, envelope: Envelope) -> str:
    """One event as mrkdwn: title, state, measures, offenders, timing, error, links."""
    view = describe(event, envelope.links)
    lines = [f"*{slack_text(view.title)}*" + (f" — {slack_text(view.where)}" if view.where else "")]
    lines.append(slack_text(view.state, 1000))
    if view.measures:
        lines.append(" · ".join(slack_text(m) for m in view.measures))
    for group, value in view.offenders:
        lines.append(f"• {slack_text(group)}: {slack_text(value)}")
    if view.more_offenders:
        lines.append(f"• … and {view.more_offenders} more")
    lines.append(" · ".join(slack_text(t) for t in view.timing))
    if view.message:
        lines.append(f"> {slack_text(view.message, 1000)}")
    if view.links:
        lines.append(" · ".join(f"<{url}|{label}>" for label, url in view.links))
    return "\n".join(lines)


def mentions_for(envelope: Envelope) -> list[str]:
    """The Slack mentions of the owners of events that need attention, each once."""
    found: list[str] = []
    for event in envelope.events:
        owner = event.owner or ""
        if event.kind in ATTENTION and owner in envelope.mentions:
            mention = slack_mention(envelope.mentions[owner].slack)
            if mention and mention not in found:
                found.append(mention)
    return found


def payload(envelope: Envelope) -> dict[str, Any]:
    """The JSON body posted to the webhook."""
    title = headline(envelope.events)
    mentions = mentions_for(envelope)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:_HEADER_CHARS]}}
    ]
    if mentions:
        blocks.append(_section("cc " + " ".join(mentions)))
    room = SLACK_MAX_BLOCKS - _RESERVED_BLOCKS
    left_out = 0
    for kind, events in grouped(envelope.events):
        if room < 2:
            left_out += len(events)
            continue
        blocks.append(_section(f"*{HEADINGS[kind]}* ({len(events)})"))
        room -= 1
        for event in events:
            if room < 1:
                left_out += 1
                continue
            blocks.append(_section(event_text(event, envelope)))
            room -= 1
    if left_out:
        blocks.append(_section(f"… and {left_out} more events: see the run's report"))
    specs = {e.key.spec for e in envelope.events}
    only = envelope.events[0] if len(specs) == 1 else None  # a grouped message names no spec
    hint = silence_hint(only, envelope.links) if envelope.events else ""
    footer = f"run {slack_text(envelope.run_id)}" + (f" · {slack_text(hint, 500)}" if hint else "")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]})
    names = ", ".join(slack_text(describe(e, envelope.links).title, 80) for e in envelope.events)
    text = " ".join([*mentions, f"{title}:", names]) if names else title
    return {"text": cut(text, SLACK_MAX_TEXT_CHARS), "blocks": blocks}


class SlackChannel:
    def __init__(self, name: str, settings: SlackSettings, url: str) -> None:
        self.name = name
        self._url = url
        self._env = settings.url_env
        register_secret(url)
        register_secret(urlsplit(url).path)  # the webhook's path is its credential
        pace_key = hashlib.sha256(url.encode()).hexdigest()
        self._sender = Sender(
            service="Slack",
            secrets=(url,),
            interval=SLACK_POST_INTERVAL_SECONDS,
            pace_key=pace_key,
        )

    def __repr__(self) -> str:
        return f"SlackChannel({self.name!r}, url_env={self._env!r})"

    def render(self, envelope: Envelope) -> Sequence[Message]:
        if not envelope.events:
            return []
        content = json.dumps(payload(envelope), indent=2, ensure_ascii=False) + "\n"
        ids = tuple(e.id for e in envelope.events)
        return [Message(f"{envelope.destination}.slack.json", content, ids)]

    def close(self) -> None:
        """Release the HTTP client (the notify step calls it after delivering)."""
        self._sender.close()

    def deliver(self, envelope: Envelope, *, deadline: float) -> Sequence[Delivery]:
        if not envelope.events:
            return []
        outcome, attempts, error = Outcome.SENT, 0, None
        try:
            answer = self._sender.send(
                "POST",
                self._url,
                what=f"POST to the Slack webhook in {self._env}",
                deadline=deadline,
                json_body=payload(envelope),
            )
            attempts = answer.attempts
        except SendFailure as failure:
            outcome, attempts, error = failure.outcome, failure.attempts, failure.message
        finally:
            self._sender.close()
        return [
            Delivery(self.name, e.id, e.kind, outcome, attempts=attempts, error=error)
            for e in envelope.events
        ]


def build(name: str, settings: SlackSettings, environ: Mapping[str, str]) -> SlackChannel:
    url = read_env(environ, settings.url_env, name, "the Slack incoming webhook's URL")
    return SlackChannel(name, settings, url)
