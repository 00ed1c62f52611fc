"""The `Notice` record: one published procurement notice, as every layer sees it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

STAGE_LABELS = {
    "planning": "Early engagement",
    "planningUpdate": "Early engagement (updated)",
    "tender": "Open for bids",
    "tenderAmendment": "Open for bids (amended)",
    "tenderUpdate": "Open for bids (updated)",
    "tenderCancellation": "Cancelled",
    "award": "Awarded",
    "awardUpdate": "Awarded (updated)",
    "awardCancellation": "Award cancelled",
    "contract": "Contract signed",
}
"""Plain-English names of OCDS stages."""

STAGE_LABELS.update(
    {
        "planningUpdate": "Updated (early engagement)",
        "tenderUpdate": "Updated",
        "contractAmendment": "Contract changed",
        "contractTermination": "Contract ended",
        "implementation": "Contract in progress",
        "marketModification": "Dynamic market changed",
        "marketIntention": "Dynamic market planned",
    }
)

STAGES_OPEN = frozenset({"planning", "planningUpdate", "tender", "tenderAmendment", "tenderUpdate"})
"""Stages in which a notice is still open to suppliers (alerts go out for these).

Find a Tender publishes every amendment as a new release tagged ``tenderUpdate`` or
``planningUpdate``: the process is still open, so its update is alerted and reminded.
"""

DAYS_PER_YEAR = Decimal("365.25")
MANY_PROVIDERS = 5
UNLIMITED_PARTICIPANTS = 1_000_000
"""How `max_participants` records "no limit" (Find a Tender writes 1e9999)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Lot:
    """One lot of a tender: a part a supplier can bid for on its own."""

    id: str
    title: str = ""
    value: Decimal | None = None
    contract_start: datetime | None = None
    contract_end: datetime | None = None
    max_end: datetime | None = None
    suitable_sme: bool | None = None
    suitable_vcse: bool | None = None
    duration_days: int | None = None

    @property
    def years(self) -> Decimal | None:
        """The lot's initial contract length in years, when its period or length is known."""
        return term_years(self.contract_start, self.contract_end, self.duration_days)

    @property
    def longest_years(self) -> Decimal | None:
        """The lot's longest length in years: extensions, renewals and options included."""
        longest = contract_years(self.contract_start, latest(self.contract_end, self.max_end))
        return longest if longest is not None else self.years

    @property
    def value_per_year(self) -> Decimal | None:
        """The lot's value over its longest length (whole if a year or less; None: unknown)."""
        return per_year(self.value, self.longest_years)


def contract_years(start: datetime | None, end: datetime | None) -> Decimal | None:
    """Years from `start` to `end` (None when either is missing or the order is wrong)."""
    if start is None or end is None or end <= start:
        return None
    return Decimal((end - start).total_seconds()) / Decimal(86400) / DAYS_PER_YEAR


def term_years(start: datetime | None, end: datetime | None, days: int | None) -> Decimal | None:
    """Years from `start` to `end`, else a length stated only in days (``durationInDays``)."""
    years = contract_years(start, end)
    if years is None and days:
        return Decimal(days) / DAYS_PER_YEAR
    return years


def latest(*times: datetime | None) -> datetime | None:
    """The latest of the times given (None when none is)."""
    return max((t for t in times if t is not None), default=None)


def per_year(value: Decimal | None, years: Decimal | None) -> Decimal | None:
    """`value` a year over `years`; a contract of a year or less counts whole.

    With no length known the scale a year is unknown (None), never the whole value.
    """
    if value is None or years is None:
        return None
    if years <= 1:
        return value
    return (value / years).quantize(Decimal(1))


