"""GitHub issues: one issue per incident, its body edited in place, closed on recovery.

Per event, in the envelope's (tick) order:

* **find the issue**: the number the alert state kept (``Envelope.known``), else the open
  issues carrying the first label, listed once per run (paginated), matched by the hidden
  marker ``<!-- qrunner:incident=<id> -->`` — a run that lost its state finds its issues again
  and opens no duplicate;
* **no issue yet** (firing, escalated, reminder, error, missed, silence-expired, report): open
  one with the labels (plus ``owner:<owner>``) and the owner's mention — at most
  ``max_new_issues`` a run; the incidents past it are listed in one roll-up issue (marker
  ``<!-- qrunner:rollup -->``, edited in place by later runs) and their deliveries are
  SUPPRESSED with a note; a ``resolved`` with no open issue has nothing to close (SUPPRESSED);
* **an issue exists**: its body is rewritten (the status table), then a comment says what
  happened (a scheduled report only rewrites the body); ``resolved`` comments and closes it;
* **a person closed it** while the incident is open: that is an acknowledgement; it is never
  reopened (SUPPRESSED, with a note), and a later ``firing`` (a new incident) opens a new issue;
* ``state-reset`` is SUPPRESSED (issues are found by marker); ``test`` opens a marked issue
  and closes it at once.

Calls per run: one listing (its pages) when an incident's number is unknown, then one call per
event for a new issue or a report, two for an existing issue (body, comment or close). One
failing event does not stop the others; the listing failing fails the events that needed it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from qrunner.notify.channels import github_render as render
from qrunner.notify.channels.github_api import GitHubApi
from qrunner.notify.channels.sender import SendFailure
from qrunner.notify.channels.settings import (
    DEFAULT_GITHUB_API_URL,
    GitHubIssuesSettings,
    read_env,
)
from qrunner.notify.events import Delivery, Envelope, Event, EventKind, Message, Outcome
from qrunner.secrets import register_secret

_NEEDS_NO_ISSUE = frozenset({EventKind.RESOLVED})
_BODY_ONLY = frozenset({EventKind.REPORT})
_GONE = frozenset({404, 410})  # a deleted or transferred issue


class GitHubIssuesChannel:
    def __init__(self, name: str, settings: GitHubIssuesSettings, api: GitHubApi) -> None:
        self.name = name
        self.settings = settings
        self.api = api
        self._listing: dict[str, dict[str, Any]] | None = None  # marker id → open issue
        self._rollup: dict[str, Any] | None = None
        self._last_url: str | None = None  # what the last event's delivery links to

    def __repr__(self) -> str:
        return f"GitHubIssuesChannel({self.name!r}, repo={self.api.repo!r})"

    # --- dry run -----------------------------------------------------------------------

    def render(self, envelope: Envelope) -> Sequence[Message]:
        messages = []
        for n, event in enumerate(envelope.events, 1):
            if event.kind is EventKind.TEST:
                text = render.test_body(event, envelope)
            else:
                head = "\n".join(
                    [
                        f"title: {render.title(event)}",
                        f"labels: {', '.join(render.labels(self.settings.labels, event.owner))}",
                    ]
                )
                parts = [head, "--- body", render.body(event, envelope)]
                if event.kind not in _BODY_ONLY:
                    parts += [
                        "--- comment (when the issue exists)",
                        render.comment(event, envelope),
                    ]
                text = "\n".join(parts)
            name = f"{envelope.destination}.{n:03d}.{event.kind}.md"
            messages.append(Message(name, text + "\n", (event.id,)))
        return messages

    # --- delivery ----------------------------------------------------------------------

    def close(self) -> None:
        """Release the HTTP client (the notify step calls it after delivering)."""
        self.api.close()

    def deliver(self, envelope: Envelope, *, deadline: float) -> Sequence[Delivery]:
        try:
            return self._deliver(envelope, deadline)
        finally:
            self.api.close()

    def _deliver(self, envelope: Envelope, deadline: float) -> list[Delivery]:
        self._listing, self._rollup = None, None
        numbers: dict[str, int] = {}
        for incident, value in envelope.known.items():
            if str(value).isdigit():
                numbers[incident] = int(value)
        opened = 0
        overflow: list[tuple[Event, Delivery]] = []
        deliveries: list[Delivery] = []
        for event in envelope.events:
            delivery = Delivery(self.name, event.id, event.kind, Outcome.SENT)
            deliveries.append(delivery)
            before = self.api.attempts
            try:
                result = self._deliver_one(event, envelope, numbers, deadline, opened)
            except SendFailure as failure:
                delivery.outcome, delivery.error = failure.outcome, failure.message
            else:
                if result == "overflow":
                    overflow.append((event, delivery))
                elif result == "opened":
                    opened += 1
                if result not in ("overflow", "sent", "opened"):
                    delivery.outcome, delivery.error = Outcome.SUPPRESSED, result
                if event.key.id in numbers:
                    delivery.external_id = str(numbers[event.key.id])
                delivery.url = self._last_url
            delivery.attempts = self.api.attempts - before
        if overflow:
            self._roll_up(overflow, envelope, deadline)
        return deliveries

    def _deliver_one(
        self,
        event: Event,
        envelope: Envelope,
        numbers: dict[str, int],
        deadline: float,
        opened: int,
    ) -> str:
        """``sent``, ``opened``, ``overflow``, or a note saying why nothing was sent."""
        self._last_url = None
        if event.kind is EventKind.STATE_RESET:
            return "the GitHub issues channel finds its issues again by marker: nothing to post"
        if event.kind is EventKind.TEST:
            issue = self.api.create(
                "qrunner: test notification",
                render.test_body(event, envelope),
                list(self.settings.labels),
                deadline,
            )
            self._last_url = issue.get("html_url")
            self.api.edit(int(issue["number"]), deadline, state="closed")
            return "sent"
        incident = event.key.id
        number = self._locate(event, numbers, deadline)
        if number is not None:
            numbers[incident] = number
            try:
                return self._update(number, event, envelope, deadline)
            except SendFailure as failure:
                if failure.status not in _GONE:
                    raise
                # Deleted or transferred: the incident has no issue any more.
        numbers.pop(incident, None)
        if event.kind in _NEEDS_NO_ISSUE:
            return "no open issue for this incident: nothing to close"
        if opened >= self.settings.max_new_issues:
            return "overflow"
        issue = self.api.create(
            render.title(event),
            render.body(event, envelope),
            render.labels(self.settings.labels, event.owner),
            deadline,
        )
        numbers[incident] = int(issue["number"])
        self._last_url = issue.get("html_url")
        return "opened"

    def _locate(self, event: Event, numbers: dict[str, int], deadline: float) -> int | None:
        """The incident's open issue: by the alert state's number, else by marker."""
        number = numbers.get(event.key.id)
        if number is None:
            found = self._open_issues(deadline).get(event.key.id)
            return int(found["number"]) if found else None
        if event.kind is EventKind.FIRING:
            # A new incident: the previous one's issue counts only while it is still open.
            try:
                still_open = self.api.get(number, deadline).get("state") == "open"
            except SendFailure as failure:
                if failure.status not in _GONE:
                    raise
                still_open = False
            return number if still_open else None
        return number

    def _update(self, number: int, event: Event, envelope: Envelope, deadline: float) -> str:
        body = render.body(event, envelope)
        if event.kind is EventKind.RESOLVED:
            note = self.api.comment(number, render.comment(event, envelope), deadline)
            self.api.edit(number, deadline, body=body, state="closed", state_reason="completed")
            self._last_url = note.get("html_url")
            return "sent"
        issue = self.api.edit(number, deadline, body=body)
        self._last_url = issue.get("html_url")
        if issue.get("state") == "closed":
            return (
                f"issue #{number} was closed by a person: the incident is acknowledged, "
                "not reopened"
            )
        if event.kind in _BODY_ONLY:
            return "sent"
        note = self.api.comment(number, render.comment(event, envelope), deadline)
        self._last_url = note.get("html_url") or self._last_url
        return "sent"

    def _open_issues(self, deadline: float) -> dict[str, dict[str, Any]]:
        if self._listing is None:
            listing: dict[str, dict[str, Any]] = {}
            for issue in self.api.open_issues(self.settings.labels[0], deadline):
                text = str(issue.get("body") or "")
                if render.ROLLUP_MARKER in text:
                    self._rollup = issue
                for match in render.MARKER_PATTERN.finditer(text[:200]):
                    listing.setdefault(match.group(1), issue)
            self._listing = listing
        return self._listing

    def _roll_up(
        self, overflow: list[tuple[Event, Delivery]], envelope: Envelope, deadline: float
    ) -> None:
        events = [event for event, _ in overflow]
        body = render.rollup_body(events, envelope, self.settings.max_new_issues)
        before = self.api.attempts
        try:
            if self._rollup is not None:
                issue = self.api.edit(int(self._rollup["number"]), deadline, body=body)
            else:
                title = f"qrunner: {len(events)} more incidents (roll-up)"
                issue = self.api.create(title, body, list(self.settings.labels), deadline)
            note = f"past max_new_issues ({self.settings.max_new_issues}): listed in the " + (
                f"roll-up issue #{issue.get('number')}"
            )
            outcome, url = Outcome.SUPPRESSED, issue.get("html_url")
        except SendFailure as failure:
            note, outcome, url = failure.message, failure.outcome, None
        for _, delivery in overflow:
            delivery.outcome, delivery.error, delivery.url = outcome, note, url
            delivery.attempts += self.api.attempts - before


def build(
    name: str,
    settings: GitHubIssuesSettings,
    environ: Mapping[str, str],
    api: Callable[..., GitHubApi] = GitHubApi,
) -> GitHubIssuesChannel:
    token = read_env(environ, settings.token_env, name, "a token allowed to write issues")
    repo = read_env(environ, settings.repository_env, name, "the repository, owner/name")
    api_url = environ.get(settings.api_url_env, "").strip() or DEFAULT_GITHUB_API_URL
    register_secret(token)
    return GitHubIssuesChannel(
        name, settings, api(api_url=api_url, repo=repo, token=token, token_env=settings.token_env)
    )
