"""A worker's `/healthz` and `/metrics` over HTTP (aiohttp), on `metrics.listen`.

`GET /healthz` answers 200 while the worker can do its work and 503 once its store
failed (the bot is stopping) or does not answer now, with a short JSON body a
person can read too: the worker's id, the store, each adapter (up, down,
starting, stopped). A platform that is down leaves the worker healthy: restarting
it would not bring the platform back, and the metrics show it. `GET /metrics` is
Prometheus' exposition of `newsbot.ops.metrics` (OpenMetrics when asked for).

Requests are not logged: a scrape every few seconds would drown the log. Nothing
here is secret or changes anything, and nothing asks who is calling: listen on
an address only the scraper and the orchestrator reach.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from aiohttp import web
from prometheus_client.exposition import choose_encoder
from sqlalchemy import select

from newsbot.adapter import Adapter
from newsbot.config import ConfigError
from newsbot.delivery.dispatcher import Dispatcher
from newsbot.ops.metrics import STORE_SECONDS, Metrics
from newsbot.sections import MetricsConfig
from newsbot.store import Store, StoreError

log = logging.getLogger(__name__)


class Watched(Protocol):
    """What the server reads of the running newsroom."""

    failure: StoreError | None
    adapters: dict[str, Adapter]
    dispatchers: dict[str, Dispatcher]

    @property
    def store(self) -> Store:
        """The open store (RuntimeError before it is open)."""


class MetricsServer:
    def __init__(
        self, config: MetricsConfig, source: str, metrics: Metrics, watched: Watched
    ) -> None:
        self.config = config
        self.source = source  # the configuration file, for an error naming the key
        self.metrics = metrics
        self.watched = watched
        self._runner: web.AppRunner | None = None
        #: the port actually listened on (`listen` may ask for any free one with :0)
        self.port = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.scrape)
        return app

    async def start(self) -> None:
        runner = web.AppRunner(self.app(), access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.config.host, self.config.port).start()
        except OSError as exc:
            await runner.cleanup()
            raise ConfigError(f"{self.source}: metrics.listen: cannot listen on "
                              f"{self.config.listen} ({exc.strerror or exc})") from None
        self._runner = runner
        self.port = runner.addresses[0][1]
        log.info("health and metrics on http://%s:%d/healthz and /metrics",
                 self.config.host, self.port)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    def _store(self) -> Store | None:
        """The store, while it is open and has not failed."""
        if self.watched.failure is not None:
            return None
        try:
            return self.watched.store
        except RuntimeError:
            return None

    async def store_state(self) -> str:
        """ok, failed (unusable: the bot stops), unreachable (now), or closed."""
        if self.watched.failure is not None:
            return "failed"
        store = self._store()
        if store is None:
            return "closed"
        try:
            async with asyncio.timeout(STORE_SECONDS), store.engine.connect() as conn:
                await conn.execute(select(1))
        except Exception as exc:
            log.warning("health check: the store does not answer: %s", exc)
            return "unreachable"
        return "ok"

    def adapter_states(self) -> dict[str, str]:
        states = {}
        for name, adapter in self.watched.adapters.items():
            dispatcher = self.watched.dispatchers.get(name)
            closed = adapter.closed()
            if closed is not None and closed.is_set():
                states[name] = "stopped"
            elif dispatcher is None:
                states[name] = "starting"
            else:
                states[name] = "down" if dispatcher.down else "up"
        return states

    async def healthz(self, request: web.Request) -> web.Response:
        store = await self.store_state()
        body = {"worker": self.metrics.worker_id, "mode": self.metrics.mode, "store": store,
                "adapters": self.adapter_states()}
        return web.json_response(body, status=200 if store == "ok" else 503)

    async def scrape(self, request: web.Request) -> web.Response:
        await self.metrics.refresh(self._store(), list(self.watched.adapters))
        encode, content_type = choose_encoder(request.headers.get("Accept", ""))
        return web.Response(body=encode(self.metrics.registry),
                            headers={"Content-Type": content_type})
