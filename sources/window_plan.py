"""Planning time windows that fill most of a page, and reusing what a full page showed.

A window is read with one request and counts only if its page comes back not full (fewer
releases than the page holds, no `links.next`): only then is every release of the window
known to be on it. So waste has two causes: windows that hold far less than a page, and
full pages, each a request whose releases must be fetched again.

- **Planning.** A window from the cursor is made as long as it can be while the releases it
  is expected to hold, plus `SAFETY` standard deviations, still fit a page. The expectation
  comes from `sources.window_sizing` (the day's volume and how sure it is); the deviation
  counts the Poisson scatter of releases in time and the doubt about the day's volume.
- **A full page is not wasted.** Find a Tender lists a window's releases newest first, so a
  full page shows the dates of the newest releases of the window: the stretch from the
  oldest of them to the window's end holds (nearly always) exactly those releases. The
  next window is planned from the cursor again, counting those releases as known (no
  scatter, no doubt) and the older part from the rate, which the page's count also
  corrects: usually one window then reads the older part together with the known tail.
- **Nothing is trusted that was not read.** A release published later can carry an earlier
  number than another release of the window, and be left off the full page though its date
  falls in the stretch the page showed; so the known releases only help plan windows, and
  every stretch is still read by a page that comes back not full before the cursor (and the
  watermark) passes it. Each planned window after a full page ends before the full one did,
  so re-planning always ends.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sources.window_sizing import Expectation, RateEstimate

SAFETY = 1.4
"""Standard deviations kept free on a page: tuned on `bench/windows.py` (higher wastes fill,
lower overflows more)."""
LAST_SAFETY = 0.0
"""The margin of a window that would reach the end of the read: reading the rest in one
window risks a page too many (an overflow, then two windows), but splitting it costs a
window for sure, so it is read whole when it is expected to fit at all."""
_SECOND = timedelta(seconds=1)
_FIRST_STEP = timedelta(hours=1)


class RateModel(Protocol):
    """What a planner needs of a rate (`RateEstimate`, or a benchmark's known rate)."""

    def expectations(self, start: datetime, end: datetime) -> list[Expectation]:
        """The releases expected between `start` and `end`, day by day."""
        ...

    def observe(
        self, start: datetime, end: datetime, dates: Iterable[datetime], undated: int = 0
    ) -> None:
        """Learn from a window read completely."""
        ...

    def provisionally(self, spans: Mapping[tuple[datetime, datetime], list[datetime]]) -> None:
        """Learn from the stretches full pages listed (replacing what they said before)."""
        ...


def _whole_second_after(moment: datetime) -> datetime:
    """The first whole second strictly after `moment` (windows are sent to the second)."""
    return moment.replace(microsecond=0) + _SECOND


@dataclass(slots=True)
class WindowPlanner:
    """Plans the windows of one read from the cursor on; see the module text."""

    rate: RateModel = field(default_factory=RateEstimate)
    safety: float = SAFETY
    known: dict[str, datetime] = field(default_factory=dict)
    """Releases listed by full pages and not yet read completely: id to date."""
    spans: list[tuple[datetime, datetime]] = field(default_factory=list)
    """Stretches a full page listed (from its oldest release to the window's end), merged."""
    _cursor: datetime | None = None
    """Where the stretch not yet read starts (the start of the last window, or its end)."""
    _bound: tuple[datetime, datetime] | None = None
    """After a full page: its window's start, and where the next window from there must end."""

    def forecast(self, start: datetime, end: datetime) -> tuple[float, float]:
        """(mean, standard deviation) of the releases a window from `start` to `end` holds."""
        known = sum(start.replace(microsecond=0) <= d < end for d in self.known.values())
        by_day: dict[object, list[float]] = {}
        for gap_start, gap_end in self._gaps(start, end):
            for part in self.rate.expectations(gap_start, gap_end):
                entry = by_day.setdefault(part.day, [0.0, part.spread])
                entry[0] += part.mean
        mean = known + sum(m for m, _ in by_day.values())
        variance = sum(m + (m * s) ** 2 for m, s in by_day.values())
        return mean, math.sqrt(variance)

    def _gaps(self, start: datetime, end: datetime) -> Iterable[tuple[datetime, datetime]]:
        """The parts of [start, end) no full page listed."""
        moment = start
        for span_start, span_end in self.spans:
            if span_end <= moment:
                continue
            if span_start >= end:
                break
            if span_start > moment:
                yield moment, span_start
            moment = max(moment, span_end)
        if moment < end:
            yield moment, end

    def _fits(self, start: datetime, end: datetime, limit: int, safety: float) -> bool:
        mean, deviation = self.forecast(start, end)
        return mean + safety * deviation <= limit - 1

    def next_window(self, start: datetime, until: datetime, limit: int) -> datetime:
        """The end of the next window from `start`: as long as fits a page, at most `until`."""
        bound = until
        if self._bound is not None and self._bound[0] == start:
            bound = min(bound, self._bound[1])
        if bound <= start:
            return min(until, _whole_second_after(start))
        if self._fits(start, bound, limit, LAST_SAFETY if bound == until else self.safety):
            end = bound
        else:
            good, step = start, _FIRST_STEP
            bad = bound
            while good + step < bound:
                probe = _whole_second_after(good + step - _SECOND)
                if not self._fits(start, probe, limit, self.safety):
                    bad = probe
                    break
                good, step = probe, step * 2
            while bad - good > _SECOND:
                middle = _whole_second_after(good + (bad - good) / 2 - _SECOND)
                if middle >= bad:
                    break
                if self._fits(start, middle, limit, self.safety):
                    good = middle
                else:
                    bad = middle
            end = good if good > start else _whole_second_after(start)
        return min(end, until)

    def overflowed(
        self,
        start: datetime,
        end: datetime,
        releases: Iterable[tuple[str, datetime]],
        undated: int = 0,
    ) -> None:
        """Learn from a full page for the window from `start` to `end`: its releases' dates.

        When some of the page's releases carry no date in the window (`undated`, or dated
        outside it), the page does not explain itself: the next window is at most half.
        """
        shown = list(releases)
        listed = {key: d for key, d in shown if start.replace(microsecond=0) <= d < end}
        self._cursor = start
        if listed:
            self.known.update(listed)
            self._add_span(min(listed.values()), end)
        if listed and len(listed) == len(shown) and not undated:
            self._bound = (start, end - _SECOND)
        else:
            self._bound = (
                start,
                min(end - _SECOND, _whole_second_after(start + (end - start) / 2)),
            )
        self._tell_rate()

    def completed(
        self, start: datetime, end: datetime, dates: Iterable[datetime], undated: int = 0
    ) -> None:
        """Learn from a window read completely, and forget what full pages showed before `end`."""
        self.rate.observe(start, end, dates, undated)
        self.known = {key: d for key, d in self.known.items() if d >= end}
        self.spans = [(max(s, end), e) for s, e in self.spans if e > end]
        self._cursor = end
        self._bound = None
        self._tell_rate()

    def _add_span(self, start: datetime, end: datetime) -> None:
        merged: list[tuple[datetime, datetime]] = []
        for span in sorted([*self.spans, (start, end)]):
            if merged and span[0] <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], span[1]))
            else:
                merged.append(span)
        self.spans = merged

    def _tell_rate(self) -> None:
        """The releases listed from the cursor on: at least that many lie there."""
        if self._cursor is None or not self.spans:
            self.rate.provisionally({})
            return
        stretch = (self._cursor, self.spans[-1][1])
        self.rate.provisionally({stretch: list(self.known.values())})
