"""Prometheus metrics for `/metrics`: counters kept as things happen, gauges read at scrape.

Counters (since the process started): polls and their duration and failures per source,
alerts queued, sent, retried and refused per channel, rule files refused. Gauges, read from
the store when scraped with indexed queries whose cost does not grow with history: notices
stored and last success per source, failures in a row, pending alerts and paused channels;
the database backend, the leader, its fencing epoch and the standby count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.store import Store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
POLL_BUCKETS = (0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800)


class StoreCollector(Collector):
    """Gauges read from the store at scrape time."""

    def __init__(self, store: Callable[[], Store], sources: Iterable[str]) -> None:
        self._store = store
        self._sources = tuple(sources)

    def collect(self) -> Iterable[Metric]:
        """Read the gauges (one short query each)."""
        store = self._store()
        notices = GaugeMetricFamily(
            "tenderbot_notices_stored", "Distinct notices stored", labels=["source"]
        )
        last_success = GaugeMetricFamily(
            "tenderbot_source_last_success_timestamp_seconds",
            "When the source's last complete pass ended (Unix time; 0 = never)",
            labels=["source"],
        )
        failing = GaugeMetricFamily(
            "tenderbot_source_consecutive_failures",
            "Passes in a row that failed",
            labels=["source"],
        )
        for source in self._sources:
            state = store.source_state(source)
            notices.add_metric([source], store.count_notices(source))
            when = state.last_success.timestamp() if state.last_success else 0.0
            last_success.add_metric([source], when)
            failing.add_metric([source], state.consecutive_failures)
        pending = GaugeMetricFamily(
            "tenderbot_outbox_pending", "Alerts waiting to be sent", labels=["channel"]
        )
        for channel, count in store.db.execute(
            "SELECT channel, COUNT(*) FROM outbox WHERE status = 'pending' GROUP BY channel"
        ):
            pending.add_metric([str(channel)], int(count))
        paused = GaugeMetricFamily(
            "tenderbot_channel_paused", "1 when the channel is paused", labels=["channel"]
        )
        for (channel,) in store.db.execute(
            "SELECT channel FROM channel_state WHERE paused_reason IS NOT NULL"
        ):
            paused.add_metric([str(channel)], 1)
        yield from (notices, last_success, failing, pending, paused)
        yield from _lead_gauges(store)


def _lead_gauges(store: Store) -> Iterable[Metric]:
    """The backend, the leader's epoch and holder, and how many daemons stand by."""
    lead = store.lead_summary(datetime.now(UTC))
    backend = GaugeMetricFamily(
        "tenderbot_database_backend", "1 for the database kind in use", labels=["backend"]
    )
    backend.add_metric([lead.backend], 1)
    epoch = GaugeMetricFamily(
        "tenderbot_leader_epoch", "The leader's fencing epoch (grows at every take-over)"
    )
    epoch.add_metric([], lead.epoch)
    holder = GaugeMetricFamily(
        "tenderbot_leader", "1 for the instance holding a live lead", labels=["instance"]
    )
    if lead.holder is not None:
        holder.add_metric([lead.holder], 1)
    standbys = GaugeMetricFamily(
        "tenderbot_standbys", "Live `tenderbot run` instances standing by (PostgreSQL)"
    )
    standbys.add_metric([], lead.standbys)
    yield from (backend, epoch, holder, standbys)


class Metrics:
    """The daemon's metrics registry and the hooks that feed it."""

    def __init__(self, store: Callable[[], Store], sources: Iterable[str]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._polls = Histogram(
            "tenderbot_poll_duration_seconds",
            "How long a pass over a source took",
            ["source"],
            buckets=POLL_BUCKETS,
            registry=self.registry,
        )
        self._poll_failures = Counter(
            "tenderbot_poll_failures", "Passes that failed", ["source"], registry=self.registry
        )
        self._alerts = Counter(
            "tenderbot_alerts",
            "Alerts by what happened to them: queued, sent, retried, refused",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self._rules_refused = Counter(
            "tenderbot_rule_file_refused",
            "Edited rule files refused (the previous version stayed in force)",
            registry=self.registry,
        )
        self.registry.register(StoreCollector(store, sources))

    def polled(self, source: str, seconds: float, *, ok: bool) -> None:
        """Record one pass over a source."""
        self._polls.labels(source).observe(seconds)
        if not ok:
            self._poll_failures.labels(source).inc()

    def alerts(self, channel: str, outcome: str, count: int = 1) -> None:
        """Record alerts queued, sent, retried or refused for a channel."""
        if count:
            self._alerts.labels(channel, outcome).inc(count)

    def rule_file_refused(self) -> None:
        """Record an edited rule file that was refused."""
        self._rules_refused.inc()

    def render(self) -> bytes:
        """The metrics in the Prometheus text format."""
        return generate_latest(self.registry)
