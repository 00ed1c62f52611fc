"""Email: multipart plain-text + HTML messages sent over SMTP with aiosmtplib.

Each address in `to` gets its own copy (so its unsubscribe link is its own), all copies of
one alert sharing one ``Message-ID``, which is the outbox's message reference: an update or
reminder carries ``In-Reply-To`` and ``References`` with it and mail clients thread it under
the first alert. Message ids are derived from the outbox row, so a retry sends the same id.

What SMTP can promise about duplicates: once the server answers 250 to the message, the
copy is recorded for that address and never sent again, even when another address of the
same alert fails and the alert is retried. If the connection drops after the message was
sent but before the server's answer arrived, tenderbot cannot know whether the server kept
it, so it sends it again (at least once, never lost); the repeat carries the same
``Message-ID``, which most mail clients and servers use to hide duplicates.

Errors: a 4xx answer (421 included), a timeout or a dropped connection is retried by the
outbox; a 5xx answer refuses the message; rejected credentials (535), a failing token
command or a server that lacks what the config requires (STARTTLS, AUTH) pause the channel,
which the admin channel hears about. A CR or LF in any header value is refused, so feed
text can never add a header.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from bot.config_table import TomlTable
from bot.delivery.alerts import Alert, Digest
from bot.delivery.notifiers import SendError
from bot.delivery.notifiers.email_links import (
    UNSUBSCRIBE,
    UNSUBSCRIBE_PATH,
    LinkSigner,
    Recipients,
    unsubscribe_routes,
)
from bot.delivery.notifiers.email_pages import (
    CONFIRM,
    CONFIRM_PATH,
    MANAGE,
    MANAGE_PATH,
    subscriber_routes,
)
from bot.delivery.notifiers.email_render import (
    EmailBody,
    render_alert,
    render_digest,
    render_text,
)
from bot.delivery.notifiers.email_smtp import (
    HeaderInjection,
    Login,
    header,
    mail_address,
    send_all,
)
from bot.delivery.notifiers.email_subscribers import PREFIX, Subscribers, subscriber_channels
from bot.delivery.notifiers.registry import BuildContext, ChannelKind, ChannelOptions, Route
from bot.delivery.pacing import RateLimits, account_key
from bot.moments import local_moment

if TYPE_CHECKING:
    from bot.config import Config
    from bot.config_delivery import ChannelConfig, SubscriptionConfig

log = logging.getLogger("tenderbot.email")

DEFAULT_PORTS = {"smtp": 587, "smtps": 465}


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailSettings:
    """An email channel's keys (see the module docstring and the README)."""

    to: tuple[str, ...]
    sender: str
    host: str
    port: int
    tls: bool
    """SMTPS: TLS from the first byte (``smtps://``)."""
    starttls: bool | None
    """True: STARTTLS required; None: used when the server offers it."""
    username_env: str | None = None
    password_env: str | None = None
    oauth_token_command: str | None = None
    public_url: str | None = None
    """Where subscribers reach the daemon's HTTP listener, for unsubscribe links."""
    timeout: float = 30.0
    per_minute: int = 30
    """At most this many sends a minute through this server and login (Exchange Online allows
    a mailbox 30 messages a minute)."""


