"""Which contracts are of a subscription's kind: its rule sets judge a prospective notice.

The prospective notice is the tender the contract would become if let again today: its
title, buyer, places, codes, value and contract period (so value a year is judged as for
any notice), in the ``tender`` stage and with no deadline, so that a rule set's stage and
deadline requirements do not apply. Only the `match` tier counts: a radar item is already a
forecast, and a "worth a look" judgement of a notice that has only a title, codes and a
value (no description) would fill the section with contracts of other kinds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.radar.contracts import ContractRecord
from rules.ruleset import MATCH, Match, RuleSet
from sources.notice import Notice

LIGHT_TOUCH = "lightTouch"


def prospective_notice(record: ContractRecord, as_of: datetime) -> Notice:
    """The notice a re-tender of the contract would be, for the rule sets to judge."""
    main = record.cpv[0] if record.cpv else None
    return Notice(
        source=record.source,
        id=record.ocid,
        release_id=f"radar:{record.key}",
        stage="tender",
        title=record.title,
        description=" ".join(filter(None, (record.renewal, record.options))),
        buyer=record.buyer,
        regions=record.regions,
        value_low=record.value,
        value_high=record.value,
        currency="GBP" if record.value is not None else None,
        cpv_main=main,
        cpv_additional=record.cpv[1:],
        published=as_of,
        release_date=as_of,
        url=record.url,
        special_regimes=(LIGHT_TOUCH,) if record.light_touch else (),
        contract_start=record.start,
        contract_end=record.initial_end or record.end,
        max_end=record.max_end,
    )


Judge = Callable[[ContractRecord], Match | None]


def judge_with(rule_sets: list[RuleSet], as_of: datetime) -> Judge:
    """A judge that takes a contract when any of `rule_sets` matches its prospective notice.

    A `possible` judgement does not take it (see the module's text).
    """

    def judge(record: ContractRecord) -> Match | None:
        notice = prospective_notice(record, as_of)
        for rule_set in rule_sets:
            found = rule_set.evaluate(notice, as_of)
            if found is not None and found.tier == MATCH:
                return found
        return None

    return judge
