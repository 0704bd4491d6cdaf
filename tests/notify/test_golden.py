"""Every rendered message matches its golden file; every webhook body matches its schema."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from qrunner.validate.schemastore import validate_instance

HERE = Path(__file__).resolve().parent
SCRIPT = "python tests/notify/generate_golden.py"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "notify_generate_golden", HERE / "generate_golden.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("notify_generate_golden", module)
    spec.loader.exec_module(module)
    return module


GENERATOR = _load_generator()
RENDERED: dict[Path, str] = GENERATOR.rendered()


def test_no_golden_file_is_missing_or_left_over() -> None:
    on_disk = {p.relative_to(GENERATOR.GOLDEN) for p in GENERATOR.GOLDEN.rglob("*") if p.is_file()}
    assert on_disk == set(RENDERED), f"golden files differ from what renders: run {SCRIPT}"


@pytest.mark.parametrize("path", sorted(RENDERED), ids=str)
def test_golden(path: Path) -> None:
    golden = GENERATOR.GOLDEN / path
    assert golden.is_file(), f"{golden} is missing: run {SCRIPT}"
    assert golden.read_text(encoding="utf-8") == RENDERED[path], (
        f"{path} changed: if the change is intended, run {SCRIPT} and review the diff"
    )


WEBHOOK_BODIES = sorted(p for p in RENDERED if p.parts[0] == "webhook")


@pytest.mark.parametrize("path", WEBHOOK_BODIES, ids=str)
def test_every_golden_webhook_body_matches_the_schema(path: Path) -> None:
    issues = validate_instance("notify-webhook-v1", json.loads(RENDERED[path]))
    assert not issues, [str(i) for i in issues]


def test_the_schema_rejects_a_body_without_its_event() -> None:
    body = json.loads(RENDERED[WEBHOOK_BODIES[0]])
    del body["event"]
    assert validate_instance("notify-webhook-v1", body)


@pytest.mark.parametrize("path", sorted(p for p in RENDERED if p.parts[0] == "slack"), ids=str)
def test_slack_messages_keep_slacks_limits(path: Path) -> None:
    message = json.loads(RENDERED[path])
    assert len(message["blocks"]) <= 50
    assert len(message["text"]) <= 3000
    for block in message["blocks"]:
        if block["type"] == "section":
            assert 0 < len(block["text"]["text"]) <= 3000
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150


def test_an_oversized_run_says_how_many_events_it_left_out() -> None:
    message = json.loads(RENDERED[Path("slack/oversized/chat.slack.json")])
    texts = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert texts[-1] == "… and 75 more events: see the run's report"
    assert "• … and 395 more" in texts[2]  # 400 offenders, the top 5 shown
