"""Email channels' links: signed expiring tokens, the unsubscribed list, and the listener's pages.

A link carries a token ``<payload>.<signature>``: the payload (base64url) holds the action,
the address and an expiry time; the signature is an HMAC-SHA256 with a random key that the
database made for itself (table ``link_keys``), so links need no configuration and cannot
be forged or edited. ``POST /email/unsubscribe?t=TOKEN`` is the one-click unsubscribe of RFC
8058 (what mail clients call from ``List-Unsubscribe-Post``); ``GET`` of the same URL only
shows a page with a button, because mail scanners follow links.

An unsubscribed address is recorded in ``email_unsubscribed`` and no email channel of this
tenderbot mails it again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.delivery.notifiers.email_templates import link_not_valid, page_response
from bot.store.connection import Connection

if TYPE_CHECKING:
    from aiohttp import web

UNSUBSCRIBE_PATH = "/email/unsubscribe"
LINK_LIFETIME = timedelta(days=180)
"""How long a link in a message keeps working (every new message carries a fresh one)."""
UNSUBSCRIBE = "unsubscribe"


class LinkError(ValueError):
    """A token is malformed, forged or expired (raised by `LinkSigner.read`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkClaim:
    """What a valid token says: do `action` for `address` (of the channel `channel`)."""

    action: str
    address: str
    channel: str
    expires: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LinkSigner:
    """Makes and checks signed, expiring tokens with one key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:16]

    def make(self, action: str, address: str, channel: str, now: datetime) -> str:
        """A token for `action` on `address`, valid for `LINK_LIFETIME` from `now`."""
        expires = int((now + LINK_LIFETIME).timestamp())
        payload = f"{action}\n{address}\n{channel}\n{expires}".encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def read(self, token: str, now: datetime) -> LinkClaim:
        """The claim in `token`.

        Raises:
            LinkError: the token is malformed, its signature is wrong, or it has expired.
        """
        try:
            encoded, signature = token.split(".", 1)
            payload = _unb64(encoded)
            given = _unb64(signature)
        except ValueError:
            raise LinkError("this link is damaged (copy the whole link)") from None
        if not hmac.compare_digest(given, self._mac(payload)):
            raise LinkError("this link is not valid")
        try:
            action, address, channel, expires_text = payload.decode().split("\n")
            expires = datetime.fromtimestamp(int(expires_text), UTC)
        except ValueError:
            raise LinkError("this link is not valid") from None
        if now > expires:
            raise LinkError("this link has expired: use the link in a more recent message")
        return LinkClaim(action=action, address=address, channel=channel, expires=expires)

    def message_token(self, text: str) -> str:
        """A short stable token for a message id (unique to this installation)."""
        return _b64(self._mac(text.encode()))[:12]


class Recipients:
    """The email tables: the link key, unsubscribed addresses and per-address deliveries."""

    def __init__(self, db: Connection, transaction: Callable[[], Any]) -> None:
        self._db = db
        self._transaction = transaction

    def link_key(self) -> bytes:
        """The installation's random key for signing links."""
        row = self._db.execute("SELECT key FROM link_keys WHERE name = 'email'").fetchone()
        return bytes(row[0])

    def unsubscribe(self, address: str, channel: str, now: datetime) -> bool:
        """Record that `address` wants no more mail; False if it already had said so."""
        with self._transaction():
            cursor = self._db.execute(
                "INSERT INTO email_unsubscribed (address, channel, at) VALUES (?, ?, ?) "
                "ON CONFLICT (address) DO NOTHING",
                (address.lower(), channel, now.isoformat()),
            )
        return cursor.rowcount > 0

    def unsubscribed(self, addresses: list[str]) -> set[str]:
        """Which of `addresses` have unsubscribed (compared without case)."""
        found = set()
        for address in addresses:
            row = self._db.execute(
                "SELECT 1 FROM email_unsubscribed WHERE address = ?", (address.lower(),)
            ).fetchone()
            if row is not None:
                found.add(address)
        return found

    def delivered(self, message_id: str) -> set[str]:
        """The addresses a message was already accepted for (on an earlier try)."""
        rows = self._db.execute(
            "SELECT address FROM email_deliveries WHERE message_id = ?", (message_id,)
        )
        return {str(r[0]) for r in rows}

    def record_delivery(self, message_id: str, address: str, now: datetime) -> None:
        """Remember that the server accepted `message_id` for `address`."""
        with self._transaction():
            self._db.execute(
                "INSERT INTO email_deliveries (message_id, address, at) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (message_id, address, now.isoformat()),
            )


Handler = Callable[["web.Request"], Awaitable["web.StreamResponse"]]


def unsubscribe_routes(
    recipients: Recipients, signer: LinkSigner, now: Callable[[], datetime]
) -> list[tuple[str, str, Handler]]:
    """The listener's routes for one-click unsubscribe (GET shows a button, POST acts)."""

    def claim_of(request: web.Request) -> LinkClaim:
        claim = signer.read(request.query.get("t", ""), now())
        if claim.action != UNSUBSCRIBE:
            raise LinkError("this link is not an unsubscribe link")
        return claim

    async def show(request: web.Request) -> web.StreamResponse:
        try:
            claim = claim_of(request)
        except LinkError as exc:
            return link_not_valid(exc)
        action = f"{UNSUBSCRIBE_PATH}?t={request.query['t']}"
        return page_response("unsubscribe", address=claim.address, action=action)

    async def act(request: web.Request) -> web.StreamResponse:
        try:
            claim = claim_of(request)
        except LinkError as exc:
            return link_not_valid(exc)
        await request.read()
        recipients.unsubscribe(claim.address, claim.channel, now())
        return page_response("unsubscribed", address=claim.address)

    return [("GET", UNSUBSCRIBE_PATH, show), ("POST", UNSUBSCRIBE_PATH, act)]
