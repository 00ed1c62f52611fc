"""Contract awards of an OCDS release: who won, and whether the buyer flagged them SME or VCSE.

Find a Tender lists each award's suppliers by id in ``awards[].suppliers`` and describes
them in ``parties[]``, where ``details.scale`` is ``sme`` or ``large`` and ``details.vcse``
is true or false. Other publishers may put the same facts on the supplier reference itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sources.notice import Award, Supplier
from sources.ocds_fields import amount, flag, mapping, optional_datetime, sequence
from sources.text import clean_text

_SCALES = {"sme": True, "micro": True, "small": True, "medium": True, "large": False}


def _size_flags(details: Mapping[str, Any]) -> tuple[bool | None, bool | None]:
    scale = details.get("scale")
    sme = _SCALES.get(scale.strip().lower()) if isinstance(scale, str) else None
    return sme, flag(details.get("vcse"))


def release_awards(release: Mapping[str, Any]) -> tuple[Award, ...]:
    """Every award in the release, with its suppliers' size flags taken from ``parties``."""
    if not sequence(release.get("awards")):
        return ()
    parties = {
        str(party.get("id")): party
        for party in (mapping(p) for p in sequence(release.get("parties")))
        if party.get("id") is not None
    }
    awards: list[Award] = []
    for index, raw in enumerate(sequence(release.get("awards"))):
        award = mapping(raw)
        suppliers: list[Supplier] = []
        for reference in sequence(award.get("suppliers")):
            ref = mapping(reference)
            party = parties.get(str(ref.get("id")), {})
            sme, vcse = _size_flags(mapping(party.get("details")) or mapping(ref.get("details")))
            name = clean_text(str(ref.get("name") or party.get("name") or ""))
            if name or sme is not None or vcse is not None:
                suppliers.append(Supplier(name=name, sme=sme, vcse=vcse))
        value, _ = amount(award.get("value"), field=f"awards[{index}].value")
        status = award.get("status")
        awards.append(
            Award(
                id=clean_text(str(award.get("id") or index + 1)),
                status=status if isinstance(status, str) else None,
                date=optional_datetime(award.get("date"), field=f"awards[{index}].date"),
                value=value,
                suppliers=tuple(suppliers),
            )
        )
    return tuple(awards)
