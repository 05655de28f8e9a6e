"""Named leases: a role one worker holds at a time, until it stops renewing it.

Taking a lease is one statement: insert it, or take it over when it has
expired, or extend it when this worker holds it already. PostgreSQL serialises
the conflicting inserts on the row, so of two workers racing for a free lease
exactly one gets it; the other's statement returns nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, or_, select

from newsbot.store import Store, schema
from newsbot.workers.clock import store_now
from newsbot.workers.roster import LEASE_SECONDS


@dataclass(frozen=True, slots=True)
class Lease:
    name: str
    holder: str
    acquired_at: datetime
    expires_at: datetime


class Leases:
    """The leases one worker (`holder`) takes, renews and gives back."""

    def __init__(self, store: Store, holder: str, seconds: float = LEASE_SECONDS) -> None:
        self.store = store
        self.holder = holder
        self.seconds = seconds

    async def take(self, name: str) -> bool:
        """Take the lease if it is free or expired, or renew it if this worker holds it;
        whether this worker holds it now."""
        return name in await self.take_many([name])

    async def take_many(self, names: Iterable[str]) -> set[str]:
        """`take` for several leases in one transaction; the names held now."""
        names = list(names)
        if not names:
            return set()
        lease = schema.leases
        held: set[str] = set()
        async with self.store.engine.begin() as conn:
            now = await store_now(conn)
            until = now + timedelta(seconds=self.seconds)
            for name in names:
                insert = self.store.insert(lease).values(
                    name=name, holder=self.holder, acquired_at=now, expires_at=until
                )
                stmt = insert.on_conflict_do_update(
                    index_elements=["name"],
                    set_={
                        "holder": self.holder,
                        "expires_at": until,
                        # renewing keeps the time it was first taken
                        "acquired_at": case(
                            (lease.c.holder == self.holder, lease.c.acquired_at), else_=now
                        ),
                    },
                    where=or_(lease.c.holder == self.holder, lease.c.expires_at < now),
                ).returning(lease.c.name)
                if (await conn.execute(stmt)).first() is not None:
                    held.add(name)
        return held

    async def release(self, *names: str) -> None:
        """Give leases back now, so another worker may take them at its next beat."""
        lease = schema.leases
        async with self.store.engine.begin() as conn:
            await conn.execute(
                delete(lease).where(lease.c.holder == self.holder, lease.c.name.in_(names))
            )


async def current_leases(store: Store, prefix: str = "") -> list[Lease]:
    """Unexpired leases (whose name starts with `prefix`), by name."""
    lease = schema.leases
    async with store.engine.connect() as conn:
        now = await store_now(conn)
        rows = (await conn.execute(
            select(lease).where(lease.c.expires_at >= now, lease.c.name.startswith(prefix))
            .order_by(lease.c.name)
        )).all()
    return [Lease(r.name, r.holder, r.acquired_at, r.expires_at) for r in rows]
