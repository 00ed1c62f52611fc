"""`rules evaluate` figures per tier, per part (design / blind) and per source."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.config import ConfigError
from bot.rules_evaluate import evaluate, print_evaluation, read_labels
from rules.loader import parse_rule_set
from sources.notice import Notice

NOW = datetime(2026, 8, 10, 9, 0, tzinfo=UTC)
RULES = parse_rule_set(
    'name = "t"\ntitle = "T"\nthreshold = 2\npossible_threshold = 1\n'
    '[[score]]\nkeywords = { fields = ["title"], any = ["befriending"] }\n'
    '[[score]]\nkeywords = { fields = ["title"], any = ["older people"] }\n',
    "t.toml",
    Path("."),
)


def notice(ocid: str, title: str, *, vcse: bool = False) -> Notice:
    return Notice(
        source="files",
        id=ocid,
        release_id=ocid,
        stage="tender",
        title=title,
        value_high=Decimal(1000),
        release_date=NOW,
        deadline=NOW + timedelta(days=30),
        suitable_vcse=vcse,
    )


NOTICES = [
    notice("a", "Befriending older people"),  # match
    notice("b", "Befriending"),  # possible
    notice("c", "Roofing", vcse=True),  # nothing
    notice("d", "Befriending older people"),  # match
]


def test_parts_sources_and_tiers_are_counted_apart(tmp_path: Path) -> None:
    labels = tmp_path / "corpus.csv"
    labels.write_text(
        "id,label,note,fixture,part\n"
        "a,yes,,find_a_tender/day,design\n"
        "b,yes,,contracts_finder/x.json,blind\n"
        "c,no,,contracts_finder/x.json,blind\n"
        "d,maybe,,find_a_tender/day,\n"
    )
    result = evaluate(RULES, read_labels(labels), NOTICES).as_dict()
    assert result["tiers"]["match"]["recall"] == 0.5
    assert result["tiers"]["match+possible"]["recall"] == 1.0
    assert result["tiers"]["match+possible"]["alerts_per_100"] == 75
    design, blind = result["parts"]["design"], result["parts"]["blind"]
    assert design["match"]["notices"] == 2 and design["match"]["recall"] == 1.0
    assert blind["match"]["recall"] == 0.0 and blind["match+possible"]["recall"] == 1.0
    assert blind["baseline_vcse_flag"]["alerts"] == 1
    assert set(result["sources"]) == {"find_a_tender", "contracts_finder"}
    assert result["sources"]["contracts_finder"]["match+possible"]["precision"] == 1.0
    out = io.StringIO()
    print_evaluation(evaluate(RULES, read_labels(labels), NOTICES), "table", out)
    text = out.getvalue()
    assert "Part design (2 notices)" in text and "Part blind (2 notices)" in text
    assert "Source contracts_finder (2 notices)" in text
    assert "match+possible   recall 100%" in text


def test_a_source_column_wins_over_the_fixture(tmp_path: Path) -> None:
    labels = tmp_path / "l.csv"
    labels.write_text("id,label,source,fixture\na,yes,scotland,find_a_tender/day\n")
    assert read_labels(labels)[0].source == "scotland"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,label,part\na,yes,secret\n", "l.csv:2: part 'secret' for a must be design or blind"),
        ("id,label,label\na,yes,no\n", "l.csv:1: a column is named twice"),
    ],
)
def test_bad_parts_are_refused_with_their_line(tmp_path: Path, text: str, message: str) -> None:
    labels = tmp_path / "l.csv"
    labels.write_text(text)
    with pytest.raises(ConfigError) as caught:
        read_labels(labels)
    assert message in str(caught.value)


def test_a_labels_file_without_part_is_all_design(tmp_path: Path) -> None:
    labels = tmp_path / "l.csv"
    labels.write_text("id,label\na,yes\n")
    result = evaluate(RULES, read_labels(labels), [dataclasses.replace(NOTICES[0])]).as_dict()
    assert list(result["parts"]) == ["design"]


def test_comment_lines_before_the_header_and_between_rows_are_skipped(tmp_path: Path) -> None:
    labels = tmp_path / "l.csv"
    labels.write_text(
        "# two passes by the rubric\n# blind part drawn by a seed\n"
        "id,label,note,fixture,part\na,yes,,find_a_tender/day,design\n# a note\nb,perhaps,,x,\n"
    )
    with pytest.raises(ConfigError) as caught:
        read_labels(labels)
    assert "l.csv:6: label 'perhaps' for b must be yes, maybe or no" in str(caught.value)
    labels.write_text("# made by hand\nid,label,fixture\na,yes,find_a_tender/day\n")
    [label] = read_labels(labels)
    assert (label.id, label.fixture, label.source) == ("a", "find_a_tender/day", "find_a_tender")


def test_blind_misses_and_false_alarms_are_counted_never_listed(tmp_path: Path) -> None:
    labels = tmp_path / "corpus.csv"
    labels.write_text(
        "id,label,note,fixture,part\n"
        "a,no,,find_a_tender/day,blind\n"  # a false alarm of the blind part
        "c,yes,,contracts_finder/x.json,blind\n"  # a miss of the blind part
        "d,no,,find_a_tender/day,design\n"  # a false alarm of the design part
    )
    result = evaluate(RULES, read_labels(labels), NOTICES)
    assert [alarm["id"] for alarm in result.false_alarms] == ["d"]
    assert result.misses == [] and result.blind_unlisted == 2
    figures = result.as_dict()
    assert figures["parts_by_source"]["blind/contracts_finder"]["match"]["yes"] == 1
    out = io.StringIO()
    print_evaluation(result, "table", out)
    text = out.getvalue()
    assert "Part blind, source find_a_tender (1 notices)" in text
    assert "2 miss(es) and false alarm(s) of the blind part are counted" in text
    assert "Roofing" not in text and "  a  " not in text
