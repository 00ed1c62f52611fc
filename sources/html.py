"""Council and portal listing pages, read with BeautifulSoup and driven by CSS selectors.

Adding a council is configuration, not code: `selectors` names the element of each listing
(`item`) and, within it, `title`, `link`, `buyer`, `deadline`, `value` and `id`; `next_page`
points at the link to the following page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeGuard
from urllib.parse import urljoin

from sources.base import Page, SourceSettings
from sources.errors import PayloadError, Problem
from sources.extract import DEFAULT_DATE_FORMATS, content_id, parse_date, parse_money
from sources.hosts import check_same_host
from sources.notice import Notice
from sources.options import OptionError, string_list, text, unknown_keys
from sources.text import clean_text

if TYPE_CHECKING:
    from bs4 import Tag

    from sources.http import HttpFetcher

KIND = "html"
SELECTOR_KEYS = {"item", "title", "link", "buyer", "deadline", "value", "id"}


def read_options(raw: Mapping[str, Any]) -> dict[str, Any]:
    """`selectors` (item and title required), `next_page`, `buyer`, `region`, `date_format`.

    Raises:
        sources.options.OptionError: an unknown key, a missing selector, or invalid CSS.
    """
    unknown_keys(raw, {"selectors", "next_page", "buyer", "region", "date_format"})
    selectors = raw.get("selectors")
    if not isinstance(selectors, dict):
        raise OptionError(
            'selectors: required, e.g. selectors = { item = "li.tender", title = "a" }'
        )
    for key in selectors:
        if key not in SELECTOR_KEYS:
            raise OptionError(
                f"selectors.{key}: unknown selector (use {', '.join(sorted(SELECTOR_KEYS))})"
            )
    checked = {key: text(selectors, key) for key in SELECTOR_KEYS}
    for key in ("item", "title"):
        if checked[key] is None:
            raise OptionError(f"selectors.{key}: is required")
    next_page = text(raw, "next_page")
    from bs4 import BeautifulSoup  # imported when first used: other commands stay fast
    from soupsieve import SelectorSyntaxError

    probe = BeautifulSoup("<p></p>", "html.parser")
    for key, selector in [*checked.items(), ("next_page", next_page)]:
        if selector:
            try:
                probe.select(selector)
            except SelectorSyntaxError as exc:
                raise OptionError(
                    f"selectors.{key}: invalid CSS selector {selector!r}: {exc}"
                ) from None
    return {
        "selectors": checked,
        "next_page": next_page,
        "buyer": text(raw, "buyer"),
        "region": text(raw, "region"),
        "date_formats": tuple(string_list(raw, "date_format", []) or DEFAULT_DATE_FORMATS),
    }


def _is_tag(value: object) -> TypeGuard[Tag]:
    from bs4 import Tag

    return isinstance(value, Tag)


def _text_of(item: Tag, selector: str | None) -> str:
    if not selector:
        return ""
    found = item.select_one(selector)
    return clean_text(found.get_text(" ", strip=True)) if found is not None else ""


def _link_of(item: Tag, selector: str | None, base: str) -> str | None:
    found = item.select_one(selector) if selector else item
    if found is not None and found.name != "a":
        found = found.find("a", href=True) if _is_tag(found) else None
    href = found.get("href") if _is_tag(found) else None
    return urljoin(base, href) if isinstance(href, str) and href.strip() else None


def parse(
    payload: bytes, *, source: str, url: str, options: Mapping[str, Any], now: datetime
) -> tuple[Page, str | None]:
    """Parse one listing page into notices, and the next page's URL (if the config says how).

    Raises:
        PayloadError: the page cannot be parsed, or holds no listing items at all.
    """
    from bs4 import BeautifulSoup
    from bs4.exceptions import ParserRejectedMarkup

    try:
        soup = BeautifulSoup(payload, "html.parser")
    except (ParserRejectedMarkup, AssertionError) as exc:
        raise PayloadError(source, f"GET {url}", f"not a readable HTML page ({exc})") from None
    selectors: Mapping[str, str | None] = options["selectors"]
    items = soup.select(selectors["item"] or "")
    if not items:
        raise PayloadError(source, f"GET {url}", f"no listing items match {selectors['item']!r}")
    notices: list[Notice] = []
    problems: list[Problem] = []
    for index, item in enumerate(items):
        title = _text_of(item, selectors["title"])
        link = _link_of(item, selectors["link"] or selectors["title"], url)
        key = _text_of(item, selectors["id"]) or link
        if not title or not key:
            problems.append(
                Problem(
                    source=source, record_id=f"item {index + 1}", what="no title, or no id or link"
                )
            )
            continue
        deadline_text = _text_of(item, selectors["deadline"])
        deadline = parse_date(deadline_text, options["date_formats"]) if deadline_text else None
        if deadline_text and deadline is None:
            problems.append(
                Problem(
                    source=source,
                    record_id=key,
                    what=f"deadline {deadline_text!r} does not match date_format",
                )
            )
        low, high = parse_money(_text_of(item, selectors["value"]))
        buyer = _text_of(item, selectors["buyer"]) or options.get("buyer") or ""
        region = options.get("region")
        notices.append(
            Notice(
                source=source,
                id=key,
                release_id=content_id(title, buyer, deadline, low, high, link),
                stage="tender",
                title=title,
                buyer=buyer,
                regions=(region,) if region else (),
                value_low=low,
                value_high=high,
                currency="GBP" if high is not None else None,
                published=None,
                release_date=now,
                deadline=deadline,
                url=link,
            )
        )
    next_url = None
    if options.get("next_page"):
        found = soup.select_one(options["next_page"])
        href = found.get("href") if found is not None else None
        next_url = urljoin(url, href) if isinstance(href, str) and href.strip() else None
    return Page(url=url, notices=tuple(notices), problems=tuple(problems)), next_url


class HtmlListingSource:
    """A listing page and the pages after it, up to `max_pages`."""

    def __init__(self, settings: SourceSettings, http: HttpFetcher) -> None:
        self.settings = settings
        self._http = http

    async def pages(
        self, since: datetime, until: datetime, *, resume: str | None = None
    ) -> AsyncIterator[Page]:
        """Each listing page; the first is fetched conditionally (304: nothing changed).

        Raises:
            sources.errors.SourceError: a page cannot be fetched or read.
        """
        url: str | None = self.settings.url
        seen: set[str] = set()
        while url is not None and len(seen) < self.settings.max_pages and url not in seen:
            check_same_host(self.settings.name, url, self.settings.url)
            first = not seen
            seen.add(url)
            response = await self._http.get(url, conditional=first)
            if response.status == 304:
                yield Page(url=response.url, notices=(), not_modified=True)
                return
            page, url = parse(
                response.body,
                source=self.settings.name,
                url=response.url,
                options=self.settings.options,
                now=until,
            )
            yield page
