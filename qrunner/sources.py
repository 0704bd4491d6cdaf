"""The registry of query sources a spec can name (``source: datadog.ci_tests``).

A source ties a spec to an API endpoint, its generated request/response schemas, the
backend family that can run it remotely and the local dataset that answers it offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    backend: str  # remote backend family: "datadog" or "tekton"
    dataset: str  # local dataset directory under --data: ci_tests, ci_pipelines, spans, tekton
    schema: str  # stem of schemas/<schema>.request.schema.json
    method: str
    path: str  # URL path; Tekton's has a {parent} placeholder
    wrapped: bool = (
        False  # spans: body is {"data": {"type": "aggregate_request", "attributes": ...}}
    )
    time_offset_key: str = "time_offset"

    @property
    def is_datadog(self) -> bool:
        return self.backend == "datadog"


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source(
            name="datadog.ci_tests",
            backend="datadog",
            dataset="ci_tests",
            schema="datadog.ci_tests",
            method="POST",
            path="/api/v2/ci/tests/analytics/aggregate",
        ),
        Source(
            name="datadog.ci_pipelines",
            backend="datadog",
            dataset="ci_pipelines",
            schema="datadog.ci_pipelines",
            method="POST",
            path="/api/v2/ci/pipelines/analytics/aggregate",
        ),
        Source(
            name="datadog.spans",
            backend="datadog",
            dataset="spans",
            schema="datadog.spans",
            method="POST",
            path="/api/v2/spans/analytics/aggregate",
            wrapped=True,
            time_offset_key="timeOffset",
        ),
        Source(
            name="tekton.summary",
            backend="tekton",
            dataset="tekton",
            schema="tekton.summary",
            method="GET",
            path="/apis/results.tekton.dev/v1alpha2/parents/{parent}/records/summary",
        ),
    )
}

# Not a query source: where qrunner publishes its own results.
PRODUCT_ANALYTICS_SCHEMA = "datadog.product_analytics"
PRODUCT_ANALYTICS_PATH = "/api/v2/prodlytics"


_DIRECTIONS = ("ASC", "asc", "DESC", "desc")


def server_order_by(order_by: str) -> str:
    """Tekton's server takes ``running ASC``; its docs (and so specs) may say ``ASC running``."""
    words = order_by.strip().split(" ")
    if len(words) == 2 and words[0] in _DIRECTIONS and words[1] not in _DIRECTIONS:
        return f"{words[1]} {words[0]}"
    return order_by


TEKTON_DEFAULT_PARENT = "-/results/-"  # every namespace, every result


def tekton_parent(request: Mapping[str, Any]) -> str:
    """The ``<namespace>/results/<result>`` part of the summary URL (``-`` is a wildcard)."""
    return str(request.get("parent") or TEKTON_DEFAULT_PARENT)


def tekton_query_params(request: Mapping[str, Any]) -> dict[str, str]:
    """The query parameters to send for a spec's Tekton request (everything but ``parent``).

    ``summary`` is always sent (the server rejects a missing one although the docs give it a
    default); ``order_by`` goes in the server's field-first form.
    """
    params = {"summary": str(request.get("summary") or "total")}
    for name in ("group_by", "order_by", "filter"):
        value = request.get(name)
        if value is not None and str(value) != "":
            params[name] = server_order_by(str(value)) if name == "order_by" else str(value)
    return params


def aggregate_attributes(source: Source, request: dict[str, object]) -> dict[str, object]:
    """The ``{compute, filter, group_by, options}`` part of a Datadog request body."""
    if not source.wrapped:
        return request
    data = request.get("data")
    if isinstance(data, dict):
        attributes = data.get("attributes")
        if isinstance(attributes, dict):
            return attributes
    return {}
