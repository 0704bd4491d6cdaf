"""Delivering envelopes: every destination at once, isolated, under one time budget.

A destination whose channel cannot be built (a missing env var), raises (a bug), or answers
with errors fails on its own: the others are neither blocked nor re-sent. A channel that
returns no delivery for an event (or runs past the budget) has not delivered it: FAILED, so
the event stays in the outbox. Nothing counts as sent without the channel saying SENT.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

from qrunner.errors import NotifyError
from qrunner.notify.events import Channel, Delivery, Envelope, Outcome
from qrunner.secrets import redact


def _failed(envelope: Envelope, error: str) -> list[Delivery]:
    return [
        Delivery(envelope.destination, e.id, e.kind, Outcome.FAILED, error=redact(error))
        for e in envelope.events
    ]


def _complete(envelope: Envelope, deliveries: Sequence[Delivery]) -> list[Delivery]:
    """One delivery per event, in the envelope's order; a missing one is a failure."""
    by_id = {d.event_id: d for d in deliveries}
    found = []
    for event in envelope.events:
        delivery = by_id.get(event.id)
        if delivery is None:
            reason = "the channel did not report this event"
            delivery = Delivery(
                envelope.destination, event.id, event.kind, Outcome.FAILED, error=reason
            )
        delivery.error = redact(delivery.error) if delivery.error else None
        found.append(delivery)
    return found


def _close(channel: Channel) -> None:
    """Channels holding an HTTP client release it (``close`` is optional in the protocol)."""
    close = getattr(channel, "close", None)
    if callable(close):
        close()


def deliver_all(
    envelopes: Sequence[Envelope],
    build: Callable[[str], Channel],
    *,
    budget: float,
) -> list[Delivery]:
    """Deliver each envelope through ``build(destination)``; one delivery per event."""
    deadline = time.monotonic() + budget

    def one(envelope: Envelope) -> list[Delivery]:
        try:
            channel = build(envelope.destination)
        except Exception as e:  # isolation: one destination's problem is its own outcome
            return _failed(
                envelope, f"{type(e).__name__}: {e}" if not isinstance(e, NotifyError) else str(e)
            )
        try:
            return _complete(envelope, channel.deliver(envelope, deadline=deadline))
        except Exception as e:
            return _failed(envelope, f"{type(e).__name__}: {e}")
        finally:
            _close(channel)

    if not envelopes:
        return []
    pool = ThreadPoolExecutor(max_workers=len(envelopes), thread_name_prefix="qrunner-notify")
    futures = [pool.submit(one, envelope) for envelope in envelopes]
    # A channel that ignores its deadline is not waited for past the budget (plus a grace).
    wait(futures, timeout=max(0.0, deadline - time.monotonic()) + 5.0)
    pool.shutdown(wait=False, cancel_futures=True)
    results: list[Delivery] = []
    for envelope, future in zip(envelopes, futures, strict=True):
        if future.done() and not future.cancelled():
            results += future.result()
        else:
            results += _failed(envelope, "the notify step's time budget ran out")
    return results


def render_all(
    envelopes: Sequence[Envelope], build: Callable[[str], Channel], out: Path | None
) -> tuple[list[Delivery], dict[str, str]]:
    """``--dry-run``: every message rendered (written under ``out/DESTINATION/`` when given),
    nothing sent; the rendered texts by ``destination/name``."""
    from qrunner.reports.atomic import write_atomic

    deliveries: list[Delivery] = []
    rendered: dict[str, str] = {}
    for envelope in envelopes:
        try:
            channel = build(envelope.destination)
            try:
                messages = channel.render(envelope)
            finally:
                _close(channel)
        except Exception as e:
            deliveries += _failed(envelope, f"{type(e).__name__}: {e}")
            continue
        for message in messages:
            name = f"{envelope.destination}/{Path(message.name).name}"
            rendered[name] = message.content
            if out is not None:
                write_atomic(out / name, message.content)
        deliveries += [
            Delivery(envelope.destination, e.id, e.kind, Outcome.RENDERED) for e in envelope.events
        ]
    return deliveries, rendered


def mentions_for(owners: Mapping[str, object], names: Sequence[str | None]) -> dict[str, object]:
    return {n: owners[n] for n in names if n is not None and n in owners}
