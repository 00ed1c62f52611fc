"""Ingest benchmark: N notices through parse -> map -> store -> events -> rules -> outbox.

For each source, releases are resampled from its real recorded pages (each copy gets a
fresh ocid and release id), written as pages of 100 as the publisher serves them, and
stored into a fresh SQLite file, matched against one subscription to the `small-charities`
rule set, exactly as a poll does. In the same run the floor any ingest must pay is measured
on the same pages: parse each page with the standard library and insert each release as
JSON text, one transaction per page.

Find a Tender is the main source (nearly every opportunity since 24 February 2025);
Contracts Finder's pages are older-regime work, shorter releases, so its floor is lower and
its ratio harder. Both are printed.

Timings are the best of `--rounds` runs (3), floor and ingest alternately, each on a fresh
database with the resampled input already dropped, so neither side pays for the other's
garbage.

With a PostgreSQL server (`--postgres URL`, or $TENDERBOT_TEST_PG_DSN as `scripts/with-postgres`
sets it; the password from PGPASSWORD), the same pages are also ingested into a fresh
PostgreSQL database, beside a PostgreSQL floor (the same parse and one insert per release, one
transaction per page), and both backends' figures are printed with their ratios.

    python bench/ingest.py [N] [--rounds R] [--source find_a_tender|contracts_finder]
        [--postgres URL]
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import random
import resource
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import msgspec
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.throwaway_pg import drop_pg_database, fresh_pg_database  # noqa: E402
from bot.config import parse_config  # noqa: E402
from bot.delivery.outbox import Outbox  # noqa: E402
from bot.delivery.routing import Router  # noqa: E402
from bot.poller import store_page  # noqa: E402
from bot.store import Store  # noqa: E402
from sources.ocds_package import parse_package  # noqa: E402

FIXTURES = ROOT.parent / "shared" / "fixtures"  # recorded pages, read in place
PAGE = 100
CONFIG = (
    '[[channels]]\nname = "console"\nkind = "console"\n'
    '[[subscriptions]]\nchannel = "console"\nrules = ["small-charities"]\n'
)


@dataclass(frozen=True)
class Source:
    """A recorded source to resample: where its pages are and a moment its tenders are open."""

    name: str
    patterns: tuple[str, ...]
    now: datetime


SOURCES = {
    "find_a_tender": Source(
        "find_a_tender",
        ("find_a_tender/day-*/*.json", "find_a_tender/walk-*/*.json"),
        datetime(2026, 8, 10, 9, 0, tzinfo=UTC),
    ),
    "contracts_finder": Source(
        "contracts_finder",
        ("contracts_finder/*.json",),
        datetime(2025, 1, 24, 9, 0, tzinfo=UTC),
    ),
}


def resampled_pages(source: Source, n: int, rng: random.Random) -> tuple[list[bytes], int]:
    """N releases resampled from the source's recorded pages, as pages of 100; and the pool.

    Numbers are kept as the publisher wrote them (``1e9999`` stays a number: the standard
    library would write it back as ``Infinity``, which is not JSON).
    """
    pool = []
    for pattern in source.patterns:
        for path in sorted(FIXTURES.glob(pattern)):
            pool.extend(json.loads(path.read_text(), parse_float=Decimal).get("releases", []))
    if not pool:
        sys.exit(f"bench/ingest.py: no recorded {source.name} pages under {FIXTURES}")
    encoder = msgspec.json.Encoder(decimal_format="number")
    pages = []
    for start in range(0, n, PAGE):
        releases = []
        for i in range(start, min(start + PAGE, n)):
            release = copy.deepcopy(rng.choice(pool))
            release["ocid"] = f"{release['ocid']}-b{i}"
            release["id"] = f"{release['id']}-b{i}"
            releases.append(release)
        pages.append(encoder.encode({"releases": releases}))
    return pages, len(pool)


def floor_seconds(pages: list[bytes], path: Path) -> float:
    """The least any ingest must do: parse each page and insert each release, page by page."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE releases (ocid TEXT, id TEXT, data TEXT, PRIMARY KEY (ocid, id))")
    gc.collect()
    started = time.perf_counter()
    for payload in pages:
        releases = json.loads(payload)["releases"]
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO releases VALUES (?, ?, ?)",
            [(r["ocid"], r["id"], json.dumps(r)) for r in releases],
        )
        db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def pg_floor_seconds(pages: list[bytes], url: str) -> float:
    """The PostgreSQL floor: parse each page and insert each release, page by page."""
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("CREATE TABLE releases (ocid TEXT, id TEXT, data TEXT, PRIMARY KEY (ocid, id))")
        gc.collect()
        started = time.perf_counter()
        for payload in pages:
            releases = json.loads(payload)["releases"]
            with db.transaction(), db.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO releases VALUES (%s, %s, %s)",
                    [(r["ocid"], r["id"], json.dumps(r)) for r in releases],
                )
        return time.perf_counter() - started


