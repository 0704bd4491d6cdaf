"""The emulator answering from the real local engine over the sample dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qrunner.backends.base import PreparedQuery
from qrunner.backends.datadog import DatadogBackend
from qrunner.backends.tekton import TektonBackend
from qrunner.emulator.server import running_emulator
from qrunner.errors import QueryError
from qrunner.sources import SOURCES


def test_remote_answers_equal_local_answers(kit: Any, tmp_path: Path) -> None:
    from qrunner.backends.local import LocalBackend

    query = kit.ci_query("@test.status:fail")
    local_options = kit.make_options("", target="local", cache_dir=tmp_path)
    expected = kit.execute(LocalBackend(local_options), query)
    with running_emulator(at=kit.AT, cache_dir=tmp_path, api_key=kit.API_KEY) as emu:
        remote = kit.execute(DatadogBackend(kit.make_options(emu.url), retry=kit.FAST), query)
        tekton = kit.execute(
            TektonBackend(kit.make_options(emu.url), retry=kit.FAST),
            PreparedQuery(
                spec_name="t",
                source=SOURCES["tekton.summary"],
                request={"parent": "-/results/-", "summary": "total"},
            ),
        )
        bad = PreparedQuery(
            spec_name="b",
            source=SOURCES["datadog.ci_tests"],
            request={"compute": [{"aggregation": "nonsense"}]},
        )
        with pytest.raises(QueryError):
            kit.execute(DatadogBackend(kit.make_options(emu.url), retry=kit.FAST), bad)
    assert remote["data"] == expected["data"]
    assert "summary" in tekton


def test_a_bad_parent_gets_the_servers_own_message(kit: Any, tmp_path: Path) -> None:
    import httpx

    with running_emulator(data_dir=tmp_path, at=kit.AT, cache_dir=tmp_path / "cache") as emu:
        url = f"{emu.url}/apis/results.tekton.dev/v1alpha2/parents/Bad_NS/results/-/records/summary"
        reply = httpx.get(url, params={"summary": "total"}, headers={"Authorization": "Bearer t"})
    assert reply.status_code == 400
    assert reply.json()["message"].startswith("name must match")
