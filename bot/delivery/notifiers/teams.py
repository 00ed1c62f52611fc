"""Microsoft Teams: an Adaptive Card (version 1.4) posted to a Teams Workflows webhook URL.

The URL is the trigger of a Workflows flow ("Post to a channel when a webhook request is
received"); the body is the message envelope the flow expects: ``{"type": "message",
"attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content":
CARD}]}``. Workflows live on several Power Platform hosts, so any host under
``api.powerplatform.com``, ``api.powerautomate.com``, ``flow.microsoft.com`` or the legacy
``logic.azure.com`` is accepted (and a loopback host, for tests and local relays).

A card stays under Teams' 28 KB message limit: the description, then the reasons, are cut
until it fits. Teams cannot edit a posted card through a webhook, so an update is a new
card that names the alert it follows; news of a re-tender radar item (extended, ended, the
re-tender is here) names the item and the digest that carried it. Card text is Markdown in
Teams: feed text has its Markdown characters escaped, so a title cannot make a link or a
heading.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx

from bot.config_table import ConfigError, TomlTable
from bot.delivery.alerts import Alert, Digest, doubt
from bot.delivery.notifiers import SendError
from bot.delivery.notifiers.content import (
    AlertContent,
    content_of,
    cut,
    digest_line,
    radar_reference,
    safe_url,
)
from bot.delivery.notifiers.registry import BuildContext, ChannelKind, ChannelOptions
from bot.delivery.notifiers.webhook import classify as classify_http
from bot.delivery.notifiers.webhook import digest_id
from bot.delivery.pacing import RateLimits, account_key
from bot.moments import local_moment
from sources.text import strip_unsafe

if TYPE_CHECKING:
    from bot.config_delivery import ChannelConfig

CARD_LIMIT = 28_000
"""Bytes of JSON a Teams message may hold (28 KB, less room for the envelope)."""
DIGEST_ITEMS_PER_CARD = 25
TIMEOUT_SECONDS = 30.0
HOST_SUFFIXES = (
    ".api.powerplatform.com",
    ".api.powerautomate.com",
    ".flow.microsoft.com",
    ".logic.azure.com",
)
HOSTS = ("flow.microsoft.com",)
LOOPBACK = ("127.0.0.1", "::1", "localhost")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def workflow_url_problem(url: str) -> str | None:
    """Why `url` is not a Teams Workflows webhook URL, or None when it is one."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in LOOPBACK and parts.scheme in ("http", "https"):
        return None
    if parts.scheme != "https":
        return "must be an https URL"
    if host in HOSTS or host.endswith(HOST_SUFFIXES):
        return None
    return (
        f"host {host!r} is not a Power Platform workflow host (*.api.powerplatform.com, "
        "*.api.powerautomate.com, flow.microsoft.com, *.logic.azure.com)"
    )


def md(text: str) -> str:
    """Feed text with Teams Markdown characters escaped."""
    return _MARKDOWN.sub(r"\\\1", strip_unsafe(text))


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def envelope(card: dict[str, Any]) -> dict[str, Any]:
    """The message a Workflows trigger expects, holding one card."""
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "msteams": {"width": "Full"},
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return card


def size(message: dict[str, Any]) -> int:
    """The message's size in bytes as it is sent."""
    return len(json.dumps(message, ensure_ascii=False).encode())


def _alert_card(
    content: AlertContent, follows: str | None, description: str, reasons: str
) -> dict[str, Any]:
    body = [
        _text(f"{md(content.label)} notice · tenderbot", size="Small", isSubtle=True),
        _text(md(content.title), size="Medium", weight="Bolder"),
    ]
    if follows is not None:
        body.append(_text(md(follows), isSubtle=True))
    facts = [{"title": md(name), "value": md(cut(value, 500))} for name, value in content.fields]
    body.append({"type": "FactSet", "facts": facts})
    if content.changes:
        changes = "\n".join(f"- {md(cut(change, 300))}" for change in content.changes[:30])
        body.append(_text(f"**What changed**\n\n{changes}"))
    if description:
        body.append(_text(md(description)))
    if reasons:
        body.append(_text(f"Why it matched: {md(reasons)}", size="Small", isSubtle=True))
    actions = [
        {"type": "Action.OpenUrl", "title": title, "url": url}
        for title, url in (
            ("View notice", content.notice_url),
            ("Bid on portal", content.portal_url),
        )
        if url
    ]
    return envelope(_card(body, actions))


def render(alert: Alert, *, now: datetime, zone: ZoneInfo) -> dict[str, Any]:
    """The message (envelope and card) for one alert, cut to fit `CARD_LIMIT`."""
    content = content_of(alert, now=now, zone=zone)
    follows = radar_reference(alert)
    if follows is None and (alert.previous is not None or alert.reply_to):
        original = alert.previous.title if alert.previous is not None else content.title
        follows = f"Follows the earlier alert “{cut(original, 300)}”"
    if follows is not None:
        follows = cut(follows, 400)
    description = content.description
    reasons = "; ".join(content.reasons)
    message = _alert_card(content, follows, description, reasons)
    if size(message) <= CARD_LIMIT:
        return message
    description = _longest(lambda d: _alert_card(content, follows, d, reasons), description)
    message = _alert_card(content, follows, description, reasons)
    if size(message) > CARD_LIMIT:
        reasons = _longest(lambda r: _alert_card(content, follows, description, r), reasons)
        message = _alert_card(content, follows, description, reasons)
    return message


