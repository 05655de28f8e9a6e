"""One worker's Prometheus metrics, in a registry of its own.

Events are counted as the dispatchers report them (`Metrics` is their
`DeliveryEvents`); states are read when Prometheus scrapes: the outbox's depth
from the store (`refresh`), the leases this worker took or lost from its
`RoleKeeper`. Each newsroom has its own `CollectorRegistry`, never the library's
global one, so several newsrooms in one process (the tests) keep their numbers
apart. The process's own metrics (CPU, memory, open files, garbage collection)
come along in the exposition format every Prometheus reads.

Metrics (every worker of a store reports the same outbox depth: it is the store's):
- newsbot_deliveries_total{platform,outcome}: attempts to deliver a story, by what
  became of them (`newsbot.delivery.events`: sent, failed, retried, dropped, dead,
  migrated);
- newsbot_edits_total{platform,outcome}: attempts to edit or delete a delivered message;
- newsbot_rate_limited_total{platform}: times a platform said to wait (a 429);
- newsbot_outbox_pending{platform}, newsbot_edits_pending{platform}: what waits;
- newsbot_store_up: 1 when the store answered the last scrape, else 0;
- newsbot_lease_changes_total: leases this worker took or lost (several workers);
- newsbot_worker_info{worker,host,pid,mode,version}: which worker answers.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Collection, Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from newsbot import __version__
from newsbot.delivery.events import (
    DELIVERY_OUTCOMES,
    EDIT_OUTCOMES,
    DeliveryEvents,
    DeliveryOutcome,
    EditOutcome,
)
from newsbot.ops.status import platform_states
from newsbot.store import Store
from newsbot.workers.roles import RoleKeeper
from newsbot.workers.roster import new_worker_id

#: longest a scrape waits for the store before reporting it down
STORE_SECONDS = 3.0


class Metrics(DeliveryEvents):
    """The numbers of one newsroom; `registry` is what `/metrics` exposes."""

    def __init__(self, *, several: bool, worker_id: str | None = None) -> None:
        self.registry = CollectorRegistry()
        self.worker_id = worker_id or new_worker_id()
        self.mode = "several workers" if several else "single process"
        self._deliveries = Counter(
            "newsbot_deliveries", "Attempts to deliver a story, by what became of them",
            ["platform", "outcome"], registry=self.registry,
        )
        self._edits = Counter(
            "newsbot_edits", "Attempts to edit or delete a delivered message, by outcome",
            ["platform", "outcome"], registry=self.registry,
        )
        self._rate_limited = Counter(
            "newsbot_rate_limited", "Times a platform said to wait before sending more (429)",
            ["platform"], registry=self.registry,
        )
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.registry.register(_States(self))
        self.keeper: RoleKeeper | None = None
        #: what the store said at the last scrape (None: it did not answer)
        self.pending: dict[str, tuple[int, int]] | None = None
        self._platforms: set[str] = set()

    def watch_roles(self, keeper: RoleKeeper) -> None:
        """Report this worker's lease changes, under the id it has on the roster."""
        self.keeper = keeper
        self.worker_id = keeper.worker_id

    # -- DeliveryEvents ----------------------------------------------------------------

    def delivery(self, platform: str, outcome: DeliveryOutcome) -> None:
        self._deliveries.labels(platform, outcome).inc()

    def edit(self, platform: str, outcome: EditOutcome) -> None:
        self._edits.labels(platform, outcome).inc()

    def rate_limited(self, platform: str, seconds: float) -> None:
        self._rate_limited.labels(platform).inc()

    # -- read at each scrape -----------------------------------------------------------

    async def refresh(self, store: Store | None, platforms: Collection[str]) -> None:
        """Before a scrape: read the outbox's depth for `platforms` (the running
        adapters'), and give each of them every series at 0 until it counts something,
        so rates and alerts see them from the start."""
        for platform in set(platforms) - self._platforms:
            for delivery in DELIVERY_OUTCOMES:
                self._deliveries.labels(platform, delivery)
            for edit in EDIT_OUTCOMES:
                self._edits.labels(platform, edit)
            self._rate_limited.labels(platform)
            self._platforms.add(platform)
        self.pending = None
        if store is None:
            return
        try:
            async with asyncio.timeout(STORE_SECONDS), store.engine.connect() as conn:
                states = await platform_states(conn)
        except Exception:  # unreachable, or failing: reported as newsbot_store_up 0
            return
        empty = (0, 0)
        found = {name: (s.pending, s.edits_pending) for name, s in states.items()}
        self.pending = {name: found.get(name, empty) for name in sorted(platforms)}


class _States(Collector):
    """What is read rather than counted, as Prometheus collects it."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        m = self.metrics
        info = InfoMetricFamily("newsbot_worker", "The worker answering")
        host, pid = socket.gethostname(), str(os.getpid())
        info.add_metric([], {"worker": m.worker_id, "host": host, "pid": pid,
                             "mode": m.mode, "version": __version__})
        yield info
        yield CounterMetricFamily(
            "newsbot_lease_changes", "Leases (indexer, poller, shards) this worker took or lost",
            value=0 if m.keeper is None else m.keeper.changes,
        )
        yield GaugeMetricFamily("newsbot_store_up", "Whether the store answered this scrape",
                                value=0 if m.pending is None else 1)
        outbox = GaugeMetricFamily("newsbot_outbox_pending", "Deliveries waiting, in the store",
                                   labels=["platform"])
        edits = GaugeMetricFamily("newsbot_edits_pending", "Edits and deletions waiting",
                                  labels=["platform"])
        for platform, (deliveries, corrections) in (m.pending or {}).items():
            outbox.add_metric([platform], deliveries)
            edits.add_metric([platform], corrections)
        yield outbox
        yield edits
