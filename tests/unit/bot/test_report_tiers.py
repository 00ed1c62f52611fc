"""The report counts the notices a rule set finds only possible apart from its matches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.report.facts import process_facts
from bot.report.figures import _Tally, area_figures
from bot.report.tables import COLUMNS
from sources.notice import Notice

NOW = datetime(2026, 8, 10, tzinfo=UTC)


def notice(ocid: str) -> Notice:
    return Notice(
        source="fat",
        id=ocid,
        release_id=ocid,
        stage="tender",
        title=ocid,
        release_date=NOW,
        deadline=NOW + timedelta(days=20),
    )


def test_matches_and_possible_ones_are_counted_apart() -> None:
    tiers = {"a": "match", "b": "possible", "c": None}
    tally = _Tally()
    for ocid in tiers:
        opportunity, _ = process_facts(
            [notice(ocid)],
            NOW - timedelta(days=1),
            NOW + timedelta(days=1),
            lambda n, _moment: tiers[n.id],
        )
        assert opportunity is not None
        tally.opportunities.append(opportunity)
    figures = area_figures("region", "UKC", "North East", "UKC", tally, None)
    assert (figures.opportunities, figures.suitable, figures.possible) == (3, 1, 1)
    assert "possible" in COLUMNS
