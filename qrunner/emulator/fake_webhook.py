"""A fake generic webhook receiver on 127.0.0.1: checks signatures, honours idempotency keys.

``with WebhookFake(secret="s3cret") as hook:`` then POST JSON to ``hook.hook_url`` (path
``/hook`` unless ``path=`` says otherwise; another path → 404). The signing scheme::

    X-Qrunner-Timestamp: <unix seconds>
    X-Qrunner-Signature: sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<raw body>")>

With a ``secret`` the receiver refuses with 401 ``{"error": ...}`` a missing or malformed
signature, a wrong one (compared in constant time), or a timestamp more than
``TOLERANCE_SECONDS`` (300 s) from its clock (``now=``, default ``time.time``); refusals go to
``hook.rejected`` (reason, headers). Without a secret, signatures are not checked. A body that
is not a JSON object → 400. The ``Idempotency-Key`` header is recorded; a key already
delivered answers 200 ``{"status": "duplicate"}`` and is **not** delivered again
(``hook.duplicates`` counts them), so a test can assert exactly-once; with
``require_key=True`` a missing key → 400. Accepted: ``accept_status`` (200; a PagerDuty-shaped
receiver says 202) with ``{"status": "accepted"}``, appended to ``hook.deliveries``
(:class:`Delivery`: path, headers without credentials, parsed ``payload``, ``key``). Faults
(endpoint ``webhook``): ``status``, ``rate_limited`` (429 + Retry-After), ``latency``,
``reset``, ``hang``. :func:`signature_headers` signs a body the same way, for tests.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qrunner.emulator.faults import FaultScript
from qrunner.emulator.loopback import LoopbackServer, Reply, Request, hide_credentials

TOLERANCE_SECONDS = 300
TIMESTAMP_HEADER = "X-Qrunner-Timestamp"
SIGNATURE_HEADER = "X-Qrunner-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def sign(secret: str, timestamp: str, raw: bytes) -> str:
    """``sha256=<hex>`` over ``"<timestamp>.<raw body>"``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def signature_headers(secret: str, raw: bytes, timestamp: float | None = None) -> dict[str, str]:
    """The two signature headers for ``raw``, signed now (or at ``timestamp``)."""
    stamp = str(int(time.time() if timestamp is None else timestamp))
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(secret, stamp, raw)}


@dataclass(frozen=True, slots=True)
class Delivery:
    path: str
    headers: dict[str, str]  # lower-cased names, no credentials
    payload: dict[str, Any]
    key: str | None  # the Idempotency-Key header


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: str
    status: int
    headers: dict[str, str]


class WebhookFake(LoopbackServer):
    endpoint = "webhook"

    def __init__(
        self,
        *,
        secret: str | None = None,
        path: str = "/hook",
        require_key: bool = False,
        accept_status: int = 200,
        now: Callable[[], float] = time.time,
        faults: FaultScript | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(faults=faults, **kwargs)
        self.secret, self.path, self.require_key = secret, path, require_key
        self.accept_status, self.now = accept_status, now
        self.deliveries: list[Delivery] = []
        self.rejected: list[Rejection] = []
        self.duplicates = 0

    def snapshot(self) -> dict[str, Any]:
        return {
            "deliveries": [{"key": d.key, "payload": d.payload} for d in self.deliveries],
            "rejected": [{"reason": r.reason, "status": r.status} for r in self.rejected],
            "duplicates": self.duplicates,
        }

    @property
    def hook_url(self) -> str:
        return self.url + self.path

    def keys(self) -> list[str | None]:
        with self.lock:
            return [d.key for d in self.deliveries]

    def answer(self, request: Request) -> Reply:
        if request.path != self.path:
            return Reply(404, {"error": "no such hook"})
        if request.method != "POST":
            return Reply(405, {"error": "POST only"})
        reason = self._signature_problem(request)
        if reason is not None:
            return self._reject(request, 401, reason)
        try:
            payload = request.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return self._reject(request, 400, "body is not a JSON object")
        key = request.headers.get(IDEMPOTENCY_HEADER.lower())
        if key is None and self.require_key:
            return self._reject(request, 400, f"{IDEMPOTENCY_HEADER} header missing")
        if key is not None and key in self.keys():
            self.duplicates += 1
            return Reply(200, {"status": "duplicate"})
        headers = hide_credentials(request.headers)
        self.deliveries.append(Delivery(request.path, headers, payload, key))
        return Reply(self.accept_status, {"status": "accepted"})

    def _signature_problem(self, request: Request) -> str | None:
        if self.secret is None:
            return None
        stamp = request.headers.get(TIMESTAMP_HEADER.lower())
        signature = request.headers.get(SIGNATURE_HEADER.lower())
        if not stamp or not signature:
            return "signature missing"
        try:
            skew = abs(self.now() - int(stamp))
        except ValueError:
            return "timestamp is not a number of seconds"
        if skew > TOLERANCE_SECONDS:
            return f"timestamp {skew:.0f} s off (tolerance {TOLERANCE_SECONDS} s)"
        expected = sign(self.secret, stamp, request.raw)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            return "signature does not match"
        return None

    def _reject(self, request: Request, status: int, reason: str) -> Reply:
        self.rejected.append(Rejection(reason, status, hide_credentials(request.headers)))
        return Reply(status, {"error": reason})
