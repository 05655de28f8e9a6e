"""Chat claims: which worker sends to a chat now, so each chat is sent to by one worker at
a time, in queue order (PostgreSQL only; one process needs none).

A claim is a lease on one destination (`chat_claims`), on the store's clock. A worker
claims a bounded batch of chats whose next delivery (the head of the chat's queue)
or, when none is queued, whose next edit is due, oldest news first, in one
statement, one claimer of a platform at a time (an advisory lock held for the
transaction): each sees what the one before claimed, so workers claiming at the
same moment get different chats. The insert takes over only claims that have
expired, so a chat is never claimed by two workers at once; the heads are locked
with `FOR UPDATE SKIP LOCKED`, so a claim never waits for a send being recorded.
Claims are renewed at every beat and given back when a chat has nothing left to
send; a worker that dies leaves its chats to be taken over once they expire.

A worker that cannot renew its claims stops sending before they can have expired
(`valid`), so another worker that takes a chat over never sends beside it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func, text, update

from newsbot.store import Store, schema
from newsbot.store.database import chunks
from newsbot.workers.roster import BEAT_SECONDS, LEASE_SECONDS

log = logging.getLogger(__name__)

#: the claim statement; `:due` is the sender's now (the outbox's times are written by
#: the workers), expiry is on the store's clock
CLAIM = text("""
WITH clock AS (SELECT timezone('UTC', clock_timestamp()) AS now),
news AS (
    -- pending rows in queue order, each the head of its chat (no earlier pending row),
    -- due, of a chat nobody has claimed: the first ones found, no more
    SELECT o.chat_id, 0 AS kind, o.id AS queued
    FROM outbox AS o CROSS JOIN clock
    WHERE o.platform = :platform AND o.status = 'pending' AND o.next_attempt_at <= :due
      -- correlated on purpose: one index probe per row, whatever the planner believes of
      -- a table that a fan-out has just filled (no statistics yet)
      AND o.id = (SELECT min(earlier.id) FROM outbox AS earlier
                  WHERE earlier.platform = o.platform AND earlier.chat_id = o.chat_id
                    AND earlier.status = 'pending')
      AND NOT coalesce((SELECT c.expires_at >= clock.now FROM chat_claims AS c
                        WHERE c.platform = o.platform AND c.chat_id = o.chat_id), false)
    ORDER BY o.id
    LIMIT :limit
    FOR UPDATE OF o SKIP LOCKED
),
fixes AS (
    SELECT e.chat_id, 1 AS kind, min(e.id) AS queued
    FROM edits AS e CROSS JOIN clock
    WHERE e.platform = :platform AND e.status = 'pending' AND e.next_attempt_at <= :due
      AND (SELECT min(o.id) FROM outbox AS o  -- news first: no story waits there
           WHERE o.platform = e.platform AND o.chat_id = e.chat_id
             AND o.status = 'pending') IS NULL
      AND NOT coalesce((SELECT c.expires_at >= clock.now FROM chat_claims AS c
                        WHERE c.platform = e.platform AND c.chat_id = e.chat_id), false)
    GROUP BY e.chat_id
    ORDER BY min(e.id)
    LIMIT :limit
),
wanted AS (
    SELECT chat_id, kind, queued FROM news
    UNION ALL
    SELECT chat_id, kind, queued FROM fixes
    ORDER BY kind, queued
    LIMIT :limit
)
INSERT INTO chat_claims (platform, chat_id, worker_id, expires_at)
SELECT :platform, wanted.chat_id, :worker, clock.now + make_interval(secs => :seconds)
FROM wanted CROSS JOIN clock
ON CONFLICT (platform, chat_id) DO UPDATE
    SET worker_id = excluded.worker_id, expires_at = excluded.expires_at
    WHERE chat_claims.worker_id = excluded.worker_id
       OR chat_claims.expires_at < excluded.expires_at - make_interval(secs => :seconds)
RETURNING chat_id
""")


#: claimers of one platform take turns (a transaction-level advisory lock, freed at commit)
SERIALIZE = text("SELECT pg_advisory_xact_lock(hashtext(:key))")


class ChatClaims:
    """The chats of one platform this worker has claimed (`held`), kept in the store."""

    def __init__(
        self, store: Store, worker_id: str, platform: str, *,
        seconds: float = LEASE_SECONDS, margin: float = BEAT_SECONDS,
    ) -> None:
        """Claims last `seconds`; this worker stops sending `margin` seconds before that
        (time for a send that started just before to finish)."""
        self.store = store
        self.worker_id = worker_id
        self.platform = platform
        self.seconds = seconds
        self.margin = margin
        self.held: set[str] = set()
        self._valid_until = float("-inf")  # loop time
        self._lock = asyncio.Lock()

    def valid(self) -> bool:
        """Whether every held claim is surely still this worker's (renewed recently)."""
        return asyncio.get_running_loop().time() < self._valid_until

    def _renewed(self, started: float) -> None:
        self._valid_until = started + self.seconds - self.margin

    async def claim(self, limit: int, due: datetime) -> set[str]:
        """Claim up to `limit` more chats whose next delivery (or edit) is due at `due`;
        returns those newly held."""
        if limit <= 0:
            return set()
        async with self._lock:
            started = asyncio.get_running_loop().time()
            async with self.store.engine.begin() as conn:
                # one claimer of a platform at a time: the claim's snapshot, taken after
                # this lock, sees what the one before claimed (locked heads alone would
                # not keep apart two claimers whose snapshots precede each other's)
                await conn.execute(SERIALIZE, {"key": f"newsbot:claims:{self.platform}"})
                rows = (await conn.execute(CLAIM, {
                    "platform": self.platform, "worker": self.worker_id, "limit": limit,
                    "seconds": self.seconds, "due": due,
                })).all()
            new = {row.chat_id for row in rows} - self.held
            if new and not self.held:
                self._renewed(started)  # else the older renewal bounds them all
            self.held |= new
            return new

    async def renew(self) -> set[str]:
        """Extend every held claim; returns the chats lost meanwhile (taken over by
        another worker after this one failed to renew them in time)."""
        c = schema.chat_claims
        async with self._lock:
            started = asyncio.get_running_loop().time()
            until = func.timezone("UTC", func.clock_timestamp()) + func.make_interval(
                0, 0, 0, 0, 0, 0, self.seconds)
            async with self.store.engine.begin() as conn:
                rows = (await conn.execute(
                    update(c)
                    .where(c.c.platform == self.platform, c.c.worker_id == self.worker_id)
                    .values(expires_at=until)
                    .returning(c.c.chat_id)
                )).all()
                still = {row.chat_id for row in rows}
                unknown = still - self.held  # a claim whose answer never came back
                for part in chunks(list(unknown)):
                    await conn.execute(delete(c).where(
                        c.c.platform == self.platform, c.c.worker_id == self.worker_id,
                        c.c.chat_id.in_(part)))
            lost = self.held - still
            if lost:
                log.warning("%s: %d chats were taken over by other workers (this one could "
                            "not renew its claims in time)", self.platform, len(lost))
            self.held &= still
            self._renewed(started)
            return lost

    async def release(self, chats: Collection[str]) -> None:
        """Give these chats back: another worker may claim them at once."""
        chats = [chat for chat in chats if chat in self.held]
        if not chats:
            return
        c = schema.chat_claims
        async with self._lock:
            async with self.store.engine.begin() as conn:
                for part in chunks(chats):
                    await conn.execute(delete(c).where(
                        c.c.platform == self.platform, c.c.worker_id == self.worker_id,
                        c.c.chat_id.in_(part)))
            self.held.difference_update(chats)
