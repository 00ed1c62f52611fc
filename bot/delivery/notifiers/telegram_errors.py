"""python-telegram-bot's errors read as a `SendError` (retryable or not, chat gone or not).

Also quiets the library's own traceback for an answer that is not JSON (a proxy's error
page), which the error raised afterwards already reports in one line.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError

from bot.delivery.notifiers import SendError

_UNREADABLE = re.compile(r"\((\d{3})\)\. Parsing the server response")


def seconds(value: int | float | timedelta) -> float:
    """A Telegram wait (seconds, or a timedelta in newer library versions) in seconds."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def classify(exc: TelegramError) -> SendError:
    """Turn a python-telegram-bot error into a `SendError`."""
    if isinstance(exc, RetryAfter):
        return SendError(
            f"telegram: {exc.message}", retryable=True, retry_after=seconds(exc.retry_after)
        )
    if isinstance(exc, Forbidden | InvalidToken):
        return SendError(f"telegram: {exc.message}", retryable=False, channel_gone=True)
    if isinstance(exc, BadRequest):
        gone = "chat not found" in exc.message.lower()
        return SendError(f"telegram: {exc.message}", retryable=False, channel_gone=gone)
    unreadable = _UNREADABLE.search(exc.message)
    if unreadable:  # a proxy's error page: its HTML says nothing more than its status
        return SendError(f"telegram: unreadable answer (HTTP {unreadable[1]})", retryable=True)
    return SendError(f"telegram: {type(exc).__name__}: {exc.message}", retryable=True)


class UnreadableAnswerFilter(logging.Filter):
    """Drops python-telegram-bot's own report of an answer that is not JSON.

    A proxy's 502/503 page makes the library log a JSON traceback (13 lines) before it
    raises; the error it raises is reported in one line by whoever called it (delivery, the
    chat bot), so the traceback only repeats it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """False for the library's "Can not load invalid JSON data" record."""
        return not str(record.msg).startswith("Can not load invalid JSON data")


def quiet_unreadable_answers() -> None:
    """Attach `UnreadableAnswerFilter` to the library's request logger (once)."""
    library = logging.getLogger("telegram.request.BaseRequest")
    if not any(isinstance(f, UnreadableAnswerFilter) for f in library.filters):
        library.addFilter(UnreadableAnswerFilter())


quiet_unreadable_answers()
