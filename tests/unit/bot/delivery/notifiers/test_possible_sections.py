"""Email and Teams digests put possible-tier notices under "Also worth a look", with the doubt."""

from __future__ import annotations

import dataclasses
import json

from bot.delivery.alerts import ALSO_WORTH_A_LOOK, Digest
from bot.delivery.notifiers import teams
from bot.delivery.notifiers.email_render import render_digest
from tests.unit.bot.delivery.notifiers.test_render import ALERT, LONDON, NOTICE, NOW

MATCH = dataclasses.replace(ALERT, outbox_id=1, notice=dataclasses.replace(NOTICE, title="Match"))
POSSIBLE = dataclasses.replace(
    ALERT,
    outbox_id=2,
    tier="possible",
    reasons=("possible: 8 days left", "keywords in title: advocacy"),
    notice=dataclasses.replace(NOTICE, id="ocds-2", title="Maybe"),
)
DIGEST = Digest(title="Daily digest", alerts=(MATCH, POSSIBLE))


def test_an_email_digest_has_the_possible_section_after_the_matches():
    body = render_digest(DIGEST, now=NOW, zone=LONDON, links=[], reason="")
    text = body.text
    assert text.index("Match") < text.index(ALSO_WORTH_A_LOOK.upper()) < text.index("Maybe")
    assert "8 days left" in text
    assert f">{ALSO_WORTH_A_LOOK}</h2>" in body.html
    assert body.html.index("Match") < body.html.index(ALSO_WORTH_A_LOOK) < body.html.index("Maybe")


def test_an_email_digest_of_matches_only_has_no_possible_section():
    body = render_digest(
        Digest(title="Daily digest", alerts=(MATCH,)), now=NOW, zone=LONDON, links=[], reason=""
    )
    assert ALSO_WORTH_A_LOOK not in body.html and ALSO_WORTH_A_LOOK.upper() not in body.text


def test_a_teams_digest_card_has_the_possible_section_after_the_matches():
    card = json.dumps(teams.render_digest(DIGEST, now=NOW, zone=LONDON))
    assert card.index("Match") < card.index(ALSO_WORTH_A_LOOK) < card.index("Maybe")
    assert "8 days left" in card
