"""Sends the outbox of one platform through its adapter, and carries out the retry
policy (`newsbot.delivery.retry`) for each failure it reports.

Each chat gets its stories in the order they were queued: one send per chat is
in flight at a time, and a chat whose head row is waiting (retry, back-off)
holds its later rows back. Different chats are sent concurrently, up to the
adapter's `max_in_flight`; the adapter paces them to the platform's limits.
While the platform is down, only one send at a time goes out: the probe.

A store that cannot be written (read-only, disk full) halts sending at once:
`on_store_error` tells the newsroom, which stops the bot with one clear line.
The sends in flight then are the only ones that can go out twice after the fix.

Corrections (`newsbot.delivery.edits`: edits, and deletions of withdrawn stories'
messages) go through here too, under the same rules
and in the same slots: a destination's pending edits are sent only once it has no
new story waiting (a fix never delays news), one at a time per destination. An
edit never gives a chat up: a refusal ends that edit (failed), a message gone
marks it gone, and the next story's delivery decides about the chat.

Pending rows wait in memory (`ChatQueues`), topped up when `wake()` says new
rows were written. The store stays the truth: a row is marked sent only after
the platform confirmed it. What one story send does and records is `sends.py`
(sends that finish together are recorded in one transaction).

With several workers on one PostgreSQL store (`claims` given), a dispatcher sends
only to the chats its worker has claimed (`newsbot.delivery.claims`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from newsbot.adapter import Adapter
from newsbot.delivery.chat_queues import ChatQueues
from newsbot.delivery.claims import SharedChats
from newsbot.delivery.corrections import Corrections
from newsbot.delivery.edits import EditJob, EditJobs
from newsbot.delivery.events import DeliveryEvents
from newsbot.delivery.outbox import Delivery, Outbox
from newsbot.delivery.retry import PlatformHealth, backoff, later
from newsbot.delivery.sends import StorySends
from newsbot.store import utcnow
from newsbot.workers.claims import ChatClaims

log = logging.getLogger(__name__)

#: how long to wait for in-flight sends on a graceful stop before cancelling them
STOP_GRACE_SECONDS = 5.0
#: the in-memory queues are reconciled with the store this often regardless of wake-ups
RESYNC_SECONDS = 60.0

#: told about an exception from the store; returns something true when it means the
#: store is unusable (the newsroom then stops the bot)
StoreErrorHook = Callable[[BaseException], object]


class Dispatcher(StorySends, Corrections, SharedChats):
    def __init__(
        self,
        adapter: Adapter,
        outbox: Outbox,
        on_store_error: StoreErrorHook | None = None,
        *,
        edits: EditJobs | None = None,
        events: DeliveryEvents | None = None,
        claims: ChatClaims | None = None,
    ) -> None:
        self.adapter = adapter
        self.platform = adapter.platform
        self.outbox = outbox
        self._on_store_error = on_store_error
        self._halted = False  # the store failed: send nothing more
        self._health = PlatformHealth(self.platform)
        self._queues = ChatQueues(outbox, self.platform,
                                  None if claims is None else claims.worker_id)
        self._share_chats(claims)
        self._prepare_sends()
        self._edits = edits
        #: told every attempt's outcome (`newsbot.delivery.events`: the metrics)
        self.events = events or DeliveryEvents()
        #: pending edit jobs by id, in the order they were written
        self._edit_jobs: dict[int, EditJob] = {}
        #: (job, revision) finished here, which a load begun before may still list
        self._edits_retired: set[tuple[int, int]] = set()
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._paused_until: datetime | None = None
        self._wake = asyncio.Event()
        self._fresh = False  # rows were written since the last load (`wake`)
        self._resync = True
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    @property
    def busy(self) -> bool:
        """True while any row is queued in memory or being sent."""
        return bool(self._in_flight) or not self._queues.empty or bool(self._edit_jobs)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"dispatch-{self.platform}")

    def wake(self, *, resync: bool = False) -> None:
        """New rows were written (or, with resync, rows changed under us): look again."""
        self._resync = self._resync or resync
        self._fresh = True
        self._claim_wanted = True
        self._wake.set()

    async def stop(self) -> None:
        """Start nothing new; let sends in flight finish for a moment, then cancel them.

        A cancelled send stays pending and goes out after the restart: at most
        `max_in_flight` stories can be duplicated that way, never lost.
        """
        self._stopping = True
        self._wake.set()
        if self._in_flight:
            await asyncio.wait(list(self._in_flight.values()), timeout=STOP_GRACE_SECONDS)
        for task in list(self._in_flight.values()):
            task.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
        await self._sent.settle()  # sends cancelled while their group commits: recorded
        await self._posts.settle()
        await self._give_back()

    @property
    def down(self) -> bool:
        """True while the platform is taken to be down (probing, nothing else sent)."""
        return self._health.down

    async def _run(self) -> None:
        last_sync = asyncio.get_running_loop().time()
        while not self._stopping and not self._halted:
            loop_time = asyncio.get_running_loop().time()
            woken, self._fresh = self._fresh, False
            self._wake.clear()  # before loading: a wake-up during the load is kept
            await self._share()
            if self._resync or loop_time - last_sync > RESYNC_SECONDS:
                await self._load(full=True)
                last_sync = loop_time
            elif woken:
                await self._load(full=False)
            if self._stopping:
                break
            wait = self._start_due()
            waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(self._wake.wait())]
            waiters.extend(self._in_flight.values())  # a finished send frees its chat
            await asyncio.wait(waiters, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            waiters[0].cancel()

    async def _load(self, *, full: bool) -> None:
        try:
            await self._queues.load(full=full, sending=self._in_flight)
            await self._load_edits()
        except Exception as exc:
            if self._store_failed(exc):
                return
            log.exception("%s: cannot read the outbox; will try again", self.platform)
            await asyncio.sleep(1.0)
            self._fresh = True  # what woke this load is still to be read
            self._wake.set()
            return
        if full:
            self._resync = False

    def _start_due(self) -> float | None:
        """Start every chat whose head row is due; return seconds until the next one is."""
        if self._halted:
            return None
        now = utcnow()
        if self._paused_until is not None:
            if now < self._paused_until:
                return (self._paused_until - now).total_seconds()
            self._paused_until = None
        limit = max(1, self.adapter.max_in_flight)
        if self.down:
            until_probe = self._health.until_probe(now)
            if until_probe is not None:
                return until_probe
            if self._in_flight:
                return None  # the probe (or a send from before the outage) decides
            limit = 1
        soonest: float | None = None
        # each chat's next story, then the edits of chats with no story waiting (a fix
        # never delays news); one request per chat at a time, claimed chats only
        heads: list[tuple[str, Delivery | EditJob]] = [
            (chat, queue[0]) for chat, queue in self._queues.items() if queue]
        heads += [(job.chat_id, job) for job in list(self._edit_jobs.values())
                  if not self._queues.waiting(job.chat_id)]
        for chat, item in heads:
            if chat in self._in_flight or not self._may_send(chat):
                continue
            if item.next_attempt_at > now:
                wait = (item.next_attempt_at - now).total_seconds()
                soonest = wait if soonest is None else min(soonest, wait)
                continue
            if len(self._in_flight) >= limit:
                break  # a finished send wakes the loop
            if self.down:
                self._health.probing(chat)
            if isinstance(item, Delivery):
                sending = self._guarded(chat, item, self._attempt(chat, item), "delivery")
            else:
                sending = self._guarded(chat, item, self._attempt_edit(chat, item), "edit")
            self._in_flight[chat] = asyncio.create_task(sending)
        return soonest

    async def _guarded(
        self, chat: str, item: Delivery | EditJob, attempt: Awaitable[None], what: str
    ) -> None:
        """One send (a delivery or an edit) for `chat`; an error here is the store failing
        to record its outcome, so the item stays pending."""
        try:
            await attempt
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not self._store_failed(exc):
                log.exception("%s: cannot record %s %s", self.platform, what, item.id)
            item.next_attempt_at = later(backoff(item.attempts + 1))
        finally:
            self._in_flight.pop(chat, None)

    def _store_failed(self, exc: BaseException) -> bool:
        """Whether `exc` means the store is unusable; if so, send nothing more."""
        if self._on_store_error is None or not self._on_store_error(exc):
            return False
        self._halted = True
        self._wake.set()
        return True

    def _answered(self) -> None:
        """The platform answered (whatever it said): it is up."""
        self._health.up()

    def _failed(self, chat: str) -> None:
        """A send failed transiently: the platform may be down (or still is)."""
        self._health.failing(chat)
