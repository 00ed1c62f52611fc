"""Place conditions: where a notice is (regions, postcode areas, its buyer) against a place."""

from __future__ import annotations

from dataclasses import dataclass

from rules.conditions import Reasons
from rules.context import Context
from rules.places import WIDE_NAMES, area_regions, describe, itl_code, postcode_area, region_codes
from sources.notice import Notice


@dataclass(frozen=True, slots=True)
class NoticePlace:
    """Where a notice is, as ITL codes (with the wide name it came from) and postcode areas."""

    codes: tuple[tuple[str, str | None], ...]
    areas: tuple[str, ...]
    from_buyer: bool


def notice_place(notice: Notice, *, use_buyer: bool, national: bool = True) -> NoticePlace:
    """Reduce a notice's published places to comparable codes and postcode areas.

    With `national` false, places that cover a whole nation ("UK", "England") are left out,
    so a national notice counts as naming no place and is judged by its buyer's location.
    """
    codes: list[tuple[str, str | None]] = []
    areas: list[str] = []
    for region in notice.regions:
        code = itl_code(region)
        if code is not None:
            codes.append((code, "the UK" if code == "UK" else None))
            continue
        named = region_codes(region)
        if named:
            wide = WIDE_NAMES.get(" ".join(region.lower().split()))
            codes.extend((c, wide) for c in named)
            continue
        area = postcode_area(region)
        if area:
            areas.append(area)
    for postcode in notice.postcodes:
        area = postcode_area(postcode)
        if area:
            areas.append(area)
    if not national:
        codes = [(code, wide) for code, wide in codes if wide is None]
    from_buyer = False
    if not codes and not areas and use_buyer and notice.buyer_postcode:
        area = postcode_area(notice.buyer_postcode)
        if area:
            areas.append(area)
            from_buyer = True
    return NoticePlace(codes=tuple(codes), areas=tuple(areas), from_buyer=from_buyer)


@dataclass(frozen=True, slots=True)
class Place:
    """Regions (ITL codes) and postcode areas.

    `wide` (``national = "include"``): a notice for a whole nation (England, the UK) counts
    for every place in it. Otherwise (``national = "exclude"``) a national notice counts as
    naming no place, and is judged by its buyer's location when `use_buyer`.
    """

    codes: tuple[str, ...]
    areas: tuple[str, ...]
    wide: bool
    missing_passes: bool
    use_buyer: bool
    names: tuple[str, ...]

    def test(self, ctx: Context) -> Reasons:
        """Whether the notice is delivered in (or, if `wide`, across) one of the places."""
        key = ("place", self.use_buyer, self.wide)
        place = ctx.memo.get(key)
        if place is None:
            place = ctx.memo[key] = notice_place(
                ctx.notice, use_buyer=self.use_buyer, national=self.wide
            )
        if not place.codes and not place.areas:
            return ["place not stated"] if self.missing_passes else None
        for notice_code, wide_name in place.codes:
            for code in self.codes:
                if notice_code.startswith(code) and wide_name is None:
                    return [f"region {describe(notice_code)}"]
        where = "buyer's postcode area" if place.from_buyer else "postcode area"
        for area in place.areas:
            if area in self.areas:
                return [f"{where} {area}"]
            for region in area_regions(area):
                for code in self.codes:
                    if region.startswith(code):
                        return [f"{where} {area} in {describe(code)}"]
        if not self.wide:
            return None
        for notice_code, wide_name in place.codes:
            covered = any(code.startswith(notice_code) for code in self.codes) or any(
                r.startswith(notice_code) for area in self.areas for r in area_regions(area)
            )
            if covered:
                return [f"covers all of {wide_name or describe(notice_code)}"]
        return None

    def describe(self) -> str:
        """What the condition asks for, in words."""
        national = "" if self.wide else " (national notices by their buyer's location)"
        return "place in " + ", ".join(self.names) + national
