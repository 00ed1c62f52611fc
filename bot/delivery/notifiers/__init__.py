"""Notifiers: one module per channel kind, each a pure `render` plus an async `send`.

::

    SendError       a send failed. `retryable`: the outbox should try again later (after
                    `retry_after` seconds when the service said so); `channel_gone`: the
                    channel cannot be reached any more (bot removed, channel archived, token
                    revoked), so sending to it pauses. Otherwise the message itself was refused.

Only the outbox decides what happens next.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.delivery.alerts import Alert, Digest
from bot.delivery.pacing import RateLimits


class SendError(Exception):
    """Raised by a notifier's `send`; the message says what the service answered."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        channel_gone: bool = False,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.channel_gone = channel_gone


class Notifier(Protocol):
    """Sends alerts, digests and test messages to one channel.

    `limits` are the service's rate limits for this chat, which delivery stays under (None:
    the channel has none, like the console). A new kind of channel declares its own and is
    paced without any change to delivery.
    """

    @property
    def limits(self) -> RateLimits | None:
        """The service's rate limits for this chat and its account, or None."""
        ...

    async def send(self, alert: Alert, *, now: datetime) -> str | None:
        """Deliver one alert; returns the message's reference (for threaded replies).

        Raises:
            SendError: the send failed.
        """
        ...

    def digest_parts(self, digest: Digest, *, now: datetime) -> list[Digest]:
        """Split a digest into parts that each fit in one message."""
        ...

    async def send_digest(self, digest: Digest, *, now: datetime) -> str | None:
        """Deliver one digest part.

        Raises:
            SendError: the send failed.
        """
        ...

    async def send_test(self, *, now: datetime) -> str | None:
        """Deliver a clearly marked test message.

        Raises:
            SendError: the send failed.
        """
        ...

    async def send_admin(self, text: str, *, now: datetime) -> str | None:
        """Deliver a plain message to the admin (a source failing, a channel paused...).

        Raises:
            SendError: the send failed.
        """
        ...

    async def aclose(self) -> None:
        """Release network resources."""
        ...
