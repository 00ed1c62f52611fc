from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from rules.context import Context
from rules.errors import RuleFileError
from rules.loader import parse_rule_set
from rules.matcher import MatchPlan, Narrowing
from rules.places import itl_code, postcode_area, region_codes
from rules.text import TextIndex, parse_keyword
from sources.notice import Notice

NOW = datetime(2025, 1, 24, 9, 0, tzinfo=UTC)
NOTICE = Notice(
    source="cf",
    id="ocds-1",
    release_id="r1",
    stage="tender",
    title="Domestic Abuse Support Services - Children",
    description="A therapeutic, trauma-informed service for children and young people.",
    buyer="Dudley Metropolitan Borough Council",
    regions=("West Midlands",),
    postcodes=("DY1 1HF",),
    value_low=Decimal("48000"),
    value_high=Decimal("60000"),
    currency="GBP",
    cpv_main="85000000",
    cpv_additional=("85310000",),
    release_date=NOW,
    deadline=NOW + timedelta(days=21),
    suitable_vcse=True,
    suitable_sme=True,
)


def rule_set(body: str, name: str = "t"):
    return parse_rule_set(f'name = "{name}"\ntitle = "T"\n' + body, "t.toml", Path("."))


def verdict(body: str, notice: Notice = NOTICE, now: datetime = NOW):
    return rule_set(body).evaluate(notice, now)


def test_keywords_word_boundaries_prefixes_and_phrases():
    index = TextIndex("Counselling for Domestic-Abuse survivors; children's services")
    assert index.contains(parse_keyword("counsel*"))
    assert not index.contains(parse_keyword("counsel"))
    assert index.contains(parse_keyword("domestic abuse"))
    assert index.contains(parse_keyword("DOMESTIC ABUSE"))
    assert index.contains(parse_keyword("children's"))
    assert not index.contains(parse_keyword("abuse survivor"))
    assert index.contains(parse_keyword("abuse surviv*"))
    assert not index.contains(parse_keyword("art"))  # not inside "domestic" or "services"


def test_places_codes_and_postcode_areas():
    assert itl_code("UKM82") == "UKM82" and itl_code("TLC") == "UKC" and itl_code("North") is None
    assert region_codes("Yorkshire and the Humber") == ("UKE",)
    assert len(region_codes("England")) == 9
    assert postcode_area("NE1 4ST") == "NE" and postcode_area("B152TT") == "B"


def test_the_issue_reasons_read_as_promised():
    match = verdict(
        """
[require]
value = { at_most = 100000, missing = "fail" }
place = ["West Midlands"]
[[score]]
cpv = ["85"]
[[score]]
vcse = true
[[score]]
keywords = ["domestic abuse", "support"]
"""
    )
    assert match is not None and match.score == 3
    assert match.reasons == (
        "value £48,000–£60,000 ≤ £100,000",
        "region West Midlands",
        "CPV 85000000 Health and social work services",
        "marked suitable for VCSE",
        'keywords: "domestic abuse", "support"',
    )


@pytest.mark.parametrize(
    ("places", "notice_regions", "postcodes", "expected"),
    [
        (["North East"], ("North East",), (), "region North East"),
        (["NE", "DH"], (), ("DH1 3LE",), "postcode area DH"),
        (["North East"], (), ("SR1 1AA",), "postcode area SR in North East"),
        (["UKC"], ("England",), (), "covers all of England"),
        (["NE"], ("England",), (), "covers all of England"),
        (["UKM82"], ("UKM",), (), "covers all of Scotland"),
        (["Scotland"], ("UKM82",), (), "region Scotland (UKM82)"),
        (["Scotland"], ("England",), (), None),
        (["Wales"], ("UKL",), (), "region Wales"),
        (["North East"], ("West Midlands",), ("DY1 1HF",), None),
    ],
)
def test_place_matching(places, notice_regions, postcodes, expected):
    notice = dataclasses.replace(NOTICE, regions=notice_regions, postcodes=postcodes)
    match = verdict(f"[require]\nplace = {places!r}\n".replace("'", '"'), notice)
    assert (match.reasons[0] if match else None) == expected


def test_wide_notices_can_be_refused_and_missing_places_chosen():
    england = dataclasses.replace(NOTICE, regions=("England",), postcodes=())
    assert verdict('[require]\nplace = { any = ["North East"], wide = false }\n', england) is None
    nowhere = dataclasses.replace(NOTICE, regions=(), postcodes=(), buyer_postcode=None)
    assert verdict('[require]\nplace = { any = ["NE"], missing = "fail" }\n', nowhere) is None
    assert verdict('[require]\nplace = { any = ["NE"], missing = "pass" }\n', nowhere)
    by_buyer = dataclasses.replace(nowhere, buyer_postcode="NE1 4ST")
    match = verdict('[require]\nplace = ["North East"]\n', by_buyer)
    assert match.reasons == ("buyer's postcode area NE in North East",)


def test_value_missing_is_an_explicit_choice():
    no_value = dataclasses.replace(NOTICE, value_low=None, value_high=None)
    assert verdict('[require]\nvalue = { at_most = 1, missing = "pass" }\n', no_value)
    assert verdict('[require]\nvalue = { at_most = 1, missing = "fail" }\n', no_value) is None
    assert verdict('[require]\nvalue = { at_least = 100000, missing = "pass" }\n') is None


def test_deadline_days_left_at_alert_time():
    body = '[require]\ndeadline = { days_left_at_least = 10, missing = "fail" }\n'
    assert verdict(body, now=NOW)
    assert verdict(body, now=NOW + timedelta(days=12)) is None
    no_deadline = dataclasses.replace(NOTICE, deadline=None)
    assert verdict(body, no_deadline) is None


