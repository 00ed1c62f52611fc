"""`tenderbot rules ...` end to end, and rule sets at work in `tenderbot poll`."""

from __future__ import annotations

import io
import json
import os
import re
import shutil

import pytest

from bot.cli import main
from bot.store import Store
from rules.library import shipped_paths
from tests.conftest import CF_2025, recorded, releases, write_config


def run(*argv, clock=None):
    out = io.StringIO()
    code = main(list(argv), stdout=out, clock=clock)
    return code, out.getvalue()


def test_every_shipped_set_loads_and_passes_its_examples():
    assert len(shipped_paths()) >= 1 + 6 + 12
    code, out = run("rules", "test")
    assert code == 0, out
    assert re.search(r"^(\d+) passed, 0 failed$", out, re.M)
    for name in shipped_paths():
        assert f"{name}: " in out
        assert not re.search(rf"^{name}: 0 of", out, re.M)


def test_rules_check_accepts_shipped_files_and_rejects_broken_ones(tmp_path):
    code, out = run("rules", "check", *map(str, shipped_paths().values()))
    assert code == 0 and out.count(": ok: ") == len(shipped_paths())
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\ntitle = "Bad"\n\n[require]\nplace = ["Atlantis"]\n')
    code, out = run("rules", "check", str(bad))
    assert code == 2
    assert out.startswith(f"{bad}:5: require.place[0]: unknown place 'Atlantis'")


