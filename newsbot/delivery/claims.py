"""The dispatcher's chats when several workers share the store: it sends only to the chats
it has claimed (`newsbot.workers.claims`), a bounded batch at a time, so each chat is
sent to by one worker at a time and keeps its queue order.

A mixin of `Dispatcher`. Each pass of its loop (woken by a new story, at every beat,
and while its claimed chats run low) first gives back, at a beat, the chats with
nothing left to send (once idle for `IDLE_SECONDS`, so a story that follows at once
goes out from the same worker, which keeps the chat's one-a-second pace) and those
whose next send waits longer than a claim lasts (a retry far off: whoever claims the
chat when it is due waits as the row says); then it claims more chats whose next
delivery or edit is due, up to its batch, and reads their rows. Claims are renewed
at each beat (`beat`, the RoleKeeper's hook); a worker that could not renew them in
time sends nothing until it has (`ChatClaims.valid`), and drops the chats another
worker took over meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from newsbot.adapter import Adapter
from newsbot.delivery.chat_queues import ChatQueues
from newsbot.delivery.edits import EditJob
from newsbot.store import utcnow
from newsbot.workers.claims import ChatClaims
from newsbot.workers.roster import BEAT_SECONDS

log = logging.getLogger("newsbot.delivery.dispatcher")  # one logger for the dispatcher's lines

#: chats claimed per send the adapter may have in flight: enough to keep this worker's
#: share of the rate busy for a few seconds, few enough that workers split a fan-out to
#: thousands of chats evenly (Telegram: 64 chats, two seconds of the whole 30/s)
CLAIMS_PER_SLOT = 4
#: a chat with nothing left to send stays claimed this long after its last send
IDLE_SECONDS = BEAT_SECONDS


class SharedChats:
    """What `Dispatcher` gives its claims (set in its `__init__` by `_share_chats`)."""

    platform: str
    adapter: Adapter
    _queues: ChatQueues
    _edit_jobs: dict[int, EditJob]
    _in_flight: dict[str, asyncio.Task[None]]
    _wake: asyncio.Event

    if TYPE_CHECKING:  # the dispatcher's own, which its claims use

        def _store_failed(self, exc: BaseException) -> bool: ...

        def wake(self, *, resync: bool = False) -> None: ...

        async def _load_edits(self) -> None: ...

    def _share_chats(self, claims: ChatClaims | None) -> None:
        self._claims = claims
        self._batch = CLAIMS_PER_SLOT * max(1, self.adapter.max_in_flight)
        self._claim_wanted = True  # a claim pass may find chats to take
        self._beat_due = False
        self._lost: set[str] = set()
        self._last_active: dict[str, float] = {}

    @property
    def claimed(self) -> frozenset[str]:
        """The chats this worker sends to now (every chat when the store is not shared)."""
        return frozenset(self._claims.held) if self._claims is not None else frozenset()

    async def beat(self) -> None:
        """Renew this worker's claims (the RoleKeeper calls this at each heartbeat);
        the loop then gives back what is done and claims more."""
        if self._claims is None:
            return
        self._lost |= await self._claims.renew()
        self._beat_due = True
        self._claim_wanted = True
        self._wake.set()  # a pass of the loop, not a read of the outbox

    def _may_send(self, chat: str) -> bool:
        claims = self._claims
        return claims is None or (chat in claims.held and claims.valid())

    async def _share(self) -> None:
        """One pass: chats lost or done leave, more are claimed while there is room."""
        claims = self._claims
        if claims is None:
            return
        try:
            await self._pass(claims)
        except Exception as exc:
            if self._store_failed(exc):
                return
            log.warning("%s: cannot claim chats (%s); trying again", self.platform, exc)
            self._claim_wanted = True
            await asyncio.sleep(1.0)

    async def _pass(self, claims: ChatClaims) -> None:
        loop_now = asyncio.get_running_loop().time()
        for chat in self._in_flight:
            self._last_active[chat] = loop_now
        for chat in self._lost:
            self._leave(chat)
        self._lost.clear()
        working = self._working()
        if self._beat_due:
            self._beat_due = False
            now = utcnow()
            done = [
                chat for chat in claims.held
                if chat not in self._in_flight and (
                    (chat not in working
                     and loop_now - self._last_active.get(chat, loop_now) >= IDLE_SECONDS)
                    or self._waits(chat, now) > claims.seconds)
            ]
            if done:
                log.debug("%s: giving back %d chats", self.platform, len(done))
                await claims.release(done)
                for chat in done:
                    self._leave(chat)
                working.difference_update(done)
        room = self._batch - len(working)
        if self._claim_wanted and room >= self._batch // 2:
            new = await claims.claim(room, utcnow())
            log.debug("%s: claimed %d more chats", self.platform, len(new))
            self._claim_wanted = len(new) >= room  # there may be more
            if new:
                for chat in new:
                    self._last_active[chat] = loop_now
                await self._queues.load_chats(new)
                await self._load_edits()

    def _working(self) -> set[str]:
        """Chats with something to send or being sent to."""
        busy = {chat for chat, queue in self._queues.items() if queue}
        busy.update(job.chat_id for job in self._edit_jobs.values())
        busy.update(self._in_flight)
        return busy

    def _waits(self, chat: str, now: datetime) -> float:
        """Seconds until the chat's next send (a story, else an edit) may go."""
        head = self._queues.head(chat)
        due = head.next_attempt_at if head is not None else min(
            (job.next_attempt_at for job in self._edit_jobs.values() if job.chat_id == chat),
            default=now)
        return (due - now).total_seconds()

    def _leave(self, chat: str) -> None:
        """The chat is no longer this worker's: forget what was read for it."""
        self._queues.drop_chat(chat)
        for job_id in [job.id for job in self._edit_jobs.values() if job.chat_id == chat]:
            del self._edit_jobs[job_id]
        self._last_active.pop(chat, None)

    async def _give_back(self) -> None:
        """On a stop, once no send is in flight: every chat is free for the others."""
        if self._claims is not None and self._claims.held:
            try:
                await self._claims.release(list(self._claims.held))
            except Exception as exc:
                log.warning("%s: could not give the chats back (others take them over "
                            "once the claims expire): %s", self.platform, exc)
