"""A bot token's overall rate shared by every worker: one schedule in the store, from which
each worker reserves its slots, so all of them together stay under the platform's limit
(Telegram's 30 messages a second, Discord's 50 requests) however the work is spread.

The schedule is one row of `paces` per platform token (and schedule name): `next_at`,
the next free slot in epoch seconds of the database's clock. A worker reserves a block
of k slots with one statement (`next_at = greatest(next_at, now) + k / rate`, now
being the database's, returned by the same statement) and converts them to its own
event-loop time through that now. Blocks are as big as the sends waiting for a slot,
at least `BLOCK_SECONDS` and at most `AHEAD_SECONDS` of the rate: at 30 a second a
lone send takes one slot at once (no added latency), a fan-out reserves a fraction of
a second at a time. A slot its sender
reached too late is dropped rather than used late, where it could bunch with another
worker's. A "retry after" for the whole bot (`pause`) pushes the schedule for every
worker. The schedule says nothing about liveness: that stays with the heartbeats.

`SharedPace` has the shape of `newsbot.delivery.pacing.OverallPace`; the newsroom hands
adapters a maker of them (`Adapter.use_overall_pace`) when the store is PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from sqlalchemy import text

from newsbot.store import Store

log = logging.getLogger(__name__)

#: a reservation covers at most this much of the rate
AHEAD_SECONDS = 0.5
#: and at least this much (at high rates, such as paid broadcasts, a reservation per
#: slot would cost more time in the store than the slot lasts)
BLOCK_SECONDS = 0.02
#: a slot reached later than this (or than one interval, if longer) is dropped
LATE_SECONDS = 0.05

#: one statement, its own transaction (`Store.autocommit`): one round trip. A schedule is
#: worth nothing after a crash of the database (it starts again from its clock), so its
#: writes need not wait for the disk (`fast`: synchronous_commit off until this commit)
RESERVE = text("""
WITH fast AS (SELECT set_config('synchronous_commit', 'off', true)),
clock AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS now),
moved AS (
    INSERT INTO paces AS p (name, next_at)
    SELECT :name, clock.now + :span FROM clock
    ON CONFLICT (name) DO UPDATE
        SET next_at = greatest(p.next_at, excluded.next_at - :span) + :span
    RETURNING p.next_at
)
SELECT moved.next_at - :span AS first, clock.now AS now
FROM moved CROSS JOIN clock CROSS JOIN fast
""")

#: for a pause's push, in a transaction of its own
FAST = text("SET LOCAL synchronous_commit = off")

PUSH = text("""
INSERT INTO paces AS p (name, next_at)
SELECT :name, extract(epoch FROM clock_timestamp())::float8 + :seconds
ON CONFLICT (name) DO UPDATE SET next_at = greatest(p.next_at, excluded.next_at)
""")


class SharedPace:
    """`async with pace:` enters at a slot of the schedule `name` every worker shares,
    `per_second` slots a second in all."""

    def __init__(self, store: Store, name: str, per_second: float) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self.store = store
        self.name = name
        self.interval = 1 / per_second
        self.most = max(1, int(per_second * AHEAD_SECONDS))
        self.least = max(1, int(per_second * BLOCK_SECONDS))
        self._slots: deque[float] = deque()  # reserved, in event-loop time, in order
        self._waiting = 0  # entries waiting for a slot
        self._lock = asyncio.Lock()
        self._push: asyncio.Task[None] | None = None

    async def __aenter__(self) -> None:
        loop = asyncio.get_running_loop()
        self._waiting += 1
        try:
            while (slot := self._next_slot(loop.time())) is None:
                async with self._lock:
                    if not self._slots:
                        wanted = max(self.least, min(self.most, self._waiting))
                        self._slots.extend(await self.reserve(wanted))
        finally:
            self._waiting -= 1
        delay = slot - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)

    async def __aexit__(self, *exc: object) -> None:
        return None

    def _next_slot(self, now: float) -> float | None:
        late = max(self.interval, LATE_SECONDS)
        while self._slots:
            slot = self._slots.popleft()
            if slot >= now - late:
                return slot
        return None

    async def reserve(self, count: int) -> list[float]:
        """Take the next `count` slots of the shared schedule; their event-loop times."""
        if self._push is not None:  # a pause first reaches the store
            await asyncio.gather(self._push, return_exceptions=True)
            self._push = None
        loop = asyncio.get_running_loop()
        async with self.store.autocommit.connect() as conn:
            sent = loop.time()  # (the connection is ready: only the statement is timed)
            row = (await conn.execute(RESERVE, {"name": self.name,
                                                "span": count * self.interval})).one()
            answered = loop.time()
        # the database's now fell between sending and answering: take the middle
        first = (sent + answered) / 2 + (row.first - row.now)
        return [first + n * self.interval for n in range(count)]

    def pause(self, seconds: float) -> None:
        """Hold every worker back for `seconds`: the schedule moves past them."""
        self._slots.clear()
        previous = self._push

        async def push() -> None:
            if previous is not None:
                await asyncio.gather(previous, return_exceptions=True)
            try:
                async with self.store.engine.begin() as conn:
                    await conn.execute(FAST)
                    await conn.execute(PUSH, {"name": self.name, "seconds": seconds})
            except Exception as exc:  # the others meet the limit and are told themselves
                log.warning("cannot pause the shared pace %s: %s", self.name, exc)

        self._push = asyncio.create_task(push())


class SharedPaces:
    """Makes the shared paces of one platform (bot token): what the newsroom hands an
    adapter (`Adapter.use_overall_pace`) when several workers share the store."""

    def __init__(self, store: Store, platform: str) -> None:
        self.store = store
        self.platform = platform

    def __call__(self, per_second: float, name: str = "") -> SharedPace:
        """The pace for `per_second` on the schedule `<platform>` (or `<platform>:<name>`)."""
        schedule = f"{self.platform}:{name}" if name else self.platform
        return SharedPace(self.store, schedule, per_second)
