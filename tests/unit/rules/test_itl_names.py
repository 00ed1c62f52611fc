"""ITL region names have one home: the rules package's data file, read by rules and bot alike."""

from __future__ import annotations

from importlib import resources

from bot.delivery import place_names
from rules import places

REGIONS = {
    "UKC": "North East",
    "UKD": "North West",
    "UKE": "Yorkshire and the Humber",
    "UKF": "East Midlands",
    "UKG": "West Midlands",
    "UKH": "East of England",
    "UKI": "London",
    "UKJ": "South East",
    "UKK": "South West",
    "UKL": "Wales",
    "UKM": "Scotland",
    "UKN": "Northern Ireland",
}
"""The region names as they were written before they had one home (order included)."""


def test_region_names_are_the_itl1_rows_of_the_one_file():
    assert list(places.REGION_NAMES.items()) == list(REGIONS.items())
    assert {
        code: name for code, name in places.itl_names().items() if len(code) == 3
    } == places.REGION_NAMES


def test_alerts_read_the_same_names_and_no_second_copy_is_shipped():
    assert place_names.itl_names is places.itl_names
    assert resources.files("rules").joinpath("data", "itl_names.csv").is_file()
    shipped = resources.files("bot.delivery").joinpath("data")
    assert sorted(p.name for p in shipped.iterdir() if p.name.endswith(".csv")) == [
        "postcode_areas.csv"
    ]
