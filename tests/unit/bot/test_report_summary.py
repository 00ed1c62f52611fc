"""The report's summary: it says what data it rests on and ranks only what can be compared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.report.build import MIN_TO_COMPARE, Report, SourceSpan, build_report, comparable_rates
from bot.report.charts import tile_map
from sources.notice import Notice

NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
DAY = datetime(2026, 8, 10, 9, 0, tzinfo=UTC)


def _notice(number: int, region: str, suitable: bool) -> Notice:
    return Notice(
        source="fat",
        id=f"ocds-{number}",
        release_id=f"ocds-{number}-1",
        stage="tender",
        title="Befriending" if suitable else "Road gritting",
        regions=(region,),
        release_date=DAY,
    )


def _report(counts: dict[str, tuple[int, int]], *, polled: bool = True) -> Report:
    """A year asked for, one day of data: per region, (opportunities, suitable)."""
    processes = []
    number = 0
    for region, (total, suitable) in counts.items():
        for index in range(total):
            number += 1
            processes.append([_notice(number, region, index < suitable)])
    coverage = (
        [SourceSpan(source="fat", first=DAY, last=DAY + timedelta(hours=8), releases=number)]
        if number
        else []
    )
    return build_report(
        processes,
        start=NOW - timedelta(days=365),
        end=NOW,
        judge=lambda notice, _: "match" if notice.title == "Befriending" else None,
        rules="befriending",
        rules_title="Befriending",
        generated=NOW,
        coverage=coverage,
        polled=polled,
    )


def test_the_summary_names_the_period_the_data_covers_not_the_one_asked_for() -> None:
    summary = _report({"UKC": (3, 1)}).summary
    assert not any("In the last 12 months" in line for line in summary)
    assert summary[0].startswith("The data covers 10 Aug 2026 (first and last release seen")
    assert "fat: 3 releases, 10 Aug 2026 to 10 Aug 2026" in summary[0]
    assert summary[1].startswith("From 10 Aug 2026, tenderbot saw 3 opportunities")


def test_a_store_that_never_polled_says_so() -> None:
    summary = _report({}, polled=False).summary
    assert summary == (
        "This store has never polled a source and holds no notices: there is nothing to "
        "report yet (run `tenderbot run`, `tenderbot poll` or `tenderbot import` first).",
    )
    polled = _report({}).summary
    assert polled[0].startswith("The data holds no release from 1 Sep 2025 to 1 Sep 2026")


def test_no_region_is_ranked_on_fewer_than_five_notices() -> None:
    summary = _report({"UKC": (MIN_TO_COMPARE - 1, 0), "UKI": (MIN_TO_COMPARE - 1, 4)}).summary
    assert any(line.startswith("Too few to compare regions: 0 of 12") for line in summary)
    assert not any(line.startswith("Coldest:") or "Highest:" in line for line in summary)


def test_the_coldest_region_in_words_is_the_palest_shaded_tile_of_the_map() -> None:
    # London has more residents: 2 suitable there is a lower rate than 2 in the North East.
    report = _report({"UKC": (6, 2), "UKI": (5, 2), "UKM": (6, 5), "UKL": (2, 0)})
    rates = comparable_rates(report)
    shaded = {key: rate for key, rate in rates.items() if rate is not None}
    assert set(shaded) == {"UKC", "UKI", "UKM"}
    coldest = min(shaded, key=lambda key: shaded[key] or 0.0)
    assert coldest == "UKI"
    lines = report.summary
    assert any(line.startswith("Coldest: London, ") for line in lines)
    assert any(line.startswith("“Coldest” means the fewest opportunities") for line in lines)
    few = next(line for line in lines if line.startswith("Too few to compare: "))
    assert "Wales and Northern Ireland (each under 5 opportunities)" in few
    assert "London" not in few and "Scotland" not in few
    assert "Highest: Scotland" in next(line for line in lines if line.startswith("Coldest:"))
    # The map draws Wales, with 2 opportunities, as "too few" rather than as the coldest.
    assert tile_map(report).count(">too few<") == 9


def test_tied_coldest_regions_each_give_their_own_counts() -> None:
    lines = _report({"UKC": (6, 0), "UKF": (8, 0), "UKM": (6, 5)}).summary
    coldest = next(line for line in lines if line.startswith("Coldest:"))
    assert coldest.startswith("Coldest: the North East and the East Midlands, 0 suitable")
    assert "(0 of 6 and 0 of 8 opportunities respectively)" in coldest
    assert "Highest: Scotland, " in coldest and "(5 of 6 opportunities)" in coldest
