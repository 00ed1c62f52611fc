"""Slack: Block Kit messages through slack-sdk's `AsyncWebClient` (`chat.postMessage`).

Every value from a feed is escaped (``&``, ``<``, ``>``) so a title such as ``<!channel>``
shows as text and pings nobody; `link_names` is never set.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config_table import TomlTable
from bot.delivery.alerts import Alert, Digest, doubt
from bot.delivery.notifiers import SendError
from bot.delivery.notifiers.content import content_of, cut, digest_line, safe_url, units
from bot.delivery.notifiers.registry import (
    BuildContext,
    ChannelKind,
    ChannelOptions,
    read_chat_keys,
)
from bot.delivery.pacing import RateLimits, account_key
from bot.moments import local_moment
from sources.text import strip_unsafe

if TYPE_CHECKING:
    from bot.config_delivery import ChannelConfig

DEFAULT_API_URL = "https://slack.com/api/"
HEADER_LIMIT = 150
TEXT_LIMIT = 3000
FALLBACK_LIMIT = 3000
DIGEST_ITEMS_PER_MESSAGE = 40
CHANNEL_GONE = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "missing_scope",
        "no_permission",
        "team_access_not_granted",
        "restricted_action",
    }
)
RETRYABLE = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "service_unavailable",
        "internal_error",
        "fatal_error",
        "request_timeout",
    }
)


def escape(text: str) -> str:
    """Escape text for Slack: ``&``, ``<`` and ``>`` become entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": False}


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def _description(text: str, url: str | None) -> str:
    """The escaped description within the section limit; if cut, an ellipsis and a link."""
    if units(escape(text)) <= TEXT_LIMIT:
        return escape(text)
    more = f"\n<{escape(url)}|Read the full notice>" if url else ""
    raw = cut(text, TEXT_LIMIT - units(more))
    while units(escape(raw)) + units(more) > TEXT_LIMIT:
        raw = cut(raw, units(raw) - (units(escape(raw)) + units(more) - TEXT_LIMIT) - 1)
    return escape(raw) + more


def render(alert: Alert, *, now: datetime, zone: ZoneInfo) -> dict[str, Any]:
    """The `chat.postMessage` arguments (`text` fallback and `blocks`) for an alert."""
    content = content_of(alert, now=now, zone=zone)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(cut(escape(content.title), HEADER_LIMIT))},
        {"type": "context", "elements": [_mrkdwn(f"*{content.label}* notice · tenderbot")]},
        {
            "type": "section",
            "fields": [
                _mrkdwn(cut(f"*{label}*\n{escape(value)}", 2000)) for label, value in content.fields
            ],
        },
    ]
    if content.changes:
        changes = "\n".join(f"• {escape(c)}" for c in content.changes)
        blocks.append(
            {"type": "section", "text": _mrkdwn(cut(f"*What changed*\n{changes}", TEXT_LIMIT))}
        )
    if content.description:
        blocks.append(
            {
                "type": "section",
                "text": _mrkdwn(_description(content.description, content.notice_url)),
            }
        )
    if content.why:
        why = "Why it matched: " + escape(content.why)
        blocks.append({"type": "context", "elements": [_mrkdwn(cut(why, TEXT_LIMIT))]})
    if content.also:
        links = ", ".join(f"<{escape(u)}|{escape(_host(u))}>" for u in content.also)
        blocks.append(
            {
                "type": "context",
                "elements": [_mrkdwn(cut(f"Also published at {links}", TEXT_LIMIT))],
            }
        )
    buttons = []
    if content.notice_url:
        buttons.append(("View notice", content.notice_url, "view_notice"))
    if content.portal_url:
        buttons.append(("Bid on portal", content.portal_url, "bid_on_portal"))
    if buttons:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": _plain(label), "url": url, "action_id": action}
                    for label, url, action in buttons
                ],
            }
        )
    details = " · ".join(f"{label}: {value}" for label, value in content.fields[:3])
    text = cut(escape(f"{content.label}: {content.title} ({details})"), FALLBACK_LIMIT)
    return {"text": text, "blocks": blocks}


