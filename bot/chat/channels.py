"""Chat subscriptions as channels and subscriptions, beside those of the config file.

Each chat that ever subscribed through a bot and is not paused becomes a channel (so alerts
already queued for it are delivered even after it unsubscribes; a paused chat's wait, and
arrive when it resumes); each such chat with rule sets becomes a subscription named like its
channel, ``chat:BOT:CHAT``. The rest of the flow
(routing, outbox, digests, reminders) treats them exactly as it treats the config's own.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path

from bot.chat.settings import ChatBotConfig
from bot.chat.store import ChatSettings
from bot.config import ChannelConfig, Config, SubscriptionConfig
from rules.errors import RuleFileError
from rules.library import resolve

log = logging.getLogger("tenderbot.chat")


def chat_channel(bot: ChatBotConfig, chat: ChatSettings) -> ChannelConfig:
    """The channel that delivers to one chat, with feedback buttons on its alerts."""
    return ChannelConfig(
        name=chat.key,
        kind=bot.kind,
        token_env=bot.token_env,
        channel=chat.chat if bot.kind == "slack" else None,
        chat_id=chat.chat if bot.kind == "telegram" else None,
        api_url=bot.api_url,
        feedback=True,
    )


def chat_subscription(chat: ChatSettings, index: int) -> SubscriptionConfig:
    """The subscription a chat made: its rule sets, narrowed by its filters and mutes."""
    return SubscriptionConfig(
        name=chat.key,
        channel=chat.key,
        rules=chat.rule_sets,
        mode=chat.mode,
        regions=chat.regions,
        max_value=chat.max_value,
        exclude_keywords=chat.mutes,
        digest_at=chat.digest_at,
        digest_day=chat.digest_day,
        possible=chat.possible,
        index=index,
        radar=chat.radar,
        radar_months=chat.radar_months,
    )


def _loadable(ref: str, base_dir: Path) -> bool:
    try:
        resolve(ref, base_dir)
    except RuleFileError:
        return False
    return True


def with_chats(config: Config, chats: Sequence[ChatSettings]) -> Config:
    """`config` with every chat's channel and every active chat's subscription added.

    A configured channel reached by a bot's token also gets feedback buttons, since that
    bot hears the presses. A rule set a chat chose that no longer exists (a set renamed in
    a new version) is left out of its subscription, and logged, rather than stopping the
    daemon.
    """
    bots = {bot.name: bot for bot in config.bots}
    listened = {(bot.kind, bot.token_env) for bot in config.bots}
    channels = [
        dataclasses.replace(c, feedback=True) if (c.kind, c.token_env) in listened else c
        for c in config.channels
    ]
    subscriptions = list(config.subscriptions)
    for chat in chats:
        bot = bots.get(chat.bot)
        if bot is None or chat.paused is not None:
            continue  # a bot removed from the config, or a paused chat: stored, not served
        channels.append(chat_channel(bot, chat))
        rule_sets = tuple(r for r in chat.rule_sets if _loadable(r, config.path.parent))
        if rule_sets != chat.rule_sets:
            missing = sorted(set(chat.rule_sets) - set(rule_sets))
            log.warning("%s: rule set(s) %s no longer exist; left out", chat.key, missing)
        if rule_sets:
            chat = dataclasses.replace(chat, rule_sets=rule_sets)
            subscriptions.append(chat_subscription(chat, len(subscriptions)))
    return dataclasses.replace(config, channels=tuple(channels), subscriptions=tuple(subscriptions))
