"""Residents per ITL1 region, for "per 100,000 residents" figures.

Source: Office for National Statistics, "Population estimates for the UK, England, Wales,
Scotland and Northern Ireland: mid-2022" (usual residents on 30 June 2022; published 2024;
Open Government Licence v3.0). England's regions are ONS figures; Wales is ONS, Scotland
National Records of Scotland and Northern Ireland NISRA, as ONS republishes them. The
regions add up to the UK total of that release, 67,596,281.
"""

from __future__ import annotations

POPULATION_SOURCE = (
    "ONS mid-2022 population estimates (usual residents, 30 June 2022; Open Government Licence)"
)
POPULATION_YEAR = 2022
UK_POPULATION = 67_596_281

POPULATION: dict[str, int] = {
    "UKC": 2_683_040,  # North East
    "UKD": 7_516_113,  # North West
    "UKE": 5_541_262,  # Yorkshire and The Humber
    "UKF": 4_934_939,  # East Midlands
    "UKG": 6_021_653,  # West Midlands
    "UKH": 6_398_497,  # East of England
    "UKI": 8_866_180,  # London
    "UKJ": 9_379_833,  # South East
    "UKK": 5_764_881,  # South West
    "UKL": 3_131_640,  # Wales
    "UKM": 5_447_700,  # Scotland
    "UKN": 1_910_543,  # Northern Ireland
}
"""Usual residents by ITL1 region (ITL codes in their NUTS form, as `rules.places` uses)."""
