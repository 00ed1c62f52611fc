"""Logging for the command line: one line per event on standard error, secrets redacted."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

from bot.config import Config
from bot.redaction import Redactor, config_secrets

QUIET_LIBRARIES = ("httpx", "httpcore", "apscheduler", "telegram", "slack_sdk", "aiohttp")
"""Their debug logs print request URLs and headers; Telegram's URLs contain the bot token."""


class RedactingStderrHandler(logging.Handler):
    """Writes to whatever `sys.stderr` is at the time, with every secret value masked."""

    tenderbot = True

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.redact = Redactor(secrets)

    def emit(self, record: logging.LogRecord) -> None:
        """Write one redacted log line."""
        try:
            sys.stderr.write(self.redact(self.format(record)) + "\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            self.handleError(record)


def setup_logging(config: Config | None, verbose: bool) -> None:
    """Log to standard error at the configured level (debug with `verbose`)."""
    level = "debug" if verbose else (config.bot.log_level if config else "info")
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "tenderbot", False)]:
        root.removeHandler(old)
    handler = RedactingStderrHandler(config_secrets(config))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())
    for library in QUIET_LIBRARIES:
        logging.getLogger(library).setLevel(logging.WARNING)
