"""The `[report]` table: the daemon regenerates the cold-spots report on a schedule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.config_table import TomlTable

DEFAULT_RULES = "small-charities"
DEFAULT_SINCE = "365d"
REPORT_FORMATS = ("html", "csv", "json")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportConfig:
    """How often the daemon writes the report, where, and what it counts."""

    every: timedelta | None
    out: Path
    rules: str = DEFAULT_RULES
    since: timedelta = timedelta(days=365)
    format: str = "html"


def load_report_config(
    file: Path, root: Mapping[str, Any], state_dir: Path | None = None
) -> ReportConfig | None:
    """The `[report]` table of `file`, or None when it has none.

    A relative `out` (and the default, ``report.html``) lands in `state_dir`, the database's
    folder: the daemon may write there, while the config's folder is often read-only
    (``/etc`` under systemd's ``ProtectSystem=strict``). Without `state_dir`, the config's.

    Raises:
        ConfigError: a key is unknown or has a bad value.
    """
    if "report" not in root:
        return None
    table = TomlTable(file, "report", root["report"])
    every = table.duration("every", "1d") if table.data.get("every") is not None else None
    if every is not None and every < timedelta(minutes=5):
        raise table.error("every", "must be at least 5 minutes")
    out = Path(table.text("out", "report.html") or "report.html").expanduser()
    rules = table.text("rules", DEFAULT_RULES) or DEFAULT_RULES
    since = table.duration("since", DEFAULT_SINCE)
    fmt = (table.text("format") or out.suffix.lstrip(".") or "html").lower()
    if fmt not in REPORT_FORMATS:
        raise table.error("format", f"must be one of {', '.join(REPORT_FORMATS)}")
    table.finish()
    if not out.is_absolute():
        out = (state_dir or file.resolve().parent) / out
    return ReportConfig(every=every, out=out, rules=rules, since=since, format=fmt)
