"""Text from data made inert for Slack mrkdwn and GitHub Markdown, and URLs made safe to link.

Check names, group values, file paths and API messages are data: a group value of
``<!channel>``, ``@acme/all`` or ``](http://evil)`` must show as written and do nothing. Each
escaper keeps the text readable and voids what could act:

* **mentions** (``@name``, ``<!here>``, ``<@U123>``, ``#123``): a zero-width space after ``@``
  and ``#``, and ``<``/``>`` as entities, so no name or number follows the sign directly;
* **markup** (emphasis, code, headings, tables, HTML, links): GitHub gets a backslash before
  each Markdown punctuation character; Slack (which has no escape character) gets ``&``, ``<``,
  ``>`` as entities and a zero-width space before ``*``, ``_``, ``~`` and backticks;
* **links**: ``://`` and ``www.`` are broken with a zero-width space so no bare URL is
  auto-linked.

Mentions reach a message only from the routing file's ``owners`` (:func:`slack_mention`,
:func:`github_mention`), and only when they have the shape of one. Every string is also passed
through :func:`qrunner.secrets.inert` (secrets redacted, control characters escaped).
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from qrunner.limits import NOTIFY_NAME_CHARS, excerpt
from qrunner.secrets import inert

ZWSP = "\u200b"
_WWW = re.compile(r"(?i)\b(www)\.")
_GITHUB_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#|~>])")
_SLACK_FORMATTING = re.compile(r"([*_~`])")
_SLACK_MENTION = re.compile(r"<(?:!subteam\^[A-Z0-9]+|@[UW][A-Z0-9]+|!here|!channel)>")
_GITHUB_MENTION = re.compile(r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9._-]{1,100})?")
# Characters left as they are in a linked URL; the rest are percent-encoded, so a URL cannot
# close a Markdown link (``)``), a Slack link (``|``, ``>``) or start HTML.
_URL_SAFE = "/:?=&%#@!$'*+,;~.-_"


def plain(text: str, limit: int = NOTIFY_NAME_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters (with its length), secrets redacted."""
    return excerpt(" ".join(inert(text).split()), limit)


def _break_urls(text: str) -> str:
    return _WWW.sub(lambda m: f"{m.group(1)}{ZWSP}.", text.replace("://", f":{ZWSP}//"))


def github_text(text: str, limit: int = NOTIFY_NAME_CHARS) -> str:
    """``text`` from data as inert GitHub Markdown (safe in a table cell too)."""
    text = plain(text, limit)
    text = _GITHUB_PUNCTUATION.sub(r"\\\1", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    text = text.replace("@", f"@{ZWSP}").replace("\\#", f"\\#{ZWSP}")
    return _break_urls(text)


def slack_text(text: str, limit: int = NOTIFY_NAME_CHARS) -> str:
    """``text`` from data as inert Slack mrkdwn."""
    text = plain(text, limit)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _SLACK_FORMATTING.sub(lambda m: ZWSP + m.group(1), text)
    text = text.replace("@", f"@{ZWSP}").replace("#", f"#{ZWSP}")
    return _break_urls(text)


def text_inert(text: str, limit: int = NOTIFY_NAME_CHARS) -> str:
    """``text`` from data for a plain-text message that some service may still read as markup
    (apprise): no mention, no link, no Slack-style ``<!here>``."""
    text = plain(text, limit).replace("<", f"<{ZWSP}")
    text = text.replace("@", f"@{ZWSP}").replace("#", f"#{ZWSP}")
    return _break_urls(text)


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit to link in Slack or Markdown, or None when it is not one."""
    if not url:
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe=_URL_SAFE)


def slack_mention(value: str | None) -> str | None:
    """A Slack mention from ``owners`` (``<!subteam^S0123>``, ``<@U0123>``), else None."""
    if value and _SLACK_MENTION.fullmatch(value.strip()):
        return value.strip()
    return None


def github_mention(value: str | None) -> str | None:
    """A GitHub mention from ``owners`` (``@user``, ``@org/team``), else None."""
    if value and _GITHUB_MENTION.fullmatch(value.strip()):
        return value.strip()
    return None


def cut(text: str, limit: int, what: str = "characters") -> str:
    """Markup ``text`` within ``limit`` characters, saying how much was left out. Cuts at a
    line end where it can, so no escape or link is split."""
    if len(text) <= limit:
        return text
    note = f"\n… ({len(text)} {what}, cut)"
    head = text[: max(0, limit - len(note))]
    line_end = head.rfind("\n")
    if line_end > len(head) // 2:
        head = head[:line_end]
    return head + note
