"""Notifiers built from the config: the context channel kinds share, one notifier per channel."""

from __future__ import annotations

from typing import TextIO

from bot.config import ChannelConfig, Config
from bot.delivery.notifiers import Notifier
from bot.delivery.notifiers.registry import BuildContext, channel_kind
from bot.delivery.outbox import Outbox
from bot.store import Store
from sources.clock import Clock


def build_notifier(channel: ChannelConfig, context: BuildContext) -> Notifier:
    """The notifier for one configured channel, built by its kind's module."""
    return channel_kind(channel.kind).build(channel, context)


def build_context(
    config: Config, store: Store, outbox: Outbox, clock: Clock, stdout: TextIO | None = None
) -> BuildContext:
    """What channel kinds build their notifiers with; close it to close shared HTTP pools."""
    return BuildContext(
        zone=config.bot.zone,
        stdout=stdout,
        config_dir=config.path.parent,
        store=store,
        saved_chat_id=lambda name: outbox.channel_state(name).chat_id,
        remember_chat_id=outbox.set_chat_id,
        now=clock.now,
    )
