"""Conditions on what a procurement notice says of itself: regime, threshold, reservation, type.

Find a Tender states these for Procurement Act notices; other sources mostly do not, and a
notice that does not say simply does not hold the condition.
"""

from __future__ import annotations

from dataclasses import dataclass

from rules.conditions import Reasons
from rules.context import Context

REGIME_LABELS = {
    "act": "Procurement Act 2023 notice",
    "legacy": "notice under the older regulations",
    "lightTouch": "light-touch regime (social, health and education services)",
    "utilities": "utilities regime",
    "defenceSecurity": "defence and security regime",
    "concession": "concession",
}


@dataclass(frozen=True, slots=True)
class Regime:
    """The notice's regime (``act`` or ``legacy``) or special regime (``lightTouch``...)."""

    regimes: tuple[str, ...]

    def test(self, ctx: Context) -> Reasons:
        """The first listed regime the notice is under."""
        notice = ctx.notice
        held = {notice.regime, *notice.special_regimes}
        for regime in self.regimes:
            if regime in held:
                return [REGIME_LABELS.get(regime, f"regime {regime}")]
        return None

    def describe(self) -> str:
        """What the condition asks for, in words."""
        return "regime " + " or ".join(self.regimes)


@dataclass(frozen=True, slots=True)
class BelowThreshold:
    """The buyer published the notice as below (or above) the procurement thresholds."""

    expected: bool

    def test(self, ctx: Context) -> Reasons:
        """Whether the notice says it is below threshold (unstated never holds)."""
        below = ctx.notice.below_threshold
        if below is None or below != self.expected:
            return None
        return ["below the procurement threshold" if below else "above the procurement threshold"]

    def describe(self) -> str:
        """What the condition asks for, in words."""
        return "below the procurement threshold" if self.expected else "above the threshold"


@dataclass(frozen=True, slots=True)
class Reserved:
    """Participation is (or is not) reserved for SMEs and VCSEs."""

    expected: bool

    def test(self, ctx: Context) -> Reasons:
        """Whether the notice reserves participation for SMEs and VCSEs."""
        reserved = ctx.notice.reserved_for_sme_vcse
        if reserved != self.expected:
            return None
        return ["reserved for SMEs and VCSEs"] if reserved else []

    def describe(self) -> str:
        """What the condition asks for, in words."""
        return ("" if self.expected else "not ") + "reserved for SMEs and VCSEs"


@dataclass(frozen=True, slots=True)
class NoticeType:
    """The notice is one of these types (``UK4``...)."""

    types: tuple[str, ...]

    def test(self, ctx: Context) -> Reasons:
        """Whether the notice's type is listed."""
        kind = ctx.notice.notice_type
        return [f"notice type {kind}"] if kind in self.types else None

    def describe(self) -> str:
        """What the condition asks for, in words."""
        return "notice type " + " or ".join(self.types)
