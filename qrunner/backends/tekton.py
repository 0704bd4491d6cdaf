"""The Tekton Results backend: ``GET .../parents/{parent}/records/summary``.

Configuration comes from the environment: ``TEKTON_RESULTS_URL`` (the API's base URL),
``TEKTON_RESULTS_TOKEN`` or a token file (``TEKTON_RESULTS_TOKEN_FILE``, default the mounted
service-account token), ``TEKTON_RESULTS_CA`` (or ``--tekton-ca``) for the usual self-signed
certificate. ``--tekton-insecure`` turns verification off and says so in :attr:`notices`.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any
from urllib.parse import quote

from qrunner.backends.base import WITHOUT_CREDENTIALS, PreparedQuery, TargetOptions
from qrunner.backends.http import HttpClient, RetryPolicy
from qrunner.errors import BackendResponseError, UsageError
from qrunner.secrets import register_secret, strip_credentials
from qrunner.sources import tekton_parent, tekton_query_params

SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"


def read_token(env: dict[str, str]) -> str | None:
    token = env.get("TEKTON_RESULTS_TOKEN", "").strip()
    if token:
        return token
    explicit = env.get("TEKTON_RESULTS_TOKEN_FILE", "").strip()
    path = Path(explicit or SERVICE_ACCOUNT_TOKEN)
    if not path.is_file():
        if explicit:
            raise UsageError(f"TEKTON_RESULTS_TOKEN_FILE: {explicit} is not a readable file")
        return None
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError as exc:
        raise UsageError(f"cannot read the Tekton token file {path}: {exc.strerror}") from None


class TektonBackend:
    """Runs Tekton Results summary queries over HTTP(S)."""

    name = "tekton"

    def __init__(self, options: TargetOptions, *, retry: RetryPolicy | None = None) -> None:
        self.options = options
        self.notices: list[str] = []
        env = options.env
        base_url = env.get("TEKTON_RESULTS_URL", "").strip()
        if not base_url:
            raise UsageError(
                "set TEKTON_RESULTS_URL to the Tekton Results API's base URL; "
                + WITHOUT_CREDENTIALS
            )
        token = read_token(env)
        headers = {}
        if token:
            register_secret(token)
            headers["Authorization"] = f"Bearer {token}"
        else:
            self.notices.append(
                "no Tekton token (TEKTON_RESULTS_TOKEN, TEKTON_RESULTS_TOKEN_FILE or the "
                "service-account token): sending requests without Authorization"
            )
        self.client = HttpClient(
            base_url=base_url,
            headers=headers,
            service="Tekton Results",
            request_timeout=options.request_timeout,
            concurrency=options.concurrency,
            deadline=options.deadline,
            retry=retry,
            secrets=(token,) if token else (),
            auth_hint="the token comes from TEKTON_RESULTS_TOKEN or TEKTON_RESULTS_TOKEN_FILE "
            "and needs permission to get records in that namespace",
            verify=self._tls(options, base_url),
        )

    def _tls(self, options: TargetOptions, base_url: str) -> ssl.SSLContext | bool:
        ca = options.tekton_ca or options.env.get("TEKTON_RESULTS_CA", "").strip() or None
        if options.tekton_insecure:
            self.notices.append(
                f"WARNING: TLS certificate verification is OFF for {strip_credentials(base_url)} "
                "(--tekton-insecure): anyone on the path can read the token and forge results; "
                "use TEKTON_RESULTS_CA / --tekton-ca with the server's CA bundle instead"
            )
            return False
        if ca is None:
            return True
        if not Path(ca).is_file():
            raise UsageError(f"Tekton CA bundle {ca} is not a readable file")
        try:
            return ssl.create_default_context(cafile=ca)
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(f"cannot load the Tekton CA bundle {ca}: {exc}") from None

    def __repr__(self) -> str:
        return f"TektonBackend({self.client!r})"

    async def aclose(self) -> None:
        await self.client.aclose()

    async def execute(self, query: PreparedQuery) -> dict[str, Any]:
        request = query.request
        parent = quote(tekton_parent(request), safe="/-_")
        path = query.source.path.format(parent=parent)
        reply = await self.client.request("GET", path, params=tekton_query_params(request))
        body = reply.body
        if not isinstance(body, dict):
            raise BackendResponseError(
                "Tekton Results answered with JSON that is not an object",
                url=self.client.base_url + path,
                status=reply.status,
            )
        if not body.get("summary") and not request.get("group_by"):
            # The server answers 200 {} when its SQL fails; ungrouped always has one row.
            raise BackendResponseError(
                "Tekton Results answered {} to an ungrouped summary: a server-side error "
                "(often a quote or a field the database cannot compare in the filter)",
                url=strip_credentials(self.client.base_url + path),
                status=reply.status,
            )
        return body
