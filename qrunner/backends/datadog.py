"""The Datadog backend: the three aggregate endpoints (CI tests, CI pipelines, spans).

Hosts: ``https://api.<DD_SITE>`` (``QRUNNER_DATADOG_URL`` overrides, e.g. for the emulator).
Keys come from ``DD_API_KEY`` and ``DD_APP_KEY`` and go out as ``DD-API-KEY`` and
``DD-APPLICATION-KEY``. The rendered request is sent exactly; the response comes back as the
API shaped it (``meta.status: timeout`` and ``meta.warnings`` included) for ``results.py``.
Site → host mapping for Product Analytics' intake lives here too, next to the API's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qrunner.backends.base import WITHOUT_CREDENTIALS, PreparedQuery, TargetOptions
from qrunner.backends.http import DEFAULT_BUDGETS, HttpClient, RetryPolicy
from qrunner.backends.pacing import Budget
from qrunner.backends.pages import follow_pages
from qrunner.errors import UsageError
from qrunner.secrets import register_secret

DEFAULT_SITE = "datadoghq.com"
SITES = (
    "datadoghq.com",
    "us3.datadoghq.com",
    "us5.datadoghq.com",
    "ap1.datadoghq.com",
    "ap2.datadoghq.com",
    "datadoghq.eu",
    "uk1.datadoghq.com",
    "ddog-gov.com",
    "us2.ddog-gov.com",
)
# Product Analytics is not offered on these sites.
NO_PRODUCT_ANALYTICS = ("uk1.datadoghq.com", "ddog-gov.com", "us2.ddog-gov.com")
TESTS_PATH = "/api/v2/ci/tests/analytics/aggregate"
SPANS_PATH = "/api/v2/spans/analytics/aggregate"


def resolve_site(env: Mapping[str, str]) -> str:
    """``DD_SITE`` (default ``datadoghq.com``), checked against the known sites."""
    site = (env.get("DD_SITE") or DEFAULT_SITE).strip().lower().removeprefix("https://")
    site = site.rstrip("/")
    if site in SITES:
        return site
    if site.startswith(("app.", "api.")) and site[4:] in SITES:
        raise UsageError(
            f"DD_SITE={site!r} is a host, not a site: set DD_SITE={site[4:]!r} "
            f"(the API host is api.{site[4:]})"
        )
    raise UsageError(
        f"DD_SITE={site!r} is not a Datadog site; known sites: {', '.join(SITES)} "
        "(set QRUNNER_DATADOG_URL for anything else)"
    )


def api_base_url(env: Mapping[str, str]) -> str:
    override = env.get("QRUNNER_DATADOG_URL", "").strip()
    if override:
        return override.rstrip("/")
    return f"https://api.{resolve_site(env)}"


def intake_base_url(env: Mapping[str, str]) -> str:
    """Product Analytics' host: ``browser-intake-<site>`` with the dot before ``datadoghq``
    turned into a dash (``us3.datadoghq.com`` → ``browser-intake-us3-datadoghq.com``)."""
    override = env.get("QRUNNER_DATADOG_INTAKE_URL", "").strip()
    if override:
        return override.rstrip("/")
    site = resolve_site(env)
    if site in NO_PRODUCT_ANALYTICS:
        raise UsageError(f"Product Analytics is not available on {site}; nothing was sent")
    return f"https://browser-intake-{site.replace('.datadoghq', '-datadoghq')}"


def read_keys(env: Mapping[str, str], *, app_key: bool) -> dict[str, str]:
    """The auth headers, registered as secrets; a missing key names its variable."""
    names = [("DD_API_KEY", "DD-API-KEY")] + ([("DD_APP_KEY", "DD-APPLICATION-KEY")] * app_key)
    missing = [var for var, _ in names if not env.get(var, "").strip()]
    if missing:
        needed = f"set {' and '.join(missing)} to query Datadog (missing: {missing[0]})"
        raise UsageError(f"{needed}; {WITHOUT_CREDENTIALS}" if app_key else needed)
    headers = {}
    for var, header in names:
        value = env[var].strip()
        register_secret(value)
        headers[header] = value
    return headers


def budgets_from_env(env: Mapping[str, str]) -> dict[str, Budget]:
    """The documented spans budget (300 requests per hour), or ``QRUNNER_SPANS_BUDGET``:
    ``LIMIT/SECONDS`` (``1000/3600``) for an organisation with a higher quota, ``off`` for none."""
    raw = env.get("QRUNNER_SPANS_BUDGET", "").strip().lower()
    if not raw:
        return dict(DEFAULT_BUDGETS)
    if raw == "off":
        return {}
    limit, _, period = raw.partition("/")
    try:
        budget = Budget(limit=int(limit), period=float(period))
    except ValueError:
        budget = Budget(limit=0, period=0.0)
    if budget.limit <= 0 or budget.period <= 0:
        raise UsageError(
            f"QRUNNER_SPANS_BUDGET={raw!r}: use LIMIT/SECONDS (e.g. 300/3600) or 'off'"
        )
    return {SPANS_PATH: budget}


class DatadogBackend:
    """Runs Datadog aggregate queries over HTTP; see :mod:`qrunner.backends.http` for errors."""

    name = "datadog"

    def __init__(self, options: TargetOptions, *, retry: RetryPolicy | None = None) -> None:
        self.options = options
        headers = read_keys(options.env, app_key=True)
        self.client = HttpClient(
            base_url=api_base_url(options.env),
            headers=headers,
            service="Datadog",
            request_timeout=options.request_timeout,
            concurrency=options.concurrency,
            deadline=options.deadline,
            retry=retry,
            budgets=budgets_from_env(options.env),
            secrets=tuple(headers.values()),
            auth_hint="the keys come from DD_API_KEY and DD_APP_KEY; the application key "
            "needs read access to CI Visibility / APM (and DD_SITE must match the org)",
        )

    def __repr__(self) -> str:
        return f"DatadogBackend({self.client!r})"

    async def aclose(self) -> None:
        await self.client.aclose()

    async def execute(self, query: PreparedQuery) -> dict[str, Any]:
        path = query.source.path
        reply = await self.client.request("POST", path, json_body=query.request)
        response = reply.body if isinstance(reply.body, dict) else {"data": reply.body}
        if path != TESTS_PATH:
            if query.pages is not None:
                query.pages.append(response)
            return response

        async def fetch(body: dict[str, Any]) -> dict[str, Any]:
            reply = await self.client.request("POST", TESTS_PATH, json_body=body)
            return reply.body if isinstance(reply.body, dict) else {}

        return await follow_pages(query.request, response, fetch, query.pages)
