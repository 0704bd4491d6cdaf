"""The fake webhook receiver checks signatures and delivers each idempotency key once."""

from __future__ import annotations

import json

import httpx
import pytest

from qrunner.emulator.fake_webhook import WebhookFake, sign, signature_headers
from tests.emulator.conftest import HOOK_SECRET

BODY = json.dumps({"version": 1, "event": "firing", "incident": "ab12"}).encode()


def _post(hook: WebhookFake, headers: dict[str, str], body: bytes = BODY) -> httpx.Response:
    return httpx.post(
        hook.hook_url, content=body, headers={"Content-Type": "application/json", **headers}
    )


def test_a_signed_delivery_is_accepted_and_recorded(hook: WebhookFake) -> None:
    answer = _post(
        hook, {**signature_headers(HOOK_SECRET, BODY), "Idempotency-Key": "ab12:t1:firing"}
    )
    assert answer.status_code == 200 and answer.json() == {"status": "accepted"}
    [delivery] = hook.deliveries
    assert delivery.payload["event"] == "firing" and delivery.key == "ab12:t1:firing"
    assert delivery.headers["x-qrunner-signature"].startswith("sha256=")


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = "sha256=" + __import__("hmac").new(b"k", b"1700000000." + BODY, "sha256").hexdigest()
    assert sign("k", "1700000000", BODY) == expected


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "signature missing"),
        (signature_headers("another-secret", BODY), "signature does not match"),
        ({**signature_headers(HOOK_SECRET, BODY), "X-Qrunner-Timestamp": "soon"}, "not a number"),
    ],
)
def test_a_bad_signature_is_refused_with_401(
    hook: WebhookFake, headers: dict[str, str], reason: str
) -> None:
    answer = _post(hook, headers)
    assert answer.status_code == 401 and reason in answer.json()["error"]
    assert hook.deliveries == [] and reason in hook.rejected[0].reason


@pytest.mark.parametrize("offset", [-301, 301, -86400])
def test_a_timestamp_more_than_five_minutes_off_is_refused(offset: int) -> None:
    now = 1_800_000_000.0
    with WebhookFake(secret=HOOK_SECRET, now=lambda: now) as hook:
        answer = _post(hook, signature_headers(HOOK_SECRET, BODY, now + offset))
        assert answer.status_code == 401 and "s off" in answer.json()["error"]
        assert _post(hook, signature_headers(HOOK_SECRET, BODY, now + offset // 2)).status_code == (
            200 if abs(offset) < 1000 else 401
        )


def test_a_signature_over_another_body_is_refused(hook: WebhookFake) -> None:
    answer = _post(
        hook, signature_headers(HOOK_SECRET, BODY), body=BODY.replace(b"firing", b"resolved")
    )
    assert answer.status_code == 401


def test_a_repeated_key_is_answered_but_delivered_once(hook: WebhookFake) -> None:
    for _ in range(3):
        answer = _post(hook, {**signature_headers(HOOK_SECRET, BODY), "Idempotency-Key": "k1"})
        assert answer.status_code == 200
    _post(hook, {**signature_headers(HOOK_SECRET, BODY), "Idempotency-Key": "k2"})
    assert hook.keys() == ["k1", "k2"] and hook.duplicates == 2


def test_a_refused_delivery_does_not_use_up_its_key(hook: WebhookFake) -> None:
    assert _post(hook, {"Idempotency-Key": "k1"}).status_code == 401
    assert _post(
        hook, {**signature_headers(HOOK_SECRET, BODY), "Idempotency-Key": "k1"}
    ).json() == {"status": "accepted"}


def test_without_a_secret_nothing_is_checked_but_keys_may_be_required() -> None:
    with WebhookFake(require_key=True, accept_status=202) as hook:
        assert _post(hook, {}).status_code == 400
        assert _post(hook, {"Idempotency-Key": "k"}).status_code == 202
        assert _post(hook, {"Idempotency-Key": "k2"}, body=b"not json").status_code == 400
        assert len(hook.deliveries) == 1


def test_credentials_sent_to_the_hook_are_not_recorded(hook: WebhookFake) -> None:
    headers = {**signature_headers(HOOK_SECRET, BODY), "Authorization": "Bearer pd-SECRET-key"}
    _post(hook, headers)
    assert "pd-SECRET-key" not in repr(hook.deliveries) + repr(hook.requests)
    assert hook.deliveries[0].headers["authorization"] == "Bearer ***"
