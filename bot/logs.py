"""Logging for the command line: one line per event on standard error, secrets redacted."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable

from bot.config import Config

REDACTED = "[redacted]"
QUIET_LIBRARIES = ("httpx", "httpcore", "apscheduler", "telegram", "slack_sdk", "aiohttp")
"""Their debug logs print request URLs and headers; Telegram's URLs contain the bot token."""


class RedactingStderrHandler(logging.Handler):
    """Writes to whatever `sys.stderr` is at the time, with every secret value masked."""

    tenderbot = True

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """`text` with every secret replaced."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def emit(self, record: logging.LogRecord) -> None:
        """Write one redacted log line."""
        try:
            sys.stderr.write(self.redact(self.format(record)) + "\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            self.handleError(record)


def channel_secrets(config: Config | None) -> list[str]:
    """The token values of the configured channels, read from the environment."""
    if config is None:
        return []
    return [os.environ.get(c.token_env, "") for c in config.channels if c.token_env]


def setup_logging(config: Config | None, verbose: bool) -> None:
    """Log to standard error at the configured level (debug with `verbose`)."""
    level = "debug" if verbose else (config.bot.log_level if config else "info")
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "tenderbot", False)]:
        root.removeHandler(old)
    handler = RedactingStderrHandler(channel_secrets(config))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())
    for library in QUIET_LIBRARIES:
        logging.getLogger(library).setLevel(logging.WARNING)
