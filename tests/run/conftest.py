"""A sample dataset generated once for the run tests, and an isolated cache directory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

AT = "2024-05-01T12:00:00Z"
ROOT = Path(__file__).resolve().parents[2]
QUERIES = ROOT / "queries"


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from qrunner.engine.store.sample import generate_sample

    folder = tmp_path_factory.mktemp("sample")
    generate_sample(folder, days=8, seed=7, end=datetime(2024, 5, 1, 12, tzinfo=UTC))
    return folder


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("QRUNNER_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "QRUNNER_TARGET", "QRUNNER_DATA"):
        monkeypatch.delenv(name, raising=False)
    yield
