"""The fake Slack webhook accepts what Slack accepts and refuses the rest in Slack's words."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from qrunner.emulator.fake_slack import SlackFake
from qrunner.emulator.faults import Fault, RateLimit


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


def test_a_message_is_accepted_with_the_text_ok(slack: SlackFake) -> None:
    payload = {"text": "2 checks failing", "blocks": [_header("qrunner"), _section("*p90* 41 s")]}
    answer = httpx.post(slack.webhook_url, json=payload)
    assert (answer.status_code, answer.text) == (200, "ok")
    assert answer.headers["content-type"].startswith("text/plain")
    assert slack.messages == [payload]


def test_a_form_encoded_payload_is_accepted_too(slack: SlackFake) -> None:
    answer = httpx.post(slack.webhook_url, data={"payload": '{"text": "hi"}'})
    assert answer.text == "ok" and slack.messages == [{"text": "hi"}]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"{not json", "invalid_payload"),
        (b"[1, 2]", "invalid_payload"),
        (b"{}", "no_text"),
        (b'{"text": ""}', "no_text"),
    ],
)
def test_bad_payloads_are_400_with_slacks_code(slack: SlackFake, payload: bytes, code: str) -> None:
    answer = httpx.post(
        slack.webhook_url, content=payload, headers={"Content-Type": "application/json"}
    )
    assert (answer.status_code, answer.text) == (400, code)
    assert slack.messages == []


@pytest.mark.parametrize(
    ("blocks", "accepted"),
    [
        ([_section("x")] * 50, True),
        ([_section("x")] * 51, False),
        ([_section("x" * 3000)], True),
        ([_section("x" * 3001)], False),
        ([_header("x" * 150)], True),
        ([_header("x" * 151)], False),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}], False),
        ([_section("")], False),
        ([{"type": "section"}], False),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 10}], True),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}], False),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}], False),
        ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 10}], True),
        ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}], False),
        ([{"type": "divider"}], True),
        ([{"type": "blink"}], False),
        ([{**_section("x"), "block_id": "b" * 256}], False),
    ],
)
def test_block_kit_limits(slack: SlackFake, blocks: list[Any], accepted: bool) -> None:
    answer = httpx.post(slack.webhook_url, json={"text": "fallback", "blocks": blocks})
    assert (answer.status_code, answer.text) == (
        (200, "ok") if accepted else (400, "invalid_blocks")
    )
    assert len(slack.messages) == int(accepted)


def test_a_very_long_text_is_truncated_not_refused(slack: SlackFake) -> None:
    assert httpx.post(slack.webhook_url, json={"text": "x" * 50_000}).text == "ok"
    assert len(slack.messages[0]["text"]) == 40_000


@pytest.mark.parametrize(
    ("state", "status", "code"),
    [("archived", 410, "channel_is_archived"), ("revoked", 403, "invalid_token"),
     ("removed", 404, "no_service")],
)  # fmt: skip
def test_a_dead_webhook_answers_as_slack_does(
    slack: SlackFake, state: str, status: int, code: str
) -> None:
    slack.state = state
    answer = httpx.post(slack.webhook_url, json={"text": "hi"})
    assert (answer.status_code, answer.text) == (status, code)


def test_another_path_is_no_service(slack: SlackFake) -> None:
    answer = httpx.post(slack.url + "/services/T000/B000/wrong", json={"text": "hi"})
    assert (answer.status_code, answer.text) == (404, "no_service")


def test_a_rate_limit_is_429_with_retry_after(slack: SlackFake) -> None:
    slack.faults.add(Fault("rate_limited", endpoint="slack", retry_after="3", times=1))
    answer = httpx.post(slack.webhook_url, json={"text": "hi"})
    assert (answer.status_code, answer.text, answer.headers["retry-after"]) == (
        429,
        "rate_limited",
        "3",
    )
    assert httpx.post(slack.webhook_url, json={"text": "hi"}).text == "ok"
    assert len(slack.messages) == 1


def test_an_emulated_pace_refuses_the_second_post_in_a_second(slack: SlackFake) -> None:
    slack.faults.limit(RateLimit(limit=1, period=60))
    assert httpx.post(slack.webhook_url, json={"text": "1"}).status_code == 200
    second = httpx.post(slack.webhook_url, json={"text": "2"})
    assert second.status_code == 429 and second.headers["retry-after"]
    assert [m["text"] for m in slack.messages] == ["1"]
