#!/usr/bin/env python3
"""Prepare a labelling round: list every open process, draw the blind part, write dossiers.

Run from the project root, beside ``../shared``: ``python scripts/labels/prepare.py OUTDIR``.
It lists every open-stage process in ``../shared/fixtures`` (merged per process as
``rules preview --from`` merges them), draws the blind part from the newly released notices by a
fixed seed before anyone has read them, and writes the readers' dossiers (``batch-1..4.jsonl``,
shuffled so neither part nor source shows) and ``split.csv``. It prints counts only, never
notice content. ``combine.py`` then joins two readers' passes into ``rules/labels/corpus.csv``.
"""

from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.rules_cli import latest_by_notice, read_notices_file  # noqa: E402
from sources.notice import Notice  # noqa: E402
from sources.ocds_fields import load_json  # noqa: E402
from sources.ocds_package import releases_of  # noqa: E402

FIXTURES = ROOT.parent / "shared" / "fixtures"
SEED = 20261203
BLIND_SHARE_PERCENT = 55
RELEASED = "released-2026-12"
KEEP_TENDER = (
    "title",
    "description",
    "value",
    "minValue",
    "status",
    "procurementMethod",
    "procurementMethodDetails",
    "mainProcurementCategory",
    "classification",
    "additionalClassifications",
    "contractPeriod",
    "tenderPeriod",
    "enquiryPeriod",
    "lots",
    "items",
    "techniques",
    "suitability",
    "hasRenewal",
    "renewal",
    "hasOptions",
    "options",
    "legalBasis",
    "specialRegime",
    "coveredBy",
    "lotDetails",
)
DROP_KEYS = {
    "documents",
    "amendments",
    "milestones",
    "identifier",
    "contactPoint",
    "address",
    "communication",
    "submissionMethodDetails",
    "otherRequirements",
    "participationFees",
    "deliveryAddresses",
    "deliveryLocation",
    "unit",
    "quantity",
    "uri",
    "scheme",
}


def groups() -> dict[str, list[Path]]:
    day = FIXTURES / "find_a_tender" / "day-2026-08-10"
    walk = FIXTURES / "find_a_tender" / "walk-2026-07"
    found = {
        "find_a_tender/day-2026-08-10": sorted(day.glob("page-*.json")),
        "find_a_tender/walk-2026-07": sorted(walk.glob("page-*.json")),
        "contracts_finder": sorted((FIXTURES / "contracts_finder").glob("*.json")),
        "ocds_regional/pcs": [FIXTURES / "ocds_regional" / "pcs_release_glasgow_recovery.json"],
        "ocds_regional/s2w": [FIXTURES / "ocds_regional" / "s2w_release_lgbtq_evaluation.json"],
    }
    for path in sorted((FIXTURES / RELEASED).iterdir()):
        if path.suffix in (".json", ".jsonl"):
            found[f"{RELEASED}/{path.name}"] = [path]
    return found


def raw_releases(path: Path) -> list[dict[str, Any]]:
    payload = path.read_bytes()
    try:
        return list(releases_of(load_json(payload)))
    except Exception:
        out: list[dict[str, Any]] = []
        for line in payload.splitlines():
            if line.strip():
                out.extend(releases_of(load_json(line)))
        return out


def trim(value: Any, limit: int = 1500) -> Any:
    if isinstance(value, str):
        return value if len(value) <= limit else value[:limit] + " …[cut]"
    if isinstance(value, list):
        return [trim(v, limit) for v in value[:10]]
    if isinstance(value, dict):
        return {k: trim(v, limit) for k, v in value.items() if k not in DROP_KEYS}
    return value


def dossier(group: str, notice: Notice, releases: list[dict[str, Any]]) -> dict[str, Any]:
    releases = sorted(releases, key=lambda r: str(r.get("date", "")))
    tender: dict[str, Any] = {}
    # The latest release's fields first; earlier releases fill what a later update omits.
    for release in reversed(releases):
        for key in KEEP_TENDER:
            value = (release.get("tender") or {}).get(key)
            if key not in tender and value not in (None, [], {}):
                tender[key] = value
    if "items" in tender:
        tender["items"] = [
            {
                "classification": (item.get("classification") or {}).get("id"),
                "description": item.get("description"),
                "relatedLot": item.get("relatedLot"),
            }
            for item in tender["items"][:10]
        ]
    latest = releases[-1] if releases else {}
    out: dict[str, Any] = {
        "ocid": notice.id,
        "fixture": group,
        "release_tags": sorted({t for r in releases for t in r.get("tag", [])}),
        "release_dates": [str(r.get("date")) for r in releases],
        "buyer": (latest.get("buyer") or {}).get("name") or notice.buyer,
        "buyer_region_or_postcode": notice.buyer_postcode,
        "delivery_regions": list(notice.regions),
        "tender": trim(tender),
    }
    planning = latest.get("planning") or {}
    if planning:
        kept = ("budget", "rationale", "milestones")
        out["planning"] = trim({k: v for k, v in planning.items() if k in kept})
    return out


def main() -> None:
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("labelling")
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str]] = []
    dossiers: dict[tuple[str, str], dict[str, Any]] = {}
    for group, files in groups().items():
        notices: list[Notice] = []
        raws: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for file in files:
            notices.extend(read_notices_file(file, source="files")[0])
            for release in raw_releases(file):
                raws[str(release.get("ocid"))].append(release)
        for notice in latest_by_notice(notices):
            if notice.is_open_stage:
                rows.append((group, notice.id))
                dossiers[(group, notice.id)] = dossier(group, notice, raws.get(notice.id, []))
    released = sorted(r for r in rows if r[0].startswith(f"{RELEASED}/"))
    blind_n = (len(released) * BLIND_SHARE_PERCENT + 99) // 100
    blind = set(random.Random(SEED).sample(released, blind_n))
    print(f"open processes: {len(rows)}; newly released: {len(released)}; blind: {len(blind)}")
    with (out_dir / "split.csv").open("w") as fh:
        fh.write(
            f"# blind part: {blind_n} of the {len(released)} open processes of {RELEASED}, "
            f"drawn by random.Random({SEED}).sample(sorted((fixture, id) pairs)) "
            "before any was read\n"
        )
        fh.write("id,fixture,part\n")
        for group, ocid in rows:
            fh.write(f"{ocid},{group},{'blind' if (group, ocid) in blind else 'design'}\n")
    order = sorted(rows)
    random.Random(7).shuffle(order)
    size = (len(order) + 3) // 4
    for number in range(4):
        with (out_dir / f"batch-{number + 1}.jsonl").open("w") as fh:
            for key in order[number * size : (number + 1) * size]:
                fh.write(json.dumps(dossiers[key], ensure_ascii=False, default=str) + "\n")


if __name__ == "__main__":
    main()
