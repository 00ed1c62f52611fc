"""Conditions: small immutable tests on one field of a notice, and `all`/`any`/`not`.

`test(ctx)` returns None when the condition does not hold, or the list of human-readable
reasons why it does (possibly empty). `describe()` says what the condition asks for, used to
explain why a notice did not match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from rules.context import Context
from rules.cpv import cpv_label
from rules.places import WIDE_NAMES, area_regions, describe, itl_code, postcode_area, region_codes
from rules.text import Keyword
from sources.notice import Lot, Notice

Reasons = list[str] | None


class Condition(Protocol):
    """A test on a notice."""

    def test(self, ctx: Context) -> Reasons:
        """None if the condition fails, else the reasons it holds."""
        ...

    def describe(self) -> str:
        """What the condition asks for, in words."""
        ...


def lot_name(lot: Lot) -> str:
    """``Lot 2 'Befriending, Harrow'`` (or ``Lot 2`` when it has no title)."""
    return f"Lot {lot.id}" + (f" '{lot.title}'" if lot.title else "")


def _quoted(keywords: Sequence[Keyword]) -> str:
    return ", ".join(f'"{k}"' for k in keywords)


def _field_names(fields: Sequence[str]) -> str:
    return "/".join(fields)


@dataclass(frozen=True, slots=True)
class Keywords:
    """Keywords on text fields: any of, all of, none of."""

    fields: tuple[str, ...]
    any_of: tuple[Keyword, ...] = ()
    all_of: tuple[Keyword, ...] = ()
    none_of: tuple[Keyword, ...] = ()
    label: str = "keywords"
    _whole: frozenset[str] = field(init=False, repr=False, compare=False)
    _phrases: dict[str, tuple[Keyword, ...]] = field(init=False, repr=False, compare=False)
    _starts: frozenset[str] = field(init=False, repr=False, compare=False)
    _prefixes: tuple[Keyword, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # `any_of` split three ways, so most keywords cost nothing on a notice without them:
        # whole words (one set intersection), phrases by their first word (which must be in
        # the text as a whole word), and single-word prefixes (one binary search each).
        whole = [k for k in self.any_of if len(k.words) == 1 and not k.prefix]
        phrases: dict[str, list[Keyword]] = {}
        for keyword in self.any_of:
            if len(keyword.words) > 1:
                phrases.setdefault(keyword.words[0], []).append(keyword)
        object.__setattr__(self, "_whole", frozenset(k.words[0] for k in whole))
        object.__setattr__(self, "_phrases", {w: tuple(ks) for w, ks in phrases.items()})
        object.__setattr__(self, "_starts", frozenset(phrases))
        object.__setattr__(
            self, "_prefixes", tuple(k for k in self.any_of if len(k.words) == 1 and k.prefix)
        )

    def _found(self, ctx: Context, keyword: Keyword) -> bool:
        # A look-up in the field's word index is cheaper than remembering its answer.
        return any(ctx.index(f).contains(keyword) for f in self.fields)

    def _any_found(self, ctx: Context) -> list[Keyword]:
        """The `any_of` keywords found, in their order."""
        found: set[Keyword] = set()
        hits: set[str] = set()
        for name in self.fields:
            index = ctx.index(name)
            words = index.words
            hits |= words & self._whole
            for first in words & self._starts:
                found.update(k for k in self._phrases[first] if index.contains(k))
            found.update(k for k in self._prefixes if index.has_prefix(k.words[0]))
        if not hits and not found:
            return []
        return [
            k
            for k in self.any_of
            if k in found or (len(k.words) == 1 and not k.prefix and k.words[0] in hits)
        ]

    def test(self, ctx: Context) -> Reasons:
        """None unless every `all_of`, at least one `any_of` and no `none_of` keyword is found."""
        if any(self._found(ctx, k) for k in self.none_of):
            return None
        found_all = [k for k in self.all_of if self._found(ctx, k)]
        if len(found_all) < len(self.all_of):
            return None
        found_any = self._any_found(ctx) if self.any_of else []
        if self.any_of and not found_any:
            return None
        found = found_all + found_any
        if not found:
            return []
        scope = "" if self.label != "keywords" or len(self.fields) > 1 else f" in {self.fields[0]}"
        return [f"{self.label}{scope}: {_quoted(found)}"]

    def describe(self) -> str:
        """What the condition asks for, in words."""
        parts = []
        if self.any_of:
            parts.append(f"any of {_quoted(self.any_of)}")
        if self.all_of:
            parts.append(f"all of {_quoted(self.all_of)}")
        if self.none_of:
            parts.append(f"none of {_quoted(self.none_of)}")
        return f"{self.label} in {_field_names(self.fields)}: " + "; ".join(parts)


@dataclass(frozen=True, slots=True)
class Pattern:
    """A regular expression (run by RE2, in linear time) on text fields."""

    fields: tuple[str, ...]
    source: str
    regex: Any

    def test(self, ctx: Context) -> Reasons:
        """The pattern's first match, if any field has one."""
        for name in self.fields:
            found = self.regex.search(ctx.text(name))
            if found is not None:
                return [f'pattern /{self.source}/ found "{found.group(0)[:60]}" in {name}']
        return None

    def describe(self) -> str:
        """What the condition asks for, in words."""
        return f"pattern /{self.source}/ in {_field_names(self.fields)}"


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


