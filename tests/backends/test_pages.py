"""Following tests aggregate pages: locally, and through the emulator over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qrunner.backends.base import PreparedQuery
from qrunner.backends.datadog import DatadogBackend
from qrunner.backends.local import LocalBackend
from qrunner.backends.pages import MAX_PAGES
from qrunner.emulator.server import LocalAnswerer
from qrunner.judge.results import normalize_response
from qrunner.sources import SOURCES

TESTS = SOURCES["datadog.ci_tests"]
SERVICES = [f"svc-{i:02d}" for i in range(7)]


def write_data(root: Path, services: list[str] = SERVICES) -> Path:
    (root / "ci_tests").mkdir(parents=True)
    events = [
        {"timestamp": "2024-05-01T11:30:00Z", "service": s, "test_level": "test"} for s in services
    ]
    (root / "ci_tests" / "e.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    return root


def grouped_query(limit: int) -> PreparedQuery:
    body = {
        "filter": {"from": "now-1h", "to": "now"},
        "group_by": [{"facet": "service", "limit": limit}],
        "page": {"limit": 25},
    }
    return PreparedQuery(spec_name="pages", source=TESTS, request=body)


def services(response: dict[str, Any]) -> list[str]:
    return [b["by"]["service"] for b in response["data"]["buckets"]]


def test_the_local_backend_follows_pages(kit: Any, tmp_path: Path) -> None:
    options = kit.make_options("", target="local", data_dir=write_data(tmp_path / "data"),
                               cache_dir=tmp_path / "cache")  # fmt: skip
    response = kit.execute(LocalBackend(options), grouped_query(limit=3))
    assert services(response) == SERVICES
    assert not normalize_response(TESTS, response, grouped=True).partial


def test_a_page_round_trip_through_the_emulator(kit: Any, tmp_path: Path) -> None:
    local = LocalAnswerer(write_data(tmp_path / "data"), kit.AT, tmp_path / "cache")
    pages: list[dict[str, Any]] = []

    def answer(source: str, request: dict[str, Any]) -> tuple[int, Any]:
        pages.append(request.get("page") or {})
        return local(source, request)

    try:
        with kit.emulate(answer) as emu:
            backend = DatadogBackend(kit.make_options(emu.url), retry=kit.FAST)
            response = kit.execute(backend, grouped_query(limit=3))
    finally:
        local.close()
    assert services(response) == SERVICES
    assert len(pages) == 3
    # A follow-up is the same body with the cursor added to page, page.limit kept.
    assert pages[0] == {"limit": 25}
    assert all(p["limit"] == 25 and p["cursor"] for p in pages[1:])
    result = normalize_response(TESTS, response, grouped=True)
    assert not result.partial and not result.warnings


def test_pages_beyond_the_cap_make_a_partial_result(kit: Any, tmp_path: Path) -> None:
    many = [f"svc-{i:02d}" for i in range(MAX_PAGES + 3)]
    local = LocalAnswerer(write_data(tmp_path / "data", many), kit.AT, tmp_path / "cache")
    try:
        with kit.emulate(local) as emu:
            backend = DatadogBackend(kit.make_options(emu.url), retry=kit.FAST)
            response = kit.execute(backend, grouped_query(limit=1))
            sent = emu.count("ci_tests")
    finally:
        local.close()
    assert sent == MAX_PAGES + 1
    assert services(response) == many[: MAX_PAGES + 1]
    result = normalize_response(TESTS, response, grouped=True)
    assert result.partial and "not every page" in result.partial_reason
    assert "not fetched" in " ".join(result.warnings)
