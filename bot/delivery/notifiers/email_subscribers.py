"""Email subscribers an admin added (`tenderbot subscribe email`), and their self-service pages.

An admin adds an address with rule sets; it gets a confirmation link first (double opt-in)
and receives nothing until it is followed. A confirmed subscriber becomes a channel named
``email:ADDRESS`` (sent through the configured email channel it was added to) with its own
subscription, exactly as chats become channels. Every message to a subscriber carries
signed links to its own page: pause or resume, switch between instant alerts and a daily or
weekly digest, change the regions or the maximum value, turn the re-tender radar on (with how
many months ahead, bounded as the chat command `radar on` bounds them) or off and see what it
has shown, unsubscribe. A GET only shows the page; changes are POSTs, because mail scanners
follow links.
"""

from __future__ import annotations

import dataclasses
import html
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from bot.config_delivery import MAX_RADAR_MONTHS, MODES, ChannelConfig, SubscriptionConfig
from bot.delivery.notifiers.email_links import (
    UNSUBSCRIBE,
    Handler,
    LinkError,
    LinkSigner,
    Recipients,
    page,
)
from bot.radar.shown import RADAR_MONTHS, listing, read_months, shown_lines
from bot.store.connection import Connection
from rules.errors import RuleFileError
from rules.library import resolve

if TYPE_CHECKING:
    from aiohttp import web

    from bot.config import Config

log = logging.getLogger("tenderbot.email")

PREFIX = "email:"
CONFIRM = "confirm"
MANAGE = "manage"
CONFIRM_PATH = "/email/confirm"
MANAGE_PATH = "/email/manage"
_REGION = re.compile(r"^[\w][\w '&,.()-]{0,60}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscriber:
    """One address an admin added, with its own settings."""

    address: str
    channel: str
    """The configured email channel it is sent through."""
    rule_sets: tuple[str, ...]
    mode: str = "instant"
    regions: tuple[str, ...] = ()
    max_value: Decimal | None = None
    paused: bool = False
    confirmed: bool = False
    radar: bool = False
    """Opted in to re-tender radar items (a digest section, never instant)."""
    radar_months: int = RADAR_MONTHS

    @property
    def key(self) -> str:
        """Its channel's and subscription's name."""
        return PREFIX + self.address


class Subscribers:
    """The ``email_subscribers`` table, through the store's connection."""

    def __init__(self, db: Connection, transaction: Callable[[], Any]) -> None:
        self._db = db
        self._transaction = transaction

    def add(
        self,
        address: str,
        channel: str,
        rule_sets: tuple[str, ...],
        now: datetime,
        *,
        radar_months: int | None = None,
    ) -> None:
        """Add (or re-add, unconfirmed) an address with its rule sets.

        `radar_months`: opt it in to the re-tender radar, so many months ahead (None leaves
        its radar as it was: off for a new address).
        """
        with self._transaction():
            self._db.execute(
                "INSERT INTO email_subscribers (address, channel, rule_sets, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (address) DO UPDATE SET channel = "
                "excluded.channel, rule_sets = excluded.rule_sets",
                (address.lower(), channel, json.dumps(list(rule_sets)), now.isoformat()),
            )
            if radar_months is not None:
                self._db.execute(
                    "UPDATE email_subscribers SET radar = 1, radar_months = ? WHERE address = ?",
                    (radar_months, address.lower()),
                )

    def get(self, address: str) -> Subscriber | None:
        """The subscriber with `address`, if any."""
        row = self._db.execute(
            "SELECT * FROM email_subscribers WHERE address = ?", (address.lower(),)
        ).fetchone()
        return None if row is None else _subscriber(row)

    def all(self) -> list[Subscriber]:
        """Every subscriber, confirmed or not."""
        rows = self._db.execute("SELECT * FROM email_subscribers ORDER BY address")
        return [_subscriber(row) for row in rows]

    def confirm(self, address: str, now: datetime) -> bool:
        """Mark `address` confirmed (it may be mailed again); False if it is unknown."""
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE email_subscribers SET confirmed_at = ? WHERE address = ?",
                (now.isoformat(), address.lower()),
            )
            self._db.execute("DELETE FROM email_unsubscribed WHERE address = ?", (address.lower(),))
        return cursor.rowcount > 0

    def radar_lines(self, address: str) -> list[str]:
        """The radar items made for `address`'s subscription, newest first (as `radar list`)."""
        return shown_lines(self._db, PREFIX + address.lower())

    def update(self, address: str, **changes: object) -> None:
        """Change some of `mode`, `regions`, `max_value`, `paused`, `radar`, `radar_months`."""
        with self._transaction():
            for name, value in changes.items():
                self._db.execute(
                    f"UPDATE email_subscribers SET {name} = ? WHERE address = ?",
                    (_column(name, value), address.lower()),
                )