def test_all_any_not_to_any_depth_and_cpv_levels():
    body = """
[require]
any = [
  { all = [ { cpv = ["853"] }, { not = { stage = ["award"] } } ] },
  { keywords = { all = ["nothing", "here"] } },
]
"""
    assert verdict(body)
    assert verdict(body, dataclasses.replace(NOTICE, stage="award")) is None
    assert verdict('[require]\ncpv = { any = ["853"], main_only = true }\n') is None


def test_exclude_is_one_line_and_score_needs_the_threshold():
    assert verdict('[exclude]\ncpv = ["45"]\n[[score]]\ncpv = ["85"]\n')
    assert verdict('[exclude]\nkeywords = ["children"]\n[[score]]\ncpv = ["85"]\n') is None
    body = (
        'threshold = 4\n[[score]]\nweight = 3\ncpv = ["85"]\n[[score]]\nweight = 2\nsme = false\n'
    )
    assert verdict(body) is None
    assert verdict(body.replace("sme = false", "sme = true")).score == 5


def test_regular_expressions_use_re2_and_cannot_stall():
    body = '[require]\npattern = "(a+)+$"\n'
    hostile = dataclasses.replace(NOTICE, title="a" * 100_000 + "!")
    started = time.perf_counter()
    assert verdict(body, hostile) is None
    assert time.perf_counter() - started < 1.0
    match = verdict(
        '[require]\npattern = { pattern = "dudley\\\\s+metropolitan", fields = ["buyer"] }\n'
    )
    assert match.reasons == (
        'pattern /dudley\\s+metropolitan/ found "Dudley Metropolitan" in buyer',
    )


def errors(text: str) -> str:
    with pytest.raises(RuleFileError) as caught:
        parse_rule_set(text, "bad.toml", Path("."))
    return str(caught.value)


def test_loading_errors_name_file_line_and_problem():
    head = 'name = "x"\ntitle = "X"\n'
    assert errors(head + '[require]\nplace = ["Nort East"]\n').startswith(
        "bad.toml:4: require.place[0]: unknown place 'Nort East'"
    )
    assert errors(head + "colour = 1\n").startswith("bad.toml:3: colour: unknown key")
    assert errors(head + '[require]\ncpv = ["85x"]\n').startswith(
        "bad.toml:4: require.cpv[0]: malformed CPV code '85x'"
    )
    assert errors(head + '[require]\npattern = "(a"\n').startswith(
        "bad.toml:4: require.pattern: bad regular expression: missing ): (a"
    )
    assert "limit is 300" in errors(head + f'[require]\npattern = "{"a" * 301}"\n')
    assert errors(
        head + '\n[[score]]\ncpv = ["85"]\n\n[[score]]\nweight = "heavy"\ncpv = ["85"]\n'
    ).startswith("bad.toml:8: score[1].weight: expected a number, got a string")
    assert errors(head + "[require]\nvalue = { at_most = 5 }\n").startswith(
        "bad.toml:4: require.value: say what a notice with no value does"
    )
    assert errors(head + '[require]\nstage = ["tendr"]\n').startswith(
        "bad.toml:4: require.stage[0]: unknown stage 'tendr'"
    )
    assert errors(head + "[require]\nshape = 1\n").startswith(
        "bad.toml:4: require.shape: unknown condition"
    )
    assert errors(head + "[require\n").startswith("bad.toml:3: not valid TOML")
    assert errors('title = "X"\n[require]\nvcse = true\n').startswith(
        "bad.toml: name: expected a non-empty string"
    )
    assert errors(head + "vcse = 1\n").startswith("bad.toml:3: vcse: unknown key")
    assert errors(
        head + '[require]\nvcse = true\n[[examples]]\nexpect = "maybe"\ntitle = "t"\n'
    ).startswith("bad.toml:6: examples[0].expect")


class OneSubscription:
    def __init__(self, refs, sets, narrowing):
        self.plan = MatchPlan([(refs, narrowing)], sets.__getitem__)

    def match(self, ctx):
        found = self.plan.match(ctx)
        return found[0][1] if found else None


def matcher(refs, sets, **narrowing):
    return OneSubscription(refs, sets, Narrowing(**narrowing))


def test_subscriptions_combine_topics_any_and_filters_all_and_narrow():
    sets = {
        "abuse": rule_set('[[score]]\nkeywords = ["domestic abuse"]\n', "abuse"),
        "parks": rule_set('[[score]]\nkeywords = ["parks"]\n', "parks"),
        "wm": rule_set('role = "filter"\n[require]\nplace = ["West Midlands"]\n', "wm"),
        "ne": rule_set('role = "filter"\n[require]\nplace = ["North East"]\n', "ne"),
    }
    ctx = Context(NOTICE, NOW)
    assert matcher(["parks", "abuse", "wm"], sets).match(ctx).reasons == (
        'keywords: "domestic abuse"',
        "region West Midlands",
    )
    assert matcher(["abuse", "ne"], sets).match(ctx) is None
    assert matcher(["parks"], sets).match(ctx) is None
    # A filter on its own passes open notices only.
    assert matcher(["wm"], sets).match(ctx).reasons[0] == "open notice: open for bids"
    assert (
        matcher(["wm"], sets).match(Context(dataclasses.replace(NOTICE, stage="award"), NOW))
        is None
    )
    assert matcher(["abuse"], sets, max_value=Decimal("50000")).match(ctx) is None
    assert matcher(["abuse"], sets, regions=("North East",)).match(ctx) is None
    assert matcher(["abuse"], sets, keywords=("therapeutic",)).match(ctx)
    assert matcher(["abuse"], sets, exclude_keywords=("children",)).match(ctx) is None
    with pytest.raises(ValueError, match="regions\\[0\\]: unknown place 'Atlantis'"):
        matcher(["abuse"], sets, regions=("Atlantis",))
