"""Notifiers: one module per channel kind, each a pure `render` plus a `send`.

::

    SendError       a send failed; `retryable` says whether the outbox should try again,
                    `retry_after` how long the service asked us to wait (seconds, or None)
"""

from __future__ import annotations


class SendError(Exception):
    """Raised by a notifier's `send`; only the outbox decides what happens next."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