def _column(name: str, value: object) -> object:
    """A changed setting as its column holds it (only the names below are accepted)."""
    if name == "mode":
        return str(value)
    if name == "regions":
        assert isinstance(value, tuple)
        return json.dumps(list(value))
    if name == "max_value":
        return None if value is None else str(value)
    if name in ("paused", "radar"):
        return int(bool(value))
    if name == "radar_months":
        assert isinstance(value, int)
        return value
    raise KeyError(name)


def _subscriber(row: Any) -> Subscriber:
    return Subscriber(
        address=row["address"],
        channel=row["channel"],
        rule_sets=tuple(json.loads(row["rule_sets"])),
        mode=row["mode"],
        regions=tuple(json.loads(row["regions"])),
        max_value=None if row["max_value"] is None else Decimal(row["max_value"]),
        paused=bool(row["paused"]),
        confirmed=row["confirmed_at"] is not None,
        radar=bool(row["radar"]),
        radar_months=int(row["radar_months"]),
    )


def _loadable(ref: str, config: Config) -> bool:
    try:
        resolve(ref, config.path.parent)
    except RuleFileError:
        return False
    return True


def subscriber_channels(
    config: Config, subscribers: list[Subscriber], unsubscribed: set[str]
) -> tuple[list[ChannelConfig], list[SubscriptionConfig]]:
    """The channel and subscription of every confirmed, active subscriber.

    A paused subscriber keeps neither (its queued alerts wait until it resumes); one whose
    email channel left the config is skipped; a rule set that no longer exists is left out.
    """
    templates = {c.name: c for c in config.channels if c.kind == "email"}
    channels: list[ChannelConfig] = []
    subscriptions: list[SubscriptionConfig] = []
    for subscriber in subscribers:
        template = templates.get(subscriber.channel)
        if (
            template is None
            or not subscriber.confirmed
            or subscriber.paused
            or subscriber.address in unsubscribed
        ):
            continue
        settings = dataclasses.replace(template.settings, to=(subscriber.address,))  # type: ignore[type-var]
        channels.append(dataclasses.replace(template, name=subscriber.key, settings=settings))
        rule_sets = tuple(r for r in subscriber.rule_sets if _loadable(r, config))
        if rule_sets != subscriber.rule_sets:
            log.warning("%s: rule set(s) no longer exist; left out", subscriber.key)
        if not rule_sets:
            continue
        subscriptions.append(
            SubscriptionConfig(
                name=subscriber.key,
                channel=subscriber.key,
                rules=rule_sets,
                mode=subscriber.mode,
                regions=subscriber.regions,
                max_value=subscriber.max_value,
                radar=subscriber.radar,
                radar_months=subscriber.radar_months,
                index=len(config.subscriptions) + len(subscriptions),
            )
        )
    return channels, subscriptions


def parse_regions(text: str) -> tuple[str, ...]:
    """Regions from a form field: comma-separated names, or ``any`` for none.

    Raises:
        ValueError: a name is not a plain place name.
    """
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if not names or [n.lower() for n in names] == ["any"]:
        return ()
    for name in names:
        if not _REGION.match(name):
            raise ValueError(f"{name[:40]!r} is not a region name")
    return names


def parse_max_value(text: str) -> Decimal | None:
    """A maximum value from a form field (``£400,000``, ``400k``, ``any``).

    Raises:
        ValueError: it is not a positive amount.
    """
    raw = text.strip().lower().replace("£", "").replace(",", "")
    if raw in ("", "any"):
        return None
    factor = Decimal(1000) if raw.endswith("k") else Decimal(1)
    try:
        value = Decimal(raw.removesuffix("k")) * factor
    except InvalidOperation:
        raise ValueError(f"{text[:40]!r} is not an amount") from None
    if not value.is_finite() or value <= 0 or value > Decimal(10) ** 12:
        raise ValueError(f"{text[:40]!r} is not a positive amount")
    return value


