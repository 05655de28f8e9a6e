"""Wake-ups between workers, with PostgreSQL's LISTEN/NOTIFY.

The indexer notifies `CHANNEL` after a scan changed something others should hear of
(stories or corrections queued, posts read or withdrawn); every worker listens on a
connection of its own (asyncpg's `add_listener`) and is woken at once: its dispatchers
claim the new chats within a moment, whichever worker indexed the story. A
notification can be missed (the listening connection dropped and is being made
again): each beat's claim pass catches whatever it would have said.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import make_url, text

from newsbot.store import Store
from newsbot.workers.roster import BEAT_SECONDS

log = logging.getLogger(__name__)

#: the one channel every worker of a store listens on
CHANNEL = "newsbot"
NOTIFY = text("SELECT pg_notify(:channel, :payload)")


class Wakeups:
    """This worker's ear and voice: `woken(payload)` runs for every notification."""

    def __init__(self, store: Store, woken: Callable[[str], None]) -> None:
        self.store = store
        self.woken = woken
        self._task: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Listen from now on (connecting again whenever the connection is lost)."""
        ready = asyncio.Event()
        self._task = asyncio.create_task(self._listen(ready), name="worker-wakeups")
        with contextlib.suppress(TimeoutError):  # not listening yet: the beats cover it
            await asyncio.wait_for(ready.wait(), timeout=5)

    async def _listen(self, ready: asyncio.Event) -> None:
        import asyncpg  # the postgres extra, present whenever the store is PostgreSQL

        dsn = make_url(self.store.url).set(drivername="postgresql").render_as_string(
            hide_password=False)
        while True:
            lost = asyncio.Event()
            try:
                conn = await asyncpg.connect(dsn)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("cannot listen for other workers' news (%s); trying again", exc)
                await asyncio.sleep(BEAT_SECONDS)
                continue
            try:
                conn.add_termination_listener(lambda _conn, ev=lost: ev.set())
                await conn.add_listener(CHANNEL, self._heard)
                ready.set()
                await lost.wait()
                log.warning("the connection listening for other workers' news was lost")
            finally:
                with contextlib.suppress(Exception):
                    await conn.close(timeout=2)

    def _heard(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self.woken(payload)

    def tell_others(self, payload: str = "") -> None:
        """Notify every worker (this one too), in the background."""
        async def notify() -> None:
            try:
                async with self.store.engine.begin() as conn:
                    await conn.execute(NOTIFY, {"channel": CHANNEL, "payload": payload})
            except Exception as exc:  # the others' next beat finds the work anyway
                log.warning("cannot wake the other workers: %s", exc)

        task = asyncio.create_task(notify())
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._sending) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
