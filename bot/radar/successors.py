"""The re-tender of a contract: a later notice of the same buyer for the same kind of service.

A notice is a contract's successor when it is a different process, published after the
contract's award, by the same buyer (names compared without case, punctuation or a trailing
"council"/"ltd"), and either shares a CPV group (the first three digits) with the contract
or has a similar title (at least half the significant words in common).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence

from bot.radar.contracts import ContractRecord
from sources.notice import Notice

SUCCESSOR_STAGES = frozenset(
    {"planning", "planningUpdate", "tender", "tenderAmendment", "tenderUpdate"}
)
"""A re-tender shows itself by a planning or tender notice."""
SIMILAR_TITLES = 0.5
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "of",
        "to",
        "in",
        "a",
        "an",
        "with",
        "on",
        "at",
        "by",
        "from",
        "service",
        "services",
        "contract",
        "provision",
        "lot",
        "support",
    ]
)


def buyer_key(name: str) -> str:
    """A buyer's name reduced for comparison: lower case, words only."""
    return " ".join(_WORD.findall(name.lower()))


def _words(title: str) -> set[str]:
    return {w for w in _WORD.findall(title.lower()) if len(w) > 2 and w not in _STOP}


def similar_titles(first: str, second: str) -> bool:
    """Whether two titles share at least half of their significant words (Jaccard)."""
    a, b = _words(first), _words(second)
    if not a or not b:
        return False
    return len(a & b) / len(a | b) >= SIMILAR_TITLES


def same_kind(record: ContractRecord, notice: Notice) -> bool:
    """Whether `notice` is from the record's buyer and about the same kind of service."""
    return _closeness(record, notice) > 0


def _closeness(record: ContractRecord, notice: Notice) -> int:
    """2: same buyer and a similar title; 1: same buyer and CPV group; 0: neither."""
    if record.ocid == notice.id or buyer_key(record.buyer) != buyer_key(notice.buyer):
        return 0
    if similar_titles(record.title, notice.title):
        return 2
    groups = {code[:3] for code in record.cpv}
    return 1 if groups & {code[:3] for code in notice.cpv_codes} else 0


def with_successors(
    records: Sequence[ContractRecord], notices: Iterable[Notice]
) -> list[ContractRecord]:
    """The records, each with its successor once seen.

    The successor is the earliest later notice with a similar title; failing that, the
    earliest later notice in the same CPV group that is no other contract's similar-titled
    successor (a buyer lets many services of one group: the befriending re-tender is not
    also the advocacy contract's).
    """
    by_buyer: dict[str, list[Notice]] = {}
    for notice in notices:
        if notice.stage in SUCCESSOR_STAGES:
            by_buyer.setdefault(buyer_key(notice.buyer), []).append(notice)

    def candidates(record: ContractRecord, closeness: int) -> list[Notice]:
        return sorted(
            (
                n
                for n in by_buyer.get(buyer_key(record.buyer), [])
                if (n.published or n.release_date) > record.published
                and _closeness(record, n) == closeness
            ),
            key=lambda n: (n.published or n.release_date, n.id),
        )

    chosen: dict[int, Notice] = {}
    for index, record in enumerate(records):
        similar = candidates(record, 2)
        if similar:
            chosen[index] = similar[0]
    claimed = {(n.source, n.id) for n in chosen.values()}
    for index, record in enumerate(records):
        if index not in chosen:
            free = [n for n in candidates(record, 1) if (n.source, n.id) not in claimed]
            if free:
                chosen[index] = free[0]
    found: list[ContractRecord] = []
    for index, record in enumerate(records):
        first = chosen.get(index)
        if first is None:
            found.append(record)
        else:
            found.append(
                dataclasses.replace(
                    record,
                    successor=first.id,
                    successor_date=first.published or first.release_date,
                )
            )
    return found
