"""The fake GitHub's records (plain dicts a test can read) and the JSON GitHub answers with.

An issue record: ``number``, ``title``, ``body``, ``state`` (``open``/``closed``),
``state_reason``, ``labels`` (names), ``assignees`` (logins), ``comments`` (records with
``id``, ``body``, ``user``, ``created_at``), ``user``, ``created_at``, ``updated_at``,
``closed_at``, ``closed_by`` (a login or ``None``), ``pull_request`` (bool). A label record:
``id``, ``name``, ``color``, ``description``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_issue(
    number: int,
    title: str,
    body: str,
    labels: list[str],
    user: str,
    *,
    assignees: list[str] | None = None,
    state: str = "open",
    pull_request: bool = False,
) -> dict[str, Any]:
    closed = state == "closed"
    return {
        "number": number,
        "title": title,
        "body": body,
        "state": state,
        "state_reason": "completed" if closed else None,
        "labels": labels,
        "assignees": assignees or [],
        "comments": [],
        "user": user,
        "created_at": now(),
        "updated_at": now(),
        "closed_at": now() if closed else None,
        "closed_by": user if closed else None,
        "pull_request": pull_request,
    }


@dataclass(frozen=True, slots=True)
class Site:
    """Where the fake lives: API base URL, ``owner/repo``, web base URL, the token's login."""

    api: str
    repo: str
    html: str
    bot: str

    def issue_url(self, number: int) -> str:
        return f"{self.api}/repos/{self.repo}/issues/{number}"

    def user(self, login: str) -> dict[str, Any]:
        return {"login": login, "id": abs(hash(login)) % 10**8, "type": self._type(login)}

    def _type(self, login: str) -> str:
        return "Bot" if login == self.bot else "User"

    def repository(self, has_issues: bool) -> dict[str, Any]:
        owner, name = self.repo.split("/", 1)
        return {
            "id": 1,
            "node_id": "R_emu1",
            "name": name,
            "full_name": self.repo,
            "owner": self.user(owner),
            "private": True,
            "url": f"{self.api}/repos/{self.repo}",
            "html_url": f"{self.html}/{self.repo}",
            "has_issues": has_issues,
            "permissions": {"admin": False, "maintain": False, "push": True, "triage": True},
        }

    def label(self, label: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.api}/repos/{self.repo}/labels/{label['name']}"
        return {**label, "node_id": f"LA_emu{label['id']}", "url": url, "default": False}

    def issue(self, issue: dict[str, Any], labels: dict[str, dict[str, Any]]) -> dict[str, Any]:
        number, api = issue["number"], self.issue_url(issue["number"])
        kind = "pull" if issue["pull_request"] else "issues"
        assignees = [self.user(a) for a in issue["assignees"]]
        shown: dict[str, Any] = {
            "id": 100000 + number,
            "node_id": f"I_emu{number}",
            "url": api,
            "repository_url": f"{self.api}/repos/{self.repo}",
            "comments_url": f"{api}/comments",
            "html_url": f"{self.html}/{self.repo}/{kind}/{number}",
            "number": number,
            "title": issue["title"],
            "body": issue["body"] or None,
            "state": issue["state"],
            "state_reason": issue["state_reason"],
            "locked": False,
            "labels": [self.label(labels[name.lower()]) for name in issue["labels"]],
            "assignees": assignees,
            "assignee": assignees[0] if assignees else None,
            "user": self.user(issue["user"]),
            "comments": len(issue["comments"]),
            "created_at": issue["created_at"],
            "updated_at": issue["updated_at"],
            "closed_at": issue["closed_at"],
            "author_association": "NONE",
        }
        if issue["closed_by"] is not None:
            shown["closed_by"] = self.user(issue["closed_by"])
        if issue["pull_request"]:
            shown["pull_request"] = {"url": f"{self.api}/repos/{self.repo}/pulls/{number}"}
        return shown

    def comment(self, issue: dict[str, Any], comment: dict[str, Any]) -> dict[str, Any]:
        ident = comment["id"]
        return {
            "id": ident,
            "node_id": f"IC_emu{ident}",
            "url": f"{self.api}/repos/{self.repo}/issues/comments/{ident}",
            "html_url": f"{self.html}/{self.repo}/issues/{issue['number']}#issuecomment-{ident}",
            "issue_url": self.issue_url(issue["number"]),
            "body": comment["body"],
            "user": self.user(comment["user"]),
            "created_at": comment["created_at"],
            "updated_at": comment["created_at"],
            "author_association": "NONE",
        }