def render_digest(digest: Digest, *, now: datetime, zone: ZoneInfo) -> dict[str, Any]:
    """The `chat.postMessage` arguments for one digest part."""
    part = f" (part {digest.part} of {digest.parts})" if digest.parts > 1 else ""
    heading = cut(escape(f"{digest.title}{part}"), HEADER_LIMIT)
    blocks: list[dict[str, Any]] = [{"type": "header", "text": _plain(heading)}]
    for section, alerts in digest.sections():
        if section:
            blocks.append({"type": "section", "text": _mrkdwn(f"*{escape(section)}*")})
        blocks.extend(_digest_blocks(alerts, now=now, zone=zone))
    count = len(digest.alerts)
    return {"text": cut(f"{heading}: {count} notice(s)", FALLBACK_LIMIT), "blocks": blocks}


def _digest_blocks(
    alerts: tuple[Alert, ...], *, now: datetime, zone: ZoneInfo
) -> list[dict[str, Any]]:
    blocks = []
    for alert in alerts:
        title, details = digest_line(alert, now=now, zone=zone)
        why = doubt(alert)
        if why:
            details += f" · {strip_unsafe(why)}"
        url = safe_url(alert.notice.url)
        name = f"<{escape(url)}|{escape(cut(title, 300))}>" if url else escape(cut(title, 300))
        blocks.append(
            {"type": "section", "text": _mrkdwn(cut(f"*{name}*\n{escape(details)}", TEXT_LIMIT))}
        )
    return blocks


def split_digest(digest: Digest) -> list[Digest]:
    """Cut a digest into parts of at most `DIGEST_ITEMS_PER_MESSAGE` notices; nothing is lost.

    Slack allows 50 blocks in a message.
    """
    size = DIGEST_ITEMS_PER_MESSAGE
    chunks = [digest.alerts[i : i + size] for i in range(0, len(digest.alerts), size)] or [()]
    return [
        Digest(title=digest.title, alerts=chunk, part=n, parts=len(chunks))
        for n, chunk in enumerate(chunks, start=1)
    ]


def _status_of(response: object) -> int | None:
    """The HTTP status of a slack-sdk response or of the raw aiohttp response it may carry."""
    for attribute in ("status_code", "status"):
        value = getattr(response, attribute, None)
        if isinstance(value, int):
            return value
    return None


def _error_of(response: object) -> str:
    """Slack's ``error`` code, or "" when the body was not a readable Slack answer."""
    data = getattr(response, "data", None)
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return str(data["error"])
    return ""


def classify(exc: Exception) -> SendError:
    """Turn a slack-sdk or network failure into a `SendError`.

    Only an answer Slack itself gave (an ``error`` code in a JSON body) can refuse a message
    or pause a channel; every 5xx, timeout, network failure and unreadable body is retried.
    """
    if not isinstance(exc, SlackApiError):
        return SendError(f"slack: {type(exc).__name__}: {exc}", retryable=True)
    response = exc.response
    status = _status_of(response)
    error = _error_of(response)
    http = f"HTTP {status}" if status is not None else "no HTTP status"
    if status == 429 or error in ("ratelimited", "rate_limited"):
        headers = getattr(response, "headers", None) or {}
        retry_after = _seconds(headers.get("Retry-After") or headers.get("retry-after"))
        return SendError(f"slack: rate limited ({http})", retryable=True, retry_after=retry_after)
    if error in CHANNEL_GONE:
        return SendError(f"slack: {error}", retryable=False, channel_gone=True)
    if not error:
        return SendError(f"slack: unreadable answer ({http})", retryable=True)
    if status is None or status >= 500 or error in RETRYABLE:
        return SendError(f"slack: {error} ({http})", retryable=True)
    return SendError(f"slack: {error}", retryable=False)


def _seconds(value: object) -> float | None:
    try:
        return max(0.0, float(str(value)))
    except (TypeError, ValueError):
        return None


FEEDBACK_ACTIONS = {"tenderbot_useful": "useful", "tenderbot_not_for_us": "not_for_us"}
"""The `action_id` of each feedback button, and the verdict it records."""