@dataclass(frozen=True, slots=True)
class Cpv:
    """CPV code prefixes, on the main code only or on all codes.

    `unless_main`: the condition does not hold at all when the notice's main code starts with
    one of these (an exclusion that spares notices whose main code is a service the set is
    about, however many minor codes they list).
    """

    prefixes: tuple[str, ...]
    main_only: bool
    unless_main: tuple[str, ...] = ()

    def test(self, ctx: Context) -> Reasons:
        """The first of the notice's codes that starts with one of the prefixes."""
        notice = ctx.notice
        main = notice.cpv_main or ""
        if main and any(main.startswith(prefix) for prefix in self.unless_main):
            return None
        codes = notice.cpv_codes
        if self.main_only:
            codes = (notice.cpv_main,) if notice.cpv_main else ()
        for code in codes:
            for prefix in self.prefixes:
                if code.startswith(prefix):
                    label = cpv_label(code)
                    return [f"CPV {code} {label}" if label else f"CPV {code}"]
        return None

    def describe(self) -> str:
        """What the condition asks for, in words."""
        which = "main CPV code" if self.main_only else "CPV code"
        spare = f" (unless the main code starts {', '.join(self.unless_main)})"
        return f"{which} starting {', '.join(self.prefixes)}" + (spare if self.unless_main else "")


EARLY_ENGAGEMENT_STAGES = frozenset({"planning", "planningUpdate"})
"""Pipeline, preliminary market engagement and RFI notices: no response deadline is needed."""


@dataclass(frozen=True, slots=True)
class Deadline:
    """At least N days left before the deadline, at the time of evaluation.

    An early-engagement notice (pipeline, market engagement, request for information) asks
    for no bid, so it never needs a response deadline. `soft`: too few days left (but some)
    demotes instead of rejecting.
    """

    days: float
    missing_passes: bool
    soft: bool = False

    def _left(self, ctx: Context) -> tuple[float | None, Reasons]:
        deadline = ctx.notice.deadline
        if deadline is None:
            if ctx.notice.stage in EARLY_ENGAGEMENT_STAGES:
                return None, ["early engagement: no response deadline needed"]
            return None, ["no deadline stated"] if self.missing_passes else None
        left = (deadline - ctx.now).total_seconds() / 86400
        return left, [f"{int(left)} days left to respond"]

    def test(self, ctx: Context) -> Reasons:
        """Whether enough time is left to respond."""
        left, reasons = self._left(ctx)
        if left is not None and left < self.days:
            return None
        return reasons

    def soft_test(self, ctx: Context) -> tuple[Reasons, str | None]:
        """As `test`, but a deadline still ahead with too few days left demotes."""
        left, reasons = self._left(ctx)
        if left is None:
            return (
                (reasons, None)
                if reasons is not None
                else (["no deadline stated"], "no deadline stated")
            )
        if left >= self.days:
            return reasons, None
        if left <= 0:
            return None, None
        days = int(left)
        return reasons, f"{days} day{'s' if days != 1 else ''} left"

    def describe(self) -> str:
        """What the condition asks for, in words."""
        soft = " (soft: fewer makes it possible)" if self.soft else ""
        return f"at least {self.days:g} days before the deadline{soft}"


@dataclass(frozen=True, slots=True)
class Stage:
    """The notice's stage is one of these."""

    stages: tuple[str, ...]

    def test(self, ctx: Context) -> Reasons:
        """Whether the stage is listed."""
        return [] if ctx.notice.stage in self.stages else None

    def describe(self) -> str:
        """What the condition asks for, in words."""
        return f"stage {' or '.join(self.stages)}"


_FLAG_LABELS = {"suitable_vcse": "VCSE", "suitable_sme": "SMEs"}


@dataclass(frozen=True, slots=True)
class Flag:
    """A suitability flag (VCSE or SME) has this value; unstated counts as not marked."""

    field: str
    expected: bool

    def test(self, ctx: Context) -> Reasons:
        """Whether the flag is as expected; the reason names the lots that are marked."""
        value = bool(getattr(ctx.notice, self.field))
        if value != self.expected:
            return None
        who = _FLAG_LABELS[self.field]
        if not value:
            return [f"not marked suitable for {who}"]
        lots = [lot for lot in ctx.notice.lots if getattr(lot, self.field)]
        if lots and len(lots) < len(ctx.notice.lots):
            names = ", ".join(lot_name(lot) for lot in lots[:3])
            return [f"{names} marked suitable for {who}"]
        return [f"marked suitable for {who}"]

    def describe(self) -> str:
        """What the condition asks for, in words."""
        who = _FLAG_LABELS[self.field]
        return f"{'' if self.expected else 'not '}marked suitable for {who}"


@dataclass(frozen=True, slots=True)
class All:
    """Every child holds."""

    children: tuple[Condition, ...]

    def test(self, ctx: Context) -> Reasons:
        """The children's reasons, or None at the first that fails."""
        reasons: list[str] = []
        for child in self.children:
            found = child.test(ctx)
            if found is None:
                return None
            reasons.extend(found)
        return reasons

    def describe(self) -> str:
        """What the condition asks for, in words."""
        return " and ".join(c.describe() for c in self.children)

    def first_failure(self, ctx: Context) -> Condition | None:
        """The first child that does not hold."""
        return next((c for c in self.children if c.test(ctx) is None), None)


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one child holds; the reasons of every child that holds are kept."""

    children: tuple[Condition, ...]

    def test(self, ctx: Context) -> Reasons:
        """The reasons of the children that hold, or None if none does."""
        reasons: list[str] | None = None
        for child in self.children:
            found = child.test(ctx)
            if found is not None:
                reasons = (reasons or []) + found
        return reasons

    def describe(self) -> str:
        """What the condition asks for, in words."""
        return "(" + " or ".join(c.describe() for c in self.children) + ")"


@dataclass(frozen=True, slots=True)
class Not:
    """The child does not hold."""

    child: Condition

    def test(self, ctx: Context) -> Reasons:
        """Empty reasons when the child fails, None when it holds."""
        return [] if self.child.test(ctx) is None else None

    def describe(self) -> str:
        """What the condition asks for, in words."""
        return f"not {self.child.describe()}"
