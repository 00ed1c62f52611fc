"""Which channel kinds exist: each notifier module declares its own, found here by name.

A channel kind ``K`` is the module ``bot.delivery.notifiers.K`` with a module-level
``CHANNEL = ChannelKind(...)``: how it reads its own ``[[channels]]`` keys, which
environment variables hold its secrets, and how it builds its notifier. Config loading and
the application find kinds here, so adding a kind is one module (plus its config entry and
its test file) and touches nothing else. Only the modules of the kinds a config uses are
imported.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar
from zoneinfo import ZoneInfo

from bot.config_table import TomlTable, type_name

if TYPE_CHECKING:
    from aiohttp import web

    from bot.config import Config
    from bot.config_delivery import ChannelConfig, SubscriptionConfig
    from bot.delivery.notifiers import Notifier

PACKAGE = "bot.delivery.notifiers"
_KIND_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
R = TypeVar("R")

Route = tuple[str, str, Callable[["web.Request"], Awaitable["web.StreamResponse"]]]
"""A page the daemon's HTTP listener serves for a kind: (method, path, handler)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelOptions:
    """What a kind read from its `[[channels]]` table.

    `token_env`, `channel`, `chat_id` and `api_url` are the keys the chat bots share with
    the Slack and Telegram channels; any other kind keeps its own keys in `settings` (a
    frozen dataclass of its module). `secrets` names each environment variable the kind
    needs, as (config key, variable name): it is checked at start-up and its value is
    redacted from every log.
    """

    settings: object = None
    secrets: tuple[tuple[str, str], ...] = ()
    token_env: str | None = None
    channel: str | None = None
    chat_id: str | None = None
    api_url: str | None = None


@dataclass(slots=True, kw_only=True)
class BuildContext:
    """What a kind may use to build its notifier.

    `state` reads and writes small per-channel values kept in the database (a Telegram chat
    that moved, an email address that unsubscribed); `resource` shares one object (an HTTP
    client pool) between every channel of a kind and is closed with the application.
    """

    zone: ZoneInfo
    stdout: TextIO | None = None
    config_dir: Path = Path(".")
    public_url: str | None = None
    """The daemon's HTTP listener as subscribers reach it (`[bot] public_url`), if any."""
    link_key: bytes = b""
    """The key signing links served by the HTTP listener (unsubscribe, self-service)."""
    store: Any = None
    """The `bot.store.Store` (typed loosely so this module stays light to import)."""
    remember_chat_id: Callable[[str, str], None] | None = None
    saved_chat_id: Callable[[str], str | None] | None = None
    admin: Callable[[str, str], None] | None = None
    """Tells the admin channel something about a channel: (channel name, text)."""
    now: Callable[[], datetime] | None = None
    on_change: Callable[[], None] | None = None
    """Called when a kind's own subscribers changed (the application takes them up)."""
    _resources: dict[str, object] = field(default_factory=dict)

    def resource(self, key: str, factory: Callable[[], R]) -> R:
        """The one object shared under `key`, made by `factory` on first use."""
        if key not in self._resources:
            self._resources[key] = factory()
        value: R = self._resources[key]  # type: ignore[assignment]
        return value

    async def aclose(self) -> None:
        """Close every shared resource that can be closed."""
        for value in self._resources.values():
            closer = getattr(value, "aclose", None)
            if closer is not None:
                await closer()
        self._resources.clear()


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelKind:
    """One channel kind: how to read its config keys and how to build its notifier."""

    name: str
    read: Callable[[TomlTable], ChannelOptions]
    """Reads the kind's own keys from its table (raising `ConfigError` naming file and key)."""
    build: Callable[[ChannelConfig, BuildContext], Notifier]
    """Builds the notifier for one channel; secrets are read from the environment here."""
    routes: Callable[[BuildContext], Sequence[Route]] | None = None
    """Pages the HTTP listener serves once for the kind (an unsubscribe link's target)."""
    subscribers: (
        Callable[[Config, Any], tuple[list[ChannelConfig], list[SubscriptionConfig]]] | None
    ) = None
    """Channels and subscriptions the kind keeps in the database (`store`), beside the
    config's own: an email address an admin added, for example."""


def with_subscribers(config: Config, store: Any) -> Config:
    """`config` with the channels and subscriptions each configured kind keeps itself."""
    import dataclasses

    channels = list(config.channels)
    subscriptions = list(config.subscriptions)
    for name in sorted({c.kind for c in config.channels}):
        kind = channel_kind(name)
        if kind.subscribers is not None:
            more_channels, more_subscriptions = kind.subscribers(
                dataclasses.replace(config, subscriptions=tuple(subscriptions)), store
            )
            channels += more_channels
            subscriptions += more_subscriptions
    return dataclasses.replace(config, channels=tuple(channels), subscriptions=tuple(subscriptions))


def kind_names() -> list[str]:
    """Every channel kind available, sorted (imports each notifier module once)."""
    names = []
    for module in pkgutil.iter_modules(importlib.import_module(PACKAGE).__path__):
        if _find(module.name) is not None:
            names.append(module.name)
    return sorted(names)


def _find(name: str) -> ChannelKind | None:
    if not _KIND_NAME.match(name):
        return None
    try:
        module = importlib.import_module(f"{PACKAGE}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"{PACKAGE}.{name}":
            return None
        raise
    kind = getattr(module, "CHANNEL", None)
    return kind if isinstance(kind, ChannelKind) and kind.name == name else None


def channel_kind(name: str) -> ChannelKind:
    """The kind called `name`.

    Raises:
        KeyError: no notifier module declares that kind (the message lists those that do).
    """
    kind = _find(name)
    if kind is None:
        raise KeyError(f"must be one of {', '.join(kind_names())}, got {name!r}")
    return kind


def read_chat_keys(table: TomlTable) -> ChannelOptions:
    """The keys console, Slack and Telegram channels share (each kind checks what it needs).

    ``token_env`` names the secret's variable, so it is declared as the channel's secret.
    """
    token_env = table.text("token_env")
    channel = table.text("channel")
    table.used.add("chat_id")
    raw_chat_id = table.data.get("chat_id")
    if raw_chat_id is not None and (
        isinstance(raw_chat_id, bool) or not isinstance(raw_chat_id, str | int)
    ):
        raise table.error("chat_id", f"expected a string or integer, got {type_name(raw_chat_id)}")
    return ChannelOptions(
        token_env=token_env,
        channel=channel,
        chat_id=None if raw_chat_id is None else str(raw_chat_id),
        api_url=table.http_url("api_url"),
        secrets=(("token_env", token_env),) if token_env else (),
    )
