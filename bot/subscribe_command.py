"""`tenderbot subscribe email ADDRESS --rules SET...`: add an email subscriber, double opt-in.

The address is stored unconfirmed and mailed a confirmation link (through the email channel
it will be sent through); it receives nothing until the link is followed, on the daemon's
HTTP listener (the channel's `public_url`).
"""

from __future__ import annotations

from typing import TextIO

from bot.config import ChannelConfig, Config, ConfigError
from bot.config_delivery import MAX_RADAR_MONTHS
from bot.delivery.notifiers import SendError
from bot.radar.shown import read_months
from rules.errors import RuleFileError
from rules.library import resolve
from sources.clock import Clock

EXIT_OK = 0
EXIT_FAILED = 1


def _email_channel(config: Config, name: str | None) -> ChannelConfig:
    emails = [c for c in config.channels if c.kind == "email"]
    if name is not None:
        found = [c for c in emails if c.name == name]
        if not found:
            known = ", ".join(c.name for c in emails) or "none configured"
            raise ConfigError(
                f"{config.path}: --channel: no email channel named {name!r} ({known})"
            )
        return found[0]
    if len(emails) != 1:
        known = ", ".join(c.name for c in emails) or "none configured"
        raise ConfigError(
            f"{config.path}: --channel: say which email channel sends it (email channels: {known})"
        )
    return emails[0]


async def subscribe_email(
    config: Config,
    address: str,
    rule_sets: list[str],
    channel_name: str | None,
    clock: Clock,
    out: TextIO,
    *,
    radar: str | None = None,
) -> int:
    """Store `address` unconfirmed with `rule_sets` and mail it the confirmation link.

    `radar`: the months ahead of `--radar` (as given), to opt it in to re-tender radar items.

    Raises:
        ConfigError: the address, a rule set, the radar's months or the channel is wrong, or
            the channel has no `public_url` for the link.
        RuleFileError: a rule set cannot be found.
    """
    from bot.delivery.notifiers.email import EmailNotifier, EmailSettings
    from bot.delivery.notifiers.email_smtp import mail_address
    from bot.delivery.notifiers.email_subscribers import Subscribers
    from bot.delivery.notifiers.factory import build_context, build_notifier
    from bot.delivery.outbox import Outbox
    from bot.redaction import redactor_for
    from bot.store import Store

    try:
        address = mail_address(address).lower()
    except ValueError as exc:
        raise ConfigError(f"ADDRESS: {exc}") from None
    if not rule_sets:
        raise ConfigError("--rules: name at least one rule set (`tenderbot rules list`)")
    radar_months = None
    if radar is not None:
        radar_months = read_months(radar)
        if radar_months is None:
            raise ConfigError(
                f"--radar: {radar[:20]!r} is not a number of months from 1 to {MAX_RADAR_MONTHS}"
            )
    for ref in rule_sets:
        try:
            resolve(ref, config.path.parent)
        except RuleFileError as exc:
            raise ConfigError(f"--rules: {exc}") from None
    channel = _email_channel(config, channel_name)
    assert isinstance(channel.settings, EmailSettings)
    if not channel.settings.public_url:
        raise ConfigError(
            f"{config.path}: channels ({channel.name}).public_url: is needed for the "
            "confirmation link (where subscribers reach `[bot] http`)"
        )
    redact = redactor_for(config)
    store = Store(config.bot.store_location)
    try:
        Subscribers(store.db, store.transaction).add(
            address, channel.name, tuple(rule_sets), clock.now(), radar_months=radar_months
        )
        context = build_context(config, store, Outbox(store, redact=redact), clock, out)
        notifier = build_notifier(channel, context)
        assert isinstance(notifier, EmailNotifier)
        try:
            await notifier.send_confirmation(
                address, tuple(rule_sets), now=clock.now(), radar_months=radar_months
            )
        except SendError as exc:
            print(redact(f"{address}: confirmation NOT sent: {exc}"), file=out)
            return EXIT_FAILED
        finally:
            await context.aclose()
    finally:
        store.close()
    print(f"{address}: confirmation link sent; alerts start once it is followed", file=out)
    return EXIT_OK
