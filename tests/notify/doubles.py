"""Test doubles of the notification *protocol* (``Channel``, ``ChannelType``), not mocks of
qrunner's code: an in-memory channel that records what it was given and answers with the
outcome a test scripts, and report data as ``qrunner run --report json`` writes it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from qrunner.errors import NotifyError
from qrunner.notify.events import Delivery, Envelope, Event, Message, Outcome


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url_env: str | None = None
    secret_env: str | None = None
    labels: list[str] = []


@dataclass
class Inbox:
    """Everything every recording channel received, and the outcome each destination gives."""

    received: list[tuple[str, Event]] = field(default_factory=list)
    down: set[str] = field(default_factory=set)  # destinations answering 500
    rejecting: set[str] = field(default_factory=set)  # destinations answering 400
    known: list[tuple[str, Mapping[str, str]]] = field(default_factory=list)

    def kinds(self, destination: str) -> list[str]:
        return [str(e.kind) for d, e in self.received if d == destination]


class RecordingChannel:
    def __init__(self, name: str, inbox: Inbox) -> None:
        self.name = name
        self.inbox = inbox

    def render(self, envelope: Envelope) -> Sequence[Message]:
        return [
            Message(
                f"{i:03d}-{e.kind}.txt", f"{e.kind} {e.key.spec}/{e.key.check} {e.tick}\n", (e.id,)
            )
            for i, e in enumerate(envelope.events)
        ]

    def deliver(self, envelope: Envelope, *, deadline: float) -> Sequence[Delivery]:
        self.inbox.known.append((self.name, dict(envelope.known)))
        found = []
        for event in envelope.events:
            if self.name in self.inbox.down:
                found.append(
                    Delivery(self.name, event.id, event.kind, Outcome.FAILED, 3, "HTTP 500")
                )
            elif self.name in self.inbox.rejecting:
                found.append(
                    Delivery(self.name, event.id, event.kind, Outcome.REJECTED, 1, "HTTP 400")
                )
            else:
                self.inbox.received.append((self.name, event))
                number = str(abs(hash(event.key.id)) % 1000)
                found.append(
                    Delivery(self.name, event.id, event.kind, Outcome.SENT, 1, external_id=number)
                )
        return found


class RecordingType:
    settings_model = _Settings

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    def __call__(self, name: str, settings: Any, environ: Mapping[str, str]) -> RecordingChannel:
        for variable in self.required_env(settings):
            if not environ.get(variable):
                raise NotifyError(f"channel {name}: set {variable}")
        return RecordingChannel(name, self.inbox)

    def required_env(self, settings: Any) -> list[str]:
        return [v for v in (settings.url_env, settings.secret_env) if v]


def registry(inbox: Inbox) -> dict[str, RecordingType]:
    kind = RecordingType(inbox)
    return {"github-issues": kind, "slack": kind, "webhook": kind}


# The routing file of issue 20, exactly as the issue writes it (the repository's example).
ROUTING = (Path(__file__).resolve().parents[2] / "notify.yaml").read_text(encoding="utf-8")

ENV = {
    "SLACK_WEBHOOK_URL": "https://hooks.example/T0/B0/abcdef",
    "GATES_HOOK_URL": "http://127.0.0.1:1/h",
    "GATES_HOOK_SECRET": "s3cret-value",
}


def write_routing(tmp_path: Path, text: str = ROUTING) -> Path:
    path = tmp_path / "notify.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def check(name: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name, "status": status, "observed": 12.5, "threshold": "fail > 10",
        "unit": "%", "offenders": [], "message": "", "mode": "enforce", "metric": "c0",
        "line": 7,
    } | extra  # fmt: skip


def spec(
    name: str,
    tick: str | None,
    checks: list[dict[str, Any]],
    *,
    owner: str | None = "team-platform",
    **extra: Any,
) -> dict[str, Any]:
    worst = "fail" if any(c["status"] == "fail" for c in checks) else "pass"
    return {
        "name": name, "source": "tekton.summary", "file": f"queries/{name}.yaml", "line": 1,
        "status": extra.pop("status", worst), "error": None, "checks": checks,
        "git_commit": "abc123", "tags": [], "tick": tick, "window": None,
        "missed_ticks": [], "owner": owner, "notify": None,
    } | extra  # fmt: skip


def report(*specs: dict[str, Any], at: str = "2026-12-01T12:00:00Z") -> dict[str, Any]:
    return {
        "version": 1, "minor_version": 3, "status": "fail", "started_at": at, "at": at,
        "qrunner_version": "0", "target": "local", "interrupted": False, "run_id": f"run-{at}",
        "specs": list(specs), "notifications": [],
    }  # fmt: skip


def tick(hour: int, day: int = 1) -> str:
    return f"2026-12-{day:02d}T{hour:02d}:00:00Z"
