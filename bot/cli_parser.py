"""The `tenderbot` command line's grammar: every command, its arguments and their help."""

from __future__ import annotations

import argparse

from bot import __version__
from bot.backfill import add_backfill_parser
from bot.import_options import add_import_parser
from bot.radar.options import add_radar_parser
from bot.report.options import add_report_parser
from bot.rules_options import add_rules_parser


def build_parser() -> argparse.ArgumentParser:
    """The `tenderbot` argument parser: every command, its options and their help."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="config file (default: $TENDERBOT_CONFIG, then ./tenderbot.toml)",
    )
    common.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log debug detail"
    )
    parser = argparse.ArgumentParser(
        prog="tenderbot",
        description="Find UK public-sector contracts a small charity could win, "
        "and post them to chat.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"tenderbot {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands.add_parser(
        "run",
        parents=[common],
        help="the daemon: every source on its schedule, with delivery; stops on SIGINT/SIGTERM",
    )
    poll = commands.add_parser(
        "poll", parents=[common], help="one pass: fetch, store, match, deliver, then exit"
    )
    poll.add_argument(
        "--source",
        metavar="NAME",
        action="append",
        help="poll only this source (repeatable); default: every enabled source",
    )
    status = commands.add_parser(
        "status", parents=[common], help="sources, watermarks, notices stored, outbox depth"
    )
    status.add_argument("--format", choices=("text", "json"), default="text")
    send_test = commands.add_parser(
        "send-test", parents=[common], help="send a test message to a configured channel"
    )
    send_test.add_argument("channel", metavar="CHANNEL")
    backup = commands.add_parser(
        "backup", parents=[common], help="an online copy of the database, safe while it runs"
    )
    backup.add_argument("file", metavar="FILE", help="where to write the copy")
    outbox = commands.add_parser(
        "outbox", parents=[common], help="the queue of alerts: re-queue alerts a service refused"
    )
    outbox_commands = outbox.add_subparsers(dest="outbox_command", metavar="ACTION", required=True)
    retry = outbox_commands.add_parser(
        "retry", parents=[common], help="queue again the alerts a service refused"
    )
    retry.add_argument("--channel", metavar="NAME", help="only this channel's alerts")
    commands.add_parser(
        "bots",
        parents=[common],
        help="the chat bots, who may use them, and the chats they refused (with their ids)",
    )
    subscribe = commands.add_parser(
        "subscribe", parents=[common], help="add a subscriber (a confirmation link first)"
    )
    subscribe_kinds = subscribe.add_subparsers(dest="subscribe_kind", metavar="KIND", required=True)
    email = subscribe_kinds.add_parser(
        "email", parents=[common], help="add an email address, after it confirms by a link"
    )
    email.add_argument("address", metavar="ADDRESS")
    email.add_argument("--rules", metavar="SET", nargs="+", required=True, help="rule sets")
    email.add_argument("--channel", metavar="NAME", help="the email channel that sends it")
    email.add_argument(
        "--radar",
        metavar="MONTHS",
        nargs="?",
        const="9",
        help="also re-tender radar items, MONTHS ahead (1 to 36, default 9)",
    )
    database = commands.add_parser(
        "db", parents=[common], help="the database: copy it between SQLite and PostgreSQL"
    )
    database_commands = database.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    copy = database_commands.add_parser(
        "copy",
        parents=[common],
        help="copy every table (same schema version, one transaction, counts and checksums)",
    )
    copy.add_argument(
        "--from", dest="source", metavar="SOURCE", required=True, help="a SQLite file or URL"
    )
    copy.add_argument(
        "--to", dest="target", metavar="TARGET", required=True, help="a SQLite file or URL"
    )
    copy.add_argument("--force", action="store_true", help="replace what the target holds")
    webhook = commands.add_parser(
        "webhook", parents=[common], help="for webhook receivers: check a request's signature"
    )
    webhook_commands = webhook.add_subparsers(
        dest="webhook_command", metavar="ACTION", required=True
    )
    verify = webhook_commands.add_parser(
        "verify",
        parents=[common],
        help="check a received body and its webhook-* headers; exit 0 if genuine, 1 if not",
    )
    verify.add_argument("--secret-env", metavar="VAR", required=True, help="holds the secret")
    verify.add_argument("--id", required=True, help="the webhook-id header")
    verify.add_argument("--timestamp", required=True, help="the webhook-timestamp header")
    verify.add_argument("--signature", required=True, help="the webhook-signature header")
    verify.add_argument("body", metavar="FILE", nargs="?", help="the raw body (default: stdin)")
    add_rules_parser(commands, common)
    add_report_parser(commands, common)
    add_import_parser(commands, common)
    add_radar_parser(commands, common)
    add_backfill_parser(commands, common)
    return parser
