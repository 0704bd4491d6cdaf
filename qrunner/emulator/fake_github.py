"""A fake GitHub REST API on 127.0.0.1: the issues subset a notifier needs, as GitHub answers.

``with GitHubFake(repo="acme/gates", token="t0k") as gh:`` then set ``GITHUB_API_URL=gh.url``,
``GITHUB_REPOSITORY=acme/gates``, ``GITHUB_TOKEN=t0k``. Routes (another repository → 404)::

    GET   /repos/{o}/{r}                        the repository (has_issues, permissions)
    GET   /repos/{o}/{r}/issues?state=open|closed|all&labels=a,b&sort=&direction=&per_page=&page=
    POST  /repos/{o}/{r}/issues                 {title, body?, labels?, assignees?}   → 201
    GET   /repos/{o}/{r}/issues/{n}
    PATCH /repos/{o}/{r}/issues/{n}             {title?, body?, state?, state_reason?, labels?,
                                                 assignees?}
    GET   /repos/{o}/{r}/issues/{n}/comments?per_page=&page=
    POST  /repos/{o}/{r}/issues/{n}/comments    {body}                                → 201
    POST  /repos/{o}/{r}/labels                 {name, color?, description?}          → 201
    GET   /repos/{o}/{r}/labels/{name}
    GET   /search/issues                        an index that lags: always empty

As GitHub does: ``Authorization: Bearer <token>`` or ``token <token>`` (else 401 "Requires
authentication" / "Bad credentials"); an ``X-GitHub-Api-Version`` other than
``API_VERSIONS`` → 400; the issue list includes pull requests, marked by a
``pull_request`` key; pages of ``per_page`` (default 30, at most 100) with a ``Link`` header
(``rel="next"``, ``"last"``, and ``"prev"``, ``"first"`` past page 1); labels named on an issue
that do not exist yet are created; errors 422 ``{"message": "Validation Failed", "errors":
[...]}`` (title over 256 or body over 65,536 characters, a duplicate label ``already_exists``,
a bad ``state``); 404 ``Not Found``; 410 when ``issues_enabled`` is False; every answer carries
``x-ratelimit-*`` headers and ``rate_remaining`` counts down, 403 "API rate limit exceeded" at 0.
Faults (endpoint ``github``): ``secondary_limit`` (403 + ``retry-after``), ``rate_limited``
(primary: 403, or ``status=429``, ``x-ratelimit-remaining: 0``), ``status``, ``latency``,
``reset``, ``hang``, ``forbidden`` ("Resource not accessible by integration").

For tests: ``gh.issues`` (number → issue dict: ``title``, ``body``, ``state``,
``state_reason``, ``labels`` (names), ``assignees``, ``comments`` (dicts with ``body``,
``user``), ``closed_by``, ``pull_request``), ``gh.labels``, ``gh.add_issue(...)``,
``gh.add_pull_request(...)``, ``gh.close_as_person(n)`` (a person acknowledges),
``gh.comment_as_person(n, body)``, ``gh.search_calls`` (must stay 0), ``gh.requests``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

from qrunner.emulator import github_rules as rules
from qrunner.emulator.dialects import GITHUB_HOURLY_LIMIT, github_limit_headers
from qrunner.emulator.faults import FaultScript
from qrunner.emulator.github_rules import error
from qrunner.emulator.github_shapes import Site, new_issue, now
from qrunner.emulator.loopback import LoopbackServer, Reply, Request

Handler = Callable[["GitHubFake", Request, re.Match[str]], Reply]
_REPO = r"/repos/(?P<repo>[^/]+/[^/]+)"
SEARCH_PATH = "/search/issues"
API_VERSIONS = ("2022-11-28", "2026-03-10")  # X-GitHub-Api-Version values GitHub accepts


class GitHubFake(LoopbackServer):
    endpoint = "github"

    def __init__(
        self,
        *,
        repo: str = "acme/gates",
        token: str | None = "emulator-token",
        login: str = "qrunner-bot",
        html_base: str = "https://github.com",
        faults: FaultScript | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(faults=faults, **kwargs)
        self.repo, self.token, self.login = repo, token, login
        self.site = Site(self.url, repo, html_base.rstrip("/"), login)
        self.issues: dict[int, dict[str, Any]] = {}
        self.labels: dict[str, dict[str, Any]] = {}  # lower-cased name → label
        self.issues_enabled = True
        self.rate_remaining = GITHUB_HOURLY_LIMIT
        self._ids = 0

    # --- helpers for tests -----------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        return {"issues": list(self.issues.values()), "labels": list(self.labels.values())}

    @property
    def search_calls(self) -> int:
        return self.count(path_prefix=SEARCH_PATH)

    def add_issue(
        self,
        title: str,
        body: str = "",
        labels: Iterable[str] = (),
        *,
        state: str = "open",
        user: str = "someone",
        pull_request: bool = False,
    ) -> int:
        """An issue (or pull request) that existed before the test; its number."""
        with self.lock:
            number = len(self.issues) + 1
            names = rules.label_names(list(labels))
            self._ensure_labels(names)
            self.issues[number] = new_issue(
                number, title, body, names, user, state=state, pull_request=pull_request
            )
            return number

    def add_pull_request(self, title: str, labels: Iterable[str] = ()) -> int:
        return self.add_issue(title, labels=labels, pull_request=True)

    def close_as_person(
        self, number: int, login: str = "octocat", reason: str = "completed"
    ) -> None:
        """A person closes the issue in the web UI (an acknowledgement)."""
        with self.lock:
            issue = self.issues[number]
            issue.update(state="closed", state_reason=reason, closed_at=now(), closed_by=login)
            issue["updated_at"] = now()

    def comment_as_person(self, number: int, body: str, login: str = "octocat") -> None:
        with self.lock:
            self._add_comment(self.issues[number], body, login)

    # --- the API -----------------------------------------------------------------------

    def answer(self, request: Request) -> Reply:
        refused = self._auth(request.headers.get("authorization", ""))
        if refused is not None:
            return refused
        version = request.headers.get("x-github-api-version")
        if version is not None and version not in API_VERSIONS:
            return error(400, f"Unsupported 'X-GitHub-Api-Version' header: {version}")
        if self.rate_remaining <= 0:
            return error(403, "API rate limit exceeded for user ID 1.")
        self.rate_remaining -= 1
        reply = self._route(request)
        reply.headers.update(github_limit_headers(self.rate_remaining, 3600.0))
        return reply

    def _auth(self, header: str) -> Reply | None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() not in ("bearer", "token") or not value.strip():
            return error(401, "Requires authentication")
        if self.token is not None and value.strip() != self.token:
            return error(401, "Bad credentials")
        return None

    def _route(self, request: Request) -> Reply:
        for method, pattern, handler in _ROUTES:
            match = pattern.fullmatch(request.path)
            if match and request.method == method:
                if "repo" in match.groupdict() and match["repo"] != self.repo:
                    return error(404, "Not Found")
                if "/issues" in request.path and not self.issues_enabled:
                    return error(410, "Issues are disabled for this repo")
                return handler(self, request, match)
        return error(404, "Not Found")

    def _get_repo(self, request: Request, match: re.Match[str]) -> Reply:
        return Reply(200, self.site.repository(has_issues=self.issues_enabled))

    def _list_issues(self, request: Request, match: re.Match[str]) -> Reply:
        state = request.param("state") or "open"
        if state not in ("open", "closed", "all"):
            return error(422, "Validation Failed", [rules.invalid("Issue", "state", state)])
        wanted = {n.strip().lower() for n in (request.param("labels") or "").split(",") if n}
        sort = request.param("sort") or "created"
        items = [
            i
            for i in self.issues.values()
            if state in ("all", i["state"]) and wanted <= {n.lower() for n in i["labels"]}
        ]
        items.sort(key=lambda i: (i[f"{sort}_at"] if sort == "updated" else "", i["number"]))
        if (request.param("direction") or "desc") == "desc":
            items.reverse()
        page, link = rules.page_of(items, request, self.url)
        return Reply(200, [self.site.issue(i, self.labels) for i in page], link)

    def _create_issue(self, request: Request, match: re.Match[str]) -> Reply:
        data = rules.json_object(request)
        if isinstance(data, Reply):
            return data
        problem = rules.check_issue(data, ("title",))
        if problem is not None:
            return problem
        names = rules.label_names(data.get("labels", []))
        self._ensure_labels(names)
        number = len(self.issues) + 1
        assignees = list(data.get("assignees") or [])
        issue = new_issue(number, data["title"], data.get("body") or "", names, self.login)
        self.issues[number] = {**issue, "assignees": assignees}
        headers = {"Location": self.site.issue_url(number)}
        return Reply(201, self.site.issue(self.issues[number], self.labels), headers)

    def _get_issue(self, request: Request, match: re.Match[str]) -> Reply:
        issue = self.issues.get(int(match["number"]))
        return (
            error(404, "Not Found")
            if issue is None
            else Reply(200, self.site.issue(issue, self.labels))
        )

    def _edit_issue(self, request: Request, match: re.Match[str]) -> Reply:
        issue = self.issues.get(int(match["number"]))
        if issue is None:
            return error(404, "Not Found")
        data = rules.json_object(request)
        if isinstance(data, Reply):
            return data
        problem = rules.check_issue(data, ())
        if problem is not None:
            return problem
        if data.get("title") is not None:
            issue["title"] = data["title"]
        if "body" in data:
            issue["body"] = data["body"] or ""  # null clears the body, as on GitHub
        if "assignees" in data:
            issue["assignees"] = list(data["assignees"] or [])
        if "labels" in data:
            issue["labels"] = rules.label_names(data["labels"])
            self._ensure_labels(issue["labels"])
        state = data.get("state", issue["state"])
        if state == "closed" and issue["state"] == "open":
            issue.update(state="closed", closed_at=now(), closed_by=self.login)
            issue["state_reason"] = data.get("state_reason") or "completed"
        elif state == "open" and issue["state"] == "closed":
            issue.update(state="open", closed_at=None, closed_by=None, state_reason="reopened")
        elif "state_reason" in data and issue["state"] == "closed":
            issue["state_reason"] = data["state_reason"]
        issue["updated_at"] = now()
        return Reply(200, self.site.issue(issue, self.labels))

    def _list_comments(self, request: Request, match: re.Match[str]) -> Reply:
        issue = self.issues.get(int(match["number"]))
        if issue is None:
            return error(404, "Not Found")
        page, link = rules.page_of(issue["comments"], request, self.url)
        return Reply(200, [self.site.comment(issue, c) for c in page], link)

    def _create_comment(self, request: Request, match: re.Match[str]) -> Reply:
        issue = self.issues.get(int(match["number"]))
        if issue is None:
            return error(404, "Not Found")
        data = rules.json_object(request)
        if isinstance(data, Reply):
            return data
        problem = rules.check_issue(data, ("body",), "IssueComment")
        if problem is not None:
            return problem
        comment = self._add_comment(issue, data["body"], self.login)
        return Reply(201, self.site.comment(issue, comment))

    def _create_label(self, request: Request, match: re.Match[str]) -> Reply:
        data = rules.json_object(request)
        if isinstance(data, Reply):
            return data
        problem = rules.check_label(data, self.labels)
        if problem is not None:
            return problem
        label = self._new_label(data["name"], data.get("color") or "ededed")
        label["description"] = data.get("description")
        return Reply(201, self.site.label(label))

    def _get_label(self, request: Request, match: re.Match[str]) -> Reply:
        label = self.labels.get(unquote(match["name"]).lower())
        return error(404, "Not Found") if label is None else Reply(200, self.site.label(label))

    def _search(self, request: Request, match: re.Match[str]) -> Reply:
        return Reply(200, {"total_count": 0, "incomplete_results": False, "items": []})

    # --- state and shapes ----------------------------------------------------------------

    def _ensure_labels(self, names: list[str]) -> None:
        for name in names:
            if name.lower() not in self.labels:
                self._new_label(name, "ededed")

    def _new_label(self, name: str, color: str) -> dict[str, Any]:
        self._ids += 1
        label = {"id": self._ids, "name": name, "color": color, "description": None}
        self.labels[name.lower()] = label
        return label

    def _add_comment(self, issue: dict[str, Any], body: str, login: str) -> dict[str, Any]:
        self._ids += 1
        comment = {"id": self._ids, "body": body, "user": login, "created_at": now()}
        issue["comments"].append(comment)
        issue["updated_at"] = now()
        return comment


_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    ("GET", re.compile(_REPO), GitHubFake._get_repo),
    ("GET", re.compile(_REPO + r"/issues"), GitHubFake._list_issues),
    ("POST", re.compile(_REPO + r"/issues"), GitHubFake._create_issue),
    ("GET", re.compile(_REPO + r"/issues/(?P<number>\d+)"), GitHubFake._get_issue),
    ("PATCH", re.compile(_REPO + r"/issues/(?P<number>\d+)"), GitHubFake._edit_issue),
    ("GET", re.compile(_REPO + r"/issues/(?P<number>\d+)/comments"), GitHubFake._list_comments),
    ("POST", re.compile(_REPO + r"/issues/(?P<number>\d+)/comments"), GitHubFake._create_comment),
    ("POST", re.compile(_REPO + r"/labels"), GitHubFake._create_label),
    ("GET", re.compile(_REPO + r"/labels/(?P<name>[^/]+)"), GitHubFake._get_label),
    ("GET", re.compile(re.escape(SEARCH_PATH)), GitHubFake._search),
]

__all__ = ["GitHubFake"]
