"""Run the examples embedded in a rule set: each is a notice and the verdict it should get."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from rules.ruleset import Example, RuleSet
from sources.notice import Lot, Notice
from sources.ocds import MappingError, load_json, releases_of
from sources.releases import map_any_releases

EXAMPLE_TIME = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
"""When an example written as fields is judged; its `days_left` counts from here."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExampleResult:
    """The outcome of one example."""

    rule_set: str
    example: Example
    passed: bool
    title: str
    detail: str


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def notice_from_fields(fields: dict[str, Any], *, source: str = "example") -> Notice:
    """Build the notice an example describes with fields (validated by the loader)."""
    cpv = [str(c) for c in fields.get("cpv", [])]
    value = _decimal(fields.get("value"))
    low = _decimal(fields.get("value_low", value))
    high = _decimal(fields.get("value_high", value))
    days_left = fields.get("days_left")
    return Notice(
        source=source,
        id=f"example-{abs(hash(fields.get('title', ''))) % 10**8}",
        release_id="example",
        stage=str(fields.get("stage", "tender")),
        title=str(fields.get("title", "")),
        description=str(fields.get("description", "")),
        buyer=str(fields.get("buyer", "")),
        buyer_postcode=fields.get("buyer_postcode"),
        regions=tuple(fields.get("regions", ())),
        postcodes=tuple(fields.get("postcodes", ())),
        value_low=low,
        value_high=high,
        currency="GBP" if low is not None or high is not None else None,
        cpv_main=cpv[0] if cpv else None,
        cpv_additional=tuple(cpv[1:]),
        release_date=EXAMPLE_TIME,
        published=EXAMPLE_TIME,
        deadline=None if days_left is None else EXAMPLE_TIME + timedelta(days=float(days_left)),
        suitable_vcse=fields.get("vcse"),
        suitable_sme=fields.get("sme"),
        procedure=fields.get("procedure"),
        contract_start=EXAMPLE_START if "years" in fields else None,
        contract_end=_end(fields.get("years")),
        lots=tuple(
            Lot(
                id=str(number),
                title=str(lot.get("title", "")),
                value=_decimal(lot.get("value")),
                contract_start=EXAMPLE_START if "years" in lot else None,
                contract_end=_end(lot.get("years")),
                suitable_vcse=lot.get("vcse"),
            )
            for number, lot in enumerate(fields.get("lots", ()), start=1)
        ),
        reserved=("smeVcse",) if fields.get("reserved") else (),
        legal_basis="UKPGA" if fields.get("notice_type") else None,
        special_regimes=tuple(fields.get("regime", ())),
        above_threshold=None
        if fields.get("below_threshold") is None
        else not fields["below_threshold"],
        notice_type=fields.get("notice_type"),
    )


EXAMPLE_START = EXAMPLE_TIME + timedelta(days=60)
"""When an example's contract (its `years`) starts."""


def _end(years: Any) -> datetime | None:
    if years is None:
        return None
    return EXAMPLE_START + timedelta(days=float(years) * 365.25)


def _notice_from_release(example: Example) -> Notice:
    assert example.release is not None
    try:
        document = load_json(example.release.read_bytes())
        releases = releases_of(document)
    except (OSError, ValueError) as exc:
        raise MappingError(f"{example.release}: {exc}") from None
    mapped = map_any_releases(releases, source="example")
    notices = [n for n in mapped.notices if example.ocid in (None, n.id)]
    if not notices:
        wanted = f"release {example.ocid}" if example.ocid else "a release"
        raise MappingError(f"{example.release}: {wanted} not found or not readable")
    return max(notices, key=lambda n: n.release_date)


def run_examples(rule_set: RuleSet) -> list[ExampleResult]:
    """Judge every example of `rule_set`; release examples are judged as of their own date."""
    results = []
    for example in rule_set.examples:
        try:
            if example.release is not None:
                notice = _notice_from_release(example)
                now = notice.release_date
            else:
                notice, now = notice_from_fields(example.fields), EXAMPLE_TIME
        except MappingError as exc:
            results.append(
                ExampleResult(
                    rule_set=rule_set.name,
                    example=example,
                    passed=False,
                    title=str(example.release),
                    detail=f"cannot read the example: {exc}",
                )
            )
            continue
        match = rule_set.evaluate(notice, now)
        if example.expect_tier is not None and match is not None:
            passed = match.tier == example.expect_tier
        else:
            passed = (match is not None) == example.expect_match
        results.append(
            ExampleResult(
                rule_set=rule_set.name,
                example=example,
                passed=passed,
                title=notice.title,
                detail=rule_set.explain(notice, now),
            )
        )
    return results
