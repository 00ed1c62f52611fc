"""What chat commands need from the running daemon: previews, catch-up digests, status.

Built over the app's store, outbox and routing, through callables, so the commands never
reach into the app.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.chat.command_records import ChatServices
from bot.chat.store import parse_chat_key
from bot.config import Config
from bot.config_delivery import POSSIBLE_OFF
from bot.delivery.outbox import Outbox
from bot.delivery.routing import Router
from bot.mirrors import Mirrors
from bot.radar.shown import shown_lines
from bot.status import collect_status
from bot.store import Store
from rules.library import resolve
from rules.loader import load_rule_set
from rules.ruleset import POSSIBLE
from sources.clock import Clock

CATCH_UP_MODE = "catchup"
TOP = 5


def make_services(
    store: Store,
    outbox: Outbox,
    clock: Clock,
    config: Callable[[], Config],
    router: Callable[[], Router],
) -> ChatServices:
    """The services over a running app (`config` and `router` read its current ones)."""
    mirrors = Mirrors(store)

    def preview(name: str, days: int) -> tuple[int, list[tuple[str, str | None]]]:
        rule_set = load_rule_set(resolve(name, config().path.parent))
        since = clock.now() - timedelta(days=days)
        found = []
        for notice in store.current_notices(since):
            if mirrors.is_copy(notice):
                continue
            match = rule_set.evaluate(notice, notice.release_date)
            if match is not None:
                found.append((match.score, notice.release_date, notice.title, notice.url))
        found.sort(key=lambda f: (f[0], f[1]), reverse=True)
        return len(found), [(title, url) for _, _, title, url in found[:TOP]]

    def catch_up(key: str, days: int) -> int:
        now = clock.now()
        queued = 0
        with store.transaction():
            for notice in store.current_notices(now - timedelta(days=days)):
                if not notice.is_open_stage or mirrors.is_copy(notice):
                    continue
                event = store.latest_event(notice)
                if event is None:
                    continue
                for route in router().route(event, now):
                    if route.subscription.name != key:
                        continue
                    if route.tier == POSSIBLE and route.subscription.possible == POSSIBLE_OFF:
                        continue
                    queued += outbox.enqueue(
                        event,
                        subscription=key,
                        channel=route.subscription.channel,
                        reasons=route.reasons,
                        now=now,
                        mode=CATCH_UP_MODE,
                        tier=route.tier,
                    )
        return queued

    def status() -> str:
        facts = collect_status(config(), store, clock.now())
        failing = [s["name"] for s in facts["sources"] if s["consecutive_failures"]]
        chats = facts["chat_subscriptions"]
        lines = [
            f"Sources: {len(facts['sources'])}, failing: {', '.join(failing) or 'none'}",
            f"Notices stored: {facts['notices_stored']}",
            f"Alerts pending: {facts['outbox']['pending']}, sent: {facts['alerts_sent']}, "
            f"refused: {facts['alerts_failed']}",
            f"Chat subscriptions: {chats['subscriptions']} in {chats['chats']} chat(s), "
            f"{chats['paused']} paused",
            "Paused channels: " + (", ".join(sorted(facts["paused_channels"])) or "none"),
        ]
        return "\n".join(lines)

    def read_only(chat: str) -> list[str]:
        current = config()
        targets = {c.name for c in current.channels if chat in (c.chat_id, c.channel)}
        return [
            f"{', '.join(s.rules) or 'every open notice'} ({s.mode})"
            for s in current.subscriptions
            if s.channel in targets and parse_chat_key(s.name) is None
        ]

    def radar_items(key: str) -> list[str]:
        return shown_lines(store.db, key)

    return ChatServices(
        preview=preview,
        catch_up=catch_up,
        status=status,
        read_only=read_only,
        radar_items=radar_items,
    )
