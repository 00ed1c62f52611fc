"""The lifecycle stage of an OCDS release: from its notice type where known, else its tags."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sources.ocds_fields import MappingError, mapping, sequence

# Most specific first: a release tagged ["tender", "tenderAmendment"] is an amendment.
_STAGE_ORDER = (
    "contractTermination",
    "contractAmendment",
    "contractUpdate",
    "contract",
    "awardCancellation",
    "awardUpdate",
    "award",
    "tenderCancellation",
    "tenderAmendment",
    "tenderUpdate",
    "tender",
    "planningUpdate",
    "planning",
    "implementation",
)


def stage_of(tags: object) -> str:
    """The single lifecycle stage of a release, from its OCDS `tag` list.

    Raises:
        MappingError: the release has no usable tag.
    """
    names = [t for t in sequence(tags) if isinstance(t, str)]
    for stage in _STAGE_ORDER:
        if stage in names:
            return stage
    if names:
        return names[0]
    raise MappingError(f"tag: expected a list of stage names, got {tags!r}")


NOTICE_TYPE_STAGES = {
    # Procurement Act 2023 notices (Find a Tender).
    "UK1": "planning",  # pipeline notice
    "UK2": "planning",  # preliminary market engagement notice
    "UK3": "planning",  # planned procurement notice
    "UK4": "tender",  # tender notice
    "UK5": "award",  # transparency notice (intention to award directly)
    "UK6": "award",  # contract award notice
    "UK7": "contract",  # contract details notice
    "UK8": "implementation",  # payments compliance notice
    "UK9": "implementation",  # contract performance notice
    "UK10": "contractAmendment",  # contract change notice
    "UK11": "contractTermination",  # contract termination notice
    "UK12": "tenderCancellation",  # procurement termination notice
    "UK13": "marketIntention",  # dynamic market intention notice
    "UK14": "tender",  # dynamic market notice: establishment (suppliers may apply)
    "UK15": "marketModification",  # dynamic market notice: modification
    "UK16": "tenderCancellation",  # dynamic market notice: cessation
    "UK17": "contractAmendment",  # contract change notice (voluntary)
    # Public Contracts Regulations 2015 forms (Find a Tender, Scotland, Wales).
    "F01": "planning",
    "F02": "tender",
    "F03": "award",
    "F04": "planning",
    "F05": "tender",
    "F06": "award",
    "F07": "tender",
    "F12": "tender",
    "F13": "award",
    "F14": "tenderAmendment",
    "F15": "award",
    "F20": "contractAmendment",
    "F21": "tender",  # social and other specific services ("light touch")
    "F22": "tender",
    "F23": "tender",
    "F24": "tender",
    "F25": "award",
}
"""Stage of each notice type found in documents' `noticeType`."""


def notice_documents(release: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The documents of every section (planning, tender, awards, contracts) that name a type."""
    sections = [release.get("planning"), release.get("tender")]
    sections += list(sequence(release.get("awards"))) + list(sequence(release.get("contracts")))
    for section in sections:
        for document in sequence(mapping(section).get("documents")):
            doc = mapping(document)
            kind = doc.get("noticeType")
            if isinstance(kind, str) and kind.strip():
                yield doc


def notice_type(release: Mapping[str, Any]) -> str | None:
    """The release's notice type (``UK4``, ``F21``...), from its latest document that says."""
    found = [
        (str(doc.get("datePublished") or ""), str(doc["noticeType"]).strip().upper())
        for doc in notice_documents(release)
    ]
    if not found:
        return None
    return max(enumerate(found), key=lambda item: (item[1][0], item[0]))[1][1]


def release_stage(release: Mapping[str, Any], kind: str | None) -> str:
    """The stage of a release: from its notice type `kind` where known, else from its `tag`.

    A tag that is a more specific form of the notice type's stage (``tenderAmendment`` for a
    UK4 tender notice) is kept.

    Raises:
        MappingError: the release has neither a known notice type nor a usable tag.
    """
    mapped = NOTICE_TYPE_STAGES.get(kind) if kind else None
    try:
        tagged = stage_of(release.get("tag"))
    except MappingError:
        if mapped is None:
            raise
        return mapped
    if mapped is None or tagged.startswith(mapped):
        return tagged
    return mapped