def ingest_seconds(
    pages: list[bytes], folder: Path, now: datetime, database: Path | str | None = None
) -> tuple[float, str]:
    """Ingest the pages as a poll does, into a fresh store; the time and what it made."""
    config = parse_config(CONFIG, folder / "bench.toml")
    store = Store(database or folder / "bench.db")
    outbox = Outbox(store)
    router = Router(config)
    events = queued = 0
    gc.collect()
    started = time.perf_counter()
    for payload in pages:
        parsed = parse_package(payload, source="bench")
        page_events, added = store_page(parsed.page.notices, store, outbox, router, now)
        events += len(page_events)
        queued += added
    elapsed = time.perf_counter() - started
    made = f"{store.count_notices():,} stored, {events:,} events, {queued:,} queued"
    store.close()
    return elapsed, made


def run_postgres(source: Source, pages: list[bytes], n: int, rounds: int, server: str) -> float:
    """Measure one source on PostgreSQL and print its figures; the best time."""
    floors, times = [], []
    made = ""
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            url = fresh_pg_database(server)
            try:
                floors.append(pg_floor_seconds(pages, url))
            finally:
                drop_pg_database(server, url)
            url = fresh_pg_database(server)
            try:
                elapsed, made = ingest_seconds(pages, Path(tmp), source.now, url)
            finally:
                drop_pg_database(server, url)
            times.append(elapsed)
    floor, best = min(floors), min(times)
    print(f"PostgreSQL:       {made}")
    print(
        f"  time:           {best:.2f} s (best of {rounds}; all: "
        + ", ".join(f"{t:.2f}" for t in times)
        + ")"
    )
    print(f"  notices/second: {n / best:,.0f}")
    print(
        f"  floor:          {n / floor:,.0f} notices/second (json parse + one PostgreSQL insert "
        "per release, one transaction per page)"
    )
    print(f"  ratio to floor: {floor / best:.2f}")
    return best


def run(source: Source, n: int, rounds: int, postgres: str | None = None) -> None:
    """Measure one source and print its figures (PostgreSQL's too, given a server)."""
    pages, pool = resampled_pages(source, n, random.Random(42))
    gc.collect()
    floors, times = [], []
    made = ""
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            floors.append(floor_seconds(pages, Path(tmp) / "floor.db"))
            elapsed, made = ingest_seconds(pages, Path(tmp), source.now)
            times.append(elapsed)
    floor, best = min(floors), min(times)
    print(f"source:           {source.name} ({pool:,} recorded releases, resampled)")
    print(f"notices:          {n:,} ({made})")
    print(
        f"time:             {best:.2f} s (best of {rounds}; all: "
        + ", ".join(f"{t:.2f}" for t in times)
        + ")"
    )
    print(f"notices/second:   {n / best:,.0f}")
    print(
        f"floor:            {n / floor:,.0f} notices/second (json parse + one SQLite insert "
        "per release, one transaction per page)"
    )
    print(f"ratio to floor:   {floor / best:.2f}")
    if postgres:
        pg_best = run_postgres(source, pages, n, rounds, postgres)
        print(f"PostgreSQL time / SQLite time: {pg_best / best:.2f}")
    print()


def main() -> None:
    """Run the benchmark for each source (or the one asked for)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--source", choices=sorted(SOURCES))
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("TENDERBOT_TEST_PG_DSN") or None,
        help="a PostgreSQL server to measure too (default: $TENDERBOT_TEST_PG_DSN)",
    )
    args = parser.parse_args()
    for name in [args.source] if args.source else list(SOURCES):
        run(SOURCES[name], args.n, args.rounds, args.postgres)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory:      {peak_mib:.0f} MiB (max RSS)")


if __name__ == "__main__":
    main()
