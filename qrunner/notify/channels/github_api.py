"""The GitHub REST calls the issues channel makes, and nothing else (never the search API: its
index lags behind, and a lookup through it makes duplicates).

    GET   /repos/{repo}/issues?state=open&labels=<first label>&per_page=100&page=N
    GET   /repos/{repo}/issues/{n}
    POST  /repos/{repo}/issues                  {title, body, labels}
    PATCH /repos/{repo}/issues/{n}              {body, state?, state_reason?}
    POST  /repos/{repo}/issues/{n}/comments     {body}

``GITHUB_API_URL`` (GitHub Enterprise) is honoured; the token goes in an ``Authorization``
header and is redacted from every message. A 401/403 that is not a rate limit says which
permission the token needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from qrunner.limits import GITHUB_MAX_LIST_PAGES
from qrunner.notify.channels.sender import Sender, SendFailure
from qrunner.notify.events import Outcome

_NEXT = re.compile(r'<[^>]*>;\s*rel="next"')
_PERMISSION_HINT = (
    " — the token in {env} needs issues: write on {repo} (in a workflow: "
    "`permissions: issues: write`)"
)


class GitHubApi:
    def __init__(self, *, api_url: str, repo: str, token: str, token_env: str) -> None:
        self.repo = repo
        self._base = f"{api_url.rstrip('/')}/repos/{quote(repo, safe='/')}"
        self._token_env = token_env
        self.calls = 0
        self.attempts = 0  # HTTP attempts, retries included
        self._sender = Sender(
            service="GitHub",
            secrets=(token,),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
        )

    def __repr__(self) -> str:
        return f"GitHubApi({self.repo!r})"

    def _call(
        self,
        method: str,
        path: str,
        deadline: float,
        json_body: Any = None,
        params: dict[str, str] | None = None,
    ) -> tuple[Any, dict[str, str]]:
        self.calls += 1
        what = f"GitHub {method} /repos/{self.repo}{path}"
        try:
            answer = self._sender.send(
                method,
                self._base + path,
                what=what,
                deadline=deadline,
                json_body=json_body,
                params=params,
            )
        except SendFailure as failure:
            self.attempts += failure.attempts
            if failure.status in (401, 403):
                failure.message += _PERMISSION_HINT.format(env=self._token_env, repo=self.repo)
                failure.args = (failure.message,)
            raise
        self.attempts += answer.attempts
        return answer.json(), answer.headers

    def open_issues(self, label: str, deadline: float) -> Iterator[dict[str, Any]]:
        """Open issues carrying ``label`` (pull requests left out), page by page."""
        for page in range(1, GITHUB_MAX_LIST_PAGES + 1):
            params = {"state": "open", "labels": label, "per_page": "100", "page": str(page)}
            items, headers = self._call("GET", "/issues", deadline, params=params)
            for item in items if isinstance(items, list) else ():
                if isinstance(item, dict) and "pull_request" not in item:
                    yield item
            if not _NEXT.search(headers.get("link", "")):
                return

    def get(self, number: int, deadline: float) -> dict[str, Any]:
        issue, _ = self._call("GET", f"/issues/{number}", deadline)
        return issue if isinstance(issue, dict) else {}

    def create(self, title: str, body: str, labels: list[str], deadline: float) -> dict[str, Any]:
        payload = {"title": title, "body": body, "labels": labels}
        issue, _ = self._call("POST", "/issues", deadline, json_body=payload)
        if not isinstance(issue, dict) or not isinstance(issue.get("number"), int):
            raise SendFailure(
                Outcome.FAILED,
                f"GitHub POST /repos/{self.repo}/issues answered without an issue number",
                attempts=1,
                status=None,
            )
        return issue

    def edit(self, number: int, deadline: float, **fields: str) -> dict[str, Any]:
        issue, _ = self._call("PATCH", f"/issues/{number}", deadline, json_body=fields)
        return issue if isinstance(issue, dict) else {}

    def comment(self, number: int, body: str, deadline: float) -> dict[str, Any]:
        note, _ = self._call(
            "POST", f"/issues/{number}/comments", deadline, json_body={"body": body}
        )
        return note if isinstance(note, dict) else {}

    def close(self) -> None:
        self._sender.close()
