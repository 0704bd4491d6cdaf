"""Escaping holds for any text (Hypothesis), and the apprise channel delivers through apprise
to a loopback receiver (skipped when the `apprise` extra is not installed)."""

from __future__ import annotations

import re
import textwrap
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qrunner.emulator.fake_webhook import WebhookFake
from qrunner.emulator.faults import Fault
from qrunner.errors import NotifyError
from qrunner.notify.channels import CHANNELS
from qrunner.notify.channels.escape import (
    ZWSP,
    github_mention,
    github_text,
    plain,
    safe_url,
    slack_mention,
    slack_text,
    text_inert,
)
from qrunner.notify.events import EventKind, Outcome
from tests.notify.samples import envelope, event, scenarios

# Text biased towards what could act: mention signs, brackets, markup, schemes.
_PIECES = [*"<>!@#^|[]()*_~`\\:/&-. \nahereU0123", "http://", "<!here>", "@acme/all", "]("]
HOSTILE = st.lists(st.sampled_from(_PIECES), max_size=80).map("".join) | st.text(max_size=300)


@given(HOSTILE)
def test_slack_text_can_mention_no_one_and_link_nothing(text: str) -> None:
    out = slack_text(text, 10_000)
    assert "<" not in out and ">" not in out  # no <!here>, <@U…>, <url|label>
    assert not re.search(r"@[^\u200b]", out)
    assert not re.search(r"(^|[^\u200b])[*_~`]", out)  # no formatting pair can open
    assert "://" not in out and "\n" not in out


@given(HOSTILE)
def test_github_text_can_mention_no_one_and_inject_no_markup(text: str) -> None:
    out = github_text(text, 10_000)
    assert "<" not in out  # no HTML, no comment, no autolink
    assert not re.search(r"@[^\u200b]", out) and not re.search(r"#[^\u200b]", out)
    assert not re.search(r"(^|[^\\])[\[\]()|`*_]", out.replace("\\\\", ""))  # all escaped
    assert "://" not in out and "\n" not in out


@given(HOSTILE)
def test_plain_text_for_apprise_holds_no_mention_or_link(text: str) -> None:
    out = text_inert(text, 10_000)
    assert not re.search(r"[@#<][^\u200b]", out) and "://" not in out


@given(st.text(max_size=2000), st.integers(min_value=20, max_value=500))
def test_data_is_cut_to_its_limit_saying_how_long_it_was(text: str, limit: int) -> None:
    full = plain(text, 10**9)  # one line, controls escaped, secrets redacted
    out = plain(text, limit)
    if len(full) <= limit:
        assert out == full
    else:
        assert out == f"{full[:limit]}… ({len(full)} characters)"


def test_mentions_come_only_in_the_shapes_of_mentions() -> None:
    assert slack_mention("<!subteam^S0123ABC>") == "<!subteam^S0123ABC>"
    assert slack_mention("<@U0456DEF>") == "<@U0456DEF>"
    assert slack_mention("<!channel> and more") is None
    assert slack_mention("@team") is None
    assert github_mention("@acme/platform") == "@acme/platform"
    assert github_mention("@acme/platform [x](http://evil)") is None


def test_only_http_urls_are_linked_and_they_cannot_close_a_link() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("file:///etc/passwd") is None
    assert safe_url("https://x.example/a b|c>d)e") == "https://x.example/a%20b%7Cc%3Ed%29e"


def test_the_registry_offers_every_channel_type() -> None:
    assert sorted(CHANNELS) == ["apprise", "github-issues", "slack", "webhook"]
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        CHANNELS["slack"].settings_model.model_validate({"url": "https://hooks.slack.com/x"})


# --- apprise -----------------------------------------------------------------------------------


def test_apprise_delivers_one_message_per_envelope_through_apprise() -> None:
    pytest.importorskip("apprise")
    with WebhookFake() as receiver:
        url = receiver.hook_url.replace("http://", "json://")
        channel = CHANNELS["apprise"]("mail", {"urls_env": "APPRISE_URLS"}, {"APPRISE_URLS": url})
        deliveries = channel.deliver(scenarios()["grouped"], deadline=time.monotonic() + 30)
        assert {d.outcome for d in deliveries} == {Outcome.SENT}
        [received] = receiver.deliveries
    assert received.payload["title"] == "qrunner: 2 firing, 1 still failing, 1 resolved"
    assert "pipeline-duration / p90 under 45m" in received.payload["message"]


def test_apprise_false_is_a_failed_delivery_never_sent() -> None:
    pytest.importorskip("apprise")
    with WebhookFake() as receiver:
        receiver.faults.add(Fault("status", endpoint="webhook", status=500))
        url = receiver.hook_url.replace("http://", "json://")
        channel = CHANNELS["apprise"]("mail", {"urls_env": "APPRISE_URLS"}, {"APPRISE_URLS": url})
        [failed] = channel.deliver(envelope(event(EventKind.FIRING)), deadline=time.monotonic() + 2)
    assert failed.outcome is Outcome.FAILED and failed.attempts >= 1
    assert failed.error is not None and "apprise reported a failed delivery" in failed.error
    assert receiver.url.split("//")[1] not in failed.error


def test_apprise_without_its_urls_says_which_variable_to_set() -> None:
    with pytest.raises(NotifyError, match="set APPRISE_URLS"):
        CHANNELS["apprise"]("mail", {"urls_env": "APPRISE_URLS"}, {})


def test_data_in_apprise_messages_is_inert() -> None:
    from qrunner.notify.channels.apprise_channel import AppriseChannel
    from qrunner.notify.channels.settings import AppriseSettings

    channel = AppriseChannel("mail", AppriseSettings(urls_env="X"), [], None)
    [message] = channel.render(scenarios()["hostile"])
    assert "<!channel>" not in message.content and "@acme/all" not in message.content
    assert "http://evil" not in message.content and ZWSP in message.content


def test_the_readmes_signature_check_accepts_what_the_webhook_channel_signs() -> None:
    from pathlib import Path

    from qrunner.notify.channels.webhook import sign

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Notification channels") :]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None
    namespace: dict[str, object] = {}
    exec(textwrap.dedent(code.group(1)), namespace)
    verify = namespace["verify"]
    assert callable(verify)
    raw, stamp = b'{"version": 1}\n', str(int(time.time()))
    headers = {"x-qrunner-timestamp": stamp, "x-qrunner-signature": sign("s3cret", stamp, raw)}
    assert verify("s3cret", headers, raw)
    assert not verify("other", headers, raw)
    assert not verify("s3cret", headers, raw + b" ")
