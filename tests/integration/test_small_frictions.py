"""The small frictions a newcomer met: each said plainly, counted right, or accepted."""

from __future__ import annotations

import copy
import io
import json
import logging
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.cli import main
from bot.config import ConfigError, parse_config
from bot.daemon import SkippedRunWording
from bot.store import Store
from tests.conftest import DATA, FakeClock, fat_day_releases, made_releases, write_config
from tests.fakes.find_a_tender import serve_find_a_tender
from tests.fakes.publishers import FakePublisher

MADE = DATA / "made" / "find_a_tender_package.json"
MADE_RELEASES = json.loads(MADE.read_text())["releases"]


def cli(*argv, clock=None):
    out = io.StringIO()
    code = main([str(a) for a in argv], stdout=out, clock=clock)
    return code, out.getvalue()


def test_the_retry_message_states_the_real_wait(tmp_path, fake_cf, clock, caplog):
    fake_cf.pages = [made_releases()[:10]]
    fake_cf.fail(0, "500")
    source = {"retries": "1", "backoff": '"2s"', "min_gap": '"13s"'}
    code, _ = cli(
        "poll", "--config", write_config(tmp_path, fake_cf.url, source=source), clock=clock
    )
    assert code == 0
    said = re.search(r"retry 1 of 1 in (\d+)s", caplog.text)
    assert said is not None, caplog.text
    waited = sum(clock.sleeps[:2])  # the backoff, then the rest of the politeness gap
    assert int(said.group(1)) == round(waited) == 13
    assert "the gap between requests to this publisher" in caplog.text


def test_a_skipped_scheduled_run_is_said_in_tenderbots_words(caplog):
    class Job:
        name = "poll find-a-tender"

    logger = logging.getLogger("tests.scheduler")
    logger.addFilter(SkippedRunWording())
    with caplog.at_level(logging.WARNING, logger="tests.scheduler"):
        # Exactly as APScheduler 3 logs it.
        logger.warning(
            'Execution of job "%s" skipped: maximum number of running instances reached (%d)',
            Job(),
            1,
        )
    assert "maximum number of running instances" not in caplog.text
    assert "poll find-a-tender: the previous run is still going" in caplog.text


def test_the_poll_summary_counts_distinct_releases(tmp_path, caplog):
    clock = FakeClock(datetime(2026, 8, 10, 23, 30, tzinfo=UTC))
    day = fat_day_releases()
    with FakePublisher(clock) as web:
        serve_find_a_tender(web, day)
        source = (
            f'[[sources]]\nname = "fat"\nkind = "find_a_tender"\nurl = "{web.url}"\n'
            'since = "2d"\nretries = 1\n'
        )
        config = write_config(tmp_path, web.url + "/nothing", extra=source)
        config.write_text(config.read_text().replace('name = "cf"', 'name = "cf"\nenabled = false'))
        with caplog.at_level(logging.INFO):
            code, _ = cli("poll", "--config", config, clock=clock)
    assert code == 0
    summary = re.search(r"fat: (\d+) page\(s\), (\d+) notice\(s\): (\d+) new", caplog.text)
    assert summary is not None
    pages, releases, new = map(int, summary.groups())
    assert pages > 5  # the windows were split, so some releases were read twice
    assert releases == len({r["id"] for r in day})  # each release once, however often read
    assert new == len({r["ocid"] for r in day})


def test_feedback_on_an_unknown_rule_set_is_a_usage_error(tmp_path, capsys):
    config = write_config(tmp_path, "http://127.0.0.1:9")
    Store(tmp_path / "bot.db").close()
    code, _ = cli("rules", "feedback", "nonexistent-set", "--config", config)
    assert code == 2
    assert "no rule set named 'nonexistent-set'" in capsys.readouterr().err
    code, out = cli("rules", "feedback", "small-charities", "--config", config)
    assert code == 0 and out


def test_the_preview_table_never_cuts_no_deadline(tmp_path):
    release = copy.deepcopy(next(r for r in MADE_RELEASES if r["ocid"] == "ocds-h6vhtk-0a0002"))
    del release["tender"]["expressionOfInterestDeadline"]
    package = tmp_path / "package.json"
    package.write_text(json.dumps({"releases": [release]}))
    code, out = cli("rules", "preview", "small-charities", "--from", package)
    assert code == 0
    assert "1 matching notice(s)" in out
    assert re.search(r"^\s+[\d.]+  match     no deadline  Community Wellbeing", out, re.M), out


def test_near_misses_never_list_awards():
    awards = {r["ocid"] for r in MADE_RELEASES if r["tag"][0] in ("award", "contract")}

    def near_misses(rule_set):
        code, out = cli("rules", "preview", rule_set, "--from", MADE, "--near-misses")
        assert code == 0
        return set(re.findall(r"^(ocds-\S+)  ", out, re.M))

    # The award of a carers' service nearly matched small-charities: it is no opportunity.
    assert not near_misses("small-charities") & awards
    assert near_misses("advice-and-advocacy") == {"ocds-h6vhtk-0a0001", "ocds-h6vhtk-0a0003"}


def _subscription(max_value: str) -> str:
    return (
        '[[channels]]\nname = "console"\nkind = "console"\n'
        f'[[subscriptions]]\nchannel = "console"\nmax_value = {max_value}\n'
    )


@pytest.mark.parametrize(
    ("written", "amount"),
    [('"100k"', 100_000), ('"£50,000"', 50_000), ('"1.5m"', 1_500_000), ("250000", 250_000)],
)
def test_max_value_in_the_config_is_read_as_chat_reads_it(tmp_path, written, amount):
    config = parse_config(_subscription(written), tmp_path / "t.toml")
    assert config.subscriptions[0].max_value == Decimal(amount)


def test_a_bad_max_value_in_the_config_names_the_key(tmp_path):
    with pytest.raises(
        ConfigError, match=r"subscriptions\[0\]\.max_value: '100x' is not an amount"
    ):
        parse_config(_subscription('"100x"'), tmp_path / "t.toml")


def test_a_find_a_tender_page_size_above_its_limit_is_refused(tmp_path):
    source = '[[sources]]\nname = "fat"\nkind = "find_a_tender"\npage_size = {}\n'
    with pytest.raises(
        ConfigError, match=r"sources\[0\] \(fat\)\.page_size: at most 100 .* got 500"
    ):
        parse_config(source.format(500), tmp_path / "t.toml")
    assert (
        parse_config(source.format(100), tmp_path / "t.toml").sources[0].settings.page_size == 100
    )
