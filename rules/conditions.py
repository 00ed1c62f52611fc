"""Conditions: small immutable tests on one field of a notice, and `all`/`any`/`not`.

`test(ctx)` returns None when the condition does not hold, or the list of human-readable
reasons why it does (possibly empty). `describe()` says what the condition asks for, used to
explain why a notice did not match.

Text conditions live in `rules.text_conditions`, place conditions in `rules.place_conditions`,
value conditions in `rules.value`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rules.context import Context
from rules.cpv import cpv_label
from sources.notice import Lot

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
