"""Which mapping reads a release: Find a Tender's own for its releases, the shared one otherwise.

Used wherever releases arrive without a source kind to say whose they are (rule examples,
`rules preview --from`, recorded files), so a file of Find a Tender releases is read exactly
as the Find a Tender source reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sources.find_a_tender_release import OCID_PREFIX, fat_release_to_notice
from sources.notice import Notice
from sources.ocds import MappedReleases, map_releases, release_to_notice

Mapper = Callable[..., Notice]


def mapper_for(release: Mapping[str, Any]) -> Mapper:
    """The mapping for one release, chosen by its OCID prefix."""
    ocid = release.get("ocid")
    if isinstance(ocid, str) and ocid.startswith(OCID_PREFIX):
        return fat_release_to_notice
    return release_to_notice


def map_any_release(release: Mapping[str, Any], *, source: str) -> Notice:
    """Map one release with the mapping that fits it.

    Raises:
        sources.ocds.MappingError: a required field is missing or malformed.
    """
    return mapper_for(release)(release, source=source)


def map_any_releases(releases: Iterable[object], *, source: str) -> MappedReleases:
    """Map many releases, each with the mapping that fits it; bad ones become problems."""
    return map_releases(releases, source=source, mapper=map_any_release)
