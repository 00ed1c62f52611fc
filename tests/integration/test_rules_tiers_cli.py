"""`rules preview` shows the tier (table, CSV, JSON) and judges deadlines as of publication."""

from __future__ import annotations

import csv
import io
import json

from bot.cli import main
from tests.integration.test_possible_tier import SHORT, releases_with_a_short_deadline


def preview(tmp_path, *extra):
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"releases": releases_with_a_short_deadline()}))
    out = io.StringIO()
    code = main(["rules", "preview", "small-charities", "--from", str(page), *extra], stdout=out)
    assert code == 0
    return out.getvalue()


def test_json_and_csv_carry_the_tier_and_the_reason_for_a_demotion(tmp_path):
    rows = {row["title"]: row for row in json.loads(preview(tmp_path, "--format", "json"))}
    # Judged as of its own publication (23 January 2025), not today: 5 days were left then.
    assert rows[SHORT]["tier"] == "possible"
    assert rows[SHORT]["reasons"][0] == "possible: 5 days left"
    assert rows["Befriending Service for Older People"]["tier"] == "match"
    reader = csv.DictReader(io.StringIO(preview(tmp_path, "--format", "csv")))
    table = list(reader)
    assert {row["title"]: row["tier"] for row in table}[SHORT] == "possible"
    assert set(reader.fieldnames or ()) == set(rows[SHORT]), "CSV columns are the JSON keys"


def test_the_table_marks_each_tier_and_counts_them(tmp_path):
    text = preview(tmp_path)
    line = next(line for line in text.splitlines() if SHORT in line)
    assert "possible" in line
    assert text.strip().endswith("matching notice(s)") and " 1 possible: " in text


def test_as_of_judges_the_deadline_at_another_time(tmp_path):
    rows = json.loads(preview(tmp_path, "--format", "json", "--as-of", "2025-01-10"))
    short = next(row for row in rows if row["title"] == SHORT)
    assert short["tier"] == "match"  # 19 days left on 10 January