def _radar_part(subscriber: Subscriber, radar_lines: list[str], form: Callable[..., str]) -> str:
    """The page's radar section: what `radar list` says in a chat, and its buttons."""
    e = html.escape
    state, *items = listing(subscriber.radar, subscriber.radar_months, radar_lines)
    listed = "".join(f"<li>{e(item.removeprefix('- '))}</li>" for item in items)
    months = (
        f'<label>Months ahead (1 to {MAX_RADAR_MONTHS}) <input name="radar_months" '
        f'value="{subscriber.radar_months}" size="3"></label>'
        '<input type="hidden" name="radar" value="on">'
    )
    buttons = form(months, "Change months" if subscriber.radar else "Turn radar on")
    if subscriber.radar:
        buttons += form('<input type="hidden" name="radar" value="off">', "Turn radar off")
    return (
        "<h2>Re-tender radar</h2><p>Contracts of your kind that end soon, each once, in a "
        "digest of their own, with news of their re-tender as replies.</p>"
        f"<p><b>{e(state)}</b></p>" + (f"<ul>{listed}</ul>" if listed else "") + buttons
    )


def _manage_page(
    subscriber: Subscriber, token: str, radar_lines: list[str], note: str = ""
) -> web.Response:
    e = html.escape
    action = f"{MANAGE_PATH}?t={e(token, quote=True)}"
    state = "paused" if subscriber.paused else f"receiving {subscriber.mode} alerts"
    regions = ", ".join(subscriber.regions) or "any"
    value = "any" if subscriber.max_value is None else f"£{subscriber.max_value:,.0f}"
    radar = (
        f"radar on ({subscriber.radar_months} months ahead)" if subscriber.radar else "radar off"
    )

    def form(fields: str, label: str) -> str:
        return f'<form method="post" action="{action}">{fields}<button>{e(label)}</button></form>'

    mode_buttons = "".join(
        form(f'<input type="hidden" name="mode" value="{m}">', f"Switch to {m}")
        for m in MODES
        if m != subscriber.mode
    )
    pause = "resume" if subscriber.paused else "pause"
    body = (
        (f"<p><b>{e(note)}</b></p>" if note else "")
        + f"<p>{e(subscriber.address)} is {e(state)}; rule sets "
        f"{e(', '.join(subscriber.rule_sets))}; regions {e(regions)}; "
        f"maximum value {e(value)}; {e(radar)}.</p>"
        + form(f'<input type="hidden" name="do" value="{pause}">', pause.capitalize())
        + mode_buttons
        + form(
            f'<label>Regions (comma-separated, or any) <input name="regions" value="{e(regions)}">'
            "</label>",
            "Change regions",
        )
        + form(
            f'<label>Maximum value (or any) <input name="max_value" value="{e(value)}"></label>',
            "Change maximum value",
        )
        + _radar_part(subscriber, radar_lines, form)
        + form('<input type="hidden" name="do" value="unsubscribe">', "Unsubscribe")
    )
    return page("Your tenderbot emails", body)


