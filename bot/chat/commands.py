"""The chat commands, the same words on every platform: parse, check who asks, act, reply.

A `Reply` is plain text and buttons (each button runs a command when pressed); the Telegram
and Slack listeners render it. `COMMANDS` is the whole list: each name with its handler and
who may use it (anyone in the chat, the chat's managers as the platform says, or the bot's
admins). A name may be two words (`radar on`, `radar list`): the second picks the action,
each with its own permission. A name not in it is unknown, whatever methods the class has.
A refused or invalid command changes nothing.
"""

from __future__ import annotations

import dataclasses
import time as clock_time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time

from bot.chat.arguments import (
    DAYS,
    MAX_COMMAND_LENGTH,
    MAX_MUTES,
    ArgumentError,
    read_amount,
    read_day,
    read_number,
    read_regions,
    read_time,
    read_word,
)
from bot.chat.catalogue import SetCatalogue
from bot.chat.command_limit import RateLimit
from bot.chat.command_records import Asker, Button, ChatServices, Permission, Reply
from bot.chat.onboarding import admin_note, note_refusal, refusal_text
from bot.chat.settings import ChatBotConfig
from bot.chat.store import ChatStore
from bot.chat.wording import HELP, POSSIBLE_REPLIES, describe_filters
from bot.config_delivery import MAX_RADAR_MONTHS
from bot.delivery.formatting import format_money
from bot.radar.shown import RADAR_MONTHS, listing
from rules.places import REGION_NAMES
from sources.clock import Clock

CATCH_UP_DAYS = 7
RADAR_USAGE = "Send radar on [MONTHS], radar off or radar list."
MAX_SETS = 10
MAX_CATCH_UP_DAYS = 30


