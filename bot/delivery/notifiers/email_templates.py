"""The email channels' web pages (unsubscribe, confirm, manage) as HTML, from templates.

The templates (``templates/*.html.j2``, shipped in the package) are rendered by Jinja2 with
autoescaping on for every value: addresses, rule-set names, regions, radar items and
messages that quote what a subscriber typed are text, never markup.
"""

from __future__ import annotations

import html
from functools import cache
from typing import TYPE_CHECKING

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

if TYPE_CHECKING:
    from aiohttp import web

PAGES = ("link_not_valid", "unsubscribe", "unsubscribed", "confirm", "manage")
"""Every page there is (a template ``NAME.html.j2`` each, extending ``page.html.j2``)."""


def _escaped(value: object) -> object:
    """A value escaped as the pages always escaped it (``'`` as ``&#x27;``, as `html.escape`).

    Markup (what a macro returns) is already escaped and passes as it is.
    """
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=True))


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("bot.delivery.notifiers", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        finalize=_escaped,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_page(name: str, **values: object) -> str:
    """The HTML of page `name` (one of `PAGES`) with `values`, every one escaped."""
    return _environment().get_template(f"{name}.html.j2").render(**values)


def page_response(name: str, status: int = 200, **values: object) -> web.Response:
    """Page `name` as the listener's HTTP response."""
    from aiohttp import web

    return web.Response(status=status, text=render_page(name, **values), content_type="text/html")


def link_not_valid(error: Exception) -> web.Response:
    """The 400 page for a link that is malformed, forged, expired or for something else."""
    return page_response("link_not_valid", 400, error=str(error))
