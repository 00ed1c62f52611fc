from datetime import timedelta

import pytest

from bot.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("10m", timedelta(minutes=10)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d", timedelta(days=1)),
        ("2w", timedelta(weeks=2)),
        (" 1.5h ", timedelta(minutes=90)),
    ],
)
def test_parse(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "10", "ten minutes", "5x", "0s", "1h-"])
def test_rejects(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_format():
    assert format_duration(timedelta(hours=1, minutes=30)) == "1h30m"
    assert format_duration(timedelta(0)) == "0s"
