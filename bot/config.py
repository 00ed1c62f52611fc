"""Load and validate the TOML configuration into frozen records.

Every problem is a `ConfigError` reading ``FILE: key: what is wrong``; the CLI turns it into
exit code 2. Secrets are never in the file: channels name the environment variable that holds
their token, checked by `check_secrets` at start-up.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import __version__
from bot.chat.settings import ChatBotConfig, load_bots
from bot.config_delivery import (
    ChannelConfig,
    SubscriptionConfig,
    load_channel,
    load_subscription,
)
from bot.config_sources import SourceConfig, load_source
from bot.config_table import ConfigError, TomlTable
from bot.report.settings import ReportConfig, load_report_config
from bot.store.connection import is_url, redact_url

__all__ = [
    "BotConfig",
    "ChannelConfig",
    "Config",
    "ConfigError",
    "SourceConfig",
    "SubscriptionConfig",
    "check_secrets",
    "find_config_path",
    "load_config",
    "parse_config",
]

DATABASE_URL_ENV = "TENDERBOT_DATABASE_URL"
DEFAULT_CONTACT = "https://github.com/tenderbot/tenderbot"
DEFAULT_CONFIG_NAME = "tenderbot.toml"
LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True, slots=True, kw_only=True)
class BotConfig:
    """The `[bot]` table."""

    database: Path
    """The SQLite file (unused when `database_url` names a PostgreSQL server)."""
    database_url: str | None = None
    """A PostgreSQL server (``postgresql://...``), from the config or $TENDERBOT_DATABASE_URL."""
    heartbeat: timedelta = timedelta(seconds=10)
    """PostgreSQL: how often the leader renews its lease; a standby takes over within two."""
    timezone: str = "Europe/London"
    log_level: str = "info"
    max_instant: int = 20
    contact: str | None = None
    http: tuple[str, int] | None = None
    admin_channel: str | None = None
    admin_after: int = 3
    keep: timedelta | None = None

    @property
    def store_location(self) -> Path | str:
        """What `Store` opens: the PostgreSQL URL, or the SQLite file."""
        return self.database_url or self.database

    @property
    def database_label(self) -> str:
        """How messages name the database: the SQLite path, or the URL without a password."""
        return redact_url(self.database_url) if self.database_url else str(self.database)

    @property
    def user_agent(self) -> str:
        """The User-Agent every request carries: tenderbot, its version and a contact."""
        return f"tenderbot/{__version__} (+{self.contact or DEFAULT_CONTACT})"

    @property
    def zone(self) -> ZoneInfo:
        """The configured timezone."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """The whole configuration, as loaded from `path`."""

    path: Path
    bot: BotConfig
    sources: tuple[SourceConfig, ...]
    channels: tuple[ChannelConfig, ...]
    subscriptions: tuple[SubscriptionConfig, ...]
    report: ReportConfig | None = None
    bots: tuple[ChatBotConfig, ...] = ()

    def channel(self, name: str) -> ChannelConfig:
        """The channel called `name`.

        Raises:
            KeyError: no channel has that name.
        """
        for channel in self.channels:
            if channel.name == name:
                return channel
        raise KeyError(name)

    def source(self, name: str) -> SourceConfig:
        """The source called `name`.

        Raises:
            KeyError: no source has that name.
        """
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)


def _array(file: Path, root: Mapping[str, Any], key: str) -> list[object]:
    value = root.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"{file}: {key}: expected an array of tables ([[{key}]])")
    return value


def _database_url(table: TomlTable, database: str) -> str | None:
    """The PostgreSQL URL in force: $TENDERBOT_DATABASE_URL, else `database` if it is one.

    A password never sits in the config file: it comes from ``PGPASSWORD`` (or the
    environment variable's URL).
    """
    from_env = os.environ.get(DATABASE_URL_ENV, "").strip()
    if from_env:
        if not is_url(from_env):
            raise ConfigError(
                f"${DATABASE_URL_ENV}: must be a postgresql:// URL, got {redact_url(from_env)!r}"
            )
        return from_env
    if not is_url(database):
        return None
    try:
        password = urlsplit(database).password
    except ValueError:
        raise table.error("database", "is not a readable postgresql:// URL") from None
    if password is not None:
        raise table.error(
            "database",
            "holds a password; a secret is never written in the config: put it in PGPASSWORD "
            f"(or the whole URL in ${DATABASE_URL_ENV})",
        )
    return database


def _load_bot(file: Path, root: Mapping[str, Any]) -> BotConfig:
    table = TomlTable(file, "bot", root.get("bot", {}))
    database = table.text("database", "tenderbot.db") or "tenderbot.db"
    database_url = _database_url(table, database)
    heartbeat = table.duration("heartbeat", "10s")
    if heartbeat < timedelta(seconds=1):
        raise table.error("heartbeat", "must be at least 1s")
    timezone = table.text("timezone", "Europe/London") or "Europe/London"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise table.error("timezone", f"unknown timezone {timezone!r}") from None
    log_level = (table.text("log_level", "info") or "info").lower()
    if log_level not in LOG_LEVELS:
        raise table.error("log_level", f"must be one of {', '.join(LOG_LEVELS)}")
    max_instant = table.positive_int("max_instant", 20)
    contact = table.text("contact")
    http = _listen_address(table, table.text("http"))
    admin_channel = table.text("admin_channel")
    admin_after = table.positive_int("admin_after", 3)
    keep = table.duration("keep", "1d") if table.data.get("keep") is not None else None
    if keep is not None and keep < timedelta(days=30):
        raise table.error("keep", "must be at least 30 days (the report and updates need history)")
    table.finish()
    path = Path("tenderbot.db" if database_url else database).expanduser()
    if not path.is_absolute():
        path = file.resolve().parent / path
    return BotConfig(
        database=path,
        database_url=database_url,
        heartbeat=heartbeat,
        timezone=timezone,
        log_level=log_level,
        max_instant=max_instant,
        contact=contact,
        http=http,
        admin_channel=admin_channel,
        admin_after=admin_after,
        keep=keep,
    )


def _listen_address(table: TomlTable, text: str | None) -> tuple[str, int] | None:
    """``HOST:PORT`` for the HTTP listener (port 0 picks a free one), or None when unset."""
    if text is None:
        return None
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise table.error("http", f'expected "HOST:PORT" such as "127.0.0.1:8787", got {text!r}')
    return host.strip("[]"), int(port)


def _unique(file: Path, what: str, names: list[str]) -> None:
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            raise ConfigError(f"{file}: {what}[{index}].name: {name!r} is used twice")
        seen.add(name)


def parse_config(text: str, file: Path) -> Config:
    """Validate configuration `text` read from `file` (used in messages and for paths).

    Raises:
        ConfigError: the text is not valid TOML or breaks a rule of the schema.
    """
    try:
        root = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    allowed = {"bot", "sources", "channels", "subscriptions", "report", "bots"}
    for key in root:
        if key not in allowed:
            raise ConfigError(f"{file}: {key}: unknown key")
    bot = _load_bot(file, root)
    sources = tuple(
        load_source(file, i, data, bot.user_agent)
        for i, data in enumerate(_array(file, root, "sources"))
    )
    channels = tuple(
        load_channel(file, i, data) for i, data in enumerate(_array(file, root, "channels"))
    )
    _unique(file, "sources", [s.name for s in sources])
    _unique(file, "channels", [c.name for c in channels])
    by_name = {c.name: c for c in channels}
    subscriptions = tuple(
        load_subscription(file, i, data, by_name)
        for i, data in enumerate(_array(file, root, "subscriptions"))
    )
    _unique(file, "subscriptions", [s.name for s in subscriptions])
    if bot.admin_channel is not None and bot.admin_channel not in by_name:
        known = ", ".join(by_name) or "none configured"
        raise ConfigError(
            f"{file}: bot.admin_channel: no channel named {bot.admin_channel!r} (channels: {known})"
        )
    return Config(
        path=file,
        bot=bot,
        sources=sources,
        channels=channels,
        subscriptions=subscriptions,
        report=load_report_config(file, root, bot.database.parent),
        bots=load_bots(file, root),
    )


def find_config_path(explicit: str | None, environ: Mapping[str, str] | None = None) -> Path:
    """The config to use: `--config`, else ``$TENDERBOT_CONFIG``, else ``./tenderbot.toml``."""
    env = os.environ if environ is None else environ
    return Path(explicit or env.get("TENDERBOT_CONFIG") or DEFAULT_CONFIG_NAME)


def load_config(path: Path) -> Config:
    """Read and validate the configuration file at `path`.

    Raises:
        ConfigError: the file cannot be read or is invalid.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such file (pass --config FILE, set TENDERBOT_CONFIG, "
            f"or run `tenderbot init` to write a commented example to {DEFAULT_CONFIG_NAME})"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_config(text, path)


def check_secrets(config: Config, environ: Mapping[str, str] | None = None) -> None:
    """Check that every channel's token variable is set and non-empty.

    Raises:
        ConfigError: naming the channel and the missing variable (never the value).
    """
    env = os.environ if environ is None else environ
    for channel in config.channels:
        for key, name in channel.secret_envs:
            if not env.get(name, "").strip():
                raise ConfigError(
                    f"{config.path}: channels ({channel.name}).{key}: environment variable "
                    f"{name} is not set"
                )
    for bot in config.bots:
        for key, variable in (("token_env", bot.token_env), ("app_token_env", bot.app_token_env)):
            if variable and not env.get(variable, "").strip():
                raise ConfigError(
                    f"{config.path}: bots ({bot.name}).{key}: environment variable "
                    f"{variable} is not set"
                )
