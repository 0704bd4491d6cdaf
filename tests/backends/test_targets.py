"""Hosts, sites, Tekton parameters and TLS options, tests aggregate pagination."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qrunner.backends.datadog import DatadogBackend, api_base_url, intake_base_url
from qrunner.backends.registry import BACKENDS
from qrunner.backends.tekton import TektonBackend
from qrunner.errors import BackendResponseError, UsageError
from qrunner.secrets import redact, register_secret, strip_credentials
from qrunner.sources import server_order_by

SITES = [
    ("datadoghq.com", "https://api.datadoghq.com", "https://browser-intake-datadoghq.com"),
    (
        "us3.datadoghq.com",
        "https://api.us3.datadoghq.com",
        "https://browser-intake-us3-datadoghq.com",
    ),
    (
        "us5.datadoghq.com",
        "https://api.us5.datadoghq.com",
        "https://browser-intake-us5-datadoghq.com",
    ),
    (
        "ap1.datadoghq.com",
        "https://api.ap1.datadoghq.com",
        "https://browser-intake-ap1-datadoghq.com",
    ),
    (
        "ap2.datadoghq.com",
        "https://api.ap2.datadoghq.com",
        "https://browser-intake-ap2-datadoghq.com",
    ),
    ("datadoghq.eu", "https://api.datadoghq.eu", "https://browser-intake-datadoghq.eu"),
]


@pytest.mark.parametrize(("site", "api", "intake"), SITES)
def test_site_hosts(site: str, api: str, intake: str) -> None:
    assert api_base_url({"DD_SITE": site}) == api
    assert intake_base_url({"DD_SITE": site}) == intake


def test_default_site_and_overrides() -> None:
    assert api_base_url({}) == "https://api.datadoghq.com"
    assert api_base_url({"QRUNNER_DATADOG_URL": "http://127.0.0.1:1/"}) == "http://127.0.0.1:1"
    assert intake_base_url({"QRUNNER_DATADOG_INTAKE_URL": "http://x:2"}) == "http://x:2"


@pytest.mark.parametrize("site", ["uk1.datadoghq.com", "ddog-gov.com", "us2.ddog-gov.com"])
def test_no_product_analytics_on_gov_and_uk1(site: str) -> None:
    assert api_base_url({"DD_SITE": site}) == f"https://api.{site}"
    with pytest.raises(UsageError, match=f"not available on {site}"):
        intake_base_url({"DD_SITE": site})


def test_a_host_is_not_a_site() -> None:
    with pytest.raises(UsageError, match=r"set DD_SITE='datadoghq\.eu'"):
        api_base_url({"DD_SITE": "app.datadoghq.eu"})
    with pytest.raises(UsageError, match="not a Datadog site"):
        api_base_url({"DD_SITE": "datadoghq.org"})


def test_registry_names() -> None:
    assert set(BACKENDS) == {"local", "datadog", "tekton"}


def test_secrets_are_redacted_everywhere() -> None:
    register_secret("registered-secret-value")
    assert redact("a registered-secret-value b") == "a *** b"
    assert redact("x local-one y", ["local-one"]) == "x *** y"
    assert strip_credentials("https://u:p@h.example:8443/a?api_key=k") == "https://h.example:8443/a"


@pytest.mark.parametrize(
    ("given", "sent"),
    [("ASC running", "running ASC"), ("desc total", "total desc"), ("total DESC", "total DESC")],
)
def test_order_by_goes_field_first(given: str, sent: str) -> None:
    assert server_order_by(given) == sent


def _capture(kit: Any) -> tuple[list[dict[str, Any]], Any]:
    seen: list[dict[str, Any]] = []

    def answer(source: str, request: dict[str, Any]) -> tuple[int, Any]:
        seen.append(request)
        return kit.canned_answer(source, request)

    return seen, answer


def _tekton(kit: Any, url: str, **options: Any) -> TektonBackend:
    return TektonBackend(kit.make_options(url, target="tekton", **options), retry=kit.FAST)


def test_tekton_parameters_as_the_server_wants_them(kit: Any) -> None:
    seen, answer = _capture(kit)
    with kit.emulate(answer) as emu:
        backend = _tekton(kit, emu.url)
        query = kit.tekton_query(group_by="pipeline", order_by="ASC total", filter="a == 'b'")
        assert kit.execute(backend, query) == {}  # grouped {}: no data, as is
    assert seen == [
        {
            "parent": "default/results/-",
            "summary": "total,succeeded",
            "group_by": "pipeline",
            "order_by": "total ASC",
            "filter": "a == 'b'",
        }
    ]


def test_tekton_ungrouped_empty_is_a_server_error(kit: Any) -> None:
    with (
        kit.emulate(lambda source, request: (200, {})) as emu,
        pytest.raises(BackendResponseError, match="server-side error"),
    ):
        kit.execute(_tekton(kit, emu.url), kit.tekton_query())


def test_tekton_400_quotes_the_server(kit: Any) -> None:
    def reject(source: str, request: dict[str, Any]) -> tuple[int, Any]:
        return 400, {"code": 3, "message": "invalid aggregate query: bogus"}

    from qrunner.errors import QueryError

    with (
        kit.emulate(reject) as emu,
        pytest.raises(QueryError, match="invalid aggregate query: bogus"),
    ):
        kit.execute(_tekton(kit, emu.url), kit.tekton_query())


def test_tekton_token_file_and_tls_options(kit: Any, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(kit.TOKEN + "\n")
    with kit.emulate() as emu:
        env = {"TEKTON_RESULTS_TOKEN": "", "TEKTON_RESULTS_TOKEN_FILE": str(token_file)}
        backend = _tekton(kit, emu.url, env=env, tekton_insecure=True)
        assert any("verification is OFF" in n for n in backend.notices)
        assert kit.execute(backend, kit.tekton_query())["summary"]
    with pytest.raises(UsageError, match="CA bundle"):
        _tekton(kit, "https://127.0.0.1:1", tekton_ca=str(tmp_path / "missing.pem"))
    with pytest.raises(UsageError, match="TEKTON_RESULTS_URL"):
        _tekton(kit, "")


def test_tests_aggregate_cursor_is_followed(kit: Any) -> None:
    pages = {None: ("a", "p2"), "p2": ("b", "p3"), "p3": ("c", None)}
    seen: list[Any] = []

    def answer(source: str, request: dict[str, Any]) -> tuple[int, Any]:
        cursor = (request.get("page") or {}).get("cursor")
        seen.append(cursor)
        value, after = pages[cursor]
        meta: dict[str, Any] = {"status": "done"}
        if after:
            meta["page"] = {"after": after}
        bucket = {"by": {"@git.branch": value}, "computes": {"c0": 1}}
        return 200, {"data": {"buckets": [bucket]}, "meta": meta}

    with kit.emulate(answer) as emu:
        response = kit.execute(
            DatadogBackend(kit.make_options(emu.url), retry=kit.FAST), kit.ci_query()
        )
    assert seen == [None, "p2", "p3"]
    assert [b["by"]["@git.branch"] for b in response["data"]["buckets"]] == ["a", "b", "c"]
    assert "page" not in response["meta"]


def test_an_endless_cursor_stops_with_a_warning(kit: Any) -> None:
    count = 0

    def answer(source: str, request: dict[str, Any]) -> tuple[int, Any]:
        nonlocal count
        count += 1
        meta = {"status": "done", "page": {"after": f"c{count}"}}
        return 200, {
            "data": {"buckets": [{"by": {"k": count}, "computes": {"c0": 1}}]},
            "meta": meta,
        }

    with kit.emulate(answer) as emu:
        response = kit.execute(
            DatadogBackend(kit.make_options(emu.url), retry=kit.FAST), kit.ci_query()
        )
    assert count == 11  # the first page and ten more
    assert "not fetched" in str(response["meta"]["warnings"])


def test_the_spans_budget_is_configurable() -> None:
    from qrunner.backends.datadog import SPANS_PATH, budgets_from_env
    from qrunner.backends.pacing import Budget
    from qrunner.errors import UsageError

    assert budgets_from_env({}) == {SPANS_PATH: Budget(limit=300, period=3600.0)}
    assert budgets_from_env({"QRUNNER_SPANS_BUDGET": "1000/3600"}) == {
        SPANS_PATH: Budget(limit=1000, period=3600.0)
    }
    assert budgets_from_env({"QRUNNER_SPANS_BUDGET": "off"}) == {}
    for bad in ("lots", "10/0", "-1/60"):
        with pytest.raises(UsageError, match="QRUNNER_SPANS_BUDGET"):
            budgets_from_env({"QRUNNER_SPANS_BUDGET": bad})
