"""Commands load only what they use: `--help` and `status` never load the heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.store import Store
from tests.conftest import ROOT

HEAVY = (
    "asyncio",
    "slack_sdk",
    "telegram",
    "httpx",
    "bs4",
    "feedparser",
    "matplotlib",
    "jinja2",
    "prometheus_client",
    "bot.rules_cli",
    "bot.report.command",
)

PROBE = """
import json, sys
from bot.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps([code, sorted(m for m in {heavy!r} if m in sys.modules)]), file=sys.stderr)
"""


def _loaded(args: list[str]) -> list[str]:
    """The heavy modules a command loaded; it must have succeeded."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    code, loaded = json.loads(done.stderr.strip().splitlines()[-1])
    assert code == 0, done.stdout + done.stderr
    return list(loaded)


@pytest.mark.parametrize("command", [["--help"], ["status"]], ids=["help", "status"])
def test_light_commands_do_not_load_heavy_libraries(command: list[str], tmp_path: Path) -> None:
    Store(tmp_path / "t.db").close()  # status reads a store; it never creates one
    config = tmp_path / "tenderbot.toml"
    config.write_text(
        f'[bot]\ndatabase = "{tmp_path / "t.db"}"\n'
        '[[channels]]\nname = "console"\nkind = "console"\n'
    )
    assert _loaded([*command, "--config", str(config)] if command == ["status"] else command) == []


def test_the_probe_sees_a_heavy_command_load_them() -> None:
    assert "bot.rules_cli" in _loaded(["rules", "list"])


def test_init_loads_nothing_heavy(tmp_path: Path) -> None:
    assert _loaded(["init", str(tmp_path / "new.toml")]) == []
    assert (tmp_path / "new.toml").is_file()
