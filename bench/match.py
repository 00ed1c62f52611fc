"""Matching benchmark: N notices x M subscriptions through the rule engine.

Notices are resampled from the real recorded Contracts Finder pages; subscriptions are drawn
from the shipped rule sets (one or two topic sets, often a regional filter) with random
per-subscription narrowing (regions, max_value, keywords, exclude_keywords). Each notice is
judged as of its own release date, as `rules preview` does.

    python bench/match.py [N] [M]        # defaults 10,000 x 1,000
"""

from __future__ import annotations

import json
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rules.context import Context  # noqa: E402
from rules.library import RuleLibrary, shipped_paths  # noqa: E402
from rules.matcher import MatchPlan, Narrowing  # noqa: E402
from sources.ocds import map_releases  # noqa: E402

DATA = ROOT.parent / "shared" / "fixtures" / "contracts_finder"  # recorded pages, read in place
REGIONS = ["North East", "North West", "London", "West Midlands", "South East", "NE", "DH"]
WORDS = ["support", "children", "community", "health", "training", "advice", "young people"]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    m = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
    rng = random.Random(7)
    pool = []
    for path in sorted(DATA.glob("*.json")):
        pool.extend(map_releases(json.loads(path.read_text())["releases"], source="cf").notices)
    notices = [rng.choice(pool) for _ in range(n)]

    library = RuleLibrary(shipped_paths(), ROOT)
    topics = [r for r in library.refs() if library.get(r).role == "topic"]
    filters = [r for r in library.refs() if library.get(r).role == "filter"]
    subscriptions = []
    for _ in range(m):
        refs = rng.sample(topics, rng.choice([1, 1, 2]))
        if rng.random() < 0.5:
            refs.append(rng.choice(filters))
        narrowing = Narrowing(
            regions=tuple(rng.sample(REGIONS, 2)) if rng.random() < 0.3 else (),
            max_value=Decimal(rng.choice([50_000, 100_000, 250_000]))
            if rng.random() < 0.5
            else None,
            keywords=(rng.choice(WORDS),) if rng.random() < 0.2 else (),
            exclude_keywords=(rng.choice(WORDS),) if rng.random() < 0.2 else (),
        )
        subscriptions.append((refs, narrowing))
    plan = MatchPlan(subscriptions, library.get)

    started = time.perf_counter()
    matched = 0
    for notice in notices:
        matched += len(plan.match(Context(notice, notice.release_date)))
    elapsed = time.perf_counter() - started
    pairs = n * m
    print(f"notices x subscriptions: {n:,} x {m:,} = {pairs:,} decisions")
    print(f"distinct rule sets:      {len(library.refs())}")
    print(f"alerts (matches):        {matched:,}")
    print(f"total time:              {elapsed:.2f} s (one core)")
    print(f"decisions/second:        {pairs / elapsed:,.0f}")
    print(f"notices/second:          {n / elapsed:,.0f}")


if __name__ == "__main__":
    main()
