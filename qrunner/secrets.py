"""Keeping credentials out of messages, logs and reprs.

Every backend registers the secret values it holds (API keys, application keys, bearer
tokens) with :func:`register_secret`; every message that may quote a server, a URL or an
exception passes through :func:`redact` before it reaches an exception or a report.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

REDACTED = "***"
# Shorter values are not worth redacting: replacing "1" everywhere would garble messages.
_MIN_SECRET_LENGTH = 4

_lock = threading.Lock()
_known: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember ``value`` so that :func:`redact` hides it from now on, in every module."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _lock:
            _known.add(value)


def known_secrets() -> frozenset[str]:
    with _lock:
        return frozenset(_known)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every registered secret and every one of ``secrets`` replaced by ``***``.

    Longer secrets are replaced first so a secret containing another is hidden whole.
    """
    values = {s for s in secrets if s and len(s) >= _MIN_SECRET_LENGTH} | known_secrets()
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    return text


def strip_credentials(url: str) -> str:
    """``url`` without ``user:password@`` and without its query string (which may hold keys)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
