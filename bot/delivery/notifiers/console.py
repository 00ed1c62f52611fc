"""The console channel: one readable block of plain text per alert on standard output."""

from __future__ import annotations

import re
import sys
from datetime import datetime
from typing import TYPE_CHECKING, TextIO
from zoneinfo import ZoneInfo

from bot.delivery.alerts import (
    CLOSING,
    RADAR,
    RADAR_FOLLOW_UPS,
    UPDATED,
    Alert,
    Digest,
    tier_label,
)
from bot.delivery.changes import describe_changes
from bot.delivery.formatting import (
    format_deadline,
    format_lots,
    format_place,
    format_signals,
    format_stage,
    format_value,
)
from bot.delivery.notifiers import SendError
from bot.delivery.notifiers.content import digest_line, radar_content, safe_url
from bot.delivery.notifiers.registry import BuildContext, ChannelKind, read_chat_keys
from bot.delivery.pacing import RateLimits
from bot.delivery.why import full_why
from bot.moments import local_moment

if TYPE_CHECKING:
    from bot.config_delivery import ChannelConfig

# Feed text is untrusted: terminal escape sequences and other control characters must not
# reach the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def plain(text: str) -> str:
    """Feed text made safe for a terminal, on one line."""
    return " ".join(_CONTROL.sub(" ", text).split())


def render_radar(alert: Alert, *, now: datetime, zone: ZoneInfo) -> str:
    """The block printed for a radar item (its contract and window) or for news of one."""
    if alert.kind == RADAR:
        title, details = digest_line(alert, now=now, zone=zone)
        lines = [f"== RADAR: {plain(title)}", f"   {plain(details)}"]
        link = safe_url(alert.notice.url)
        if alert.reasons[2:]:
            lines.append(f"   Why:      {plain('; '.join(full_why(alert.reasons[2:])))}")
    else:
        content = radar_content(alert)
        lines = [f"== {content.label.upper()}: {plain(content.title)}"]
        lines += [f"   {plain(change)}" for change in content.changes]
        link = content.notice_url
    lines.append(f"   Link:     {plain(link or 'not given')}")
    return "\n".join(lines) + "\n"


def render(alert: Alert, *, now: datetime, zone: ZoneInfo) -> str:
    """The block printed for one alert."""
    if alert.kind == RADAR or alert.kind in RADAR_FOLLOW_UPS:
        return render_radar(alert, now=now, zone=zone)
    notice = alert.notice
    label = {UPDATED: "UPDATED", CLOSING: "CLOSING SOON"}.get(alert.kind, "NEW")
    label = tier_label(label, alert)
    lines = [
        f"== {label}: {plain(notice.title)}",
        f"   Buyer:    {plain(notice.buyer) or 'not stated'}",
        f"   Value:    {format_value(notice)}",
        f"   Deadline: {format_deadline(notice, now, zone)}",
        f"   Region:   {plain(format_place(notice))}",
        f"   Stage:    {format_stage(notice, new=alert.kind not in (UPDATED, CLOSING))}",
        f"   Link:     {plain(notice.url or 'not given')}",
    ]
    for lot in format_lots(notice):
        lines.append(f"   Lot:      {plain(lot)}")
    signals = format_signals(notice)
    if signals:
        lines.append(f"   Notes:    {signals}")
    if alert.kind == UPDATED:
        for change in describe_changes(alert.previous, notice, zone):
            lines.append(f"   Changed:  {plain(change)}")
    if notice.portal_url:
        lines.append(f"   Bid at:   {plain(notice.portal_url)}")
    for url in alert.also:
        lines.append(f"   Also at:  {plain(url)}")
    if alert.reasons:
        lines.append(f"   Why:      {plain('; '.join(full_why(alert.reasons)))}")
    lines.append(f"   Id:       {plain(notice.source)} {plain(notice.id)}")
    return "\n".join(lines) + "\n"


class ConsoleNotifier:
    """Writes alerts to a text stream (standard output by default)."""

    limits: RateLimits | None = None
    """The console has no rate limits."""

    def __init__(self, zone: ZoneInfo, stream: TextIO | None = None) -> None:
        self._zone = zone
        self._stream = stream

    def _write(self, text: str) -> None:
        stream = self._stream or sys.stdout
        try:
            stream.write(text + "\n")
            stream.flush()
        except (OSError, ValueError) as exc:
            raise SendError(f"console: cannot write: {exc}", retryable=False) from exc

    async def send(self, alert: Alert, *, now: datetime) -> str | None:
        """Print one alert and flush, so a crash right after loses nothing already shown.

        Raises:
            SendError: the stream is closed or broken (not retryable).
        """
        self._write(render(alert, now=now, zone=self._zone))
        return None

    def digest_parts(self, digest: Digest, *, now: datetime) -> list[Digest]:
        """A terminal has no length limit: one part."""
        return [digest]

    async def send_digest(self, digest: Digest, *, now: datetime) -> str | None:
        """Print a digest heading, then each alert's block."""
        blocks = []
        for heading, alerts in digest.sections():
            if heading:
                blocks.append(f"---- {heading} ----\n")
            blocks += [render(a, now=now, zone=self._zone) for a in alerts]
        count = len(digest.alerts)
        self._write(f"#### {plain(digest.title)} ({count} notices)\n\n" + "\n".join(blocks))
        return None

    async def send_test(self, *, now: datetime) -> str | None:
        """Print a clearly marked test message."""
        self._write(f"== TEST: tenderbot test message ({local_moment(now, self._zone)})")
        return None

    async def send_admin(self, text: str, *, now: datetime) -> str | None:
        """Print an admin message."""
        self._write(f"== ADMIN: {plain(text)}\n")
        return None

    async def aclose(self) -> None:
        """Nothing to release."""


def _build(channel: ChannelConfig, context: BuildContext) -> ConsoleNotifier:
    return ConsoleNotifier(context.zone, context.stdout)


CHANNEL = ChannelKind(name="console", read=read_chat_keys, build=_build)
"""The console kind: no keys of its own."""