def subscriber_routes(
    subscribers: Subscribers,
    recipients: Recipients,
    signer: LinkSigner,
    now: Callable[[], datetime],
    changed: Callable[[], None],
) -> list[tuple[str, str, Handler]]:
    """The listener's routes: confirmation and the subscriber's own page."""

    def find(request: web.Request, action: str) -> Subscriber:
        claim = signer.read(request.query.get("t", ""), now())
        if claim.action != action:
            raise LinkError("this link is for something else")
        subscriber = subscribers.get(claim.address)
        if subscriber is None:
            raise LinkError("this address is not subscribed any more")
        return subscriber

    async def confirm_show(request: web.Request) -> web.StreamResponse:
        try:
            subscriber = find(request, CONFIRM)
        except LinkError as exc:
            return page("Link not valid", f"<p>{html.escape(str(exc))}</p>", 400)
        token = html.escape(request.query["t"], quote=True)
        radar = (
            f", and re-tender radar items {subscriber.radar_months} months ahead,"
            if subscriber.radar
            else ""
        )
        return page(
            "Confirm your subscription",
            f"<p>Send tenderbot alerts ({html.escape(', '.join(subscriber.rule_sets))}){radar} "
            f"to <b>{html.escape(subscriber.address)}</b>?</p>"
            f'<form method="post" action="{CONFIRM_PATH}?t={token}"><button>Confirm</button>'
            "</form>",
        )

    async def confirm_act(request: web.Request) -> web.StreamResponse:
        try:
            subscriber = find(request, CONFIRM)
        except LinkError as exc:
            return page("Link not valid", f"<p>{html.escape(str(exc))}</p>", 400)
        subscribers.confirm(subscriber.address, now())
        changed()
        token = signer.make(MANAGE, subscriber.address, subscriber.key, now())
        return _manage_page(
            subscriber,
            token,
            subscribers.radar_lines(subscriber.address),
            "Confirmed: alerts will arrive by email.",
        )

    async def manage_show(request: web.Request) -> web.StreamResponse:
        try:
            subscriber = find(request, MANAGE)
        except LinkError as exc:
            return page("Link not valid", f"<p>{html.escape(str(exc))}</p>", 400)
        return _manage_page(
            subscriber, request.query["t"], subscribers.radar_lines(subscriber.address)
        )

    async def manage_act(request: web.Request) -> web.StreamResponse:
        try:
            subscriber = find(request, MANAGE)
        except LinkError as exc:
            return page("Link not valid", f"<p>{html.escape(str(exc))}</p>", 400)
        form = await request.post()
        note = _apply(subscribers, recipients, subscriber, form, now())
        changed()
        fresh = subscribers.get(subscriber.address) or subscriber
        lines = subscribers.radar_lines(subscriber.address)
        return _manage_page(fresh, request.query["t"], lines, note)

    return [
        ("GET", CONFIRM_PATH, confirm_show),
        ("POST", CONFIRM_PATH, confirm_act),
        ("GET", MANAGE_PATH, manage_show),
        ("POST", MANAGE_PATH, manage_act),
    ]


def _apply(
    subscribers: Subscribers,
    recipients: Recipients,
    subscriber: Subscriber,
    form: Any,
    now: datetime,
) -> str:
    """Apply one form; returns what to tell the subscriber."""
    address = subscriber.address
    try:
        if form.get("do") == "pause":
            subscribers.update(address, paused=True)
            return "Paused: nothing is sent until you resume."
        if form.get("do") == "resume":
            subscribers.update(address, paused=False)
            return "Resumed."
        if form.get("do") == UNSUBSCRIBE:
            recipients.unsubscribe(address, subscriber.key, now)
            subscribers.update(address, paused=True)
            return "Unsubscribed: no more tenderbot emails."
        if "radar" in form:
            return _apply_radar(subscribers, address, form)
        if "mode" in form:
            mode = str(form["mode"])
            if mode not in MODES:
                raise ValueError(f"{mode[:20]!r} is not one of {', '.join(MODES)}")
            subscribers.update(address, mode=mode)
            return f"Now {mode}."
        if "regions" in form:
            subscribers.update(address, regions=parse_regions(str(form["regions"])))
            return "Regions changed."
        if "max_value" in form:
            subscribers.update(address, max_value=parse_max_value(str(form["max_value"])))
            return "Maximum value changed."
    except ValueError as exc:
        return f"Not changed: {exc}"
    return "Nothing to change."


def _apply_radar(subscribers: Subscribers, address: str, form: Any) -> str:
    """Turn the radar on (with its months ahead, as `radar on [MONTHS]` in chat) or off.

    Raises:
        ValueError: neither on nor off, or months that are not 1 to `MAX_RADAR_MONTHS`.
    """
    wanted = str(form["radar"])
    if wanted == "off":
        subscribers.update(address, radar=False)
        return "Radar off: no more items about contracts ending."
    if wanted != "on":
        raise ValueError(f"{wanted[:20]!r} is not on or off")
    text = str(form.get("radar_months", "")).strip() or str(RADAR_MONTHS)
    months = read_months(text)
    if months is None:
        raise ValueError(f"{text[:20]!r} is not a number of months from 1 to {MAX_RADAR_MONTHS}")
    subscribers.update(address, radar=True, radar_months=months)
    return (
        f"Radar on: contracts of your kind ending in the next {months} months come in a "
        "digest of their own, each once, with news of their re-tender as replies."
    )
