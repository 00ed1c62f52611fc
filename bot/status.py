"""`tenderbot status`: what each source and channel is doing, as text or JSON."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.chat.store import ChatStore
from bot.config import Config
from bot.config_check import rule_set_problems
from bot.config_sources import SourceConfig
from bot.delivery.outbox import Outbox
from bot.durations import format_duration
from bot.import_options import IMPORT_SOURCE
from bot.report.outcome import failure_message, read_outcome
from bot.source_registry import outage_note
from bot.store import SourceState, Store
from rules.library import resolve
from rules.loader import load_rule_set


def collect_status(config: Config, store: Store, now: datetime) -> dict[str, Any]:
    """Status as plain data: per-source state, notices stored, outbox depth, paused channels."""
    sources = []
    for source in config.sources:
        state = store.source_state(source.name)
        sources.append(
            {
                "name": source.name,
                "kind": source.kind,
                "enabled": source.enabled,
                "every": format_duration(source.every),
                "last_attempt": _iso(state.last_attempt),
                "last_success": _iso(state.last_success),
                "last_error": state.last_error,
                "last_error_at": _iso(state.last_error_at),
                "consecutive_failures": state.consecutive_failures,
                "throttled_until": _iso(state.throttled_until),
                "watermark": _iso(state.watermark),
                "notices_stored": store.count_notices(source.name),
                "next_poll": _iso(_next_poll(source, state, now)) if source.enabled else None,
                "long_outage": _long_outage(state, now),
                "outage_note": outage_note(source.kind),
            }
        )
    outbox = Outbox(store)
    depth = outbox.depth()
    return {
        "rule_sets": rule_set_status(config),
        "database": config.bot.database_label,
        "lead": dataclasses.asdict(store.lead_summary(now)),
        "sources": sources,
        "unpolled_sources": unpolled_sources(config, store),
        "notices_stored": store.count_notices(),
        "outbox": {"pending": depth.total, "by_channel": depth.pending, "retrying": depth.retrying},
        "alerts_sent": outbox.count_sent(),
        "alerts_failed": outbox.count_failed(),
        "refused_alerts": outbox.failed(),
        "paused_channels": outbox.paused(),
        "chat_subscriptions": dict(
            zip(("chats", "subscriptions", "paused"), ChatStore(store).counts(), strict=True)
        ),
        "report": report_status(config, store),
        "as_of": now.isoformat(),
    }


def unpolled_sources(config: Config, store: Store) -> list[dict[str, Any]]:
    """Source names notices are stored under that no configured source polls.

    `import` holds what `tenderbot import` loaded; any other name is a source since removed
    from the config (or a name an older tenderbot's `import --source` accepted).
    """
    configured = {s.name for s in config.sources}
    return [
        {
            "name": held.source,
            "why": (
                "loaded by tenderbot import"
                if held.source == IMPORT_SOURCE
                else "not in the config: a source since removed, or an older import"
            ),
            "notices_stored": held.notices,
            "releases_stored": held.releases,
            "last_stored": _iso(held.last_stored),
            "first_release": _iso(held.first_release),
            "last_release": _iso(held.last_release),
        }
        for held in store.stored_sources()
        if held.source not in configured
    ]


def report_status(config: Config, store: Store) -> dict[str, Any] | None:
    """Where the daemon writes the report and whether its last attempt failed.

    None when there is no `[report]` table.
    """
    if config.report is None:
        return None
    outcome = read_outcome(store)
    return {
        "out": str(config.report.out),
        "written_at": _iso(outcome.written_at),
        "failed_at": _iso(outcome.failed_at),
        "error": outcome.error,
        "message": (
            failure_message(outcome, config.report.out, config.bot.zone)
            if outcome.failing
            else None
        ),
    }


LONG_OUTAGE = timedelta(days=1)


def _next_poll(source: SourceConfig, state: SourceState, now: datetime) -> datetime:
    """When the daemon polls next: its interval after the last attempt, or the throttle's end.

    The daemon adds up to a tenth of the interval (at most a minute) of jitter.
    """
    due = now if state.last_attempt is None else state.last_attempt + source.every
    if state.throttled_until is not None:
        due = max(due, state.throttled_until)
    return max(due, now) if state.last_attempt is None else due


def _long_outage(state: SourceState, now: datetime) -> bool:
    if not state.consecutive_failures:
        return False
    since = state.last_success or state.last_attempt
    return since is None or now - since >= LONG_OUTAGE


def rule_set_status(config: Config) -> list[dict[str, Any]]:
    """Each rule set the subscriptions name, checked as it is on disk now.

    A missing or refused rule set is a problem (`is_healthy` is false): a running daemon
    keeps the last good version of a file broken since it loaded, but a set that never
    loaded matches nothing. The error names the config file and key.
    """
    problems = rule_set_problems(config)
    rows = []
    for ref in dict.fromkeys(r for s in config.subscriptions for r in s.rules):
        if ref in problems:
            rows.append({"ref": ref, "ok": False, "error": problems[ref]})
            continue
        rule_set = load_rule_set(resolve(ref, config.path.parent))
        rows.append({"ref": ref, "ok": True, "name": rule_set.name, "title": rule_set.title})
    return rows


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _when(text: str | None, zone: ZoneInfo, now: datetime) -> str:
    if text is None:
        return "never"
    moment = datetime.fromisoformat(text)
    local = moment.astimezone(zone)
    delta = now - moment
    if delta.total_seconds() >= 0:
        ago = format_duration(delta) + " ago" if delta.total_seconds() >= 1 else "just now"
    else:
        ago = "in " + format_duration(-delta)
    return f"{local:%Y-%m-%d %H:%M:%S %Z} ({ago})"


def _day(text: str | None, zone: ZoneInfo) -> str:
    return "-" if text is None else f"{datetime.fromisoformat(text).astimezone(zone):%Y-%m-%d}"


def render_status(status: dict[str, Any], zone: ZoneInfo, now: datetime) -> str:
    """Status as readable text."""
    lead = status["lead"]
    lines = [f"Database: {status['database']} ({lead['backend']})"]
    if lead["backend"] == "postgresql":
        holder = lead["holder"] or "nobody (no live leader: a standby takes over)"
        lines.append(f"Leader:   {holder}, epoch {lead['epoch']}; standbys: {lead['standbys']}")
    lines += ["", "Sources:"]
    if not status["sources"]:
        lines.append("  (none configured)")
    for source in status["sources"]:
        flag = "" if source["enabled"] else ", disabled"
        lines.append(f"  {source['name']} ({source['kind']}, every {source['every']}{flag})")
        lines.append(f"    last success:  {_when(source['last_success'], zone, now)}")
        if source["last_error"]:
            failures = source["consecutive_failures"]
            lines.append(f"    last error:    {_when(source['last_error_at'], zone, now)}")
            lines.append(f"                   {source['last_error']}")
            lines.append(
                f"    failing:       {failures} pass(es) in a row"
                if failures
                else "    failing:       no (recovered since)"
            )
            if source["long_outage"]:
                lines.append(
                    "    NOTE:          failing for more than a day (last success: "
                    f"{_when(source['last_success'], zone, now)})"
                )
                if source["outage_note"]:
                    lines.append(f"                   {source['outage_note']}")
        else:
            lines.append("    last error:    none")
        if source["throttled_until"]:
            lines.append(f"    throttled:     until {_when(source['throttled_until'], zone, now)}")
        lines.append(f"    watermark:     {_when(source['watermark'], zone, now)}")
        if source["next_poll"]:
            lines.append(f"    next poll:     {_when(source['next_poll'], zone, now)}")
        lines.append(f"    notices:       {source['notices_stored']} stored")
    if status["unpolled_sources"]:
        lines += ["", "Stored, not polled:"]
    for held in status["unpolled_sources"]:
        lines.append(f"  {held['name']} ({held['why']})")
        lines.append(f"    last stored:   {_when(held['last_stored'], zone, now)}")
        lines.append(
            f"    releases:      {held['releases_stored']}, released "
            f"{_day(held['first_release'], zone)} to {_day(held['last_release'], zone)}"
        )
        lines.append(f"    notices:       {held['notices_stored']} stored")
    lines.append("")
    lines.append("Rule sets:" if status["rule_sets"] else "Rule sets: none (every open notice)")
    for row in status["rule_sets"]:
        if row["ok"]:
            lines.append(f"  {row['ref']}: ok ({row['title']})")
        else:
            lines.append(
                f"  {row['ref']}: ERROR, refused (a running daemon keeps a version that loaded "
                "before, if any; otherwise the set matches nothing)"
            )
            lines.append(f"    {row['error']}")
    lines.append("")
    lines.append(f"Notices stored: {status['notices_stored']}")
    by_channel = ", ".join(f"{k}: {v}" for k, v in sorted(status["outbox"]["by_channel"].items()))
    pending = status["outbox"]["pending"]
    lines.append(f"Outbox: {pending} pending" + (f" ({by_channel})" if by_channel else ""))
    lines.append(f"Retries pending: {status['outbox']['retrying']}")
    lines.append(
        f"Alerts sent: {status['alerts_sent']}; refused by the service: {status['alerts_failed']}"
    )
    for row in status["refused_alerts"]:
        lines.append(
            f"  refused: {row['channel']}: {row['notice']} ({row['kind']}): {row['error']}"
        )
    if status["alerts_failed"]:
        lines.append("  (`tenderbot outbox retry` queues refused alerts again)")
    chats = status["chat_subscriptions"]
    lines.append(
        f"Chat subscriptions: {chats['subscriptions']} in {chats['chats']} chat(s), "
        f"{chats['paused']} paused"
    )
    paused = status["paused_channels"]
    lines.append("Paused channels: " + ("" if paused else "none"))
    for name, reason in sorted(paused.items()):
        lines.append(f"  {name}: {reason} (fix it, then `tenderbot send-test {name}` resumes it)")
    report = status.get("report")
    if report is not None:
        lines.append(f"Report: {report['out']}")
        lines.append(f"  last written:  {_when(report['written_at'], zone, now)}")
        if report["message"]:
            lines.append(f"  PROBLEM:       {report['message']}")
    return "\n".join(lines)


def is_healthy(status: dict[str, Any]) -> bool:
    """Whether nothing needs a person.

    False when a source is failing, a channel is paused, a service refused alerts, a rule
    set a subscription names is missing or refused, or the daemon could not write the report.
    """
    failing = any(s["enabled"] and s["consecutive_failures"] for s in status["sources"])
    refused = any(not row["ok"] for row in status["rule_sets"])
    report = status.get("report")
    report_failing = report is not None and report["failed_at"] is not None
    problems = failing or refused or status["paused_channels"] or status["alerts_failed"]
    return not (problems or report_failing)


def status_json(status: dict[str, Any]) -> str:
    """Status as indented JSON."""
    return json.dumps(status, indent=2)
