"""What the radar has shown a subscription: months read as chat reads them, and the listing."""

from __future__ import annotations

import pytest

from bot.radar.shown import MAX_LISTED, listing, read_months


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("1", 1),
        ("12", 12),
        (" 36 ", 36),
        ("0", None),
        ("37", None),
        ("-3", None),
        ("1.5", None),
        ("twelve", None),
        ("", None),
        ("１２", None),
        ("0012", None),
    ],
)
def test_months_are_whole_ascii_numbers_from_1_to_36(text, months):
    assert read_months(text) == months


def test_the_listing_says_the_state_then_the_items_and_counts_the_rest():
    assert listing(False, 9, []) == ["Radar off. No contracts shown here yet."]
    assert listing(True, 12, ["A: x", "B: y"]) == [
        "Radar on (12 months ahead).",
        "- A: x",
        "- B: y",
    ]
    many = [f"C{n}: z" for n in range(MAX_LISTED + 3)]
    lines = listing(True, 9, many)
    assert len(lines) == 1 + MAX_LISTED + 1 and lines[-1] == "...and 3 more"
