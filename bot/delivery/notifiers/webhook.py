"""Signed webhooks: one JSON document per alert, digest or test, per Standard Webhooks.

Each request is a POST of ``application/json`` with the three headers of the Standard
Webhooks specification (https://www.standardwebhooks.com/):

- ``webhook-id``: the message's id, the same on every retry of the same message, so a
  receiver de-duplicates by it (``msg_alert_<outbox id>`` for an alert);
- ``webhook-timestamp``: seconds since the epoch when this attempt was made;
- ``webhook-signature``: ``v1,`` and the base64 HMAC-SHA256, keyed with the secret, of
  ``<id>.<timestamp>.<body>``.

The secret comes from the environment variable `secret_env` names: base64, optionally
prefixed ``whsec_``. A 2xx answer is success; 429, 408, 5xx, timeouts and network failures
are retried by the outbox (after ``Retry-After`` when the receiver sends it); 410 pauses the
channel (the endpoint is gone); any other 4xx refuses the message. The body's schema is
described in the README ("Webhook payload, version 1").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx

from bot.config_table import ConfigError, TomlTable
from bot.delivery.alerts import Alert, Digest, is_radar, radar_title
from bot.delivery.changes import describe_changes
from bot.delivery.notifiers import SendError
from bot.delivery.notifiers.registry import BuildContext, ChannelKind, ChannelOptions
from bot.delivery.pacing import RateLimits
from sources.http import retry_after_at
from sources.notice import Notice
from sources.text import strip_unsafe

if TYPE_CHECKING:
    from bot.config_delivery import ChannelConfig

SCHEMA_VERSION = 1
TIMEOUT_SECONDS = 15.0
SECRET_PREFIX = "whsec_"


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookSettings:
    """A webhook channel's keys: where to post and which variable holds the secret."""

    url: str | None
    url_env: str | None
    secret_env: str
    timeout: float = TIMEOUT_SECONDS


def decode_secret(text: str) -> bytes:
    """The signing key from its configured form (base64, optionally prefixed ``whsec_``).

    Raises:
        ValueError: the text is not base64 or decodes to fewer than 16 bytes.
    """
    raw = text.strip().removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("is not base64 (optionally prefixed whsec_)") from None
    if len(key) < 16:
        raise ValueError(f"decodes to {len(key)} bytes; use at least 16 (24 to 64 recommended)")
    return key


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for one request."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def verify(
    key: bytes,
    headers: dict[str, str],
    body: bytes,
    *,
    now: datetime,
    tolerance_seconds: int = 300,
) -> str:
    """Check a received request's signature; returns its ``webhook-id``.

    Args:
        key: the decoded secret (see `decode_secret`).
        headers: the request's headers, names in lower case.
        body: the raw request body, exactly as received.
        now: the current time, to refuse stale or future timestamps (replays).
        tolerance_seconds: how far the timestamp may be from `now`.

    Raises:
        ValueError: a header is missing, the timestamp is out of tolerance, or no signature
            matches.
    """
    try:
        message_id = headers["webhook-id"]
        timestamp_text = headers["webhook-timestamp"]
        signatures = headers["webhook-signature"]
    except KeyError as exc:
        raise ValueError(f"missing header {exc.args[0]}") from None
    try:
        timestamp = int(timestamp_text)
    except ValueError:
        raise ValueError(f"webhook-timestamp {timestamp_text!r} is not an integer") from None
    if abs(now.timestamp() - timestamp) > tolerance_seconds:
        raise ValueError("webhook-timestamp is too far from now (a replay, or a wrong clock)")
    expected = sign(key, message_id, timestamp, body)
    for candidate in signatures.split():
        if hmac.compare_digest(candidate, expected):
            return message_id
    raise ValueError("no signature matches")


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def notice_document(notice: Notice) -> dict[str, Any]:
    """The notice's fields as they appear in a payload (text stripped of control characters)."""
    return {
        "source": notice.source,
        "id": notice.id,
        "title": strip_unsafe(notice.title),
        "description": strip_unsafe(notice.description),
        "buyer": strip_unsafe(notice.buyer) or None,
        "stage": notice.stage,
        "url": notice.url or None,
        "portal_url": notice.portal_url or None,
        "published": _iso(notice.published),
        "deadline": _iso(notice.deadline),
        "value_low": _money(notice.value_low),
        "value_high": _money(notice.value_high),
        "value_per_year": _money(notice.value_per_year),
        "currency": notice.currency,
        "regions": list(notice.regions),
        "postcodes": list(notice.postcodes),
        "cpv": notice.cpv_main,
    }


def radar_item_document(alert: Alert) -> dict[str, Any] | None:
    """Which re-tender radar item an alert is or is news of; None for any other alert.

    A radar item (in its digest) and every piece of news about it carry the same
    ``source``, ``ocid`` and ``award_id``: a receiver joins them on these three.
    """
    if not is_radar(alert):
        return None
    return {
        "source": alert.notice.source,
        "ocid": alert.notice.id,
        "award_id": alert.radar_award,
        "title": strip_unsafe(radar_title(alert)),
    }


def alert_document(alert: Alert, *, zone: ZoneInfo) -> dict[str, Any]:
    """The ``data`` of an ``alert.*`` payload."""
    changes = describe_changes(alert.previous, alert.notice, zone) if alert.previous else []
    return {
        "subscription": alert.subscription,
        "kind": alert.kind,
        "tier": alert.tier,
        "reasons": [strip_unsafe(r) for r in alert.reasons],
        "notice": notice_document(alert.notice),
        "also_published_at": list(alert.also),
        "changes": [strip_unsafe(c) for c in changes],
        "replaces": alert.reply_to,
        "radar_item": radar_item_document(alert),
    }


