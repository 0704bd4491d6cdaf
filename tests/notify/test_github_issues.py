"""The GitHub issues channel over real HTTP against the fake GitHub: one issue per incident,
edited in place, commented on events, closed on recovery, found again by marker."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import pytest

from qrunner.emulator.fake_github import GitHubFake
from qrunner.emulator.faults import Fault
from qrunner.errors import NotifyError
from qrunner.notify.channels import CHANNELS
from qrunner.notify.events import Channel, Delivery, Envelope, EventKind, Outcome
from tests.notify.samples import (
    DURATION,
    HOSTILE_FACTS,
    HOSTILE_KEY,
    PASSING,
    envelope,
    event,
)

TOKEN = "ghs-SECRET-notify-0123456789abcdef"
REPO = "acme/gates"


@pytest.fixture
def gh() -> Iterator[GitHubFake]:
    with GitHubFake(repo=REPO, token=TOKEN) as fake:
        yield fake
        assert fake.search_calls == 0, "the search API lags: never use it"


def channel(gh: GitHubFake, **settings: Any) -> Channel:
    environ = {"GITHUB_API_URL": gh.url, "GITHUB_REPOSITORY": REPO, "GITHUB_TOKEN": TOKEN}
    return CHANNELS["github-issues"]("gh", {"labels": ["qrunner"], **settings}, environ)


def deliver(channel: Channel, env: Envelope, budget: float = 30.0) -> Sequence[Delivery]:
    deliveries = channel.deliver(env, deadline=time.monotonic() + budget)
    assert len(deliveries) == len(env.events)
    for d in deliveries:
        assert TOKEN not in repr(d)
    return deliveries


def comments(gh: GitHubFake, number: int) -> list[str]:
    return [c["body"] for c in gh.issues[number]["comments"]]


def test_firing_opens_one_issue_with_marker_labels_and_the_owners_mention(gh: GitHubFake) -> None:
    [sent] = deliver(channel(gh), envelope(event(EventKind.FIRING)))
    assert sent.outcome is Outcome.SENT and sent.external_id == "1"
    assert sent.url == f"https://github.com/{REPO}/issues/1"
    issue = gh.issues[1]
    assert issue["title"] == "qrunner: pipeline-duration / p90 under 45m failing"
    assert issue["body"].startswith(f"<!-- qrunner:incident={DURATION.id} -->")
    assert issue["labels"] == ["qrunner", "owner:team-platform"]
    assert "cc @acme/platform" in issue["body"]
    assert "failing since tick 2026-12-01T04:00:00Z, 3 ticks" in issue["body"]
    measured = "| Measured | observed 65.6m vs fail \\> 45m · baseline 52.1m, +25.9 % |"
    assert measured in issue["body"]
    assert comments(gh, 1) == []  # the new issue itself is the announcement


def test_an_event_edits_the_body_in_place_and_adds_one_comment(gh: GitHubFake) -> None:
    gates = channel(gh)
    deliver(gates, envelope(event(EventKind.FIRING)))
    reminder = event(EventKind.REMINDER, tick="2026-12-01T09:00:00Z", ticks_failing=6)
    [sent] = deliver(gates, envelope(reminder, known={DURATION.id: "1"}))
    assert sent.outcome is Outcome.SENT and sent.external_id == "1"
    assert len(gh.issues) == 1
    assert "still failing since tick 2026-12-01T04:00:00Z, 6 ticks" in gh.issues[1]["body"]
    [note] = comments(gh, 1)
    assert note.startswith("**Still failing**: still failing since")
    assert "cc @acme/platform" in note
    assert sent.url is not None and "#issuecomment-" in sent.url


def test_resolved_comments_and_closes_the_issue(gh: GitHubFake) -> None:
    gates = channel(gh)
    deliver(gates, envelope(event(EventKind.FIRING)))
    resolved = event(EventKind.RESOLVED, facts=PASSING, tick="2026-12-01T10:00:00Z")
    [sent] = deliver(gates, envelope(resolved, known={DURATION.id: "1"}))
    assert sent.outcome is Outcome.SENT
    issue = gh.issues[1]
    assert issue["state"] == "closed" and issue["state_reason"] == "completed"
    [note] = comments(gh, 1)
    assert "resolved at tick 2026-12-01T10:00:00Z after 3 failing ticks" in note
    assert "@acme/platform" not in note  # recovery pings no one


def test_a_lost_state_finds_the_issue_again_by_its_marker(gh: GitHubFake) -> None:
    gh.add_issue("unrelated", "no marker here", ["qrunner"])
    gh.add_pull_request("a pull request", ["qrunner"])
    deliver(channel(gh), envelope(event(EventKind.FIRING)))
    # A new runner with no alert state: the incident is still open.
    [sent] = deliver(channel(gh), envelope(event(EventKind.REMINDER)))
    assert sent.outcome is Outcome.SENT and sent.external_id == "3"
    assert len(gh.issues) == 3  # no duplicate
    assert len(comments(gh, 3)) == 1


def test_the_marker_is_found_past_the_first_page(gh: GitHubFake) -> None:
    for n in range(150):
        gh.add_issue(f"old {n}", f"<!-- qrunner:incident={n:016x} -->", ["qrunner"])
    deliver(channel(gh), envelope(event(EventKind.FIRING)))
    assert len(gh.issues) == 151
    [sent] = deliver(channel(gh), envelope(event(EventKind.REMINDER)))
    assert sent.external_id == "151" and len(gh.issues) == 151
    assert gh.count("GET") == 4  # two listings of two pages of 100


def test_a_person_closing_the_issue_acknowledges_it_and_it_is_never_reopened(
    gh: GitHubFake,
) -> None:
    gates = channel(gh)
    deliver(gates, envelope(event(EventKind.FIRING)))
    gh.close_as_person(1)
    [quiet] = deliver(gates, envelope(event(EventKind.REMINDER), known={DURATION.id: "1"}))
    assert quiet.outcome is Outcome.SUPPRESSED
    assert quiet.error is not None and "closed by a person" in quiet.error
    assert gh.issues[1]["state"] == "closed" and comments(gh, 1) == []
    # The next incident of the same check opens a new issue.
    later = event(EventKind.FIRING, tick="2026-12-02T06:00:00Z", since="2026-12-02T06:00:00Z")
    [opened] = deliver(gates, envelope(later, known={DURATION.id: "1"}))
    assert opened.outcome is Outcome.SENT and opened.external_id == "2"
    assert gh.issues[1]["state"] == "closed"


def test_a_deleted_issue_is_replaced_by_a_new_one(gh: GitHubFake) -> None:
    [sent] = deliver(channel(gh), envelope(event(EventKind.REMINDER), known={DURATION.id: "42"}))
    assert sent.outcome is Outcome.SENT and sent.external_id == "1"
    assert gh.issues[1]["body"].startswith(f"<!-- qrunner:incident={DURATION.id} -->")


def test_resolved_without_an_issue_has_nothing_to_close(gh: GitHubFake) -> None:
    [quiet] = deliver(channel(gh), envelope(event(EventKind.RESOLVED, facts=PASSING)))
    assert quiet.outcome is Outcome.SUPPRESSED and gh.issues == {}


def test_past_the_new_issue_cap_incidents_go_to_one_roll_up_issue(gh: GitHubFake) -> None:
    firing = [event(EventKind.FIRING, key=replace(DURATION, check=f"check {n}")) for n in range(5)]
    deliveries = deliver(channel(gh, max_new_issues=2), envelope(*firing))
    assert [d.outcome for d in deliveries] == [Outcome.SENT] * 2 + [Outcome.SUPPRESSED] * 3
    assert len(gh.issues) == 3
    rollup = gh.issues[3]
    assert rollup["title"] == "qrunner: 3 more incidents (roll-up)"
    assert all(f"check {n}" in rollup["body"] for n in (2, 3, 4))
    assert deliveries[4].error is not None and "roll-up issue #3" in deliveries[4].error
    # The next run edits the same roll-up issue instead of opening another.
    deliver(channel(gh, max_new_issues=2), envelope(*firing[2:]))
    assert len(gh.issues) == 5 and "1 more incidents" in gh.issues[3]["body"]


def test_a_secondary_rate_limit_is_waited_out_then_sent(gh: GitHubFake) -> None:
    gh.faults.add(Fault("secondary_limit", endpoint="github", retry_after="1", times=1))
    [sent] = deliver(channel(gh), envelope(event(EventKind.FIRING)))
    assert sent.outcome is Outcome.SENT and sent.attempts == 3  # listing, refused, created
    assert len(gh.issues) == 1


def test_a_rate_limit_past_the_budget_fails_without_waiting(gh: GitHubFake) -> None:
    gh.faults.add(Fault("secondary_limit", endpoint="github", retry_after="600"))
    [failed] = deliver(channel(gh), envelope(event(EventKind.FIRING)), budget=5)
    assert failed.outcome is Outcome.FAILED
    assert failed.error is not None and "time budget" in failed.error


def test_422_is_rejected_at_once_with_githubs_reason(gh: GitHubFake) -> None:
    gh.faults.add(Fault("status", endpoint="github", status=422, match="POST /repos"))
    [rejected] = deliver(channel(gh), envelope(event(EventKind.FIRING)))
    assert rejected.outcome is Outcome.REJECTED and rejected.attempts == 2  # listing + 1 try
    assert gh.count("POST") == 1
    assert rejected.error is not None and "HTTP 422" in rejected.error


def test_a_refused_token_is_rejected_naming_the_permission_never_the_token(
    gh: GitHubFake,
) -> None:
    environ = {"GITHUB_API_URL": gh.url, "GITHUB_REPOSITORY": REPO, "GITHUB_TOKEN": "wrong-tok3n"}
    gates = CHANNELS["github-issues"]("gh", {}, environ)
    [rejected] = deliver(gates, envelope(event(EventKind.FIRING)))
    assert rejected.outcome is Outcome.REJECTED
    assert rejected.error is not None and "issues: write" in rejected.error
    assert "wrong-tok3n" not in rejected.error


def test_one_failing_event_does_not_stop_the_others(gh: GitHubFake) -> None:
    gh.faults.add(Fault("status", endpoint="github", status=422, match="check 0", times=1))
    firing = [event(EventKind.FIRING, key=replace(DURATION, check=f"check {n}")) for n in range(2)]
    deliveries = deliver(channel(gh), envelope(*firing))
    assert [d.outcome for d in deliveries] == [Outcome.REJECTED, Outcome.SENT]


def test_hostile_names_mention_no_one_and_inject_nothing(gh: GitHubFake) -> None:
    hostile = event(EventKind.FIRING, key=HOSTILE_KEY, facts=HOSTILE_FACTS)
    deliver(channel(gh), envelope(hostile))
    body = gh.issues[1]["body"]
    mentions = [w for w in body.split() if w.startswith("@") and len(w) > 1 and w[1] != "\u200b"]
    assert mentions == ["@acme/platform"]  # only the owner's, from the routing file
    assert "<!channel>" not in body and "<img" not in body and "](http://evil" not in body
    assert "http://evil" not in body and "[click](javascript" not in body
    assert "#123" not in body and "<!-- qrunner:incident" not in body[50:]
    assert len(gh.issues[1]["title"]) <= 256


def test_test_event_opens_and_closes_a_marked_issue(gh: GitHubFake) -> None:
    [sent] = deliver(channel(gh), envelope(event(EventKind.TEST)))
    assert sent.outcome is Outcome.SENT
    assert gh.issues[1]["state"] == "closed" and "qrunner:test" in gh.issues[1]["body"]


def test_a_missing_token_says_which_variable_to_set() -> None:
    with pytest.raises(NotifyError, match="set GITHUB_TOKEN"):
        CHANNELS["github-issues"]("gh", {}, {"GITHUB_REPOSITORY": REPO})
    assert CHANNELS["github-issues"].required_env(
        CHANNELS["github-issues"].settings_model.model_validate({})
    ) == ["GITHUB_TOKEN", "GITHUB_REPOSITORY"]
