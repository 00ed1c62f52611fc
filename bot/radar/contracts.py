"""Contract records: one per (process, award), compiled from every release of the process.

Releases of a process are laid over each other in date order (the store's merge), and each
release's awards update the contract they belong to:

- an award notice (UK5, UK6; Contracts Finder and legacy awards) states the contract's terms;
  a contract details notice (UK7) for the same award supersedes them;
- a contract change notice (UK10) that moves the end later marks the contract ``extended``;
- a termination notice (UK11), or a contract whose status is ``terminated``, marks it
  ``ended``; a cancelled award or contract is ``superseded``.

A legacy award states no dates of its own: it is joined to the periods of the lots it names
(``relatedLots``) in the process's tender, else to the tender's contract period.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.radar.value import yearly_value
from rules.places import area_regions, postcode_area
from sources.notice import Award, Notice, Supplier
from sources.notice_merge import merge_notice

ACTIVE = "active"
EXTENDED = "extended"
ENDED = "ended"
SUPERSEDED = "superseded"

COMPETITIVE = "competitive"
DIRECT = "direct"
FRAMEWORK = "framework"

_FIRST_TERMS = frozenset({"UK5", "UK6", "UK7", None})
"""Notice types that state a contract's initial terms (None: Contracts Finder and legacy)."""
_DIRECT_WORDS = re.compile(
    r"without competition|without prior publication|direct award|negotiated without",
    re.IGNORECASE,
)
_FRAMEWORK_WORDS = re.compile(
    r"under (?:a |the )?framework|call[- ]off|calling off|mini[- ]competition", re.IGNORECASE
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractRecord:
    """One contract of a process, as its releases so far describe it.

    `end` is the current end (moved by extensions); `initial_end` the end first stated.
    `value_per_year` is `value` over the contract's longest stated duration, to `max_end`
    when later than `end` (whole for a year or less), as the rule sets read a notice's scale.
    """

    source: str
    ocid: str
    award_id: str
    title: str
    buyer: str
    cpv: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    value: Decimal | None = None
    value_per_year: Decimal | None = None
    start: datetime | None = None
    end: datetime | None = None
    initial_end: datetime | None = None
    max_end: datetime | None = None
    has_renewal: bool | None = None
    renewal: str = ""
    options: str = ""
    next_procurement: datetime | None = None
    recurrence: str = ""
    procedure: str | None = None
    procedure_text: str = ""
    light_touch: bool = False
    suppliers: tuple[Supplier, ...] = ()
    status: str = ACTIVE
    ended: datetime | None = None
    published: datetime
    updated: datetime
    release_ids: tuple[str, ...] = ()
    notice_types: tuple[str, ...] = ()
    url: str | None = None
    successor: str | None = None
    successor_date: datetime | None = None

    @property
    def key(self) -> str:
        """The record's stable id: ``OCID/AWARD``."""
        return f"{self.ocid}/{self.award_id}"

    @property
    def small_supplier(self) -> bool | None:
        """Whether a supplier is flagged SME or VCSE (None when no flags were published)."""
        flags = [f for s in self.suppliers for f in (s.sme, s.vcse)]
        if any(f is True for f in flags):
            return True
        return False if any(f is False for f in flags) else None


def procedure_of(notice: Notice) -> str | None:
    """How the contract was let: ``competitive``, ``direct`` or ``framework`` (None: unknown)."""
    text = " ".join(filter(None, (notice.procedure, notice.description[:400])))
    if _FRAMEWORK_WORDS.search(notice.procedure or "") or _FRAMEWORK_WORDS.search(text[:400]):
        return FRAMEWORK
    if _DIRECT_WORDS.search(notice.procedure or "") or (notice.procedure or "") == "direct":
        return DIRECT
    return COMPETITIVE if notice.procedure else None


def _regions(award: Award, notice: Notice) -> tuple[str, ...]:
    if award.regions:
        return award.regions
    if notice.regions:
        return notice.regions
    area = postcode_area(notice.buyer_postcode or "")
    return area_regions(area) if area else ()


def _lot_terms(
    award: Award, notice: Notice
) -> tuple[datetime | None, datetime | None, datetime | None]:
    """The legacy join: the periods of the award's lots, else the tender's contract period.

    A period stated only as a number of days (``durationInDays``, of the contract or of its
    lots) runs from the start, else from the date the contract was signed, else the award's.
    """
    lots = [lot for lot in notice.lots if lot.id in award.lot_ids] or (
        list(notice.lots) if len(notice.lots) == 1 else []
    )
    starts = [lot.contract_start for lot in lots if lot.contract_start]
    ends = [lot.contract_end for lot in lots if lot.contract_end]
    maxes = [lot.max_end for lot in lots if lot.max_end]
    start = min(starts, default=None) or notice.contract_start
    end = max(ends, default=None) or notice.contract_end
    if end is None:
        days = award.duration_days or max(
            (lot.duration_days for lot in lots if lot.duration_days), default=None
        )
        begin = start or award.signed or award.date
        if days is not None and begin is not None:
            start, end = begin, begin + timedelta(days=days)
    return start, end, max(maxes, default=None)


def _lot_value(award: Award, notice: Notice) -> Decimal | None:
    values = [lot.value for lot in notice.lots if lot.id in award.lot_ids and lot.value]
    if values:
        return sum(values, Decimal(0))
    return notice.value_high if len(notice.awards) == 1 else None


def _status(record: ContractRecord | None, award: Award, notice: Notice) -> str:
    current = record.status if record else ACTIVE
    if award.notice_type == "UK11" or award.contract_status == "terminated":
        return ENDED
    if award.contract_status == "cancelled" or award.status == "cancelled":
        return SUPERSEDED
    if award.notice_type in _FIRST_TERMS and current == SUPERSEDED:
        return ACTIVE  # a new award notice for the same award replaces a cancelled one
    return current


def _apply(record: ContractRecord | None, award: Award, notice: Notice) -> ContractRecord:
    """`record` updated by one award of one release (`notice` is the process so far)."""
    start, end, max_end = award.start, award.end, award.max_end
    if start is None and end is None and award.notice_type in _FIRST_TERMS:
        start, end, lot_max = _lot_terms(award, notice)
        max_end = max_end or lot_max
    value = award.contract_value or _lot_value(award, notice)
    status = _status(record, award, notice)
    first_terms = award.notice_type in _FIRST_TERMS
    ended = award.ended or (notice.release_date if status == ENDED else None)
    base = record or ContractRecord(
        source=notice.source,
        ocid=notice.id,
        award_id=award.id,
        title=award.title or notice.title,
        buyer=notice.buyer,
        published=notice.release_date,
        updated=notice.release_date,
    )
    changes: dict[str, Any] = {
        "title": award.title or base.title or notice.title,
        "buyer": notice.buyer or base.buyer,
        "cpv": award.cpv or notice.cpv_codes or base.cpv,
        "regions": _regions(award, notice) or base.regions,
        "suppliers": award.suppliers or base.suppliers,
        "has_renewal": award.has_renewal if award.has_renewal is not None else base.has_renewal,
        "renewal": award.renewal or base.renewal,
        "options": award.options or base.options,
        "next_procurement": notice.next_procurement or base.next_procurement,
        "recurrence": notice.recurrence or base.recurrence,
        "procedure": procedure_of(notice) or base.procedure,
        "procedure_text": notice.procedure or base.procedure_text,
        "light_touch": "lightTouch" in notice.special_regimes or base.light_touch,
        "status": status,
        "ended": base.ended or ended,
        "updated": max(base.updated, notice.release_date),
        "url": notice.url or base.url,
    }
    if value is not None:
        changes["value"] = value
    if start is not None:
        changes["start"] = start
    if max_end is not None:
        changes["max_end"] = max_end
    if end is not None:
        if first_terms:
            changes["end"] = end
            changes["initial_end"] = end
        elif base.end is None or end > base.end:
            changes["end"] = end
            if base.end is not None and award.notice_type == "UK10" and status == ACTIVE:
                changes["status"] = EXTENDED
    if notice.release_id not in base.release_ids:
        changes["release_ids"] = (*base.release_ids, notice.release_id)
    if award.notice_type and award.notice_type not in base.notice_types:
        changes["notice_types"] = (*base.notice_types, award.notice_type)
    updated = dataclasses.replace(base, **changes)
    return dataclasses.replace(
        updated,
        value_per_year=yearly_value(updated.value, updated.start, updated.end, updated.max_end),
    )


_NOT_CONTRACTS = frozenset({"marketModification", "tenderCancellation"})
"""Stages whose awards are no contract: admissions to a dynamic market, a cancelled tender."""


def compile_process(notices: Sequence[Notice], *, merged: bool = False) -> list[ContractRecord]:
    """The contract records of one process from its releases' notices (any order).

    Each notice is one release as mapped; they are laid over each other in release order,
    as the store merges them. With `merged`, the notices are the store's versions, which
    keep the earlier awards when a release has none: an award equal to the one before it
    is then the earlier release's, not news.
    """
    ordered = sorted(notices, key=lambda n: (n.release_date, n.release_id))
    records: dict[str, ContractRecord] = {}
    compiled: Notice | None = None
    seen: set[str] = set()
    before: tuple[Award, ...] = ()
    for release in ordered:
        if release.release_id in seen:
            continue  # the same release served twice
        seen.add(release.release_id)
        compiled = release if compiled is None else merge_notice(compiled, release)
        kept = set(before) if merged else set()
        before = release.awards
        if release.stage in _NOT_CONTRACTS:
            continue
        for award in release.awards:
            if award in kept:
                continue
            records[award.id] = _apply(records.get(award.id), award, compiled)
    return list(records.values())


def compile_contracts(notices: Iterable[Notice]) -> list[ContractRecord]:
    """Every contract record in a stream of notices, processes grouped by (source, ocid)."""
    processes: dict[tuple[str, str], list[Notice]] = {}
    for notice in notices:
        processes.setdefault((notice.source, notice.id), []).append(notice)
    records: list[ContractRecord] = []
    for process in processes.values():
        records.extend(compile_process(process))
    return records
