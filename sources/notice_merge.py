"""Merging a process's releases into one notice, by the OCDS merge rules."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sources.notice import Notice

_EMPTY: tuple[object, ...] = (None, "", ())


def merge_notice(old: Notice, new: Notice) -> Notice:
    """`new` laid over `old` field by field: what `new` leaves empty keeps its old value.

    OCDS releases are merged this way (a field a later release omits keeps its earlier
    value): a sparse update, such as a cancellation stub or a legacy corrigendum that carries
    only a title and a status, never blanks the description, value or deadline.
    """
    changes: dict[str, Any] = _kept(old, new)
    if old.lots and new.lots:
        earlier = {lot.id: lot for lot in old.lots}
        changes["lots"] = tuple(
            dataclasses.replace(lot, **_kept(earlier[lot.id], lot)) if lot.id in earlier else lot
            for lot in new.lots
        )
    return dataclasses.replace(new, **changes) if changes else new


def release_order(notice: Notice) -> tuple[datetime, str]:
    """The order a process's releases are merged in: release date, then release id."""
    return (notice.release_date, notice.release_id)


def merged_in_order(releases: Iterable[Notice]) -> list[Notice]:
    """A process's releases, each merged over every earlier one, oldest first.

    The OCDS merge order is the releases' dates (ties broken by release id), never the order
    they were fetched in, so the last element (the compiled record) is the same whatever
    order `releases` come in. A release given twice counts once.
    """
    chain: list[Notice] = []
    for release in sorted(releases, key=release_order):
        if chain and chain[-1].release_id == release.release_id:
            continue
        chain.append(merge_notice(chain[-1], release) if chain else release)
    return chain


def _kept(old: Any, new: Any) -> dict[str, Any]:
    return {
        f.name: getattr(old, f.name)
        for f in dataclasses.fields(new)
        if getattr(new, f.name) in _EMPTY and getattr(old, f.name) not in _EMPTY
    }
