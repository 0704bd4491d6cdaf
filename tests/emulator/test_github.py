"""The fake GitHub answers as GitHub's REST API does, over real HTTP."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from qrunner.emulator.fake_github import GitHubFake
from qrunner.emulator.faults import Fault
from tests.emulator.conftest import REPO, TOKEN


def _links(response: httpx.Response) -> dict[str, str]:
    return {
        rel: url
        for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("link", ""))
    }


def test_creating_an_issue_answers_201_with_what_github_returns(
    gh: GitHubFake, api: httpx.Client
) -> None:
    answer = api.post(
        "/issues",
        json={"title": "qrunner: p90 failing", "body": "<!-- qrunner:incident=ab12 -->",
              "labels": ["qrunner", {"name": "owner:platform"}], "assignees": ["alice"]},
    )  # fmt: skip
    assert answer.status_code == 201
    issue = answer.json()
    assert issue["number"] == 1 and issue["state"] == "open"
    assert issue["html_url"] == f"https://github.com/{REPO}/issues/1"
    assert answer.headers["location"] == f"{gh.url}/repos/{REPO}/issues/1"
    assert [label["name"] for label in issue["labels"]] == ["qrunner", "owner:platform"]
    assert {"id", "color", "url"} <= issue["labels"][0].keys()
    assert issue["assignees"][0]["login"] == "alice"
    assert issue["body"] == "<!-- qrunner:incident=ab12 -->"
    assert gh.issues[1]["labels"] == ["qrunner", "owner:platform"]
    assert "owner:platform" in gh.labels  # labels named on an issue are created


def test_listing_walks_every_page_through_the_link_header(
    gh: GitHubFake, api: httpx.Client
) -> None:
    for n in range(1, 8):
        gh.add_issue(f"incident {n}", labels=["qrunner"])
    gh.add_issue("someone else's", labels=["bug"])
    seen, url, pages = [], "/issues?labels=qrunner&per_page=3&state=open", 0
    while url:
        page = api.get(url)
        assert page.status_code == 200
        seen += [issue["number"] for issue in page.json()]
        url, pages = _links(page).get("next", ""), pages + 1
    assert pages == 3
    assert seen == [7, 6, 5, 4, 3, 2, 1]  # newest first, as GitHub sorts by default


def test_the_link_header_names_prev_next_last_and_first(api: httpx.Client, gh: GitHubFake) -> None:
    for n in range(5):
        gh.add_issue(f"i{n}")
    middle = _links(api.get("/issues", params={"per_page": 2, "page": 2}))
    assert set(middle) == {"prev", "next", "last", "first"}
    assert "page=3" in middle["last"] and "per_page=2" in middle["last"]
    assert _links(api.get("/issues", params={"per_page": 2, "page": 3})).keys() == {"prev", "first"}
    assert "link" not in api.get("/issues").headers  # one page: no header


def test_pages_are_30_by_default_and_at_most_100(gh: GitHubFake, api: httpx.Client) -> None:
    for n in range(120):
        gh.add_issue(f"i{n}")
    assert len(api.get("/issues").json()) == 30
    assert len(api.get("/issues", params={"per_page": 500}).json()) == 100


def test_the_list_includes_pull_requests_marked_as_such(gh: GitHubFake, api: httpx.Client) -> None:
    gh.add_issue("an issue", labels=["qrunner"])
    gh.add_pull_request("a pull request", labels=["qrunner"])
    listed = api.get("/issues", params={"labels": "qrunner"}).json()
    assert [("pull_request" in item) for item in listed] == [True, False]


def test_labels_filter_needs_every_label_and_state_filters(
    gh: GitHubFake, api: httpx.Client
) -> None:
    gh.add_issue("both", labels=["qrunner", "owner:a"])
    gh.add_issue("one", labels=["qrunner"])
    gh.add_issue("closed", labels=["qrunner", "owner:a"], state="closed")
    assert [i["title"] for i in api.get("/issues?labels=qrunner,owner:a").json()] == ["both"]
    closed = api.get("/issues", params={"labels": "QRUNNER", "state": "closed"}).json()
    assert [i["title"] for i in closed] == ["closed"]
    assert len(api.get("/issues", params={"state": "all"}).json()) == 3
    assert api.get("/issues", params={"state": "shut"}).status_code == 422


def test_editing_updates_the_body_and_closes_with_a_reason(
    gh: GitHubFake, api: httpx.Client
) -> None:
    number = api.post("/issues", json={"title": "t", "body": "v1"}).json()["number"]
    edited = api.patch(f"/issues/{number}", json={"body": "v2", "labels": ["qrunner"]}).json()
    assert edited["body"] == "v2" and edited["labels"][0]["name"] == "qrunner"
    closed = api.patch(f"/issues/{number}", json={"state": "closed", "state_reason": "completed"})
    assert closed.json()["state"] == "closed" and closed.json()["closed_at"]
    assert gh.issues[number]["closed_by"] == "qrunner-bot"
    assert api.get(f"/issues/{number}").json()["state_reason"] == "completed"


def test_comments_answer_201_with_their_html_url_and_list_in_pages(
    gh: GitHubFake, api: httpx.Client
) -> None:
    number = gh.add_issue("t")
    made = api.post(f"/issues/{number}/comments", json={"body": "resolved after 3 ticks"})
    assert made.status_code == 201
    assert made.json()["html_url"].startswith(
        f"https://github.com/{REPO}/issues/{number}#issuecomment-"
    )
    for n in range(4):
        gh.comment_as_person(number, f"me too {n}")
    first = api.get(f"/issues/{number}/comments", params={"per_page": 3})
    assert first.json()[0]["body"] == "resolved after 3 ticks"  # oldest first
    rest = api.get(_links(first)["next"]).json()
    assert [c["user"]["login"] for c in rest] == ["octocat", "octocat"]
    assert gh.issues[number]["comments"][0]["body"] == "resolved after 3 ticks"
    assert api.get(f"/issues/{number}").json()["comments"] == 5


def test_a_person_closing_the_issue_is_visible_as_such(gh: GitHubFake, api: httpx.Client) -> None:
    number = gh.add_issue("t", labels=["qrunner"])
    gh.close_as_person(number, login="alice", reason="not_planned")
    issue = api.get(f"/issues/{number}").json()
    assert issue["state"] == "closed" and issue["state_reason"] == "not_planned"
    assert issue["closed_by"]["login"] == "alice"
    assert api.get("/issues", params={"labels": "qrunner"}).json() == []


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"title": "x" * 257}, "title", "custom"),
        ({"title": "t", "body": "x" * 65537}, "body", "custom"),
    ],
)
def test_too_long_is_422_validation_failed(
    api: httpx.Client, payload: dict[str, str], field: str, code: str
) -> None:
    answer = api.post("/issues", json=payload)
    assert answer.status_code == 422
    assert answer.json()["message"] == "Validation Failed"
    error = answer.json()["errors"][0]
    assert (error["field"], error["code"]) == (field, code)
    assert "is too long" in error["message"]


def test_the_limits_themselves_are_accepted(api: httpx.Client) -> None:
    assert api.post("/issues", json={"title": "x" * 256, "body": "é" * 65536}).status_code == 201


def test_a_missing_title_or_a_wrong_type_is_422(api: httpx.Client, gh: GitHubFake) -> None:
    assert api.post("/issues", json={"body": "b"}).status_code == 422
    wrong = api.post("/issues", json={"title": "t", "labels": "qrunner"})
    assert wrong.status_code == 422 and "is not an array" in wrong.json()["message"]
    assert api.post("/issues", content=b"{not json").status_code == 400
    number = gh.add_issue("t")
    assert api.patch(f"/issues/{number}", json={"state": "done"}).status_code == 422
    assert api.post(f"/issues/{number}/comments", json={"body": "x" * 65537}).status_code == 422
    assert gh.issues[number]["comments"] == []


def test_a_duplicate_label_is_422_already_exists(api: httpx.Client) -> None:
    made = api.post("/labels", json={"name": "qrunner", "color": "d73a4a", "description": "gates"})
    assert made.status_code == 201 and made.json()["color"] == "d73a4a"
    again = api.post("/labels", json={"name": "QRunner"})
    assert again.status_code == 422
    assert again.json()["errors"] == [
        {"resource": "Label", "code": "already_exists", "field": "name"}
    ]
    assert api.get("/labels/qrunner").json()["name"] == "qrunner"
    assert api.get("/labels/owner%3Aplatform").status_code == 404
    assert api.post("/labels", json={"name": "x", "color": "#red"}).status_code == 422


@pytest.mark.parametrize(
    ("authorization", "message"),
    [(None, "Requires authentication"), ("Bearer wrong", "Bad credentials"),
     ("token wrong", "Bad credentials"), (f"Basic {TOKEN}", "Requires authentication")],
)  # fmt: skip
def test_a_wrong_or_missing_token_is_401(
    gh: GitHubFake, authorization: str | None, message: str
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    answer = httpx.get(f"{gh.url}/repos/{REPO}/issues", headers=headers)
    assert answer.status_code == 401 and answer.json()["message"] == message


def test_both_token_schemes_work_and_the_token_is_never_recorded(gh: GitHubFake) -> None:
    for scheme in ("Bearer", "token"):
        answer = httpx.get(
            f"{gh.url}/repos/{REPO}/issues", headers={"Authorization": f"{scheme} {TOKEN}"}
        )
        assert answer.status_code == 200
    assert [r.headers["authorization"] for r in gh.requests] == ["Bearer ***", "token ***"]
    assert TOKEN not in repr(gh.requests)


def test_another_repository_or_path_is_404(gh: GitHubFake, api: httpx.Client) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert httpx.get(f"{gh.url}/repos/acme/other/issues", headers=headers).status_code == 404
    assert api.get("/issues/99").status_code == 404
    gh.issues_enabled = False
    assert api.get("/issues").status_code == 410


def test_the_secondary_rate_limit_is_403_with_retry_after(
    gh: GitHubFake, api: httpx.Client
) -> None:
    gh.faults.add(
        Fault("secondary_limit", endpoint="github", match="POST", retry_after="7", times=1)
    )
    refused = api.post("/issues", json={"title": "t"})
    assert refused.status_code == 403 and refused.headers["retry-after"] == "7"
    assert refused.json()["message"].startswith("You have exceeded a secondary rate limit")
    assert gh.issues == {}
    assert api.post("/issues", json={"title": "t"}).status_code == 201


@pytest.mark.parametrize("status", [403, 429])
def test_the_primary_rate_limit_says_when_it_resets(
    api: httpx.Client, gh: GitHubFake, status: int
) -> None:
    gh.faults.add(Fault("rate_limited", status=status, reset=120, times=1))
    refused = api.get("/issues")
    assert refused.status_code == status
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert int(refused.headers["x-ratelimit-reset"]) >= time.time() + 100
    assert "API rate limit exceeded" in refused.json()["message"]


def test_every_answer_counts_down_the_hourly_limit(gh: GitHubFake, api: httpx.Client) -> None:
    first = int(api.get("/issues").headers["x-ratelimit-remaining"])
    assert int(api.get("/issues").headers["x-ratelimit-remaining"]) == first - 1
    gh.rate_remaining = 0
    exhausted = api.get("/issues")
    assert exhausted.status_code == 403 and "rate limit" in exhausted.json()["message"]


def test_the_search_api_answers_but_is_counted(gh: GitHubFake, api: httpx.Client) -> None:
    gh.add_issue("t", body="<!-- qrunner:incident=ab12 -->", labels=["qrunner"])
    assert gh.search_calls == 0
    found = httpx.get(f"{gh.url}/search/issues", params={"q": "ab12"}, headers=api.headers)
    assert found.status_code == 200 and found.json()["items"] == []  # the index lags
    assert gh.search_calls == 1


def test_an_unknown_api_version_is_400(api: httpx.Client) -> None:
    assert api.get("/issues", headers={"X-GitHub-Api-Version": "2022-11-28"}).status_code == 200
    refused = api.get("/issues", headers={"X-GitHub-Api-Version": "2023-01-01"})
    assert refused.status_code == 400 and "X-GitHub-Api-Version" in refused.json()["message"]
