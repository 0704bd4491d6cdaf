"""An independent client drives the fake GitHub: PyGithub, which we did not write, follows its
``Link`` pages, parses its issues, comments and labels, and recognises its rate limits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from qrunner.emulator.fake_github import GitHubFake
from qrunner.emulator.faults import Fault
from tests.emulator.conftest import REPO, TOKEN

github = pytest.importorskip("github")


@pytest.fixture
def repo(gh: GitHubFake) -> Iterator[Any]:
    retry = github.GithubRetry(total=3, backoff_factor=0.01)
    client = github.Github(
        auth=github.Auth.Token(TOKEN), base_url=gh.url, per_page=3, retry=retry, lazy=True,
        seconds_between_requests=None, seconds_between_writes=None,  # its own pacing: not here
    )  # fmt: skip
    yield client.get_repo(REPO)
    client.close()


def test_pygithub_pages_through_the_issues_it_created(gh: GitHubFake, repo: Any) -> None:
    for n in range(7):
        repo.create_issue(
            title=f"incident {n}", body="<!-- qrunner:incident=x -->", labels=["qrunner"]
        )
    gh.add_pull_request("a pull request", labels=["qrunner"])
    listed = repo.get_issues(state="open", labels=["qrunner"])
    assert [issue.number for issue in listed] == [8, 7, 6, 5, 4, 3, 2, 1]
    assert listed.totalCount == 8  # read from the Link header's rel="last"
    assert [issue.pull_request is not None for issue in listed][:2] == [True, False]


def test_pygithub_edits_comments_closes_and_labels(gh: GitHubFake, repo: Any) -> None:
    issue = repo.create_issue(title="t", body="v1")
    issue.edit(body="v2", state="closed", state_reason="completed")
    assert (issue.body, issue.state, issue.state_reason) == ("v2", "closed", "completed")
    comment = issue.create_comment("resolved")
    assert comment.html_url.endswith(f"/issues/{issue.number}#issuecomment-{comment.id}")
    assert [c.body for c in repo.get_issue(issue.number).get_comments()] == ["resolved"]
    repo.create_label("owner:platform", "d73a4a")
    assert repo.get_label("owner:platform").color == "d73a4a"
    with pytest.raises(github.GithubException) as refused:
        repo.create_label("owner:platform", "d73a4a")
    assert refused.value.status == 422
    assert refused.value.data["errors"][0]["code"] == "already_exists"


def test_pygithub_waits_out_the_secondary_rate_limit(gh: GitHubFake, repo: Any) -> None:
    gh.faults.add(Fault("secondary_limit", retry_after="0", times=1))
    repo.create_issue(title="t")
    assert [r.fault for r in gh.requests] == ["secondary_limit", None]
    assert len(gh.issues) == 1


def test_pygithub_waits_out_the_primary_rate_limit(gh: GitHubFake, repo: Any) -> None:
    gh.add_issue("t")
    gh.faults.add(Fault("rate_limited", reset=0, times=1))
    assert repo.get_issue(1).title == "t"
    assert [r.fault for r in gh.requests] == ["rate_limited", None]


def test_pygithub_reports_bad_credentials(gh: GitHubFake) -> None:
    client = github.Github(auth=github.Auth.Token("wrong"), base_url=gh.url, retry=None)
    with pytest.raises(github.BadCredentialsException):
        client.get_repo(REPO).get_issues().get_page(0)
    client.close()