def _longest(card_with: Callable[[str], dict[str, Any]], text: str) -> str:
    """The longest cut of `text` whose card fits `CARD_LIMIT` ("" if none does)."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if size(card_with(cut(text, middle))) <= CARD_LIMIT:
            low = middle
        else:
            high = middle - 1
    return cut(text, low) if low >= 40 else ""


def render_digest(digest: Digest, *, now: datetime, zone: ZoneInfo) -> dict[str, Any]:
    """The message for one digest part."""
    part = f" (part {digest.part} of {digest.parts})" if digest.parts > 1 else ""
    body = [_text(md(f"{digest.title}{part}"), size="Medium", weight="Bolder")]
    for section, alerts in digest.sections():
        if section:
            body.append(_text(md(section), weight="Bolder", spacing="Large"))
        for alert in alerts:
            title, details = digest_line(alert, now=now, zone=zone)
            why = doubt(alert)
            details = f"{details} · {why}" if why else details
            url = safe_url(alert.notice.url)
            name = f"[{md(cut(title, 300))}]({url})" if url else md(cut(title, 300))
            body.append(_text(f"**{name}**\n\n{md(details)}", spacing="Medium"))
    return envelope(_card(body, []))


def split_digest(digest: Digest) -> list[Digest]:
    """Cut a digest into cards of at most `DIGEST_ITEMS_PER_CARD` notices; nothing is lost."""
    step = DIGEST_ITEMS_PER_CARD
    chunks = [digest.alerts[i : i + step] for i in range(0, len(digest.alerts), step)] or [()]
    return [
        Digest(title=digest.title, alerts=chunk, part=n, parts=len(chunks))
        for n, chunk in enumerate(chunks, start=1)
    ]


class TeamsNotifier:
    """Posts Adaptive Cards to one Teams Workflows webhook."""

    def __init__(self, *, url: str, zone: ZoneInfo, timeout: float = TIMEOUT_SECONDS) -> None:
        self.limits: RateLimits | None = RateLimits(
            account=account_key("teams", url),
            per_chat_gap=1.0,
            account_per_second=4.0,
        )
        """A card a second per channel; Teams throttles a webhook past four requests a second."""
        self._url = url
        self._zone = zone
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def post(self, message: dict[str, Any], *, now: datetime) -> None:
        """Post one message.

        Raises:
            SendError: 429, 5xx and network failures are retryable; 401, 403 and 404 (the
                flow was deleted or its URL revoked) pause the channel; other 4xx refuse.
        """
        body = json.dumps(message, ensure_ascii=False).encode()
        try:
            response = await self._client.post(
                self._url, content=body, headers={"content-type": "application/json"}
            )
        except httpx.TimeoutException as exc:
            raise SendError(f"teams: timed out ({type(exc).__name__})", retryable=True) from exc
        except httpx.HTTPError as exc:
            raise SendError(f"teams: {type(exc).__name__}", retryable=True) from exc
        status = response.status_code
        if 200 <= status < 300:
            return
        if status in (401, 403, 404):
            raise SendError(
                f"teams: HTTP {status} (the workflow is gone or its URL was revoked)",
                retryable=False,
                channel_gone=True,
            )
        error = classify_http(status, response.headers.get("retry-after"), now)
        raise SendError(
            str(error).replace("webhook:", "teams:"),
            retryable=error.retryable,
            retry_after=error.retry_after,
        )

    async def send(self, alert: Alert, *, now: datetime) -> str | None:
        """Post one alert's card (an update is a new card naming the original)."""
        await self.post(render(alert, now=now, zone=self._zone), now=now)
        return f"teams:{alert.outbox_id}"

    def digest_parts(self, digest: Digest, *, now: datetime) -> list[Digest]:
        """Split a digest into card-sized parts."""
        return split_digest(digest)

    async def send_digest(self, digest: Digest, *, now: datetime) -> str | None:
        """Post one digest card; returns a reference that news of its radar items names."""
        await self.post(render_digest(digest, now=now, zone=self._zone), now=now)
        return "teams:" + digest_id(digest)

    async def send_test(self, *, now: datetime) -> str | None:
        """Post a clearly marked test card."""
        when = local_moment(now, self._zone)
        text = f"tenderbot test message ({when}): this channel receives alerts."
        await self.post(envelope(_card([_text(text)], [])), now=now)
        return None

    async def send_admin(self, text: str, *, now: datetime) -> str | None:
        """Post an admin card."""
        card = _card([_text("**tenderbot admin**"), _text(md(cut(text, 4000)))], [])
        await self.post(envelope(card), now=now)
        return None

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()


@dataclass(frozen=True, slots=True, kw_only=True)
class TeamsSettings:
    """A Teams channel's keys: the workflow URL, or the variable that holds it."""

    url: str | None
    url_env: str | None


def _read(table: TomlTable) -> ChannelOptions:
    url = table.text("url")
    url_env = table.text("url_env")
    if (url is None) == (url_env is None):
        raise table.error("url", "give exactly one of url and url_env")
    if url is not None:
        problem = workflow_url_problem(url)
        if problem:
            raise table.error("url", problem)
    return ChannelOptions(
        settings=TeamsSettings(url=url, url_env=url_env),
        secrets=(("url_env", url_env),) if url_env else (),
    )


def _build(channel: ChannelConfig, context: BuildContext) -> TeamsNotifier:
    settings = channel.settings
    assert isinstance(settings, TeamsSettings)
    url = settings.url or os.environ.get(settings.url_env or "", "").strip()
    problem = workflow_url_problem(url)
    if problem:
        raise ConfigError(
            f"channels ({channel.name}).url_env: the URL in {settings.url_env} {problem}"
        )
    return TeamsNotifier(url=url, zone=context.zone)


CHANNEL = ChannelKind(name="teams", read=_read, build=_build)
"""The teams kind: ``url`` (a Teams Workflows webhook URL) or ``url_env``."""
