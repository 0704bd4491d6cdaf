"""Each fault kind acted out by each notification fake, for ``times`` requests, then healed."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from qrunner.emulator.fake_github import GitHubFake
from qrunner.emulator.fake_slack import SlackFake
from qrunner.emulator.fake_webhook import WebhookFake
from qrunner.emulator.faults import Fault
from qrunner.emulator.loopback import LoopbackServer
from tests.emulator.conftest import REPO, TOKEN


@dataclass(frozen=True)
class Target:
    """How to start one fake and send it the request a notifier would."""

    name: str
    start: Callable[[], LoopbackServer]
    send: Callable[[LoopbackServer, float], httpx.Response]
    delivered: Callable[[LoopbackServer], int]


def _github_send(fake: LoopbackServer, timeout: float) -> httpx.Response:
    return httpx.post(
        f"{fake.url}/repos/{REPO}/issues", json={"title": "t"},
        headers={"Authorization": f"Bearer {TOKEN}"}, timeout=timeout,
    )  # fmt: skip


def _slack_send(fake: LoopbackServer, timeout: float) -> httpx.Response:
    assert isinstance(fake, SlackFake)
    return httpx.post(fake.webhook_url, json={"text": "t"}, timeout=timeout)


def _hook_send(fake: LoopbackServer, timeout: float) -> httpx.Response:
    assert isinstance(fake, WebhookFake)
    return httpx.post(fake.hook_url, json={"event": "firing"}, timeout=timeout)


TARGETS = [
    Target("github", lambda: GitHubFake(repo=REPO, token=TOKEN), _github_send,
           lambda f: len(f.issues) if isinstance(f, GitHubFake) else 0),
    Target("slack", SlackFake, _slack_send,
           lambda f: len(f.messages) if isinstance(f, SlackFake) else 0),
    Target("webhook", WebhookFake, _hook_send,
           lambda f: len(f.deliveries) if isinstance(f, WebhookFake) else 0),
]  # fmt: skip


@pytest.fixture(params=TARGETS, ids=[t.name for t in TARGETS])
def target(request: pytest.FixtureRequest) -> Iterator[tuple[Target, LoopbackServer]]:
    spec: Target = request.param
    with spec.start() as fake:
        yield spec, fake


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_for_times_requests_then_normal(
    target: tuple[Target, LoopbackServer], status: int
) -> None:
    spec, fake = target
    fake.faults.add(Fault("status", endpoint=spec.name, status=status, times=2))
    assert [spec.send(fake, 5).status_code for _ in range(3)][:2] == [status, status]
    assert spec.delivered(fake) == 1
    assert [r.fault for r in fake.requests] == ["status", "status", None]
    assert [r.status for r in fake.requests][:2] == [status, status]


def test_a_fault_for_another_endpoint_does_not_apply(target: tuple[Target, LoopbackServer]) -> None:
    spec, fake = target
    fake.faults.add(Fault("status", endpoint="ci_tests", status=500))
    assert spec.send(fake, 5).status_code in (200, 201)


def test_429_says_when_to_retry(target: tuple[Target, LoopbackServer]) -> None:
    spec, fake = target
    fake.faults.add(Fault("rate_limited", endpoint=spec.name, status=429, retry_after="2", times=1))
    answer = spec.send(fake, 5)
    assert answer.status_code == 429 and answer.headers["retry-after"] == "2"
    assert spec.delivered(fake) == 0


def test_slow_answers_arrive_late_but_whole(target: tuple[Target, LoopbackServer]) -> None:
    spec, fake = target
    fake.faults.add(Fault("latency", endpoint=spec.name, delay=0.5, times=1))
    with pytest.raises(httpx.ReadTimeout):
        spec.send(fake, 0.1)
    fake.faults.add(Fault("latency", endpoint=spec.name, delay=0.05, times=1))
    assert spec.send(fake, 5).status_code in (200, 201)


def test_a_reset_drops_the_connection_without_an_answer(
    target: tuple[Target, LoopbackServer],
) -> None:
    spec, fake = target
    fake.faults.add(Fault("reset", endpoint=spec.name, times=1))
    with pytest.raises(httpx.TransportError):
        spec.send(fake, 5)
    assert fake.requests[0].status == 0 and spec.delivered(fake) == 0
    assert spec.send(fake, 5).status_code in (200, 201)


def test_a_hang_never_answers_until_the_client_gives_up(
    target: tuple[Target, LoopbackServer],
) -> None:
    spec, fake = target
    fake.faults.add(Fault("hang", endpoint=spec.name, times=1))
    with pytest.raises(httpx.ReadTimeout):
        spec.send(fake, 0.2)
    assert spec.send(fake, 5).status_code in (200, 201)  # the fake serves others meanwhile
    assert spec.delivered(fake) == 1


def test_a_fault_can_match_one_method_and_path() -> None:
    with GitHubFake(repo=REPO, token=TOKEN) as gh:
        gh.faults.add(Fault("status", status=500, match="POST /repos/acme/gates/issues/1/comments"))
        client = httpx.Client(
            base_url=f"{gh.url}/repos/{REPO}", headers={"Authorization": f"token {TOKEN}"}
        )
        assert client.post("/issues", json={"title": "t"}).status_code == 201
        assert client.post("/issues/1/comments", json={"body": "b"}).status_code == 500
        assert client.patch("/issues/1", json={"state": "closed"}).status_code == 200
        client.close()


def test_an_oversized_body_is_413_unread() -> None:
    with SlackFake() as slack:
        answer = httpx.post(slack.webhook_url, content=b"x" * (10 * 1024 * 1024 + 1))
        assert answer.status_code == 413 and slack.messages == []


def test_a_chunked_body_is_read_and_an_oversized_one_refused() -> None:
    with SlackFake() as slack:

        def body(parts: list[bytes]) -> Iterator[bytes]:
            yield from parts

        ok = httpx.post(slack.webhook_url, content=body([b'{"text":', b' "hi"}']))
        assert ok.text == "ok" and slack.messages == [{"text": "hi"}]
        big = body([b"x" * (1024 * 1024)] * 11)
        with contextlib.suppress(httpx.TransportError):  # refused before the body ends
            assert httpx.post(slack.webhook_url, content=big).status_code == 413
        assert len(slack.messages) == 1
