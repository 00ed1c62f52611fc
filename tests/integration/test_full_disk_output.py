"""Output that cannot be written (a full disk behind ``> file``): one line, exit code 1."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.store import Store
from tests.conftest import DATA, ROOT, write_config

MADE = DATA / "made" / "find_a_tender_package.json"
FULL = Path("/dev/full")


@pytest.fixture
def config(tmp_path):
    path = write_config(tmp_path, "http://127.0.0.1:9")
    Store(tmp_path / "bot.db").close()
    return path


@pytest.mark.skipif(not FULL.exists(), reason="/dev/full (a device that is always full) is absent")
@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["status", "--format", "json"],
        ["rules", "list"],
        ["rules", "preview", "small-charities", "--from", str(MADE)],
        ["rules", "preview", "small-charities", "--from", str(MADE), "--format", "json"],
        ["report", "--from", str(MADE), "--format", "csv"],
    ],
    ids=["status", "status-json", "rules-list", "preview", "preview-json", "report"],
)
def test_a_full_disk_is_one_line_and_exit_code_1(command, config, tmp_path):
    with FULL.open("w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "bot", *command, "--config", str(config)],
            stdout=full,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            text=True,
            timeout=120,
        )
    assert done.stderr == "tenderbot: cannot write output: No space left on device\n"
    assert done.returncode == 1


class FullStream(io.StringIO):
    """A stream that refuses every write, as a full disk does."""

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_the_entry_point_catches_it_for_a_stream_it_is_given(config, capsys):
    assert main(["rules", "list", "--config", str(config)], stdout=FullStream()) == 1
    assert capsys.readouterr().err == "tenderbot: cannot write output: No space left on device\n"