@dataclass(frozen=True, slots=True, kw_only=True)
class Supplier:
    """A supplier a contract was awarded to, with the size flags the buyer published."""

    name: str
    sme: bool | None = None
    vcse: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Award:
    """One contract award of a process: who won it, when, for how much.

    The contract terms come from the award's contract (``contracts[]`` whose ``awardID`` is
    the award's id) when the release has one, else from the award itself: `start`, `end`
    and `max_end` (the latest date extensions may reach, ``maxExtentDate``), the renewal and
    options text, the contract's status and the date it ended (``implementation.endDate``).
    `notice_type` is the Procurement Act notice (UK6, UK7, UK10, UK11...) that published them.
    Legacy contracts often state only when they were signed and how many days they run
    (`signed`, `duration_days`).
    """

    id: str
    status: str | None = None
    date: datetime | None = None
    value: Decimal | None = None
    suppliers: tuple[Supplier, ...] = ()
    title: str = ""
    lot_ids: tuple[str, ...] = ()
    notice_type: str | None = None
    contract_status: str | None = None
    contract_value: Decimal | None = None
    start: datetime | None = None
    end: datetime | None = None
    max_end: datetime | None = None
    ended: datetime | None = None
    has_renewal: bool | None = None
    renewal: str = ""
    options: str = ""
    cpv: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    signed: datetime | None = None
    duration_days: int | None = None

    @property
    def to_small_supplier(self) -> bool | None:
        """Whether a supplier of the award is flagged SME or VCSE (None: no flags published)."""
        flags = [f for s in self.suppliers for f in (s.sme, s.vcse)]
        if any(f is True for f in flags):
            return True
        return False if any(f is False for f in flags) else None

    @property
    def to_vcse(self) -> bool:
        """Whether a supplier of the award is flagged VCSE."""
        return any(s.vcse is True for s in self.suppliers)


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """A procurement notice normalised from any source.

    Text fields are clean plain text; datetimes are timezone-aware UTC; money is `Decimal`.
    Tuples hold what the publisher listed, in its order.
    """

    source: str
    id: str
    release_id: str
    stage: str
    title: str
    description: str = ""
    buyer: str = ""
    buyer_postcode: str | None = None
    buyer_town: str | None = None
    regions: tuple[str, ...] = ()
    postcodes: tuple[str, ...] = ()
    value_low: Decimal | None = None
    value_high: Decimal | None = None
    currency: str | None = None
    cpv_main: str | None = None
    cpv_additional: tuple[str, ...] = ()
    published: datetime | None = None
    release_date: datetime
    deadline: datetime | None = None
    suitable_sme: bool | None = None
    suitable_vcse: bool | None = None
    procedure: str | None = None
    status: str | None = None
    url: str | None = None
    portal_url: str | None = None
    notice_type: str | None = None
    label: str | None = None
    legal_basis: str | None = None
    special_regimes: tuple[str, ...] = ()
    above_threshold: bool | None = None
    reserved: tuple[str, ...] = ()
    reserved_locations: tuple[str, ...] = ()
    lots: tuple[Lot, ...] = ()
    contract_start: datetime | None = None
    contract_end: datetime | None = None
    max_end: datetime | None = None
    duration_days: int | None = None
    enquiry_deadline: datetime | None = None
    eoi_deadline: datetime | None = None
    expected_tender_date: datetime | None = None
    related_ids: tuple[str, ...] = ()
    framework: bool = False
    open_framework: bool = False
    dynamic_market: bool = False
    max_participants: int | None = None
    awards: tuple[Award, ...] = ()
    next_procurement: datetime | None = None
    recurrence: str = ""

    @property
    def cpv_codes(self) -> tuple[str, ...]:
        """The main CPV code (if any) followed by the additional ones."""
        main = (self.cpv_main,) if self.cpv_main else ()
        return main + tuple(c for c in self.cpv_additional if c != self.cpv_main)

    @property
    def stage_label(self) -> str:
        """A plain-English name for the stage, e.g. "Open for bids" or "Pipeline"."""
        return self.label or STAGE_LABELS.get(self.stage, self.stage)

    @property
    def regime(self) -> str | None:
        """``act`` (Procurement Act 2023), ``legacy`` (older regulations), or None if unknown."""
        if self.legal_basis == "UKPGA":
            return "act"
        if self.legal_basis:
            return "legacy"
        return None

    @property
    def below_threshold(self) -> bool | None:
        """Whether the buyer published it as below the procurement thresholds."""
        return None if self.above_threshold is None else not self.above_threshold

    @property
    def reserved_for_sme_vcse(self) -> bool:
        """Whether participation is reserved for SMEs and VCSEs."""
        return "smeVcse" in self.reserved

    @property
    def many_providers(self) -> bool:
        """A framework or dynamic market that many providers join, each taking a share.

        An open framework, a dynamic purchasing system or market, or a framework for five or
        more suppliers; its value is the total across every provider, not one contract.
        """
        if self.open_framework or self.dynamic_market:
            return True
        return self.framework and (self.max_participants or 0) >= MANY_PROVIDERS

    @property
    def years(self) -> Decimal | None:
        """The contract's initial length in years, when its period or length is known."""
        return term_years(self.contract_start, self.contract_end, self.duration_days)

    @property
    def longest_years(self) -> Decimal | None:
        """The contract's longest length in years: extensions, renewals and options included."""
        longest = contract_years(self.contract_start, latest(self.contract_end, self.max_end))
        return longest if longest is not None else self.years

    @property
    def value_per_year(self) -> Decimal | None:
        """The highest value over the longest length (whole if a year or less; None: unknown).

        A published estimate covers the maximum duration, extensions and options included,
        so it is spread over that; a value with no period at all has no known scale a year.
        """
        return per_year(self.value_high, self.longest_years)

    @property
    def is_open_stage(self) -> bool:
        """Whether the notice is in a stage where suppliers can still respond."""
        return self.stage in STAGES_OPEN
