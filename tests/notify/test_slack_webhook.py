"""Slack and the generic webhook over real HTTP against the fakes: grouping, limits, retries,
rejections, signatures, idempotency keys, and no secret in any error."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace

import pytest

from qrunner.emulator.fake_slack import SlackFake
from qrunner.emulator.fake_webhook import WebhookFake
from qrunner.emulator.faults import Fault
from qrunner.errors import NotifyError
from qrunner.notify.channels import CHANNELS
from qrunner.notify.events import Channel, Delivery, Envelope, EventKind, Outcome
from qrunner.validate.schemastore import validate_instance
from tests.notify.samples import (
    DURATION,
    HOSTILE_FACTS,
    HOSTILE_KEY,
    PASSING,
    envelope,
    event,
    scenarios,
)

HOOK_SECRET = "whsec-SECRET-notify-7f3a9c"


@pytest.fixture
def slack() -> Iterator[SlackFake]:
    with SlackFake() as fake:
        yield fake


@pytest.fixture
def hook() -> Iterator[WebhookFake]:
    with WebhookFake(secret=HOOK_SECRET) as fake:
        yield fake


def slack_channel(slack: SlackFake) -> Channel:
    return CHANNELS["slack"]("chat", {"url_env": "SLACK_HOOK"}, {"SLACK_HOOK": slack.webhook_url})


def webhook_channel(url: str, secret: str | None = HOOK_SECRET) -> Channel:
    settings = {"url_env": "GATES_HOOK_URL"} | (
        {"secret_env": "GATES_HOOK_SECRET"} if secret else {}
    )
    environ = {"GATES_HOOK_URL": url, "GATES_HOOK_SECRET": secret or ""}
    return CHANNELS["webhook"]("hook", settings, environ)


def deliver(channel: Channel, env: Envelope, budget: float = 30.0) -> Sequence[Delivery]:
    deliveries = channel.deliver(env, deadline=time.monotonic() + budget)
    assert [d.event_id for d in deliveries] == [e.id for e in env.events]
    return deliveries


# --- Slack -------------------------------------------------------------------------------------


def test_slack_gets_one_grouped_message_per_envelope_with_the_owners_mentions(
    slack: SlackFake,
) -> None:
    grouped = scenarios()["grouped"]
    deliveries = deliver(slack_channel(slack), grouped)
    assert {d.outcome for d in deliveries} == {Outcome.SENT}
    [message] = slack.messages
    texts = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert texts[0] == "cc <!subteam^S0123ABC> <@U0456DEF>"
    headings = [t for t in texts if t.startswith("*") and t.endswith(")")]
    assert headings == ["*Firing* (2)", "*Still failing* (1)", "*Resolved* (1)"]
    assert message["text"].startswith("<!subteam^S0123ABC> <@U0456DEF> qrunner: 2 firing")


def test_an_oversized_run_is_accepted_by_slack_within_its_limits(slack: SlackFake) -> None:
    deliveries = deliver(slack_channel(slack), scenarios()["oversized"])
    assert {d.outcome for d in deliveries} == {Outcome.SENT}
    assert len(slack.messages[0]["blocks"]) == 50


def test_slack_429_is_retried_after_retry_after(slack: SlackFake) -> None:
    slack.faults.add(Fault("rate_limited", endpoint="slack", retry_after="1", times=1))
    [sent] = deliver(slack_channel(slack), envelope(event(EventKind.FIRING)))
    assert sent.outcome is Outcome.SENT and sent.attempts == 2
    assert len(slack.messages) == 1


def test_slack_500_is_retried(slack: SlackFake) -> None:
    slack.faults.add(Fault("status", endpoint="slack", status=500, times=1))
    [sent] = deliver(slack_channel(slack), envelope(event(EventKind.FIRING)))
    assert sent.outcome is Outcome.SENT and sent.attempts == 2


@pytest.mark.parametrize(
    ("state", "status", "code"),
    [("removed", 404, "no_service"), ("archived", 410, "channel_is_archived"),
     ("revoked", 403, "invalid_token")],
)  # fmt: skip
def test_a_gone_slack_webhook_is_rejected_at_once_without_its_url(
    slack: SlackFake, state: str, status: int, code: str
) -> None:
    slack.state = state
    [rejected] = deliver(slack_channel(slack), envelope(event(EventKind.FIRING)))
    assert rejected.outcome is Outcome.REJECTED and rejected.attempts == 1
    assert rejected.error == (
        f"POST to the Slack webhook in SLACK_HOOK was refused (HTTP {status}: {code})"
    )
    assert slack.count("POST") == 1


def test_slack_400_invalid_payload_is_rejected(slack: SlackFake) -> None:
    slack.faults.add(Fault("status", endpoint="slack", status=400))
    [rejected] = deliver(slack_channel(slack), envelope(event(EventKind.FIRING)))
    assert rejected.outcome is Outcome.REJECTED and slack.count("POST") == 1
    assert rejected.error is not None and slack.webhook_url not in rejected.error
    assert "/services/" not in rejected.error


def test_hostile_data_pings_no_one_in_slack(slack: SlackFake) -> None:
    hostile = event(EventKind.FIRING, key=HOSTILE_KEY, facts=HOSTILE_FACTS)
    deliver(slack_channel(slack), envelope(hostile))
    raw = json.dumps(slack.messages[0], ensure_ascii=False)
    assert "<!channel>" not in raw and "<!here>" not in raw and "<@U999>" not in raw
    assert "<!subteam^S0BAD>" not in raw and "<!everyone>" not in raw
    assert "@here" not in raw and "@acme/all" not in raw and "http://evil" not in raw
    assert raw.count("<!subteam^S0123ABC>") == 2  # the owner's, in the blocks and the text


# --- webhook -----------------------------------------------------------------------------------


def test_each_event_is_one_signed_post_with_its_idempotency_key(hook: WebhookFake) -> None:
    env = scenarios()["grouped"]
    deliveries = deliver(webhook_channel(hook.hook_url), env)
    assert {d.outcome for d in deliveries} == {Outcome.SENT}
    assert hook.rejected == []  # every signature and timestamp checked out
    assert hook.keys() == [e.id for e in env.events]
    for received in hook.deliveries:
        assert validate_instance("notify-webhook-v1", received.payload) == []
    assert [d.payload["action"] for d in hook.deliveries] == [
        "trigger", "trigger", "trigger", "resolve"
    ]  # fmt: skip


def test_a_re_sent_event_is_dropped_by_the_receiver_by_its_key(hook: WebhookFake) -> None:
    env = envelope(event(EventKind.FIRING))
    deliver(webhook_channel(hook.hook_url), env)
    [again] = deliver(webhook_channel(hook.hook_url), env)
    assert again.outcome is Outcome.SENT  # a 2xx: the receiver already has it
    assert len(hook.deliveries) == 1 and hook.duplicates == 1


def test_a_webhook_500_is_retried(hook: WebhookFake) -> None:
    hook.faults.add(Fault("status", endpoint="webhook", status=500, times=1))
    [sent] = deliver(webhook_channel(hook.hook_url), envelope(event(EventKind.FIRING)))
    assert sent.outcome is Outcome.SENT and sent.attempts == 2
    assert len(hook.deliveries) == 1


@pytest.mark.parametrize("status", [204, 301, 302, 304])
def test_only_a_2xx_counts_as_sent(hook: WebhookFake, status: int) -> None:
    """A redirect (a moved receiver, a login page) is never taken for a delivery."""
    hook.faults.add(Fault("status", endpoint="webhook", status=status))
    [delivery] = deliver(webhook_channel(hook.hook_url), envelope(event(EventKind.FIRING)))
    assert (delivery.outcome is Outcome.SENT) == (status == 204), delivery


def test_a_webhook_down_for_the_whole_budget_fails_within_it(hook: WebhookFake) -> None:
    hook.faults.add(Fault("rate_limited", endpoint="webhook", retry_after="5"))
    started = time.monotonic()
    [failed] = deliver(webhook_channel(hook.hook_url), envelope(event(EventKind.FIRING)), 2.0)
    assert time.monotonic() - started < 2.0  # a wait past the budget is not even started
    assert failed.outcome is Outcome.FAILED and failed.attempts == 1
    assert failed.error is not None and "time budget" in failed.error


def test_a_wrong_secret_is_rejected_and_never_shown(hook: WebhookFake) -> None:
    [rejected] = deliver(
        webhook_channel(hook.hook_url, "wrong-secret-123"), envelope(event(EventKind.FIRING))
    )
    assert rejected.outcome is Outcome.REJECTED and rejected.attempts == 1
    assert rejected.error is not None and "HTTP 401" in rejected.error
    assert "wrong-secret-123" not in rejected.error


def test_an_unsigned_webhook_sends_no_signature() -> None:
    with WebhookFake() as open_hook:
        deliver(webhook_channel(open_hook.hook_url, None), envelope(event(EventKind.FIRING)))
        [received] = open_hook.deliveries
    assert "x-qrunner-signature" not in received.headers


def test_an_unreachable_webhook_fails_without_its_url_or_token() -> None:
    url = "http://127.0.0.1:9/hook?token=tok-SECRET-0042"  # the discard port: refused
    [failed] = deliver(webhook_channel(url, None), envelope(event(EventKind.FIRING)), 1.5)
    assert failed.outcome is Outcome.FAILED
    assert failed.error is not None and failed.error.startswith(
        "POST to the webhook in GATES_HOOK_URL"
    )
    assert "tok-SECRET-0042" not in failed.error and "127.0.0.1:9" not in failed.error


def test_one_failed_event_does_not_stop_the_next(hook: WebhookFake) -> None:
    hook.faults.add(Fault("status", endpoint="webhook", status=400, match="check A"))
    events = [
        event(EventKind.FIRING, key=replace(DURATION, check="check A")),
        event(EventKind.RESOLVED, facts=PASSING),
    ]
    deliveries = deliver(webhook_channel(hook.hook_url), envelope(*events))
    assert [d.outcome for d in deliveries] == [Outcome.REJECTED, Outcome.SENT]


def test_a_missing_webhook_secret_says_which_variable_to_set() -> None:
    settings = {"url_env": "GATES_HOOK_URL", "secret_env": "GATES_HOOK_SECRET"}
    with pytest.raises(NotifyError, match="set GATES_HOOK_SECRET"):
        CHANNELS["webhook"]("hook", settings, {"GATES_HOOK_URL": "http://127.0.0.1/x"})
    model = CHANNELS["webhook"].settings_model.model_validate(settings)
    assert CHANNELS["webhook"].required_env(model) == ["GATES_HOOK_URL", "GATES_HOOK_SECRET"]
