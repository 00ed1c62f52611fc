"""The same tender on two sources: recognise it, link the copies, alert it once.

Councils often advertise on their own feed or portal and mirror the notice on Contracts
Finder, usually with a link back to the portal; Public Contracts Scotland forwards notices to
Find a Tender with a canonical link naming its own OCID. Two notices from different sources
are the same opportunity when one names the other's process (OCID), they share a specific
link (the portal advert), or they have the same buyer, title and deadline day. The first one
stored is the primary and is alerted; a later copy is linked to it and never alerted on its
own, and alerts about the primary show both links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.store import Store
from bot.store.records import key_hash
from sources.notice import Notice

UK = ZoneInfo("Europe/London")
_WORD = re.compile(r"[a-z0-9]+")
_ADVERT_PATH = re.compile(r"\d{3,}|[0-9a-f]{8}-", re.IGNORECASE)
"""A path naming one advert: a number of three digits or more, or the start of a UUID."""
_BUYER_NOISE = frozenset(
    {
        "the",
        "of",
        "and",
        "council",
        "borough",
        "metropolitan",
        "district",
        "county",
        "city",
        "mbc",
        "bc",
        "cc",
        "dc",
        "ltd",
        "limited",
    }
)


@dataclass(frozen=True, slots=True)
class Mirror:
    """A notice already stored that a new one duplicates, and why they match."""

    source: str
    notice_id: str
    matched_on: str


def _specific_link(url: str | None) -> str | None:
    """A normalised link, if it points at one advert rather than a portal's home page."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if not parts.hostname:
        return None
    path = parts.path.rstrip("/")
    if not parts.query and not _ADVERT_PATH.search(path):
        return None
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.hostname.lower()}{path}{query}"


def match_keys(notice: Notice) -> list[str]:
    """The keys under which a notice can be recognised on another source."""
    keys = [f"process:{notice.id}", *(f"process:{other}" for other in notice.related_ids)]
    for url in (notice.portal_url, notice.url):
        link = _specific_link(url)
        if link:
            keys.append(f"link:{link}")
    buyer = [w for w in _WORD.findall(notice.buyer.lower()) if w not in _BUYER_NOISE]
    title = _WORD.findall(notice.title.lower())
    if buyer and title and notice.deadline is not None:
        day = notice.deadline.astimezone(UK).date().isoformat()
        keys.append(f"same:{' '.join(buyer)}|{' '.join(title)}|{day}")
    return list(dict.fromkeys(keys))


class Mirrors:
    """Keys and links between notices, in the store (call inside its transaction)."""

    def __init__(self, store: Store) -> None:
        self._db = store.db

    def primaries(self, notices: list[tuple[Notice, list[str]]]) -> dict[tuple[str, str], Mirror]:
        """For a page of notices (with their keys), the stored notice each duplicates, if any."""
        found: dict[tuple[str, str], Mirror] = {}
        if not notices:
            return found
        ids = {(n.source, n.id) for n, _ in notices}
        sources = {source for source, _ in ids}
        for source in sources:
            wanted = [notice_id for s, notice_id in ids if s == source]
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ", ".join("?" for _ in chunk)
                for row in self._db.execute(
                    "SELECT notice_id, primary_source, primary_id, matched_on FROM notice_links "
                    f"WHERE source = ? AND notice_id IN ({marks})",
                    (source, *chunk),
                ):
                    found[(source, str(row[0]))] = Mirror(str(row[1]), str(row[2]), str(row[3]))
        for source in sources:
            pending = [
                (n, ks) for n, ks in notices if n.source == source and (n.source, n.id) not in found
            ]
            keys = list(dict.fromkeys(k for _, ks in pending for k in ks))
            holders = self._holders(keys, source)
            for notice, notice_keys in pending:
                key = next((k for k in notice_keys if k in holders), None)
                if key is not None:
                    other = holders[key]
                    found[(notice.source, notice.id)] = Mirror(
                        other[0], other[1], key.split(":", 1)[0]
                    )
        return found

    def _holders(self, keys: list[str], source: str) -> dict[str, tuple[str, str]]:
        """For each key, the first-stored notice of another source holding it, if any."""
        by_hash = {key_hash(key): key for key in keys}
        hashes = list(by_hash)
        holders: dict[str, tuple[int, str, str]] = {}
        for start in range(0, len(hashes), 500):
            chunk = hashes[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            # Other sources as two ranges (before and after this one), so the index skips this
            # source's own holders of a key instead of reading them all. No ORDER BY: it
            # would make SQLite walk the whole table in rowid order.
            holders_of = (
                f"SELECT rowid, key, source, notice_id FROM notice_keys WHERE key IN ({marks}) "
                "AND source {} ? AND NOT EXISTS (SELECT 1 FROM notice_links l "
                "WHERE l.source = notice_keys.source AND l.notice_id = notice_keys.notice_id)"
            )
            for row in self._db.execute(
                f"{holders_of.format('<')} UNION ALL {holders_of.format('>')}",
                (*chunk, source, *chunk, source),
            ):
                key = by_hash[bytes(row[1])]
                if key not in holders or int(row[0]) < holders[key][0]:
                    holders[key] = (int(row[0]), str(row[2]), str(row[3]))
        return {key: (held[1], held[2]) for key, held in holders.items()}

    def remember_all(self, notices: list[tuple[Notice, list[str]]]) -> None:
        """Record the keys of notices so later copies on other sources are recognised."""
        self._db.executemany(
            "INSERT INTO notice_keys VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [(key_hash(key), n.source, n.id) for n, keys in notices for key in keys],
        )

    def link(self, notice: Notice, primary: Mirror) -> None:
        """Record that `notice` is a copy of `primary`."""
        self._db.execute(
            "INSERT INTO notice_links VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (notice.source, notice.id, primary.source, primary.notice_id, primary.matched_on),
        )

    def is_copy(self, notice: Notice) -> bool:
        """Whether `notice` is linked as a copy of a notice from another source."""
        row = self._db.execute(
            "SELECT 1 FROM notice_links WHERE source = ? AND notice_id = ?",
            (notice.source, notice.id),
        ).fetchone()
        return row is not None

    def copies_of(self, source: str, notice_id: str) -> list[tuple[str, str]]:
        """The (source, notice id) of every copy linked to a primary notice."""
        rows = self._db.execute(
            "SELECT source, notice_id FROM notice_links "
            "WHERE primary_source = ? AND primary_id = ?",
            (source, notice_id),
        ).fetchall()
        return [(str(r[0]), str(r[1])) for r in rows]
