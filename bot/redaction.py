"""Secrets out of every text tenderbot writes: logs, the database, status and command output.

Services echo tokens back in their errors, sometimes changed in case (python-telegram-bot
capitalises error descriptions), so matching ignores case.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from bot.config import Config

REDACTED = "[redacted]"
MIN_SECRET_LENGTH = 4
"""Shorter values are not masked: they would blank ordinary words."""


class Redactor:
    """Replaces every known secret value in a text, ignoring case."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
        self._pattern = (
            re.compile("|".join(re.escape(v) for v in values), re.IGNORECASE) if values else None
        )

    def __call__(self, text: str) -> str:
        """`text` with every secret replaced by ``[redacted]``."""
        if self._pattern is None:
            return text
        return self._pattern.sub(REDACTED, text)


def config_secrets(config: Config | None) -> list[str]:
    """The secret values the configuration points at, read from the environment."""
    if config is None:
        return []
    names = [variable for c in config.channels for _, variable in c.secret_envs]
    names += [n for b in config.bots for n in (b.token_env, b.app_token_env) if n]
    return [os.environ[name] for name in names if os.environ.get(name)]


def redactor_for(config: Config | None) -> Redactor:
    """A redactor for every secret of `config`."""
    return Redactor(config_secrets(config))
