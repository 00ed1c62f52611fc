"""`tenderbot import --source NAME`: a configured source or `import`, and one summary line."""

from __future__ import annotations

import io
import logging

from bot.cli import main
from bot.store import Store
from tests.conftest import DATA, write_config

MADE = DATA / "made" / "find_a_tender_package.json"
FAT = 'name = "fat"\nkind = "find_a_tender"\nurl = "http://127.0.0.1:9"\n'


def configured(tmp_path):
    return write_config(tmp_path, "http://127.0.0.1:9", extra=f"[[sources]]\n{FAT}")


def imported(config, *options):
    out = io.StringIO()
    code = main(["import", str(MADE), "--config", str(config), *options], stdout=out)
    return code, out.getvalue()


def stored(config):
    store = Store(config.parent / "bot.db")
    try:
        return store.count_notices()
    finally:
        store.close()


def test_a_mistyped_source_is_refused_with_the_closest_name(tmp_path, capsys):
    config = configured(tmp_path)
    assert imported(config, "--source", "fta") == (2, "")
    assert capsys.readouterr().err == (
        f"tenderbot: {config}: --source: no source named 'fta' (did you mean 'fat'?)\n"
    )
    assert not (tmp_path / "bot.db").exists()  # refused before anything was opened


def test_a_source_nothing_resembles_is_refused_with_the_known_names(tmp_path, capsys):
    config = configured(tmp_path)
    assert imported(config, "--source", "archive-2024")[0] == 2
    assert capsys.readouterr().err == (
        f"tenderbot: {config}: --source: no source named 'archive-2024' "
        "(sources: import, cf, fat)\n"
    )


def test_a_configured_source_and_the_default_name_are_taken(tmp_path):
    config = configured(tmp_path)
    code, out = imported(config)
    assert code == 0, out
    code, out = imported(config, "--source", "fat")
    assert code == 0, out
    assert stored(config) > 0


def test_notices_seen_under_another_source_are_one_summary_line(tmp_path, caplog):
    config = configured(tmp_path)
    assert imported(config)[0] == 0
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        assert imported(config, "--source", "fat", "-v")[0] == 0  # -v: debug too
    count = stored(config) // 2
    assert count > 1
    info = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert [m for m in info if "same tender" in m] == [
        f"fat: {count} notice(s) are the same tender as one stored from another source; not "
        "alerted again (-v names each)"
    ]
    detail = [r for r in caplog.records if "is the same tender as import" in r.getMessage()]
    assert len(detail) >= count and {r.levelno for r in detail} == {logging.DEBUG}
