"""Fixtures for the remote backends: a running emulator with canned answers, fast retries."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from qrunner.backends.base import PreparedQuery, TargetOptions
from qrunner.backends.http import RetryPolicy
from qrunner.emulator.server import Emulator, running_emulator
from qrunner.sources import SOURCES

API_KEY = "ddapi-SECRET-4f8a1c9e2b7d6053"
APP_KEY = "ddapp-SECRET-9e1b7c3a5d2f8046aa11"
TOKEN = "tkn-SECRET-eyJhbGciOiJSUzI1NiJ9.payload"
SECRETS = (API_KEY, APP_KEY, TOKEN)
FAST = RetryPolicy(max_attempts=4, base=0.01, cap=0.05)
AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def canned_answer(source_name: str, request: dict[str, Any]) -> tuple[int, Any]:
    """A minimal answer in each API's shape; Tekton grouped answers are ``{}`` (no data)."""
    if source_name == "tekton.summary":
        if request.get("group_by"):
            return 200, {}
        return 200, {"summary": [{"total": 3, "succeeded": 2}]}
    if SOURCES[source_name].wrapped:
        bucket = {"type": "bucket", "id": "b1", "attributes": {"by": {}, "compute": {"c0": 7}}}
        return 200, {"data": [bucket], "meta": {"status": "done"}}
    return 200, {
        "data": {"buckets": [{"by": {}, "computes": {"c0": 7}}]},
        "meta": {"status": "done"},
    }


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with running_emulator(
        canned_answer, api_key=API_KEY, app_key=APP_KEY, tekton_token=TOKEN
    ) as emu:
        yield emu


def make_options(url: str, **overrides: Any) -> TargetOptions:
    env = {
        "QRUNNER_DATADOG_URL": url,
        "QRUNNER_DATADOG_INTAKE_URL": url,
        "DD_API_KEY": API_KEY,
        "DD_APP_KEY": APP_KEY,
        "TEKTON_RESULTS_URL": url,
        "TEKTON_RESULTS_TOKEN": TOKEN,
        "TEKTON_RESULTS_TOKEN_FILE": "",
    }
    env.update(overrides.pop("env", {}))
    values: dict[str, Any] = {"target": "datadog", "at": AT, "request_timeout": 5.0}
    values.update(overrides)
    return TargetOptions(env=env, **values)


def ci_query(query: str = "*", name: str = "spec") -> PreparedQuery:
    body = {
        "compute": [{"aggregation": "count", "type": "total"}],
        "filter": {"from": "now-1h", "to": "now", "query": query},
    }
    return PreparedQuery(spec_name=name, source=SOURCES["datadog.ci_tests"], request=body)


def tekton_query(**params: str) -> PreparedQuery:
    request = {"parent": "default/results/-", "summary": "total,succeeded", **params}
    return PreparedQuery(spec_name="t", source=SOURCES["tekton.summary"], request=request)


def assert_no_secret(*texts: object) -> None:
    for text in texts:
        shown = text if isinstance(text, str) else f"{text!s} {text!r} {json.dumps(str(text))}"
        for secret in SECRETS:
            assert secret not in shown, f"secret leaked in {shown!r}"


class Kit:
    """The helpers above, for test modules (importlib mode: tests cannot import conftest)."""

    API_KEY = API_KEY
    APP_KEY = APP_KEY
    TOKEN = TOKEN
    SECRETS = SECRETS
    FAST = FAST
    AT = AT
    canned_answer = staticmethod(canned_answer)
    make_options = staticmethod(make_options)
    ci_query = staticmethod(ci_query)
    tekton_query = staticmethod(tekton_query)
    assert_no_secret = staticmethod(assert_no_secret)

    @staticmethod
    def execute(backend: Any, query: Any) -> Any:
        """One query through ``backend`` on a fresh event loop, closing the backend after."""

        async def run() -> Any:
            try:
                return await backend.execute(query)
            finally:
                await backend.aclose()

        return asyncio.run(run())

    @staticmethod
    def emulate(answer: Any = canned_answer, **kwargs: Any) -> Any:
        return running_emulator(
            answer, api_key=API_KEY, app_key=APP_KEY, tekton_token=TOKEN, **kwargs
        )


@pytest.fixture
def kit() -> type[Kit]:
    return Kit
