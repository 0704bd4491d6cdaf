"""Generic webhook: one signed JSON POST per event, the schema ``notify-webhook-v1``.

One POST per event, not per envelope: the ``Idempotency-Key`` header is the event's id
(incident, tick and kind), so a receiver drops a re-sent event exactly, a failed event is
re-sent alone from the outbox without repeating the ones that went through, and the shape is
the one PagerDuty-like receivers take (one alert per request, ``dedup_key`` the incident,
``action`` trigger / resolve / info). A Teams workflow or any other receiver maps the same
fields (``summary`` is a ready one-line text).

With ``secret_env`` every request is signed::

    X-Qrunner-Timestamp: <unix seconds>
    X-Qrunner-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

A receiver recomputes the HMAC over the raw body, compares in constant time and refuses old
timestamps (replays). Strings from data are sent as data (JSON-escaped, secrets redacted,
names cut to ``NOTIFY_NAME_CHARS``, offenders to the top ``NOTIFY_OFFENDERS_SHOWN`` with
``offenders_total``); the receiver escapes them for wherever it shows them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from qrunner.limits import NOTIFY_OFFENDERS_SHOWN
from qrunner.notify.channels.content import describe, event_links
from qrunner.notify.channels.escape import plain
from qrunner.notify.channels.sender import Sender, SendFailure
from qrunner.notify.channels.settings import WebhookSettings, read_env
from qrunner.notify.events import Delivery, Envelope, Event, EventKind, Message, Outcome
from qrunner.secrets import register_secret

SCHEMA_NAME = "notify-webhook-v1"
TIMESTAMP_HEADER = "X-Qrunner-Timestamp"
SIGNATURE_HEADER = "X-Qrunner-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
_RESOLVE = frozenset({EventKind.RESOLVED})
_INFO = frozenset({EventKind.REPORT, EventKind.STATE_RESET, EventKind.TEST})


def _text(value: str | None, limit: int | None = None) -> str | None:
    if value is None:
        return None
    return plain(value, limit) if limit else plain(value)


def event_body(event: Event, envelope: Envelope) -> dict[str, Any]:
    """The JSON document for one event (``schemas/notify-webhook-v1.schema.json``)."""
    facts, key = event.facts, event.key
    view = describe(event, envelope.links)
    links = dict(event_links(event, envelope.links))
    action = "resolve" if event.kind in _RESOLVE else "info" if event.kind in _INFO else "trigger"
    summary = f"qrunner: {view.title}" + (f" ({view.where})" if view.where else "")
    return {
        "version": 1,
        "event": {
            "id": event.id,
            "kind": str(event.kind),
            "tick": event.tick,
            "since": event.since,
            "ticks_failing": event.ticks_failing,
            "missed_ticks": list(event.missed_ticks),
            "delayed": event.delayed,
        },
        "incident": {
            "id": key.id,
            "target": _text(key.target),
            "spec": _text(key.spec),
            "check": _text(key.check),
            "group": _text(key.group),
        },
        "action": action,
        "dedup_key": key.id,
        "summary": f"{summary}: {view.state}",
        "owner": _text(event.owner),
        "severity": _text(event.severity),
        "check": {
            "status": facts.status,
            "observed": _text(facts.observed),
            "threshold": _text(facts.threshold),
            "baseline": _text(facts.baseline),
            "offenders": [
                {"group": plain(o.group), "value": plain(o.value)}
                for o in facts.offenders[:NOTIFY_OFFENDERS_SHOWN]
            ],
            "offenders_total": max(facts.offenders_total, len(facts.offenders)),
            "message": _text(facts.message, 1000),
            "file": _text(facts.file),
            "line": facts.line,
            "git_commit": facts.git_commit,
            "window": {"start": facts.window[0], "end": facts.window[1]} if facts.window else None,
        },
        "links": {
            "run": links.get("run"),
            "spec": links.get("spec"),
            "trend": links.get("trend report"),
            "runbook": links.get("runbook"),
        },
        "silence": view.silence,
        "run_id": envelope.run_id,
        "destination": envelope.destination,
    }


def encode(body: Mapping[str, Any]) -> bytes:
    """The exact bytes posted (and signed)."""
    return json.dumps(body, ensure_ascii=False, sort_keys=True, indent=2).encode() + b"\n"


def sign(secret: str, timestamp: str, raw: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class WebhookChannel:
    def __init__(self, name: str, settings: WebhookSettings, url: str, secret: str | None):
        self.name = name
        self._url, self._secret = url, secret
        self._env = settings.url_env
        register_secret(url)
        register_secret(secret)
        self._sender = Sender(service="webhook", secrets=tuple(s for s in (url, secret) if s))

    def __repr__(self) -> str:
        return f"WebhookChannel({self.name!r}, url_env={self._env!r})"

    def render(self, envelope: Envelope) -> Sequence[Message]:
        return [
            Message(
                f"{envelope.destination}.{n:03d}.{event.kind}.json",
                encode(event_body(event, envelope)).decode(),
                (event.id,),
            )
            for n, event in enumerate(envelope.events, 1)
        ]

    def close(self) -> None:
        """Release the HTTP client (the notify step calls it after delivering)."""
        self._sender.close()

    def deliver(self, envelope: Envelope, *, deadline: float) -> Sequence[Delivery]:
        try:
            return [self._deliver_one(event, envelope, deadline) for event in envelope.events]
        finally:
            self._sender.close()

    def _deliver_one(self, event: Event, envelope: Envelope, deadline: float) -> Delivery:
        raw = encode(event_body(event, envelope))
        headers = {"Content-Type": "application/json", IDEMPOTENCY_HEADER: event.id}
        if self._secret:
            stamp = str(int(time.time()))
            headers |= {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(self._secret, stamp, raw)}
        delivery = Delivery(self.name, event.id, event.kind, Outcome.SENT)
        try:
            answer = self._sender.send(
                "POST",
                self._url,
                what=f"POST to the webhook in {self._env}",
                deadline=deadline,
                content=raw,
                headers=headers,
            )
            delivery.attempts = answer.attempts
        except SendFailure as failure:
            delivery.outcome, delivery.attempts = failure.outcome, failure.attempts
            delivery.error = failure.message
        return delivery


def build(name: str, settings: WebhookSettings, environ: Mapping[str, str]) -> WebhookChannel:
    url = read_env(environ, settings.url_env, name, "the webhook's URL")
    secret = None
    if settings.secret_env:
        secret = read_env(environ, settings.secret_env, name, "the webhook's signing secret")
    return WebhookChannel(name, settings, url, secret)
