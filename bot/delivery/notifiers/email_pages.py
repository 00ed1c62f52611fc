"""An email subscriber's own pages on the listener: confirmation, and its settings.

Every message to a subscriber carries a signed link to its page: pause or resume, switch
between instant alerts and a daily or weekly digest, change the regions or the maximum value,
turn the re-tender radar on (with how many months ahead, bounded as the chat command
`radar on` bounds them) or off and see what it has shown (listed as a chat's `radar list`
lists it), unsubscribe. A GET only shows a page; changes are POSTs, because mail scanners
follow links. A link that is forged, expired or for another action changes nothing. The
HTML comes from autoescaping templates (`email_templates`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from bot.config_delivery import MAX_RADAR_MONTHS, MODES
from bot.delivery.notifiers.email_links import (
    UNSUBSCRIBE,
    Handler,
    LinkError,
    LinkSigner,
    Recipients,
)
from bot.delivery.notifiers.email_subscribers import Subscriber, Subscribers
from bot.delivery.notifiers.email_templates import link_not_valid, page_response
from bot.radar.shown import RADAR_MONTHS, listing, read_months

if TYPE_CHECKING:
    from aiohttp import web

CONFIRM = "confirm"
MANAGE = "manage"
CONFIRM_PATH = "/email/confirm"
MANAGE_PATH = "/email/manage"
_REGION = re.compile(r"^[\w][\w '&,.()-]{0,60}$")


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


def _manage_page(
    subscriber: Subscriber, token: str, radar_lines: list[str], note: str = ""
) -> web.Response:
    radar_state, *radar_items = listing(subscriber.radar, subscriber.radar_months, radar_lines)
    return page_response(
        "manage",
        action=f"{MANAGE_PATH}?t={token}",
        note=note,
        address=subscriber.address,
        state="paused" if subscriber.paused else f"receiving {subscriber.mode} alerts",
        rule_sets=subscriber.rule_sets,
        regions=", ".join(subscriber.regions) or "any",
        max_value="any" if subscriber.max_value is None else f"£{subscriber.max_value:,.0f}",
        pause="resume" if subscriber.paused else "pause",
        other_modes=[m for m in MODES if m != subscriber.mode],
        radar=subscriber.radar,
        radar_months=subscriber.radar_months,
        max_radar_months=MAX_RADAR_MONTHS,
        # What `radar list` says in a chat: the state, then one "- " line per contract.
        radar_state=radar_state,
        radar_items=[item.removeprefix("- ") for item in radar_items],
    )


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
            return link_not_valid(exc)
        return page_response(
            "confirm",
            address=subscriber.address,
            rule_sets=subscriber.rule_sets,
            radar=subscriber.radar,
            radar_months=subscriber.radar_months,
            action=f"{CONFIRM_PATH}?t={request.query['t']}",
        )

    async def confirm_act(request: web.Request) -> web.StreamResponse:
        try:
            subscriber = find(request, CONFIRM)
        except LinkError as exc:
            return link_not_valid(exc)
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
            return link_not_valid(exc)
        return _manage_page(
            subscriber, request.query["t"], subscribers.radar_lines(subscriber.address)
        )

    async def manage_act(request: web.Request) -> web.StreamResponse:
        try:
            subscriber = find(request, MANAGE)
        except LinkError as exc:
            return link_not_valid(exc)
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
