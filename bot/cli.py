"""The `tenderbot` command line: run, poll, import, init, status, bots, backup, rules, ...

Exit codes: 0 success; 1 the work ran but something failed (a source, a send);
2 bad usage, a bad config, or a database that cannot be opened (or is missing, for a
command that only reads); 1 also when standard output cannot be written (a full disk behind
``> file``), said in one line on standard error; 141 (as a Unix tool killed by SIGPIPE)
when the reader of the output went away, e.g. ``tenderbot rules list | head -1``, with
nothing printed about it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO, cast

from bot.cli_parser import build_parser
from bot.config import Config, ConfigError, check_secrets, find_config_path, load_config
from bot.config_check import check_config, check_narrowing
from bot.delivery.outbox import Outbox
from bot.instance import InstanceError
from bot.logs import setup_logging
from bot.output import GuardedOutput, OutputFailed
from bot.redaction import redactor_for
from bot.status import collect_status, is_healthy, render_status, status_json
from bot.store import DatabaseFailed, Store, StoreError
from rules.errors import RuleFileError
from sources.clock import Clock, SystemClock

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 128 + 13
"""What a shell shows for a Unix tool stopped by SIGPIPE when its reader went away."""

log = logging.getLogger("tenderbot")


def _webhook_verify(args: argparse.Namespace, clock: Clock, out: TextIO) -> int:
    from bot.delivery.notifiers.webhook import decode_secret, verify

    if not os.environ.get(args.secret_env):
        raise ConfigError(
            f"--secret-env: environment variable {args.secret_env} is not set (it holds the "
            "webhook's secret)"
        )
    try:
        key = decode_secret(os.environ[args.secret_env])
    except ValueError as exc:
        raise ConfigError(f"--secret-env: environment variable {args.secret_env} {exc}") from None
    try:
        body = Path(args.body).read_bytes() if args.body else sys.stdin.buffer.read()
    except OSError as exc:
        raise ConfigError(f"{args.body}: cannot read: {exc.strerror}") from None
    headers = {
        "webhook-id": args.id,
        "webhook-timestamp": args.timestamp,
        "webhook-signature": args.signature,
    }
    try:
        message_id = verify(key, headers, body, now=clock.now())
    except ValueError as exc:
        print(f"not genuine: {exc}", file=out)
        return EXIT_FAILED
    print(f"genuine: {message_id}", file=out)
    return EXIT_OK


async def _poll(config: Config, names: Sequence[str], clock: Clock, stdout: TextIO | None) -> int:
    from bot.app import App  # the clients and notifiers load only for commands that send

    async with App(config, clock=clock, stdout=stdout, exclusive="poll") as app:
        results = await app.poll_many(names)
        delivery = await app.deliver()
    failed = [r for r in results if not r.ok]
    if delivery.paused:
        for name, reason in delivery.paused.items():
            log.error("%s: paused: %s", name, reason)
    problems = failed or delivery.failed or delivery.retrying or delivery.paused
    return EXIT_FAILED if problems else EXIT_OK


async def _send_test(config: Config, name: str, clock: Clock, out: TextIO) -> int:
    try:
        channel = config.channel(name)
    except KeyError:
        known = ", ".join(c.name for c in config.channels) or "none configured"
        raise ConfigError(f"{config.path}: no channel named {name!r} (channels: {known})") from None
    from bot.delivery.notifiers import SendError
    from bot.delivery.notifiers.factory import build_context, build_notifier

    redact = redactor_for(config)
    store = Store(config.bot.store_location)
    try:
        outbox = Outbox(store, redact=redact)
        context = build_context(config, store, outbox, clock, out)
        notifier = build_notifier(channel, context)
        try:
            await notifier.send_test(now=clock.now())
        except SendError as exc:
            print(redact(f"{name}: test message NOT sent: {exc}"), file=out)
            return EXIT_FAILED
        finally:
            await notifier.aclose()
            await context.aclose()
        was_paused = outbox.channel_state(name).paused_reason
        if was_paused:
            outbox.resume(name)
    finally:
        store.close()
    resumed = f" (was paused: {was_paused}; resumed)" if was_paused else ""
    print(redact(f"{name}: test message sent{resumed}"), file=out)
    return EXIT_OK


async def _run(config: Config, clock: Clock, stdout: TextIO | None) -> int:
    from bot.app import App
    from bot.daemon import run_daemon

    async with App(config, clock=clock, stdout=stdout, exclusive="run") as app:
        await run_daemon(app)
    return EXIT_OK


def _backup(config: Config, file: str, out: TextIO) -> int:
    target = Path(file).expanduser().resolve()
    if target == config.bot.database.resolve():
        raise ConfigError(f"{file}: that is the database itself; name another file")
    if target.exists():
        raise ConfigError(f"{file}: already exists; tenderbot never overwrites a backup")
    store = Store.open_existing(config.bot.store_location)
    try:
        store.backup(target)
        notices = store.count_notices()
    finally:
        store.close()
    print(f"backup written to {target} ({notices} notices; integrity check ok)", file=out)
    return EXIT_OK


def _known(config: Config, option: str, what: str, name: str, names: Sequence[str]) -> None:
    if name not in names:
        known = ", ".join(names) or "none configured"
        raise ConfigError(f"{config.path}: {option}: no {what} named {name!r} ({what}s: {known})")


def _outbox_retry(config: Config, channel: str | None, clock: Clock, out: TextIO) -> int:
    if channel is not None:
        _known(config, "--channel", "channel", channel, [c.name for c in config.channels])
    store = Store.open_existing(config.bot.store_location)
    try:
        count = Outbox(store).requeue_failed(clock.now(), channel)
    finally:
        store.close()
    where = f" for {channel}" if channel else ""
    print(
        f"{count} refused alert(s){where} queued again; the next delivery round sends them",
        file=out,
    )
    return EXIT_OK


def main(
    argv: Sequence[str] | None = None,
    *,
    clock: Clock | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Run the command line; returns the exit code.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).
        clock: the clock to use (tests pass a controllable one).
        stdout: where the console channel and reports print (default: standard output).
    """
    out = GuardedOutput(stdout or sys.stdout)
    try:
        try:
            code = _main(argv, clock=clock, stdout=stdout, out=cast(TextIO, out))
        finally:
            if stdout is None:
                # A reader gone, or a disk full, since the last line shows here, not at
                # exit (after --help too, whose writes argparse does not check).
                GuardedOutput(sys.stdout).flush()
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except OutputFailed as exc:
        if stdout is None:
            _silence_stdout()  # what could not be written must not fail again at exit
        print(f"tenderbot: cannot write output: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return code


def _silence_stdout() -> None:
    """Point standard output at /dev/null so the interpreter's final flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _main(
    argv: Sequence[str] | None, *, clock: Clock | None, stdout: TextIO | None, out: TextIO
) -> int:
    args = build_parser().parse_args(argv)
    clock = clock or SystemClock()
    verbose = bool(getattr(args, "verbose", False))
    try:
        if args.command == "rules":
            setup_logging(None, verbose)
            from bot.rules_cli import run_rules_command

            return run_rules_command(args, out, clock)
        if args.command == "report":
            setup_logging(None, verbose)
            from bot.report.command import run_report_command

            return run_report_command(args, out, clock)
        if args.command == "init":
            from bot.init_config import write_example_config

            written = write_example_config(args.file)
            print(
                f"{written}: example config written; edit it, then try `tenderbot import "
                "FILE...` (recorded data) or `tenderbot poll`",
                file=out,
            )
            return EXIT_OK
        if args.command == "webhook":
            return _webhook_verify(args, clock, out)
        if args.command == "radar":
            setup_logging(None, verbose)
            from bot.radar.command import run_radar_command

            return run_radar_command(args, out, clock)
        if args.command == "db":
            return _db_copy(args.source, args.target, force=args.force, out=out)
        config = load_config(find_config_path(getattr(args, "config", None)))
        setup_logging(config, verbose)
        if args.command == "status":
            check_narrowing(config)
            return _status(config, clock, out, args.format)
        if args.command == "outbox":
            return _outbox_retry(config, args.channel, clock, out)
        if args.command == "backup":
            return _backup(config, args.file, out)
        if args.command == "bots":
            return _bots(config, out)
        check_config(config)
        if args.command != "import" or args.alerts:
            check_secrets(config)
        import asyncio  # only the commands that talk to services need the event loop

        if args.command == "import":
            from bot.importer import run_import

            return asyncio.run(run_import(config, args, clock, stdout, out))
        if args.command == "backfill":
            from bot.backfill import backfill_command

            return backfill_command(config, args, clock, out)
        if args.command == "send-test":
            return asyncio.run(_send_test(config, args.channel, clock, out))
        if args.command == "subscribe":
            from bot.subscribe_command import subscribe_email

            return asyncio.run(
                subscribe_email(
                    config, args.address, args.rules, args.channel, clock, out, radar=args.radar
                )
            )
        if args.command == "poll":
            names = args.source or [s.name for s in config.sources if s.enabled]
            for name in names:
                _known(config, "--source", "source", name, [s.name for s in config.sources])
            return asyncio.run(_poll(config, names, clock, stdout))
        return asyncio.run(_run(config, clock, stdout))
    except (ConfigError, StoreError, RuleFileError, InstanceError) as exc:
        print(f"tenderbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DatabaseFailed as exc:
        print(f"tenderbot: {exc}; stopped", file=sys.stderr)
        return EXIT_FAILED
    except sqlite3.Error as exc:
        print(
            f"tenderbot: {config.bot.database_label}: database cannot be written: {exc}; stopped "
            "without sending anything it could not record",
            file=sys.stderr,
        )
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_OK


def _bots(config: Config, out: TextIO) -> int:
    from bot.chat.onboarding import render_bots
    from bot.chat.store import ChatStore

    store = Store.open_existing(config.bot.store_location)
    try:
        refusals = ChatStore(store).refusals()
    finally:
        store.close()
    print(render_bots(config.bots, refusals, config.bot.zone), file=out)
    return EXIT_OK


def _db_copy(source: str, target: str, *, force: bool, out: TextIO) -> int:
    from bot.store.connection import is_url, redact_url
    from bot.store.copy import copy_database

    def location(text: str) -> Path | str:
        return text if is_url(text) else Path(text).expanduser()

    def label(text: str) -> str:
        return redact_url(text) if is_url(text) else text

    if (
        not is_url(source)
        and not is_url(target)
        and (Path(source).expanduser().resolve() == Path(target).expanduser().resolve())
    ):
        raise ConfigError(f"{target}: that is the source itself; name another database")
    copied = copy_database(location(source), location(target), force=force)
    for table in copied:
        print(f"{table.table}: {table.rows} rows, checksum {table.checksum}: same", file=out)
    rows = sum(t.rows for t in copied)
    print(
        f"copied {label(source)} to {label(target)}: {len(copied)} tables, {rows} rows, "
        "counts and checksums equal on both sides",
        file=out,
    )
    return EXIT_OK


def _status(config: Config, clock: Clock, out: TextIO, fmt: str) -> int:
    store = Store.open_existing(config.bot.store_location)
    try:
        now = clock.now()
        status = collect_status(config, store, now)
    finally:
        store.close()
    text = status_json(status) if fmt == "json" else render_status(status, config.bot.zone, now)
    # Rows written by an older tenderbot may hold a secret; never print one.
    print(redactor_for(config)(text), file=out)
    return EXIT_OK if is_healthy(status) else EXIT_FAILED
