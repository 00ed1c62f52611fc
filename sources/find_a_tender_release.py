"""Find a Tender's own reading of a release: notice types, stages, labels and links.

Find a Tender carries two regimes in one stream (``tender.legalBasis.scheme``): ``UKPGA``
releases are Procurement Act 2023 notices, each naming its notice type (``UK1``..``UK17``)
in a document of the section it belongs to (planning, tender, awards or contracts);
``CELEX`` releases follow the older regulations and have no notice type, so their tags
decide. Everything else (values, lots, dates, places) is read by the shared OCDS mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sources.notice import Notice
from sources.ocds import release_fields
from sources.ocds_fields import sequence
from sources.ocds_stages import notice_documents, stage_of

OCID_PREFIX = "ocds-h6vhtk-"
"""Find a Tender's OCID prefix: how a release from a file is recognised as one of its own."""
NOTICE_PAGE = "https://www.find-tender.service.gov.uk/Notice/{id}"
"""Every release's public page, legacy ones included."""

NOTICE_TYPES: dict[str, tuple[str, str]] = {
    "UK1": ("planning", "Pipeline"),
    "UK2": ("planning", "Market engagement"),
    "UK3": ("planning", "Planned procurement"),
    "UK4": ("tender", "Open for bids"),
    "UK5": ("award", "Direct award planned"),
    "UK6": ("award", "Awarded"),
    "UK7": ("contract", "Contract details"),
    "UK8": ("implementation", "Payments published"),
    "UK9": ("implementation", "Contract performance"),
    "UK10": ("contractAmendment", "Contract changed"),
    "UK11": ("contractTermination", "Contract ended"),
    "UK12": ("tenderCancellation", "Cancelled"),
    "UK13": ("marketIntention", "Dynamic market planned"),
    "UK14": ("tender", "Dynamic market open to join"),
    "UK15": ("marketModification", "Dynamic market changed"),
    "UK16": ("tenderCancellation", "Dynamic market closed"),
    "UK17": ("contractAmendment", "Contract changed"),
}
"""Each Procurement Act notice type: its stage, and the label a charity reads.

UK1–UK4 and UK14 (a dynamic market suppliers may join) are open and alerted; the rest are
stored (awards feed the report) and never alerted as opportunities. UK13 (the intention to
set up a dynamic market) is stored only: suppliers can act once the market opens (UK14).
"""

UPDATE_TAGS = ("tenderUpdate", "planningUpdate")
"""Find a Tender's amendments: new releases of a process that is still open."""


def own_notice_type(release: Mapping[str, Any], latest: str | None) -> str | None:
    """The notice type of the release's own notice (the document whose id is the release id).

    Falls back to `latest`, the type of the latest notice document of any section (as
    `notice_type` reads it).
    """
    release_id = release.get("id")
    for doc in notice_documents(release):
        if doc.get("id") == release_id:
            return str(doc["noticeType"]).strip().upper()
    return latest


def stage_and_label(release: Mapping[str, Any], kind: str | None) -> tuple[str, str | None]:
    """The stage and plain-English label of a release.

    Raises:
        sources.ocds.MappingError: a legacy release has no usable tag.
    """
    tags = [t for t in sequence(release.get("tag")) if isinstance(t, str)]
    update = next((t for t in UPDATE_TAGS if t in tags), None)
    known = NOTICE_TYPES.get(kind or "")
    if known is None:  # a legacy release, or a notice type this version does not know
        stage = stage_of(release.get("tag"))
        return stage, "Updated" if stage in UPDATE_TAGS else None
    stage, label = known
    if update is not None and stage in ("planning", "tender"):
        return update, f"{label} (updated)"
    return stage, label


def fat_release_to_notice(release: Mapping[str, Any], *, source: str) -> Notice:
    """Map one Find a Tender release to a `Notice`.

    Raises:
        sources.ocds.MappingError: a required field is missing or malformed.
    """
    fields = release_fields(release, source=source)
    kind = own_notice_type(release, fields["notice_type"])
    stage, label = stage_and_label(release, kind)
    fields.update(
        stage=stage,
        label=label,
        notice_type=kind,
        url=NOTICE_PAGE.format(id=fields["release_id"]),
    )
    return Notice(**fields)