class ChatCommands:
    """Runs one bot's commands against the chat store."""

    def __init__(
        self,
        bot: ChatBotConfig,
        chats: ChatStore,
        catalogue: SetCatalogue,
        services: ChatServices,
        clock: Clock,
        monotonic: Callable[[], float] = clock_time.monotonic,
    ) -> None:
        """Serve `bot`'s chats."""
        self.bot = bot
        self.chats = chats
        self.catalogue = catalogue
        self.services = services
        self.clock = clock
        self._monotonic = monotonic
        self.limit = RateLimit(bot.commands_per_minute)

    async def run(self, chat: str, asker: Asker, text: str) -> Reply | None:
        """Run one command typed (or pressed) in `chat`; None means say nothing."""
        allowed = self.limit.allow(chat, self._monotonic())
        if allowed is None:
            return None
        if not allowed:
            return Reply("That is a lot of commands at once; please wait a minute.")
        if not self.bot.allows_chat(chat) and not asker.bot_admin:
            note_refusal(self.chats, self.bot.name, chat, asker.user, self.clock.now())
            return Reply(refusal_text(chat))
        reply = await self._command(chat, asker, text)
        if reply is not None and not self.bot.allows_chat(chat):
            # A bot admin may use it anywhere; tell them what the chat's others see.
            note = admin_note(self.bot.name, chat)
            reply = dataclasses.replace(reply, text=f"{reply.text}\n\n{note}")
        return reply

    async def _command(self, chat: str, asker: Asker, text: str) -> Reply | None:
        """Run a command for a chat the asker may use."""
        if len(text) > MAX_COMMAND_LENGTH:
            return Reply(f"That command is too long ({MAX_COMMAND_LENGTH} characters at most).")
        words = text.split()
        if not words:
            return Reply(HELP)
        name, args = words[0].lower().lstrip("/"), words[1:]
        name = name.split("@", 1)[0]
        if args and f"{name} {args[0].lower()}" in COMMANDS:
            # A command of two words ("radar on"): the second chooses the action.
            name, args = f"{name} {args[0].lower()}", args[1:]
        command = COMMANDS.get(name)
        if command is None:
            return Reply(f"I don't know the command {name!r}. Send help for the list.")
        if command.permission is Permission.BOT_ADMIN and not asker.bot_admin:
            return Reply("Sorry, only this bot's admins may ask for its status.")
        if command.permission is Permission.MANAGER and not (
            asker.bot_admin or await asker.manage()
        ):
            return Reply(
                "Sorry, only this chat's administrators may change its subscriptions. "
                "Nothing was changed."
            )
        try:
            return command.handler(self, chat, asker, args)
        except ArgumentError as exc:
            return Reply(str(exc))

    # The handlers named in `COMMANDS`: each takes (chat, asker, args) and returns a Reply.

    def _help(self, chat: str, asker: Asker, args: list[str]) -> Reply:
        return Reply(HELP)

    def _sets(self, chat: str, asker: Asker, args: list[str]) -> Reply:
        found = self.catalogue.search(" ".join(args))
        if not found:
            return Reply(f"No rule set matches {' '.join(args)!r}. Send sets for them all.")
        lines = [f"{name}: {title}" for name, title in found]
        buttons = tuple(Button(f"Subscribe {name}", f"subscribe {name}") for name, _ in found)
        return Reply("Rule sets:\n" + "\n".join(lines), buttons[:12])

    def _subscribe(self, chat: str, asker: Asker, args: list[str]) -> Reply:
        if not args:
            names = self.catalogue.names()
            return Reply(
                "Which rule set? Send subscribe SET, or pick one:",
                tuple(Button(n, f"subscribe {n}") for n in self.bot.default_rules if n in names),
            )
        if len(args) > MAX_SETS:
            raise ArgumentError(f"At most {MAX_SETS} rule sets at once, please.")
        names = [self._known_set(arg) for arg in args]
        added = self.chats.subscribe(self.bot.name, chat, names, asker.user, self.clock.now())
        current = self.chats.chat(self.bot.name, chat)
        if not added:
            return Reply(f"This chat already has {', '.join(names)}.")
        text = f"Subscribed to {', '.join(added)}. Alerts start with what is published from now on."
        if current.paused:
            text += " Alerts are paused here; send resume to start them."
        days = CATCH_UP_DAYS
        return Reply(
            text,
            (Button(f"Send the last {days} days as one digest", f"catchup {days}"),),
            changed=True,
        )

    def _unsubscribe(self, chat: str, asker: Asker, args: list[str]) -> Reply:
        target = self._known_set(args[0]) if args else None
        removed = self.chats.unsubscribe(self.bot.name, chat, target)
        if not removed:
            return Reply("This chat had no such subscription; nothing changed.")
        return Reply(f"Unsubscribed from {', '.join(removed)}.", changed=True)

    def _list(self, chat: str, asker: Asker, args: list[str]) -> Reply:
        settings = self.chats.chat(self.bot.name, chat)
        lines = []
        if settings.rule_sets:
            lines.append("Subscriptions: " + ", ".join(settings.rule_sets))
        else:
            lines.append("No subscriptions made in this chat.")
        lines += [
            f"{line} (set in the config file; read-only)" for line in self.services.read_only(chat)
        ]
        lines.append(describe_filters(settings))
        if settings.paused:
            lines.append(f"Paused: {settings.paused}. Send resume to restart alerts.")
        return Reply("\n".join(lines))

    def _region(self, chat: str, asker: Asker, args: list[str]) -> Reply:
        if not args:
            buttons = [Button(name, f"region {name}") for name in REGION_NAMES.values()]
            return Reply("Which region?", (*buttons, Button("Anywhere", "region any")))
        regions = () if [a.lower() for a in args] == ["any"] else read_regions(args)
        self._update(chat, asker, regions=regions)
        where = ", ".join(regions) if regions else "anywhere"
        return Reply(f"Alerts now cover: {where}.", changed=True)

    def _maxvalue(self, chat: str, asker: Asker, args: list[str]) -> Reply:
        if len(args) != 1:
            return Reply("Send maxvalue AMOUNT (e.g. maxvalue 100k) or maxvalue any.")
        amount = None if args[0].lower() == "any" else read_amount(args[0])
        self._update(chat, asker, max_value=amount)
        if amount is None:
            return Reply("No value limit now.", changed=True)
        return Reply(
            f"Contracts worth more than {format_money(amount, 'GBP')} are left out now.",
            changed=True,
        )

    def _mute(self, chat: str, asker: Asker, args: list[str]) -> Reply:
        word = read_word(" ".join(args))
        mutes = self.chats.chat(self.bot.name, chat).mutes
        if word in mutes:
            return Reply(f"{word!r} is already muted.")
        if len(mutes) >= MAX_MUTES:
            return Reply(f"At most {MAX_MUTES} muted words; unmute one first.")
        self._update(chat, asker, mutes=(*mutes, word))
        return Reply(f"Notices that mention {word!r} are left out now.", changed=True)

    def _unmute(self, chat: str, asker: Asker, args: list[str]) -> Reply:
        word = read_word(" ".join(args))
        mutes = self.chats.chat(self.bot.name, chat).mutes
        if word not in mutes:
            return Reply(f"{word!r} was not muted.")
        self._update(chat, asker, mutes=tuple(m for m in mutes if m != word))
        return Reply(f"{word!r} is no longer muted.", changed=True)

    def _digest(self, chat: str, asker: Asker, args: list[str]) -> Reply:
        if not args:
            return Reply(
                "How should alerts arrive?",
                (
                    Button("One by one", "digest off"),
                    Button("Daily digest", "digest daily"),
                    Button("Weekly digest", "digest weekly"),
                ),
            )
        mode, rest = args[0].lower(), args[1:]
        if mode == "off" and not rest:
            self._update(chat, asker, mode="instant")
            return Reply("Alerts arrive one by one as they are published.", changed=True)
        if mode not in ("daily", "weekly"):
            raise ArgumentError(
                "Send digest off, digest daily [HH:MM] or digest weekly [DAY] [HH:MM]."
            )
        day = 0
        if mode == "weekly" and rest and ":" not in rest[0]:
            day, rest = read_day(rest[0]), rest[1:]
        if len(rest) > 1:
            raise ArgumentError("Send digest daily [HH:MM] or digest weekly [DAY] [HH:MM].")
        at = read_time(rest[0]) if rest else time(8, 0)
        self._update(chat, asker, mode=mode, digest_at=at, digest_day=day)
        when = f"every {DAYS[day].capitalize()}" if mode == "weekly" else "every day"
        return Reply(f"One digest {when} at {at:%H:%M}.", changed=True)

    def _possible(self, chat: str, asker: Asker, args: list[str]) -> Reply:
        if not args:
            return Reply(
                "Notices that are only worth a look (the scale is unknown, few days are left, "
                "or they fall a little short): how should they arrive?",
                (
                    Button("In a daily digest", "possible digest"),
                    Button("One by one", "possible instant"),
                    Button("Not at all", "possible off"),
                ),
            )
        choice = args[0].lower()
        if len(args) > 1 or choice not in POSSIBLE_REPLIES:
            raise ArgumentError("Send possible digest, possible instant or possible off.")
        self._update(chat, asker, possible=choice)
        return Reply(POSSIBLE_REPLIES[choice], changed=True)

    def _pause(self, chat: str, asker: Asker, args: list[str]) -> Reply:
        self._update(chat, asker, paused=f"paused by {asker.user}")
        return Reply("Alerts paused. Send resume to restart them.", changed=True)

    def _resume(self, chat: str, asker: Asker, args: list[str]) -> Reply:
        if self.chats.chat(self.bot.name, chat).paused is None:
            return Reply("Alerts are not paused.")
        self._update(chat, asker, paused=None)
        return Reply("Alerts resumed, with what is published from now on.", changed=True)

    def _preview(self, chat: str, asker: Asker, args: list[str]) -> Reply:
        if len(args) != 1:
            return Reply("Send preview SET, e.g. preview small-charities.")
        name = self._known_set(args[0])
        days = CATCH_UP_DAYS
        count, top = self.services.preview(name, days)
        lines = [f"{name} would have sent {count} alert(s) in the last {days} days."]
        lines += [f"- {title}" + (f" {url}" if url else "") for title, url in top]
        return Reply("\n".join(lines))

    def _status(self, chat: str, asker: Asker, args: list[str]) -> Reply:
        return Reply(self.services.status())

    def _catchup(self, chat: str, asker: Asker, args: list[str]) -> Reply:
        days = read_number(args[0], low=1, high=MAX_CATCH_UP_DAYS) if len(args) == 1 else None
        if days is None:
            raise ArgumentError(f"Send catchup DAYS, 1 to {MAX_CATCH_UP_DAYS}.")
        settings = self.chats.chat(self.bot.name, chat)
        if not settings.rule_sets:
            return Reply("Subscribe to a rule set first.")
        queued = self.services.catch_up(settings.key, days)
        if not queued:
            return Reply(f"Nothing matched in the last {days} days that this chat has not seen.")
        return Reply(
            f"{queued} notice(s) from the last {days} days are on their way as one digest."
        )

    def _radar(self, chat: str, asker: Asker, args: list[str]) -> Reply:
        raise ArgumentError(RADAR_USAGE)

    def _radar_on(self, chat: str, asker: Asker, args: list[str]) -> Reply:
        months = RADAR_MONTHS
        if args:
            read = read_number(args[0], low=1, high=MAX_RADAR_MONTHS) if len(args) == 1 else None
            if read is None:
                raise ArgumentError(f"Send radar on MONTHS, 1 to {MAX_RADAR_MONTHS}.")
            months = read
        self._update(chat, asker, radar=True, radar_months=months)
        return Reply(
            f"Radar on: contracts of your kind ending in the next {months} months come in "
            "a digest section, each once, with news of their re-tender as replies.",
            changed=True,
        )

    def _radar_off(self, chat: str, asker: Asker, args: list[str]) -> Reply:
        if args:
            raise ArgumentError(RADAR_USAGE)
        self._update(chat, asker, radar=False)
        return Reply("Radar off: no more items about contracts ending.", changed=True)

    def _radar_list(self, chat: str, asker: Asker, args: list[str]) -> Reply:
        if args:
            raise ArgumentError(RADAR_USAGE)
        settings = self.chats.chat(self.bot.name, chat)
        lines = self.services.radar_items(settings.key)
        return Reply("\n".join(listing(settings.radar, settings.radar_months, lines)))

    def _known_set(self, name: str) -> str:
        if name not in self.catalogue.names():
            raise ArgumentError(f"There is no rule set called {name!r}. Send sets to see them.")
        return name

    def _update(self, chat: str, asker: Asker, **changes: object) -> None:
        self.chats.update(self.bot.name, chat, asker.user, self.clock.now(), **changes)


