"""Keeping credentials out of messages, logs and reprs, and output inert.

Every backend registers the secret values it holds (API keys, application keys, bearer
tokens) with :func:`register_secret`; every message that may quote a server, a URL or an
exception passes through :func:`redact` before it reaches an exception or a report.
:func:`visible_environment` decides what templates see of the environment (and registers what
they may not); :func:`inert` makes any text safe to print in a terminal or a GitHub Actions log.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
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


# --- what templates may see of the environment ------------------------------------------------
# A variable is hidden from templates when a part of its name (split at "_", "-", ".") contains
# one of these words or is one of the short forms, or when its value carries a credential.
# Hiding too much costs a template author a rename; showing a secret cannot be undone.
SECRET_NAME_WORDS = (
    "KEY", "TOKEN", "SECRET", "PASSW", "PASSPHRASE", "CREDENTIAL", "AUTH", "PRIVATE",
    "WEBHOOK", "COOKIE", "SESSION", "SIGNATURE", "DSN", "BEARER", "SALT",
)  # fmt: skip
SECRET_NAME_PARTS = frozenset({"PASS", "PWD", "PW", "PAT", "PIN", "OTP", "CRED", "CREDS", "SIG"})
# The shell's working directories, not MySQL's password.
_NOT_SECRET_NAMES = frozenset({"PWD", "OLDPWD"})
# Hidden, but a file's path is not itself a secret: not redacted from messages.
_PATH_SUFFIXES = ("FILE", "PATH", "DIR", "SOCK")
_NAME_SPLIT = re.compile(r"[_\-.]+|(?<=[a-z])(?=[A-Z])")
_CREDENTIAL_VALUE = re.compile(
    r"://[^/\s:@]*:[^/\s@]+@"  # a URL with user:password
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\."  # a JSON Web Token
    r"|\b(?:gh[pousr]_|github_pat_|glpat-|xox[abprs]-|AKIA|ASIA|sk_live_|sk-)[\w-]{8,}"
)
# Values of hidden variables shorter than this are not redacted from output ("1", "true").
_MIN_HIDDEN_VALUE_LENGTH = 6


def is_secret_name(name: str) -> bool:
    """Whether an environment variable's name says it holds a secret (``DB_PASS``,
    ``MYSQL_PWD``, ``GH_PAT``, ``SLACK_WEBHOOK_URL``, ``SENTRY_DSN``...)."""
    if name in _NOT_SECRET_NAMES:
        return False
    parts = [p.upper() for p in _NAME_SPLIT.split(name) if p]
    return any(p in SECRET_NAME_PARTS or any(w in p for w in SECRET_NAME_WORDS) for p in parts)


def carries_credential(value: str) -> bool:
    """Whether a value holds a credential whatever its variable's name: a URL with a
    password, a private key, a JSON Web Token, a token with a well-known prefix."""
    return _CREDENTIAL_VALUE.search(value) is not None


def visible_environment(environ: Mapping[str, str]) -> tuple[dict[str, str], set[str]]:
    """(the variables templates may see, the names of the hidden ones). The value of every
    hidden variable is registered, so it is redacted from every output from now on."""
    hidden = {k for k, v in environ.items() if is_secret_name(k) or carries_credential(v)}
    for name in hidden:
        value = environ[name]
        names_a_path = name.upper().endswith(_PATH_SUFFIXES) and not carries_credential(value)
        if len(value) >= _MIN_HIDDEN_VALUE_LENGTH and not names_a_path:
            register_secret(value)
        for match in re.finditer(r"://[^/\s:@]*:([^/\s@]+)@", value):
            register_secret(match.group(1))  # the password alone, as it may be quoted
    return {k: v for k, v in environ.items() if k not in hidden}, hidden


# --- output that cannot act on the terminal or the CI runner ----------------------------------
# C0 controls except tab and newline, DEL, C1 controls: a raw ESC could recolour, move or
# retitle a terminal; shown instead as \x1b.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# A GitHub workflow command is a line starting with "::" after leading whitespace (and, in the
# legacy form, "##[" anywhere). A zero-width space before them keeps the text and voids them.
_COMMAND_START = re.compile(r"^([ \t]*(?:\x1b\[[0-9;]*m)*[ \t]*)(?=::)", re.MULTILINE)
_ZERO_WIDTH_SPACE = "\u200b"


def escape_controls(text: str, keep: str = "") -> str:
    """``text`` with control characters (but tab, newline and ``keep``) shown as ``\\xNN``."""
    return _CONTROL.sub(
        lambda m: m.group() if m.group() in keep else f"\\x{ord(m.group()):02x}", text
    )


def void_workflow_commands(text: str) -> str:
    """``text`` in which no line starts a GitHub workflow command."""
    text = _COMMAND_START.sub(lambda m: m.group(1) + _ZERO_WIDTH_SPACE, text)
    return text.replace("##[", f"##{_ZERO_WIDTH_SPACE}[")


def inert(text: str) -> str:
    """What may be written anywhere: secrets redacted, control characters escaped, no
    workflow command. For text that has no colour of its own."""
    return void_workflow_commands(escape_controls(redact(text)))


def inert_json(text: str) -> str:
    """JSON text made inert: secrets redacted, DEL and C1 controls (legal in JSON strings, and
    obeyed by some terminals) written as ``\\u`` escapes. Other controls are escaped by any
    JSON encoder, and a JSON string cannot start a line."""
    text = re.sub("[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", redact(text))
    return text.replace("##[", "##\\u005b")  # the legacy command form, matched anywhere
