"""The workers of one store: each one's row, its heartbeat, and who is alive.

A worker is alive while its heartbeat (`workers.seen_at`) is younger than
`LEASE_SECONDS`; one that stopped cleanly has left the roster, one that was
killed is forgotten once it has been silent for `FORGET_SECONDS`.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from newsbot.store import Store, schema
from newsbot.workers.clock import store_now

#: how long a role, a claim or a worker lives without being renewed
LEASE_SECONDS = 10.0
#: how often a worker renews everything it holds (a few chances before expiry)
BEAT_SECONDS = 2.5
#: a silent worker's row is removed after this long (it shows as gone meanwhile)
FORGET_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class Worker:
    id: str
    host: str
    pid: int
    started_at: datetime
    seen_at: datetime


def new_worker_id() -> str:
    """Unique per process and readable in `newsbot status`: host, pid and a random tail."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Roster:
    """This worker's entry in the `workers` table."""

    def __init__(self, store: Store, worker_id: str | None = None) -> None:
        self.store = store
        self.id = worker_id or new_worker_id()

    async def beat(self) -> datetime:
        """Say this worker is alive (joining on the first beat); returns the store's now."""
        w = schema.workers
        async with self.store.engine.begin() as conn:
            now = await store_now(conn)
            done = await conn.execute(update(w).where(w.c.id == self.id).values(seen_at=now))
            if not done.rowcount:
                host, _, pid = self.id.partition(":")
                await conn.execute(w.insert().values(
                    id=self.id, host=host, pid=int(pid.partition(":")[0] or 0),
                    started_at=now, seen_at=now,
                ))
            await conn.execute(
                delete(w).where(w.c.seen_at < now - timedelta(seconds=FORGET_SECONDS))
            )
        return now

    async def leave(self) -> None:
        """A clean stop: give up the roster entry, every lease and every chat claim at
        once, so the others take over without waiting for expiry."""
        async with self.store.engine.begin() as conn:
            await conn.execute(delete(schema.leases).where(schema.leases.c.holder == self.id))
            await conn.execute(
                delete(schema.chat_claims).where(schema.chat_claims.c.worker_id == self.id)
            )
            await conn.execute(delete(schema.workers).where(schema.workers.c.id == self.id))


async def live_workers(store: Store) -> list[Worker]:
    """Workers whose heartbeat is recent, oldest first."""
    w = schema.workers
    async with store.engine.connect() as conn:
        now = await store_now(conn)
        rows = (await conn.execute(
            select(w).where(w.c.seen_at >= now - timedelta(seconds=LEASE_SECONDS))
            .order_by(w.c.started_at, w.c.id)
        )).all()
    return [Worker(r.id, r.host, r.pid, r.started_at, r.seen_at) for r in rows]
