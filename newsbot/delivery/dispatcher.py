"""Sends the outbox of one platform through its adapter, and decides what failures mean.

Each chat gets its stories in the order they were queued: one send per chat is
in flight at a time, and a chat whose head row is waiting (retry, back-off)
holds its later rows back. Different chats are sent concurrently, up to the
adapter's `max_in_flight`; the adapter paces them to the platform's limits.

When the platform itself is down (`DOWN_AFTER_FAILURES` transient failures in
a row, across chats), every chat waits and one send at a time probes it, with
back-off: an outage of an hour costs a few hundred requests, not one retry
schedule per chat. The first probe that goes through releases them all.

A store that cannot be written (read-only, disk full) halts sending at once:
`on_store_error` tells the newsroom, which stops the bot with one clear line.
The sends in flight then are the only ones that can go out twice after the fix.

Pending rows live in memory as one queue per chat, loaded from the store at
start and topped up when `wake()` says new rows were written, so a fan-out to a
thousand chats costs one query, not one per send. The store stays the truth:
a row is marked sent only after the platform confirmed it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from newsbot.adapter import Adapter
from newsbot.delivery.errors import (
    ChatMigrated,
    DeliveryError,
    PermanentError,
    RetryAfter,
    TransientError,
    Undeliverable,
)
from newsbot.delivery.outbox import Delivery, Outbox, backoff, later
from newsbot.store import utcnow

log = logging.getLogger(__name__)

#: how long to wait for in-flight sends on a graceful stop before cancelling them
STOP_GRACE_SECONDS = 5.0
#: the in-memory queues are reconciled with the store this often regardless of wake-ups
RESYNC_SECONDS = 60.0
#: transient failures in a row, whatever the chat, after which the platform counts as down
DOWN_AFTER_FAILURES = 5
#: while the platform is down, probes go out with back-off, at most this far apart
PROBE_CAP_SECONDS = 10.0

#: told about an exception from the store; returns something true when it means the
#: store is unusable (the newsroom then stops the bot)
StoreErrorHook = Callable[[BaseException], object]


class Dispatcher:
    def __init__(
        self, adapter: Adapter, outbox: Outbox, on_store_error: StoreErrorHook | None = None
    ) -> None:
        self.adapter = adapter
        self.platform = adapter.platform
        self.outbox = outbox
        self._on_store_error = on_store_error
        self._halted = False  # the store failed: send nothing more
        self._failures_in_a_row = 0
        self._down_probes = 0  # 0 while the platform is up; else probes that failed
        self._probe_at: datetime | None = None
        self._probe_chat: str | None = None
        self._queues: dict[str, deque[Delivery]] = {}
        self._known: set[int] = set()
        self._watermark = 0
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._paused_until: datetime | None = None
        self._wake = asyncio.Event()
        self._resync = True
        #: during a full load: rows retired meanwhile, which its (older) answer may still list
        self._retired_while_loading: set[int] | None = None
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    @property
    def busy(self) -> bool:
        """True while any row is queued in memory or being sent."""
        return bool(self._in_flight) or any(self._queues.values())

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"dispatch-{self.platform}")

    def wake(self, *, resync: bool = False) -> None:
        """New rows were written (or, with resync, rows changed under us): look again."""
        self._resync = self._resync or resync
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

    @property
    def down(self) -> bool:
        """True while the platform is taken to be down (probing, nothing else sent)."""
        return self._down_probes > 0

    async def _run(self) -> None:
        last_sync = asyncio.get_running_loop().time()
        while not self._stopping and not self._halted:
            loop_time = asyncio.get_running_loop().time()
            if self._resync or loop_time - last_sync > RESYNC_SECONDS:
                await self._load(full=True)
                last_sync = loop_time
            elif self._wake.is_set():
                await self._load(full=False)
            self._wake.clear()
            if self._stopping:
                break
            wait = self._start_due()
            waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(self._wake.wait())]
            waiters.extend(self._in_flight.values())  # a finished send frees its chat
            await asyncio.wait(waiters, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            waiters[0].cancel()

    async def _load(self, *, full: bool) -> None:
        # A send can finish while the query runs: its row, read as pending just before
        # it was marked sent, must not be queued again (that would send it twice).
        retired = self._retired_while_loading = set() if full else None
        try:
            rows = await self.outbox.pending(self.platform, 0 if full else self._watermark)
        except Exception as exc:
            if self._store_failed(exc):
                return
            log.exception("%s: cannot read the outbox; will try again", self.platform)
            await asyncio.sleep(1.0)
            return
        finally:
            self._retired_while_loading = None
        if retired:
            rows = [row for row in rows if row.id not in retired]
        if full:
            self._resync = False
            live = {row.id for row in rows}
            # rows retired elsewhere (unsubscribe, deleted post, migration) leave the queues
            for chat, queue in list(self._queues.items()):
                kept = deque(d for d in queue if d.id in live or chat in self._in_flight)
                if kept:
                    self._queues[chat] = kept
                else:
                    del self._queues[chat]
            self._known &= live | {d.id for q in self._queues.values() for d in q}
        for row in rows:
            if row.id not in self._known:
                self._known.add(row.id)
                self._queues.setdefault(row.chat_id, deque()).append(row)
            self._watermark = max(self._watermark, row.id)

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
            if self._probe_at is not None and now < self._probe_at:
                return (self._probe_at - now).total_seconds()
            if self._in_flight:
                return None  # the probe (or a send from before the outage) decides
            limit = 1
        soonest: float | None = None
        for chat, queue in self._queues.items():
            if chat in self._in_flight or not queue:
                continue
            head = queue[0]
            if head.next_attempt_at > now:
                wait = (head.next_attempt_at - now).total_seconds()
                soonest = wait if soonest is None else min(soonest, wait)
                continue
            if len(self._in_flight) >= limit:
                break  # a finished send wakes the loop
            if self.down:
                self._probe_chat, self._probe_at = chat, None
            self._in_flight[chat] = asyncio.create_task(self._deliver(chat, head))
        return soonest

    async def _deliver(self, chat: str, row: Delivery) -> None:
        try:
            await self._attempt(chat, row)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # the store failed while recording an outcome; the row stays pending
            if not self._store_failed(exc):
                log.exception("%s: cannot record delivery %s to %s", self.platform, row.id, chat)
            row.next_attempt_at = later(backoff(row.attempts + 1))
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
        self._failures_in_a_row = 0
        if self.down:
            log.warning("%s: reachable again after %d failed probes; sending what waited",
                        self.platform, self._down_probes)
            self._down_probes, self._probe_at, self._probe_chat = 0, None, None

    def _failed(self, chat: str) -> None:
        """A send failed transiently: count it, and take the platform for down when
        too many failed in a row (while down, only the probe's failure counts)."""
        if self.down:
            if chat != self._probe_chat:
                return  # a send from before the outage, answering late
        else:
            self._failures_in_a_row += 1
            if self._failures_in_a_row < DOWN_AFTER_FAILURES:
                return
        self._down_probes += 1
        wait = min(PROBE_CAP_SECONDS, backoff(self._down_probes))
        self._probe_at, self._probe_chat = later(wait), None
        if self._down_probes == 1:
            log.warning(
                "%s: %d sends in a row failed; the platform looks down: every chat waits, "
                "and one send at a time tries again (first in %.1fs)",
                self.platform, self._failures_in_a_row, wait,
            )
        else:
            log.info("%s: still down; next try in %.1fs", self.platform, wait)

    def _forget(self, row: Delivery) -> None:
        """The row left the queues for good (sent, dropped, dead, migrated)."""
        self._known.discard(row.id)
        if self._retired_while_loading is not None:
            self._retired_while_loading.add(row.id)

    def _retire_head(self, chat: str, row: Delivery) -> None:
        queue = self._queues.get(chat)
        if queue and queue[0] is row:
            queue.popleft()
            self._forget(row)
            if not queue:
                del self._queues[chat]

    async def _attempt(self, chat: str, row: Delivery) -> None:
        summary = await self.outbox.summary_for(row.post_id)
        if summary is None:
            await self.outbox.mark_dropped(row.id, "post deleted or withdrawn")
            self._retire_head(chat, row)
            return
        try:
            message_id = await self.adapter.send(chat, summary)
        except RetryAfter as exc:
            self._answered()
            until = later(exc.seconds)
            log.info("%s: told to wait %.1fs for %s", self.platform, exc.seconds, chat)
            if exc.whole_platform:
                self._paused_until = until
            await self._postpone(row, until, row.attempts, str(exc))
        except ChatMigrated as exc:
            self._answered()
            log.info("%s: chat %s moved to %s", self.platform, chat, exc.new_chat_id)
            await self.outbox.migrate(self.platform, chat, exc.new_chat_id)
            for moved in self._queues.pop(chat, deque()):
                self._forget(moved)
            self.wake(resync=True)
        except Undeliverable as exc:
            self._answered()
            log.error("%s: %s can never be sent to %s: %s", self.platform, row.post_id, chat, exc)
            await self.outbox.mark_dropped(row.id, f"undeliverable: {exc}")
            self._retire_head(chat, row)
        except PermanentError as exc:
            self._answered()
            log.warning("%s: giving up on chat %s: %s", self.platform, chat, exc)
            await self.outbox.mark_dead(self.platform, chat, str(exc) or type(exc).__name__)
            for dead in self._queues.pop(chat, deque()):
                self._forget(dead)
        except (TransientError, DeliveryError, Exception) as exc:
            self._failed(chat)
            if not isinstance(exc, DeliveryError):
                log.warning(
                    "%s: unexpected error sending to %s", self.platform, chat, exc_info=True
                )
            attempts = row.attempts + 1
            delay = backoff(attempts)
            log.info(
                "%s: send to %s failed (%s); attempt %d, retrying in %.1fs",
                self.platform, chat, exc or type(exc).__name__, attempts, delay,
            )
            await self._postpone(row, later(delay), attempts, str(exc) or type(exc).__name__)
        else:
            self._answered()
            await self.outbox.mark_sent(row.id, message_id)
            self._retire_head(chat, row)

    async def _postpone(self, row: Delivery, until: datetime, attempts: int, error: str) -> None:
        row.next_attempt_at, row.attempts = until, attempts
        await self.outbox.postpone(row.id, until, attempts, error)
