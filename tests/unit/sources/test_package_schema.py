"""The fast first reading of a package keeps every field a mapping reads.

`load_package` decodes pages into the shapes in `sources/ocds_schema.py`, dropping fields no
mapping reads. Every page, read that way and read in full, must map to the same notices: a
mapping that starts reading a field the schema leaves out fails here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sources.ocds import load_json, releases_of
from sources.ocds_package import load_package, parse_package
from sources.releases import map_any_releases
from tests.conftest import DATA, SHARED, recorded

MADE = sorted((DATA / "made").glob("*.json"))


def _packages(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.rglob("*.json")) if "releases" in json.loads(p.read_text())]


def _both_ways(path: Path) -> int:
    payload = path.read_bytes()
    fast = releases_of(load_package(payload))
    full = releases_of(load_json(payload))
    assert len(fast) == len(full), path
    fast_mapped = map_any_releases(fast, source="s")
    full_mapped = map_any_releases(full, source="s")
    assert fast_mapped.notices == full_mapped.notices, path
    assert fast_mapped.problems == full_mapped.problems, path
    return len(fast_mapped.notices)


@pytest.mark.parametrize("path", MADE, ids=lambda p: p.name)
def test_made_pages_map_the_same_both_ways(path: Path) -> None:
    assert _both_ways(path) > 0


def test_every_recorded_page_maps_the_same_both_ways() -> None:
    pages = _packages(recorded(SHARED))
    assert len(pages) >= 8
    assert sum(_both_ways(path) for path in pages) > 500


def test_fields_no_mapping_reads_are_left_out() -> None:
    release: dict[str, Any] = json.loads(MADE[0].read_text())["releases"][0]
    release["parties"] = [{"id": "B1", "name": "Council", "contactPoint": {"email": "a@b.uk"}}]
    release["tender"]["items"] = [{"id": "1", "description": "long text", "quantity": 3}]
    read = load_package(json.dumps({"releases": [release]}).encode())
    kept = read["releases"][0]
    assert kept["parties"] == [{"id": "B1", "name": "Council"}]
    assert kept["tender"]["items"] == [{}]


def test_an_unusual_shape_is_read_in_full_and_maps_the_same(tmp_path: Path) -> None:
    releases = json.loads(MADE[0].read_text())["releases"][:3]
    releases[1]["tender"]["items"] = {"not": "a list"}
    releases[2]["planning"] = None
    page = tmp_path / "odd.json"
    page.write_text(json.dumps({"releases": releases, "extra": [1, 2]}))
    assert load_package(page.read_bytes()) == load_json(page.read_bytes())
    _both_ways(page)


def test_a_bare_release_and_a_broken_page_read_as_before() -> None:
    release = json.loads(MADE[0].read_text())["releases"][0]
    assert load_package(json.dumps(release).encode()) == release
    with pytest.raises(ValueError):
        load_package(b"<html>Service unavailable</html>")
    parsed = parse_package(json.dumps({"releases": [release]}).encode(), source="s")
    assert len(parsed.page.notices) == 1


def test_a_field_the_recorded_pages_never_decide_is_kept(tmp_path: Path) -> None:
    # Which notice document is the page depends on its format: PDF first, HTML second.
    release = json.loads(MADE[0].read_text())["releases"][0]
    release["tender"]["documents"] = [
        {"documentType": "tenderNotice", "format": "application/pdf", "url": "https://a.uk/1.pdf"},
        {"documentType": "tenderNotice", "format": "text/html", "url": "https://a.uk/notice/1"},
    ]
    page = tmp_path / "formats.json"
    page.write_text(json.dumps({"releases": [release]}))
    _both_ways(page)
    notice = parse_package(page.read_bytes(), source="s").page.notices[0]
    assert notice.url == "https://a.uk/notice/1"


def test_a_repeated_key_reads_as_the_full_reading_does() -> None:
    payload = (
        b'{"releases":[{"ocid":"a","tender":{"title":"one"},"tender":{"title":"two"},'
        b'"id":"x","id":"y"}]}'
    )
    assert load_package(payload) == load_json(payload)