def test_rules_test_reports_a_failing_example_with_its_line(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(
        'name = "mine"\ntitle = "Mine"\n[require]\ncpv = ["85"]\n\n'
        '[[examples]]\nexpect = "match"\ntitle = "Parks"\ncpv = ["77310000"]\n'
    )
    code, out = run("rules", "test", str(path))
    assert code == 1
    assert (
        f"FAIL {path}:6: example 1 (Parks): expected match; "
        "requirement not met: CPV code starting 85" in out
    )
    assert out.rstrip().endswith("0 passed, 1 failed")


def test_preview_small_charities_on_the_real_2025_page():
    code, out = run(
        "rules", "preview", "small-charities", "--from", str(recorded(CF_2025)), "--format", "json"
    )
    assert code == 0
    rows = json.loads(out)
    by_title = {r["title"]: r for r in rows}
    dudley = by_title["Domestic Abuse Support Services - Children"]
    assert dudley["id"] == "ocds-b5fd17-a5e45aec-2d31-48df-97dc-e6dff1d22609"
    assert dudley["score"] > 0 and "value £48,000–£60,000 ≤ £400,000" in dudley["reasons"]
    assert any(r.startswith("CPV 85000000") for r in dudley["reasons"])
    assert "Domestic Abuse Support Services - Adults" in by_title
    titles = " ".join(by_title)
    assert "Provision for Children looked after" not in titles  # £118m
    assert "Works" not in titles and "Retrofit" not in titles and "Window" not in titles
    for row in rows:
        assert {"source", "id", "title", "score", "reasons"} <= set(row)
        assert isinstance(row["reasons"], list) and row["reasons"]


def test_preview_reads_json_lines_and_csv_and_judges_time_as_of(tmp_path):
    lines = tmp_path / "releases.jsonl"
    lines.write_text("\n".join(json.dumps(r) for r in releases()) + "\n")
    code, out = run("rules", "preview", "small-charities", "--from", str(lines), "--format", "csv")
    assert code == 0 and out.startswith(
        "source,id,title,buyer,value,deadline,stage,url,value_low,value_high,value_per_year,score,"
    )
    assert "Domestic Abuse Support Services - Children" in out
    # Judged a month later, the deadlines have passed and nothing is left to bid for.
    code, out = run(
        "rules", "preview", "small-charities", "--from", str(lines), "--as-of", "2025-03-01"
    )
    assert code == 0 and out.strip().endswith("0 matching notice(s)")


def test_preview_from_the_store_with_since(tmp_path, fake_cf, clock):
    fake_cf.pages = [releases()]
    config = write_config(tmp_path, fake_cf.url)
    assert main(["poll", "--config", str(config)], clock=clock, stdout=io.StringIO()) == 0
    code, out = run(
        "rules",
        "preview",
        "domestic-abuse-and-victim-support",
        "west-midlands",
        "--config",
        str(config),
        "--since",
        "2025-01-01",
        "--format",
        "json",
        clock=clock,
    )
    assert code == 0
    assert {r["title"] for r in json.loads(out)} == {
        "Domestic Abuse Support Services - Children",
        "Domestic Abuse Support Services - Adults",
    }


def test_rules_list_shows_shipped_and_configured_sets(tmp_path):
    own = tmp_path / "own.toml"
    shutil.copy(shipped_paths()["north-east"], own)
    config = write_config(
        tmp_path,
        "http://127.0.0.1:9",
        subscriptions=(
            '[[subscriptions]]\nchannel = "console"\nrules = ["small-charities", "own.toml"]\n'
        ),
    )
    code, out = run("rules", "list", "--config", str(config))
    assert code == 0
    assert re.search(r"^small-charities\s+topic\s+shipped\s+Small charities", out, re.M)
    assert re.search(r"^own\.toml\s+filter\s+configured\s+North East", out, re.M)


SUBSCRIBE = '[[subscriptions]]\nchannel = "console"\nrules = ["{0}"]\n'


def test_poll_alerts_only_matching_notices_with_their_reasons(tmp_path, fake_cf, clock):
    fake_cf.pages = [releases()]
    config = write_config(tmp_path, fake_cf.url, subscriptions=SUBSCRIBE.format("small-charities"))
    code, out = run("poll", "--config", str(config), clock=clock)
    assert code == 0
    titles = re.findall(r"== NEW: (.*)", out)
    assert "Domestic Abuse Support Services - Children" in titles
    assert "Provision for Children looked after" not in " ".join(titles)
    assert len(titles) < 10
    assert "   Why:      value £48,000–£60,000 ≤ £400,000; " in out


def test_an_unknown_rule_set_is_a_clear_start_up_error(tmp_path, capsys, clock):
    config = write_config(
        tmp_path, "http://127.0.0.1:9", subscriptions=SUBSCRIBE.format("small-charity")
    )
    assert main(["poll", "--config", str(config)], clock=clock) == 2
    assert "no rule set named 'small-charity'" in capsys.readouterr().err


def test_edited_rule_file_is_reloaded_and_a_broken_edit_keeps_the_old_rules(
    tmp_path, fake_cf, clock, caplog
):
    from bot.config import load_config
    from bot.delivery.routing import Router
    from bot.events import Event
    from sources.ocds import map_releases

    rules_file = tmp_path / "mine.toml"
    rules_file.write_text(
        'name = "mine"\ntitle = "Mine"\n[[score]]\nkeywords = ["domestic abuse"]\n'
    )
    config = load_config(
        write_config(tmp_path, fake_cf.url, subscriptions=SUBSCRIBE.format("mine.toml"))
    )
    router = Router(config)
    notices = {n.title: n for n in map_releases(releases(), source="cf").notices}
    abuse = Event(
        id=1,
        kind="new",
        notice=notices["Domestic Abuse Support Services - Adults"],
        previous_release_id=None,
        created_at=clock.now(),
    )
    parks = Event(
        id=2,
        kind="new",
        notice=notices["Linking Levisham Grazing Assessment"],
        previous_release_id=None,
        created_at=clock.now(),
    )
    assert router.route(abuse, clock.now()) and not router.route(parks, clock.now())

    rules_file.write_text('name = "mine"\ntitle = "Mine"\n[[score]]\nkeywords = ["grazing"]\n')
    os.utime(rules_file, ns=(1, 2_000_000_000_000_000_000))
    router.refresh()
    assert router.route(parks, clock.now()) and not router.route(abuse, clock.now())

    rules_file.write_text('name = "mine"\ntitle = "Mine"\n[[score]]\nkeywords = ["grazing"\n')
    os.utime(rules_file, ns=(1, 3_000_000_000_000_000_000))
    router.refresh()
    assert router.route(parks, clock.now()), "the previous rules stay in force"
    assert (
        "rule set mine.toml refused, previous version stays in force: "
        f"{rules_file}:4: not valid TOML" in caplog.text
    )
    assert router.library.errors["mine.toml"].startswith(str(rules_file))


@pytest.mark.parametrize("bad", ['regions = ["Atlantis"]', "max_value = -5"])
def test_bad_subscription_narrowing_is_a_config_error(tmp_path, capsys, clock, bad):
    subs = '[[subscriptions]]\nchannel = "console"\nrules = ["small-charities"]\n' + bad + "\n"
    config = write_config(tmp_path, "http://127.0.0.1:9", subscriptions=subs)
    assert main(["poll", "--config", str(config)], clock=clock) == 2
    assert f"{config}: subscriptions[0]" in capsys.readouterr().err


def test_status_shows_rule_sets_and_a_broken_file(tmp_path, clock):
    own = tmp_path / "own.toml"
    own.write_text('name = "own"\ntitle = "Own"\n[require]\nplace = ["Atlantis"]\n')
    subs = '[[subscriptions]]\nchannel = "console"\nrules = ["small-charities", "own.toml"]\n'
    config = write_config(tmp_path, "http://127.0.0.1:9", subscriptions=subs)
    Store(tmp_path / "bot.db").close()
    code, out = run("status", "--config", str(config), clock=clock)
    assert code == 1  # a refused rule set needs a person
    assert "small-charities: ok (Small charities" in out
    assert "own.toml: ERROR, refused" in out
    assert f"{own}:4: require.place[0]: unknown place 'Atlantis'" in out