class EmailNotifier:
    """Sends each alert to every subscribed address of one channel."""

    def __init__(
        self,
        *,
        name: str,
        settings: EmailSettings,
        zone: ZoneInfo,
        recipients: Recipients,
        signer: LinkSigner,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self._name = name
        self._settings = settings
        self._zone = zone
        self._recipients = recipients
        self._signer = signer
        self._login = Login(username=username, password=password)
        self._domain = mail_address(settings.sender).rsplit("@", 1)[1]
        login = f"{settings.host}:{settings.port}:{username or settings.sender}"
        self.limits: RateLimits | None = RateLimits(
            account=account_key("email", login),
            per_chat_gap=1.0,
            account_per_second=settings.per_minute / 60,
        )
        """One send a second per channel, `per_minute` across every channel of one login."""

    def _message_id(self, kind: str, key: str) -> str:
        token = self._signer.message_token(f"{self._name}:{kind}:{key}")
        return f"<tenderbot.{kind}.{key}.{token}@{self._domain}>"

    def link(self, path: str, action: str, address: str, now: datetime) -> str | None:
        """A signed link to one of the listener's pages, or None without `public_url`."""
        if not self._settings.public_url:
            return None
        token = self._signer.make(action, address, self._name, now)
        return f"{self._settings.public_url.rstrip('/')}{path}?t={quote(token)}"

    def _links(self, address: str, now: datetime) -> list[tuple[str, str]]:
        """The footer's links: unsubscribe, and a subscriber's own page."""
        links = []
        if self._name.startswith(PREFIX):
            manage = self.link(MANAGE_PATH, MANAGE, address, now)
            if manage:
                links.append(
                    ("Pause, switch to a digest, change region, maximum value or radar", manage)
                )
        unsubscribe = self.link(UNSUBSCRIBE_PATH, UNSUBSCRIBE, address, now)
        if unsubscribe:
            links.append(("Unsubscribe", unsubscribe))
        return links

    def _message(
        self, body: EmailBody, address: str, message_id: str, reply_to: str | None, now: datetime
    ) -> EmailMessage:
        message = EmailMessage()
        message["From"] = header(self._settings.sender)
        message["To"] = header(address)
        message["Subject"] = header(body.subject)
        message["Date"] = format_datetime(now)
        message["Message-ID"] = header(message_id)
        message["Auto-Submitted"] = "auto-generated"
        if reply_to:
            message["In-Reply-To"] = header(reply_to)
            message["References"] = header(reply_to)
        unsubscribe = self.link(UNSUBSCRIBE_PATH, UNSUBSCRIBE, address, now)
        if unsubscribe and not body.transactional:
            message["List-Unsubscribe"] = header(f"<{unsubscribe}>")
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(body.text)
        message.add_alternative(body.html, subtype="html")
        return message

    async def _deliver(
        self, message_id: str, make: Callable[[str], EmailMessage], now: datetime
    ) -> str:
        wanted = list(self._settings.to)
        gone = self._recipients.unsubscribed(wanted)
        done = self._recipients.delivered(message_id)
        todo = [a for a in wanted if a not in gone and a not in done]
        if not todo:
            return message_id
        try:
            messages = [(address, make(address)) for address in todo]
        except (HeaderInjection, ValueError) as exc:
            raise SendError(f"email: refused to send: {exc}", retryable=False) from exc
        await send_all(
            self._settings,
            self._login,
            messages,
            lambda address: self._recipients.record_delivery(message_id, address, now),
        )
        return message_id

    def _reason(self) -> str:
        return f"this address is on the “{self._name}” list of a tenderbot"

    async def send(self, alert: Alert, *, now: datetime) -> str | None:
        """Mail one alert (an update or reminder threaded under the first); returns its id."""
        message_id = self._message_id("alert", str(alert.outbox_id))

        def make(address: str) -> EmailMessage:
            body = render_alert(
                alert,
                now=now,
                zone=self._zone,
                links=self._links(address, now),
                reason=self._reason(),
            )
            return self._message(body, address, message_id, alert.reply_to, now)

        return await self._deliver(message_id, make, now)

    def digest_parts(self, digest: Digest, *, now: datetime) -> list[Digest]:
        """An email holds a digest of any length: one part."""
        return [digest]

    async def send_digest(self, digest: Digest, *, now: datetime) -> str | None:
        """Mail one digest."""
        ids = ",".join(str(i) for a in digest.alerts for i in a.ids)
        key = hashlib.sha256(f"{ids}|{digest.part}".encode()).hexdigest()[:20]
        message_id = self._message_id("digest", key)

        def make(address: str) -> EmailMessage:
            body = render_digest(
                digest,
                now=now,
                zone=self._zone,
                links=self._links(address, now),
                reason=self._reason(),
            )
            return self._message(body, address, message_id, None, now)

        return await self._deliver(message_id, make, now)

    async def _plain(self, subject: str, text: str, now: datetime) -> str:
        message_id = self._message_id("note", str(int(now.timestamp() * 1000)))
        body = render_text(subject, text)
        return await self._deliver(
            message_id, lambda a: self._message(body, a, message_id, None, now), now
        )

    async def send_confirmation(
        self,
        address: str,
        rule_sets: tuple[str, ...],
        *,
        now: datetime,
        radar_months: int | None = None,
    ) -> None:
        """Mail `address` the link that confirms its subscription (double opt-in).

        `radar_months`: it is also to get re-tender radar items, so many months ahead.

        Raises:
            SendError: the send failed.
        """
        link = self.link(CONFIRM_PATH, CONFIRM, address, now)
        assert link is not None
        radar = (
            f", and contracts of that kind ending in the next {radar_months} months,"
            if radar_months is not None
            else ""
        )
        text = (
            f"Someone (we hope you) asked for tenderbot alerts about public contracts "
            f"({', '.join(rule_sets)}){radar} to be sent to {address}. Nothing is sent until you "
            f"confirm:\n\n{link}\n\nIf you did not ask for this, ignore this message."
        )
        body = dataclasses.replace(
            render_text("Confirm your tenderbot alerts", text), transactional=True
        )
        message_id = self._message_id("confirm", str(int(now.timestamp() * 1000)))
        message = self._message(body, address, message_id, None, now)
        await send_all(self._settings, self._login, [(address, message)], lambda _: None)

    async def send_test(self, *, now: datetime) -> str | None:
        """Mail a clearly marked test message."""
        when = local_moment(now, self._zone)
        text = f"tenderbot test message ({when}): this address receives alerts."
        return await self._plain("tenderbot test message", text, now)

    async def send_admin(self, text: str, *, now: datetime) -> str | None:
        """Mail an admin message."""
        return await self._plain("tenderbot admin", text, now)

    async def aclose(self) -> None:
        """Nothing held open: each delivery opens and closes its own connection."""


def _smtp_url(table: TomlTable) -> tuple[str, int, bool]:
    text = table.require("smtp", str)
    parts = urlsplit(text)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        raise table.error("smtp", f"expected smtp://HOST:PORT or smtps://HOST:PORT, got {text!r}")
    if parts.username or parts.password:
        raise table.error("smtp", "must not hold credentials: use username_env and password_env")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise table.error("smtp", f"bad port in {text!r}") from None
    return parts.hostname, port, parts.scheme == "smtps"


def _read(table: TomlTable) -> ChannelOptions:
    raw_to = table.get("to", list)
    if raw_to is None or not raw_to:
        raise table.error("to", "is required for an email channel (an array of addresses)")
    to = []
    for value in raw_to:
        if not isinstance(value, str):
            raise table.error("to", "expected an array of email addresses")
        try:
            to.append(mail_address(value))
        except ValueError as exc:
            raise table.error("to", str(exc)) from None
    sender = table.require("from", str)
    try:
        mail_address(sender)
    except ValueError as exc:
        raise table.error("from", str(exc)) from None
    host, port, tls = _smtp_url(table)
    starttls = table.get("starttls", bool)
    if tls and starttls:
        raise table.error("starttls", "smtps:// is TLS already; use smtp:// for STARTTLS")
    username_env = table.text("username_env")
    password_env = table.text("password_env")
    command = table.text("oauth_token_command")
    if password_env and command:
        raise table.error("oauth_token_command", "give password_env or this, not both")
    if password_env and not username_env:
        raise table.error("username_env", "is required with password_env")
    public_url = table.http_url("public_url")
    timeout = table.duration("timeout", "30s").total_seconds()
    per_minute = table.positive_int("per_minute", 30)
    secrets = tuple(
        (key, name)
        for key, name in (("username_env", username_env), ("password_env", password_env))
        if name
    )
    settings = EmailSettings(
        to=tuple(to),
        sender=sender,
        host=host,
        port=port,
        tls=tls,
        starttls=True if starttls else None,
        username_env=username_env,
        password_env=password_env,
        oauth_token_command=command,
        public_url=public_url,
        timeout=timeout,
        per_minute=per_minute,
    )
    return ChannelOptions(settings=settings, secrets=secrets)


def _recipients(context: BuildContext) -> Recipients:
    store = context.store
    return Recipients(store.db, store.transaction)


def _build(channel: ChannelConfig, context: BuildContext) -> EmailNotifier:
    settings = channel.settings
    assert isinstance(settings, EmailSettings)
    recipients = _recipients(context)
    return EmailNotifier(
        name=channel.name,
        settings=settings,
        zone=context.zone,
        recipients=recipients,
        signer=LinkSigner(recipients.link_key()),
        username=os.environ.get(settings.username_env or "") or None,
        password=os.environ.get(settings.password_env or "") or None,
    )


def _routes(context: BuildContext) -> list[Route]:
    recipients = _recipients(context)
    signer = LinkSigner(recipients.link_key())
    now = context.now
    assert now is not None
    subscribers = Subscribers(context.store.db, context.store.transaction)
    changed = context.on_change or (lambda: None)
    return [
        *unsubscribe_routes(recipients, signer, now),
        *subscriber_routes(subscribers, recipients, signer, now, changed),
    ]


def _subscribers(
    config: Config, store: Any
) -> tuple[list[ChannelConfig], list[SubscriptionConfig]]:
    everyone = Subscribers(store.db, store.transaction).all()
    gone = Recipients(store.db, store.transaction).unsubscribed([s.address for s in everyone])
    return subscriber_channels(config, everyone, gone)


CHANNEL = ChannelKind(
    name="email", read=_read, build=_build, routes=_routes, subscribers=_subscribers
)
"""The email kind: ``to``, ``from``, ``smtp``; optional ``starttls``, ``username_env``,
``password_env`` or ``oauth_token_command``, ``public_url``, ``timeout``, ``per_minute``."""
