"""Print an `[[examples]]` block for a rule set from a real release in an OCDS file.

    python scripts/rule_example.py FILE TITLE-OR-OCID [match|no-match]

The notice's fields are copied (description cut to 400 characters) and `days_left` is counted
from the release's own date, as `rules preview` judges it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sources.ocds import load_json, releases_of
from sources.releases import map_any_releases


def toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def main() -> None:
    path, wanted = Path(sys.argv[1]), sys.argv[2]
    expect = sys.argv[3] if len(sys.argv) > 3 else "match"
    notices = map_any_releases(releases_of(load_json(path.read_bytes())), source="x").notices
    found = [n for n in notices if wanted in (n.id, n.title) or wanted.lower() in n.title.lower()]
    if not found:
        raise SystemExit(f"no notice matching {wanted!r} in {path}")
    n = max(found, key=lambda n: n.release_date)
    lines = [
        "[[examples]]",
        f"expect = {toml_string(expect)}",
        f"note = {toml_string(f'{n.buyer}, {n.id}, {n.release_date:%B %Y}')}",
        f"title = {toml_string(n.title)}",
        f"description = {toml_string(n.description[:400])}",
        f"buyer = {toml_string(n.buyer)}",
        f"stage = {toml_string(n.stage)}",
    ]
    if n.value_low is not None and n.value_low != n.value_high:
        lines.append(f"value_low = {n.value_low}")
    if n.value_high is not None:
        lines.append(f"value_high = {n.value_high}")
    if n.regions:
        lines.append(f"regions = {json.dumps(list(n.regions))}")
    if n.postcodes:
        lines.append(f"postcodes = {json.dumps(list(n.postcodes))}")
    if n.buyer_postcode:
        lines.append(f"buyer_postcode = {toml_string(n.buyer_postcode)}")
    if n.cpv_codes:
        lines.append(f"cpv = {json.dumps(list(n.cpv_codes))}")
    if n.deadline is not None:
        lines.append(f"days_left = {(n.deadline - n.release_date).days}")
    for key, value in (("vcse", n.suitable_vcse), ("sme", n.suitable_sme)):
        if value is not None:
            lines.append(f"{key} = {str(value).lower()}")
    print("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
