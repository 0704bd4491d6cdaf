"""Configuration from the environment, checked before anything runs.

A library finds a bad port, an IPv6 literal without its bracket or a key it cannot put in a
header only when the first request is built, deep in a worker thread; checked here, each is a
configuration error that names the variable (and never quotes a key's value).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from qrunner.errors import UsageError
from qrunner.limits import excerpt

URL_VARIABLES = {
    "datadog": ("QRUNNER_DATADOG_URL", "QRUNNER_DATADOG_INTAKE_URL"),
    "tekton": ("TEKTON_RESULTS_URL",),
}
KEY_VARIABLES = {
    "datadog": ("DD_API_KEY", "DD_APP_KEY"),
    "tekton": ("TEKTON_RESULTS_TOKEN",),
}
_SITE = re.compile(r"^(https://)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?$", re.IGNORECASE)
_HEADER_SAFE = re.compile(r"^[\x21-\x7e]+$")  # visible ASCII: what an HTTP header carries


def check_configuration(target: str, environ: Mapping[str, str]) -> None:
    """Raise a UsageError naming the first variable the target would need and could not use."""
    families = ("datadog", "tekton") if target == "remote" else (target,)
    for family in families:
        for name in URL_VARIABLES.get(family, ()):
            value = environ.get(name, "").strip()
            if value:
                _check_url(name, value)
        for name in KEY_VARIABLES.get(family, ()):
            value = environ.get(name, "").strip()
            if value and not _HEADER_SAFE.match(value):
                raise UsageError(
                    f"{name}: the value has characters an HTTP header cannot carry "
                    "(non-ASCII, spaces or control characters); check how it was set"
                )
    site = environ.get("DD_SITE", "").strip()
    if site and ("datadog" in families) and not _SITE.match(site):
        raise UsageError(f"DD_SITE: {excerpt(site, 60)!r} is not a site name like datadoghq.eu")


def _check_url(name: str, value: str) -> None:
    shown = excerpt(value, 80)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError when out of range or not a number
    except ValueError as e:
        raise UsageError(f"{name}: not a usable URL ({e})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{name}: {shown!r} is not an http:// or https:// URL with a host")
