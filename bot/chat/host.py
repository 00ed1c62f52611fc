"""Running the configured `[[bots]]` inside the daemon, wired to the app."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Protocol

from bot.app import App
from bot.chat.catalogue import SetCatalogue
from bot.chat.commands import ChatCommands
from bot.chat.feedback import explain_alert, record_feedback
from bot.chat.services import make_services
from bot.chat.settings import ChatBotConfig

log = logging.getLogger("tenderbot.chat")


class ChatBot(Protocol):
    """A running bot: Telegram long polling or Slack Socket Mode."""

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until `stop` is set."""
        ...

    async def aclose(self) -> None:
        """Release network resources."""
        ...


def commands_for(app: App, config: ChatBotConfig) -> ChatCommands:
    """The commands of one bot, over the app's store, routing and clock."""
    services = make_services(
        app.store, app.outbox, app.clock, lambda: app.config, lambda: app.router
    )
    catalogue = SetCatalogue(config.default_rules, app.base_config.path.parent)
    return ChatCommands(config, app.chats, catalogue, services, app.clock)


def build_bots(app: App) -> list[ChatBot]:
    """A running bot for every `[[bots]]` entry (tokens from the environment)."""
    bots: list[ChatBot] = []

    def changed() -> None:
        app.refresh_chats()

    def feedback(outbox_id: int, chat: str, voter: str, verdict: str) -> str:
        return record_feedback(
            app.store,
            app.config,
            outbox_id=outbox_id,
            chat=chat,
            voter=voter,
            verdict=verdict,
            now=app.clock.now(),
        )

    def explain(outbox_id: int, chat: str) -> str:
        return explain_alert(app.store, app.config, outbox_id=outbox_id, chat=chat)

    for config in app.base_config.bots:
        token = os.environ.get(config.token_env, "")
        commands = commands_for(app, config)
        if config.kind == "telegram":
            from bot.chat.telegram_bot import TelegramChatBot

            bots.append(
                TelegramChatBot(
                    config,
                    token,
                    commands,
                    app.chats,
                    on_change=changed,
                    feedback=feedback,
                    explain=explain,
                )
            )
        else:
            from bot.chat.slack_bot import SlackChatBot

            app_token = os.environ.get(config.app_token_env or "", "")
            bots.append(
                SlackChatBot(
                    config,
                    token,
                    app_token,
                    commands,
                    app.chats,
                    on_change=changed,
                    feedback=feedback,
                )
            )
    return bots
