"""Ingest benchmark: N notices through map -> store -> events -> rules -> outbox.

Releases are resampled from the real recorded Contracts Finder pages (each copy gets a fresh
ocid and release id), written in pages of 100 as the poller does, into a fresh SQLite file,
and matched against one subscription to the `small-charities` rule set.

    python bench/ingest.py [N]        # default 20,000
"""

from __future__ import annotations

import copy
import json
import random
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import parse_config  # noqa: E402
from bot.outbox import Outbox  # noqa: E402
from bot.poller import store_page  # noqa: E402
from bot.routing import Router  # noqa: E402
from bot.store import Store  # noqa: E402
from sources.ocds_package import parse_package  # noqa: E402

DATA = ROOT.parent / "shared" / "fixtures" / "contracts_finder"  # recorded pages, read in place
PAGE = 100


def resampled_releases(n: int, rng: random.Random) -> list[dict[str, object]]:
    pool = []
    for path in sorted(DATA.glob("*.json")):
        pool.extend(json.loads(path.read_text())["releases"])
    out = []
    for i in range(n):
        release = copy.deepcopy(rng.choice(pool))
        release["ocid"] = f"{release['ocid']}-b{i}"
        release["id"] = f"{release['id']}-b{i}"
        out.append(release)
    return out


def floor_seconds(pages: list[bytes], path: Path) -> float:
    """The least any ingest must do: parse each page and insert each release, page by page."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE releases (ocid TEXT, id TEXT, data TEXT, PRIMARY KEY (ocid, id))")
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


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    rng = random.Random(42)
    raw = resampled_releases(n, rng)
    with tempfile.TemporaryDirectory() as tmp:
        config = parse_config(
            '[[channels]]\nname = "console"\nkind = "console"\n'
            '[[subscriptions]]\nchannel = "console"\nrules = ["small-charities"]\n',
            Path(tmp) / "bench.toml",
        )
        store = Store(Path(tmp) / "bench.db")
        outbox = Outbox(store)
        router = Router(config)
        # Just after the recorded pages were published, so their tenders are still open.
        now = datetime(2025, 1, 24, 9, 0, tzinfo=UTC)
        pages = [
            json.dumps({"releases": raw[start : start + PAGE]}).encode()
            for start in range(0, n, PAGE)
        ]
        floor = floor_seconds(pages, Path(tmp) / "floor.db")
        events = queued = 0
        started = time.perf_counter()
        for payload in pages:
            parsed = parse_package(payload, source="cf")
            page_events, added = store_page(parsed.page.notices, store, outbox, router, now)
            events += len(page_events)
            queued += added
        elapsed = time.perf_counter() - started
        stored = store.count_notices()
        store.close()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"notices:          {n:,} ({stored:,} stored, {events:,} events, {queued:,} queued)")
    print(f"time:             {elapsed:.2f} s")
    print(f"notices/second:   {n / elapsed:,.0f}")
    print(
        f"floor:            {n / floor:,.0f} notices/second (json parse + one SQLite insert "
        "per release, one transaction per page)"
    )
    print(f"ratio to floor:   {floor / elapsed:.2f}")
    print(f"peak memory:      {peak_mib:.0f} MiB (max RSS, includes the resampled input)")


if __name__ == "__main__":
    main()
