"""An imitation of Find a Tender's release-package API, served by a `FakePublisher` route.

It behaves as the real one was measured to (../shared/fixtures/find_a_tender/PROVENANCE.md):
`updatedFrom`/`updatedTo` are read as Europe/London local time (a zone suffix is ignored);
releases come newest first (by notice number, `NNNNNN-YYYY` descending, as the recorded
day's pages do: a release published later with an earlier `date` still comes first), `limit`
to a page, with `links.next` while more remain; the `stages` parameter hides Procurement Act
releases; more than 12 requests in 2 minutes (by the test's clock) get the real 429:
`Retry-After: 120`, a text/plain body.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.fakes.http_base import Reply, json_reply
from tests.fakes.publishers import FakePublisher

PATH = "/api/1.0/ocdsReleasePackages"
LONDON = ZoneInfo("Europe/London")
NOTICE_NUMBER = re.compile(r"^(\d+)-(\d{4})$")
THROTTLED = b"Rate limit of 12 exceeded. Please retry after 120 seconds."


def _london(text: str) -> datetime:
    return datetime.fromisoformat(text.rstrip("Z")).replace(tzinfo=LONDON)


def _newest_first(release: dict[str, Any]) -> tuple[tuple[int, int], datetime]:
    """Sort key, descending: notice number (year, then number), then date."""
    found = NOTICE_NUMBER.match(str(release.get("id", "")))
    number = (int(found[2]), int(found[1])) if found else (0, 0)
    return number, datetime.fromisoformat(release["date"])


def serve_find_a_tender(
    web: FakePublisher, releases: list[dict[str, Any]], *, limit: int = 12
) -> None:
    """Serve `releases` at the API path of `web`, as Find a Tender does."""
    ordered = sorted(releases, key=_newest_first, reverse=True)

    def reply(query: dict[str, str], headers: dict[str, str]) -> Reply:
        now = web.clock.now()
        recent = [r for r in web.requests_to(PATH) if (now - r["at"]).total_seconds() < 120]
        if len(recent) > limit:
            return 429, {"Content-Type": "text/plain", "Retry-After": "120"}, THROTTLED
        start, end = _london(query["updatedFrom"]), _london(query["updatedTo"])
        page_size = int(query.get("limit", "100"))
        offset = int(query.get("cursor", "0"))
        found = [r for r in ordered if start <= datetime.fromisoformat(r["date"]) < end]
        if "stages" in query:
            found = [
                r
                for r in found
                if r.get("tender", {}).get("legalBasis", {}).get("scheme") != "UKPGA"
            ]
        package: dict[str, Any] = {
            "uri": f"{web.url}{PATH}",
            "version": "1.1",
            "releases": found[offset : offset + page_size],
        }
        if offset + page_size < len(found):
            package["links"] = {
                "next": f"{web.url}{PATH}?updatedFrom={query['updatedFrom']}"
                f"&updatedTo={query['updatedTo']}&limit={page_size}&cursor={offset + page_size}"
            }
        return json_reply(200, package)

    web.routes[PATH] = reply


def redated(releases: list[dict[str, Any]], old_day: str, new_day: str) -> list[dict[str, Any]]:
    """Copies of `releases` with every date on `old_day` moved to `new_day` (YYYY-MM-DD)."""
    return [json.loads(json.dumps(r).replace(f'"{old_day}T', f'"{new_day}T')) for r in releases]