def feedback_block(outbox_id: int) -> dict[str, Any]:
    """The "Useful" / "Not for us" buttons under an alert; their value is the alert's id."""
    labels = {"tenderbot_useful": "Useful", "tenderbot_not_for_us": "Not for us"}
    return {
        "type": "actions",
        "block_id": f"tenderbot_feedback_{outbox_id}",
        "elements": [
            {
                "type": "button",
                "text": _plain(labels[action]),
                "action_id": action,
                "value": str(outbox_id),
            }
            for action in FEEDBACK_ACTIONS
        ],
    }


SECONDS_PER_MESSAGE = 1.0
"""Slack allows about one message a second per channel (chat.postMessage's special tier)."""
ACCOUNT_PER_SECOND = 20.0
"""Slack documents no overall figure for chat.postMessage; tenderbot keeps each token under
twenty messages a second across all its channels."""


class SlackNotifier:
    """Posts to one Slack channel with a bot token."""

    def __init__(
        self,
        *,
        token: str,
        channel: str,
        zone: ZoneInfo,
        api_url: str | None = None,
        feedback: bool = False,
    ) -> None:
        """One channel; `feedback`: alerts carry "Useful" / "Not for us" buttons."""
        base = api_url or DEFAULT_API_URL
        self._client = AsyncWebClient(
            token=token,
            base_url=base if base.endswith("/") else base + "/",
            timeout=30,
            retry_handlers=[],
        )
        self._channel = channel
        self._zone = zone
        self._feedback = feedback
        self.limits = RateLimits(
            account=account_key("slack", token),
            per_chat_gap=SECONDS_PER_MESSAGE,
            account_per_second=ACCOUNT_PER_SECOND,
        )
        """Slack: about one message a second per channel; our own cap per token overall."""

    async def _post(self, payload: dict[str, Any], thread_ts: str | None = None) -> str | None:
        try:
            response = await self._client.chat_postMessage(
                channel=self._channel,
                text=payload["text"],
                blocks=payload["blocks"],
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
            )
        except (SlackClientError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise classify(exc) from exc
        ts = response.get("ts")
        return str(ts) if ts else None

    async def send(self, alert: Alert, *, now: datetime) -> str | None:
        """Post one alert (an update or reminder as a threaded reply); returns its `ts`."""
        payload = render(alert, now=now, zone=self._zone)
        if self._feedback:
            payload["blocks"].append(feedback_block(alert.outbox_id))
        return await self._post(payload, alert.reply_to)

    def digest_parts(self, digest: Digest, *, now: datetime) -> list[Digest]:
        """Split a digest into message-sized parts."""
        return split_digest(digest)

    async def send_digest(self, digest: Digest, *, now: datetime) -> str | None:
        """Post one digest part."""
        return await self._post(render_digest(digest, now=now, zone=self._zone))

    async def send_test(self, *, now: datetime) -> str | None:
        """Post a clearly marked test message."""
        when = local_moment(now, self._zone)
        text = f"tenderbot test message ({when}): this channel receives alerts."
        return await self._post(
            {"text": text, "blocks": [{"type": "section", "text": _mrkdwn(f"*Test* · {text}")}]}
        )

    async def send_admin(self, text: str, *, now: datetime) -> str | None:
        """Post an admin message (escaped, within the section limit)."""
        body = cut(escape(strip_unsafe(text)), TEXT_LIMIT)
        return await self._post(
            {
                "text": cut(f"tenderbot admin: {body}", FALLBACK_LIMIT),
                "blocks": [{"type": "section", "text": _mrkdwn(f"*tenderbot admin* · {body}")}],
            }
        )

    async def aclose(self) -> None:
        """Nothing to release: slack-sdk opens a session per request."""


def _read(table: TomlTable) -> ChannelOptions:
    options = read_chat_keys(table)
    if options.token_env is None:
        raise table.error("token_env", "is required for a slack channel (the variable's name)")
    if options.channel is None:
        raise table.error("channel", "is required for a slack channel (a channel id)")
    return options


def _build(channel: ChannelConfig, context: BuildContext) -> SlackNotifier:
    assert channel.channel is not None
    return SlackNotifier(
        token=os.environ.get(channel.token_env or "", ""),
        channel=channel.channel,
        zone=context.zone,
        api_url=channel.api_url,
        feedback=channel.feedback,
    )


CHANNEL = ChannelKind(name="slack", read=_read, build=_build)
"""The slack kind: ``token_env`` and ``channel`` (a channel id), optional ``api_url``."""
