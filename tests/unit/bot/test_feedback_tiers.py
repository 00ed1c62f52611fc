"""`rules feedback` shows which tier each judged alert went out in."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from bot.chat.feedback_report import print_feedback, summarise
from bot.chat.store import NOT_FOR_US, USEFUL, FeedbackRow

AT = datetime(2026, 8, 10, tzinfo=UTC)


def row(outbox_id: int, verdict: str, reasons: tuple[str, ...]) -> FeedbackRow:
    return FeedbackRow(
        outbox_id=outbox_id,
        voter="u1",
        verdict=verdict,
        subscription="s",
        rule_sets=("small-charities",),
        source="cf",
        notice_id=f"ocds-{outbox_id}",
        title=f"Notice {outbox_id}",
        reasons=reasons,
        at=AT,
    )


ROWS = [
    row(1, USEFUL, ('keywords in title: "befriend*"',)),
    row(2, NOT_FOR_US, ("possible: 8 days left", 'keywords in title: "support"')),
]


def test_the_table_counts_each_tier_and_marks_a_possible_alert():
    out = io.StringIO()
    print_feedback(summarise(ROWS), "table", out)
    text = out.getvalue()
    assert "  match: 1 alert(s), 1 useful, 0 not for us" in text
    assert "  possible: 1 alert(s), 0 useful, 1 not for us" in text
    assert "Notice 2 (ocds-2) [possible]" in text


def test_the_json_carries_each_alerts_tier():
    out = io.StringIO()
    print_feedback(summarise(ROWS), "json", out)
    judged = json.loads(out.getvalue())[0]["judged"]
    assert {j["id"]: j["tier"] for j in judged} == {"ocds-1": "match", "ocds-2": "possible"}