def digest_document(digest: Digest, *, zone: ZoneInfo) -> dict[str, Any]:
    """The ``data`` of a ``digest`` payload: its title and every alert's document."""
    return {
        "title": strip_unsafe(digest.title),
        "alerts": [alert_document(a, zone=zone) for a in digest.alerts],
    }


def payload(event: str, data: dict[str, Any], now: datetime) -> bytes:
    """One request body: ``{"type", "version", "timestamp", "data"}`` as compact JSON."""
    document = {
        "type": event,
        "version": SCHEMA_VERSION,
        "timestamp": now.isoformat(),
        "data": data,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def classify(status: int, retry_after: str | None, now: datetime) -> SendError:
    """A receiver's non-2xx answer as a `SendError`."""
    wait = retry_after_at(retry_after, now)
    if status == 410:
        return SendError(
            "webhook: HTTP 410 (the endpoint is gone)", retryable=False, channel_gone=True
        )
    if status in (408, 425, 429) or status >= 500:
        return SendError(f"webhook: HTTP {status}", retryable=True, retry_after=wait)
    return SendError(f"webhook: HTTP {status} (refused)", retryable=False)


def digest_id(digest: Digest) -> str:
    """A digest part's stable message id, from the outbox rows it carries."""
    ids = ",".join(str(i) for a in digest.alerts for i in a.ids)
    return "msg_digest_" + hashlib.sha256(f"{ids}|{digest.part}".encode()).hexdigest()[:32]


class WebhookNotifier:
    """Posts signed JSON documents to one URL."""

    limits: RateLimits | None = None
    """Not paced: tenderbot declares no rate limits for this kind."""

    def __init__(
        self, *, url: str, key: bytes, zone: ZoneInfo, timeout: float = TIMEOUT_SECONDS
    ) -> None:
        self._url = url
        self._key = key
        self._zone = zone
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def post(self, message_id: str, body: bytes, *, now: datetime) -> str:
        """Sign and post one body; returns `message_id`.

        Raises:
            SendError: the receiver did not answer 2xx, or could not be reached.
        """
        timestamp = int(now.timestamp())
        headers = {
            "content-type": "application/json",
            "user-agent": "tenderbot-webhook/1",
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self._key, message_id, timestamp, body),
        }
        try:
            response = await self._client.post(self._url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise SendError(f"webhook: timed out ({type(exc).__name__})", retryable=True) from exc
        except httpx.HTTPError as exc:
            raise SendError(f"webhook: {type(exc).__name__}: {exc}", retryable=True) from exc
        if not 200 <= response.status_code < 300:
            raise classify(response.status_code, response.headers.get("retry-after"), now)
        return message_id

    async def send(self, alert: Alert, *, now: datetime) -> str | None:
        """Post one alert as ``alert.KIND`` (``alert.new``, ``alert.radar-ended``, ...)."""
        body = payload(f"alert.{alert.kind}", alert_document(alert, zone=self._zone), now)
        return await self.post(f"msg_alert_{alert.outbox_id}", body, now=now)

    def digest_parts(self, digest: Digest, *, now: datetime) -> list[Digest]:
        """A receiver takes a digest of any length: one part."""
        return [digest]

    async def send_digest(self, digest: Digest, *, now: datetime) -> str | None:
        """Post one digest: its title and every alert's document."""
        data = digest_document(digest, zone=self._zone)
        return await self.post(digest_id(digest), payload("digest", data, now), now=now)

    async def send_test(self, *, now: datetime) -> str | None:
        """Post a ``test`` event."""
        body = payload("test", {"text": "tenderbot test message"}, now)
        return await self.post(f"msg_test_{int(now.timestamp())}", body, now=now)

    async def send_admin(self, text: str, *, now: datetime) -> str | None:
        """Post an ``admin`` event."""
        body = payload("admin", {"text": strip_unsafe(text)}, now)
        digest = hashlib.sha256(body).hexdigest()[:32]
        return await self.post(f"msg_admin_{digest}", body, now=now)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()


def _read(table: TomlTable) -> ChannelOptions:
    url = table.http_url("url")
    url_env = table.text("url_env")
    if (url is None) == (url_env is None):
        raise table.error("url", "give exactly one of url and url_env")
    secret_env = table.text("secret_env")
    if secret_env is None:
        raise table.error("secret_env", "is required for a webhook channel (the variable's name)")
    timeout = table.duration("timeout", "15s").total_seconds()
    secrets = [("secret_env", secret_env)] + ([("url_env", url_env)] if url_env else [])
    return ChannelOptions(
        settings=WebhookSettings(url=url, url_env=url_env, secret_env=secret_env, timeout=timeout),
        secrets=tuple(secrets),
    )


def _build(channel: ChannelConfig, context: BuildContext) -> WebhookNotifier:
    settings = channel.settings
    assert isinstance(settings, WebhookSettings)
    where = f"channels ({channel.name})"
    url = settings.url or os.environ.get(settings.url_env or "", "").strip()
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{where}.url_env: {settings.url_env} does not hold an http(s) URL")
    try:
        key = decode_secret(os.environ.get(settings.secret_env, ""))
    except ValueError as exc:
        raise ConfigError(
            f"{where}.secret_env: environment variable {settings.secret_env} {exc}"
        ) from None
    return WebhookNotifier(url=url, key=key, zone=context.zone, timeout=settings.timeout)


CHANNEL = ChannelKind(name="webhook", read=_read, build=_build)
"""The webhook kind: ``url`` (or ``url_env``) and ``secret_env``."""
