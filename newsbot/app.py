"""The running bot: one store, one posts folder, every adapter that is turned on.

`Newsroom` wires the parts together and owns their lifecycle:
start = open and migrate the store → serve /healthz and /metrics (when
`metrics.listen` is set) → index the folder and watch it
(`newsbot.ingest.indexer_role`) → serve the moderators' page (when `web.listen`
is set) → start adapters (and their `worker_roles()`) → start one outbox
dispatcher per adapter; stop = the reverse, letting sends in flight finish for
a moment. Tests drive it directly (`scan()`, `drain()`); `newsbot run` wraps it
with signals.

On PostgreSQL this process is one worker among several (`newsbot.workers.crew`):
indexing and the adapters' roles are leases a `RoleKeeper` takes, and a worker
whose posts folder is missing or empty only sends.

A store that can no longer be written (read-only, disk full, damaged) is not
retried: whichever part meets it first (a scan, a dispatcher) reports it here,
sending halts, and `run_until_stopped` stops the bot and raises the `StoreError`,
which `newsbot run` prints as one line. Every write is a transaction, so what
the store holds stays consistent, and the fix plus a restart resumes delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Collection
from datetime import datetime

from newsbot import registry
from newsbot.adapter import Adapter
from newsbot.chat import manage
from newsbot.chat.commands import MANAGE
from newsbot.chat.desk import CommandDesk
from newsbot.chat.queries import Queries
from newsbot.config import AppConfig, ConfigError
from newsbot.delivery.dispatcher import Dispatcher
from newsbot.delivery.edits import EditJobs
from newsbot.delivery.outbox import Outbox
from newsbot.ingest.indexer import Indexer, aware_utcnow
from newsbot.ingest.indexer_role import IndexerRole
from newsbot.ingest.scan_report import ScanReport
from newsbot.ops.metrics import Metrics
from newsbot.ops.server import MetricsServer
from newsbot.store import Store, StoreError, store_trouble
from newsbot.store.database import shared_url
from newsbot.store.subscriptions import Subscriptions
from newsbot.web.moderation import Moderation
from newsbot.web.server import WebServer
from newsbot.web.tokens import LINK_SECONDS, SignIn
from newsbot.workers.crew import Crew
from newsbot.workers.roles import Role, Share
from newsbot.workers.solo import SoloRoles

log = logging.getLogger(__name__)


class NoAdapters(Exception):
    """Nothing is turned on; the message lists the settings that would turn something on."""


class Newsroom:
    def __init__(
        self,
        config: AppConfig,
        *,
        watch: bool = True,
        clock: Callable[[], datetime] = aware_utcnow,
        make_adapters: Callable[[CommandDesk], dict[str, Adapter]] | None = None,
    ) -> None:
        """`make_adapters` replaces the registry (tests hand in adapters they hold)."""
        self.config = config
        self.make_adapters = make_adapters
        self.watch = watch
        self.clock = clock
        self.adapters: dict[str, Adapter] = {}
        self.dispatchers: dict[str, Dispatcher] = {}
        self._started: list[Adapter] = []
        self._store: Store | None = None
        #: sign-in links and sessions of the moderators' web page, when it is on
        self.sign_in: SignIn | None = None
        self.web: WebServer | None = None
        #: this worker's /healthz and /metrics, when `metrics.listen` is set
        self.metrics: MetricsServer | None = None
        #: the store trouble that stops the bot, once one was met
        self.failure: StoreError | None = None
        self._failed = asyncio.Event()
        self.indexing: IndexerRole | None = None
        #: what each adapter's `worker_roles()` gave, by platform
        self._roles: dict[str, list[Role | Share]] = {}
        self._solo: list[SoloRoles] = []  # one process: the adapters' roles, all ours
        #: this worker among the others, when the store is PostgreSQL
        self.crew: Crew | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the newsroom is not started")
        return self._store

    async def start(self) -> None:
        root = self.config.site.root
        if not root.is_dir() and not shared_url(self.config.store.url):
            key = "site.source" if self.config.site.jekyll else "site.posts_dir"
            raise ConfigError(f"{self.config.source}: {key}: folder not found: {root}")
        self._store = await Store.open(self.config.store.url)
        try:
            await self._start_parts()
        except BaseException:
            await self.stop()
            raise

    async def _start_parts(self) -> None:
        if self.config.metrics.enabled:  # first: /healthz answers while the folder is indexed
            counts = Metrics(several=self.store.dialect == "postgresql")
            self.metrics = MetricsServer(self.config.metrics, self.config.source, counts, self)
            await self.metrics.start()
        tz = self.config.site.tzinfo
        self.queries = Queries(self.store, tz)
        self.outbox = Outbox(self.store, tz)
        delivery = self.config.delivery
        self.edits = EditJobs(self.store, enabled=delivery.edits == "update",
                              deletions=delivery.deletions == "delete")
        self.subscriptions = Subscriptions(self.store)
        self.desk = CommandDesk(self.queries, self.subscriptions, queued=self._wake_dispatchers,
                                site_edits=self.edits.enabled,
                                site_deletions=self.edits.deletions)
        web = self.config.web
        if web.enabled:
            self.sign_in = await SignIn.open(self.store, web.base_url)
            self.desk.add(MANAGE, manage.handler(self.sign_in.link, LINK_SECONDS // 60))
        if self.make_adapters is not None:
            self.adapters = self.make_adapters(self.desk)
        else:
            self.adapters = registry.build_adapters(self.config, self.desk)
        if not self.adapters:
            raise NoAdapters(
                "no adapter is turned on; set one of: " + "; ".join(registry.enable_hints())
            )
        self.indexer = Indexer(
            self.store, self.config.site, self.outbox, set(self.adapters), self.clock,
            edits=self.edits,
        )
        self.indexing = IndexerRole(self.indexer, self.config.site, watch=self.watch,
                                    trouble=self._store_trouble, changed=self._scanned)
        self._roles = {name: a.worker_roles() for name, a in self.adapters.items()}
        if self.store.dialect == "postgresql":
            self.crew = Crew(self.store, self._heard)
        else:
            await self.indexing.begin(wait=True)
        if self.sign_in is not None:  # before the adapters: the console prints a link
            self.web = WebServer(self.config.web, self.sign_in,
                                 Moderation(self.desk, self.adapters))
            await self.web.start()
        for name, adapter in self.adapters.items():
            if self.crew is not None:
                adapter.use_overall_pace(self.crew.paces(name))
            await adapter.start()
            self._started.append(adapter)
        for name, adapter in self.adapters.items():
            claims = None if self.crew is None else self.crew.claims(name)
            dispatcher = Dispatcher(adapter, self.outbox, on_store_error=self._store_trouble,
                                    edits=self.edits, claims=claims,
                                    events=self.metrics.metrics if self.metrics else None)
            dispatcher.start()
            self.dispatchers[name] = dispatcher
            if self.crew is not None:
                self.crew.keeper.on_beat(dispatcher.beat)
        if self.crew is not None:
            await self._join_crew(self.crew, self.indexing)
        else:
            await self._begin_roles()

    async def _begin_roles(self) -> None:
        """One process: every adapter's roles begin at once (Telegram's poller, Discord's
        shards), once stories already flow: a gateway that waits for its IDENTIFY slot
        (Discord's one per 5 s, already taken by the run just stopped) or for a slow
        platform holds back only its commands, not any platform's deliveries. A refused
        setting still fails the start."""
        for name in self.adapters:
            solo = SoloRoles(self._roles[name], fatal=lambda e: isinstance(e, ConfigError))
            self._solo.append(solo)
            await solo.begin()

    async def _join_crew(self, crew: Crew, indexing: IndexerRole) -> None:
        """Several workers: the indexer and the adapters' roles go to whoever holds them."""
        await indexing.look()
        crew.add([Role(IndexerRole.name, indexing.begin, indexing.end, indexing.able)])
        crew.keeper.on_beat(indexing.look)
        for roles in self._roles.values():
            crew.add(roles)
        if self.metrics is not None:
            self.metrics.metrics.watch_roles(crew.keeper)
        await crew.start()

    def _scanned(self, report: ScanReport) -> None:
        self._wake_dispatchers()
        if self.crew is not None:
            self.crew.tell_others()

    def _heard(self, _payload: str) -> None:
        """Another worker (or this one) scanned: new work, maybe posts changed."""
        self.store.posts_changed()  # tag counts kept by the queries are read again
        self._wake_dispatchers()

    def _wake_dispatchers(self) -> None:
        for dispatcher in self.dispatchers.values():
            dispatcher.wake()

    def _store_trouble(self, exc: BaseException) -> StoreError | None:
        """If `exc` means the store is unusable, remember it and have the bot stop."""
        trouble = store_trouble(exc, self.config.store.url)
        if trouble is not None and self.failure is None:
            self.failure = trouble
            log.info("the store failed; stopping")
            self._failed.set()
        return trouble

    async def scan(self, only: Collection[str] | None = None) -> ScanReport:
        """Rescan the folder (or some paths) now; new posts go to the outbox and out.

        Raises `StoreError` (and has the bot stop) when the store cannot take the result.
        """
        if self.indexing is None:
            raise RuntimeError("the newsroom is not started")
        return await self.indexing.scan(only)

    async def drain(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - a deadline, not a cancel
        """Wait until nothing is pending for any running adapter (for tests and tools)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            pending = await self.outbox.count_pending(list(self.adapters))
            pending += await self.edits.count(list(self.adapters))
            busy = any(d.busy for d in self.dispatchers.values())
            if not pending and not busy:
                return
            if loop.time() > deadline:
                raise TimeoutError(
                    f"{pending} deliveries and edits still pending after {timeout:g}s"
                )
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        """Stop watching, let in-flight sends finish briefly, stop adapters, close the store."""
        if self.crew is None and self.indexing is not None:
            await self.indexing.end()
        if self.web is not None:
            await self.web.stop()
            self.web = None
        for dispatcher in self.dispatchers.values():
            await dispatcher.stop()
        self.dispatchers.clear()
        # after the dispatchers (a chat claim given back with a send in flight could be
        # sent twice) and before the adapters its roles run on
        if self.crew is not None:
            await self.crew.stop()
            self.crew = None
        for solo in reversed(self._solo):
            await solo.end()
        self._solo.clear()
        for adapter in reversed(self._started):
            try:
                await adapter.stop()
            except Exception:
                log.exception("stopping %s failed", adapter.platform)
        self._started.clear()
        if self.metrics is not None:
            await self.metrics.stop()
            self.metrics = None
        if self._store is not None:
            await self._store.close()
            self._store = None

    async def run_until_stopped(self) -> None:
        """Start, then run until SIGINT/SIGTERM or an adapter ends on its own.

        Raises `StoreError` after stopping when the store failed while running.
        """
        loop = asyncio.get_running_loop()
        finished = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, finished.set)
        await self.start()
        try:
            closers = [
                asyncio.ensure_future(ev.wait())
                for ev in (a.closed() for a in self.adapters.values())
                if ev is not None
            ]
            waiter = asyncio.ensure_future(finished.wait())
            failed = asyncio.ensure_future(self._failed.wait())
            await asyncio.wait([waiter, failed, *closers], return_when=asyncio.FIRST_COMPLETED)
            for fut in (waiter, failed, *closers):
                fut.cancel()
            log.info("stopping")
        finally:
            await self.stop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)
        if self.failure is not None:
            raise self.failure