Handler = Callable[[ChatCommands, str, Asker, list[str]], Reply]
"""A command's handler: (the commands, chat, who asks, arguments) -> the reply."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """One chat command: what runs it and who may."""

    handler: Handler
    permission: Permission


COMMANDS: dict[str, Command] = {
    "help": Command(handler=ChatCommands._help, permission=Permission.ANYONE),
    "start": Command(handler=ChatCommands._help, permission=Permission.ANYONE),
    "sets": Command(handler=ChatCommands._sets, permission=Permission.ANYONE),
    "list": Command(handler=ChatCommands._list, permission=Permission.ANYONE),
    "preview": Command(handler=ChatCommands._preview, permission=Permission.ANYONE),
    "subscribe": Command(handler=ChatCommands._subscribe, permission=Permission.MANAGER),
    "unsubscribe": Command(handler=ChatCommands._unsubscribe, permission=Permission.MANAGER),
    "region": Command(handler=ChatCommands._region, permission=Permission.MANAGER),
    "maxvalue": Command(handler=ChatCommands._maxvalue, permission=Permission.MANAGER),
    "mute": Command(handler=ChatCommands._mute, permission=Permission.MANAGER),
    "unmute": Command(handler=ChatCommands._unmute, permission=Permission.MANAGER),
    "digest": Command(handler=ChatCommands._digest, permission=Permission.MANAGER),
    "possible": Command(handler=ChatCommands._possible, permission=Permission.MANAGER),
    "pause": Command(handler=ChatCommands._pause, permission=Permission.MANAGER),
    "resume": Command(handler=ChatCommands._resume, permission=Permission.MANAGER),
    "catchup": Command(handler=ChatCommands._catchup, permission=Permission.MANAGER),
    "radar": Command(handler=ChatCommands._radar, permission=Permission.ANYONE),
    "radar on": Command(handler=ChatCommands._radar_on, permission=Permission.MANAGER),
    "radar off": Command(handler=ChatCommands._radar_off, permission=Permission.MANAGER),
    "radar list": Command(handler=ChatCommands._radar_list, permission=Permission.ANYONE),
    "status": Command(handler=ChatCommands._status, permission=Permission.BOT_ADMIN),
}
"""Every chat command, by name: nothing else is ever run from a chat."""
