"""Events: what happened to a stored notice that subscribers may need to hear about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sources.notice import Notice


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """A notice first seen (`new`) or changed to a newer release (`updated`)."""

    id: int
    kind: str
    notice: Notice
    previous_release_id: str | None
    created_at: datetime
