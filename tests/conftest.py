from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.contracts_finder import FakeContractsFinder

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
# Recorded third-party payloads are never copied into the project: they are read where they
# lie, beside the project's root, and the tests that need them skip when they are absent.
SHARED = ROOT.parent / "shared" / "fixtures"
CF_2025 = SHARED / "contracts_finder" / "search_2025-01-20_100.json"
CF_2022 = SHARED / "contracts_finder" / "search_2022-10-19_5.json"
PCS_RELEASE = SHARED / "ocds_regional" / "pcs_release_glasgow_recovery.json"
S2W_RELEASE = SHARED / "ocds_regional" / "s2w_release_lgbtq_evaluation.json"
FAT_DAY = SHARED / "find_a_tender" / "day-2026-08-10"
FAT_PROBES = SHARED / "find_a_tender" / "probes"


def recorded(path: Path) -> Path:
    """A recorded fixture's path; skips the test (or module) when the shared folder is absent."""
    if not path.exists():
        pytest.skip(
            f"recorded fixture {path.relative_to(ROOT.parent)} is absent (../shared/fixtures "
            "is not beside the project)",
            allow_module_level=True,
        )
    return path


def releases(path: Path = CF_2025) -> list[dict[str, Any]]:
    return list(json.loads(recorded(path).read_text())["releases"])


MADE_CF_PAGE = DATA / "made" / "contracts_finder_page.json"


def made_releases() -> list[dict[str, Any]]:
    """100 invented releases in Contracts Finder's shape, written for the tests (always here)."""
    return list(json.loads(MADE_CF_PAGE.read_text())["releases"])


def fat_day_releases() -> list[dict[str, Any]]:
    """Every release of the recorded Find a Tender day, page by page in order."""
    found: list[dict[str, Any]] = []
    for page in sorted(recorded(FAT_DAY).glob("page-*.json")):
        found.extend(json.loads(page.read_text())["releases"])
    return found


class FakeClock:
    """A controllable clock: `sleep` advances time instantly and records the wait."""

    def __init__(self, now: datetime) -> None:
        self.current = now
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.current

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.current += timedelta(seconds=seconds)
        await asyncio.sleep(0)

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    # Shortly after the 2025 fixture was published, so its tenders are still open.
    return FakeClock(datetime(2025, 1, 24, 9, 0, tzinfo=UTC))


@pytest.fixture
def fake_cf() -> Iterator[FakeContractsFinder]:
    with FakeContractsFinder() as fake:
        yield fake


SOURCE_DEFAULTS = {
    "name": '"cf"',
    "kind": '"contracts_finder"',
    "every": '"10m"',
    "since": '"1000d"',
    "retries": "2",
    "backoff": '"1s"',
    "timeout": '"5s"',
}


def write_config(
    directory: Path,
    url: str,
    *,
    source: dict[str, str] | None = None,
    extra: str = "",
    subscriptions: str = '[[subscriptions]]\nchannel = "console"\nrules = []\nremind_days = 0\n',
) -> Path:
    """Write a config for one Contracts Finder source at `url`; `source` overrides keys
    (values are TOML literals)."""
    keys = {**SOURCE_DEFAULTS, "url": f'"{url}"', **(source or {})}
    source_toml = "\n".join(f"{k} = {v}" for k, v in keys.items())
    path = directory / "tenderbot.toml"
    path.write_text(
        f"""
[bot]
database = "bot.db"
timezone = "Europe/London"

[[sources]]
{source_toml}

[[channels]]
name = "console"
kind = "console"

{subscriptions}
{extra}
""",
        encoding="utf-8",
    )
    return path


PG_DSN = os.environ.get("TENDERBOT_TEST_PG_DSN", "")
"""A PostgreSQL server for the tests (scripts/check starts a throwaway one and sets it)."""
NO_PG = "TENDERBOT_TEST_PG_DSN is not set (scripts/check and scripts/with-postgres set it)"
BACKENDS = (
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.skipif(not PG_DSN, reason=NO_PG)),
)


def fresh_pg_database() -> str:
    """A new, empty PostgreSQL database on the test server; its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(PG_DSN, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    base, _, _ = PG_DSN.rpartition("/")
    return f"{base}/{name}"


def drop_pg_database(url: str) -> None:
    """Drop a database `fresh_pg_database` made (its sessions are ended first)."""
    import psycopg

    name = url.rpartition("/")[2]
    with psycopg.connect(PG_DSN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path | str]:
    """Where a store lives, once per backend: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield tmp_path / "t.db"
        return
    url = fresh_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)
