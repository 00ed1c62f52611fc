"""An email subscriber's own pages on the listener: confirmation, and its settings.

Every message to a subscriber carries a signed link to its page: pause or resume, switch
between instant alerts and a daily or weekly digest, change the regions or the maximum value,
turn the re-tender radar on (with how many months ahead, bounded as the chat command
`radar on` bounds them) or off and see what it has shown (listed as a chat's `radar list`
lists it), unsubscribe. A GET only shows a page; changes are POSTs, because mail scanners
follow links. A link that is forged, expired or for another action changes nothing.
"""

from __future__ import annotations

import html
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
    page,
)
from bot.delivery.notifiers.email_subscribers import Subscriber, Subscribers
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


def _radar_part(
    subscriber: Subscriber, radar_lines: list[str], form: Callable[[str, str], str]
) -> str:
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
