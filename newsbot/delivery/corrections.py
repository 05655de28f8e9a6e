"""The dispatcher's corrections: edit and delete jobs sent through the adapter, one
at a time per chat and only when no new story waits for it (a fix never delays news).

A mixin of `Dispatcher` (`dispatcher.py` keeps the stories; this module the jobs that
`newsbot.delivery.edits` writes), with the same back-off and "retry after" rules: a
message gone ends its job, a refusal fails it, anything else is tried again later. A
job is asked again just before it goes out whether it is still wanted (its destination
may have turned corrections off since it was read).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from newsbot.adapter import Adapter
from newsbot.delivery.chat_queues import ChatQueues
from newsbot.delivery.edits import DELETE, DONE, FAILED, GONE, EditJob, EditJobs, shown
from newsbot.delivery.errors import (
    ChatMigrated,
    DeliveryError,
    MessageGone,
    PermanentError,
    RetryAfter,
    TransientError,
    Undeliverable,
)
from newsbot.delivery.events import DeliveryEvents
from newsbot.delivery.outbox import Delivery, Outbox
from newsbot.delivery.retry import backoff, later
from newsbot.delivery.sends import PostReader
from newsbot.types import Summary

log = logging.getLogger("newsbot.delivery.dispatcher")  # one logger for the dispatcher's lines


class Corrections:
    """What `Dispatcher` gives its corrections (set in its `__init__`)."""

    platform: str
    adapter: Adapter
    outbox: Outbox
    events: DeliveryEvents
    _edits: EditJobs | None
    _posts: PostReader
    _queues: ChatQueues
    _edit_jobs: dict[int, EditJob]
    _edits_retired: set[tuple[int, int]]
    _in_flight: dict[str, asyncio.Task[None]]
    _paused_until: datetime | None

    if TYPE_CHECKING:  # the dispatcher's own, which its corrections use

        def _store_failed(self, exc: BaseException) -> bool: ...

        def _answered(self) -> None: ...

        def _failed(self, chat: str) -> None: ...

        def wake(self, *, resync: bool = False) -> None: ...

    async def _load_edits(self) -> None:
        """Take in the pending edit jobs, keeping the ones held already (with their
        back-off) and leaving out those finished while the query ran."""
        if self._edits is None:
            return
        jobs = await self._edits.pending(self.platform, claimed_by=self._queues.owner)
        fresh: dict[int, EditJob] = {}
        for job in jobs:
            if (job.id, job.revision) in self._edits_retired:
                continue
            held = self._edit_jobs.get(job.id)
            fresh[job.id] = held if held is not None and held.revision == job.revision else job
        for job_id, job in self._edit_jobs.items():
            if job_id not in fresh and job.chat_id in self._in_flight:
                fresh[job_id] = job  # on its way; its outcome decides
        self._edits_retired &= {(job.id, job.revision) for job in jobs}
        self._edit_jobs = fresh

    async def _overtaken(self, row: Delivery, summary: Summary) -> None:
        """If the post changed visibly while its story was on its way (too early for the
        change to find the message sent), the message gets an edit now."""
        if self._edits is None or not self._edits.enabled:
            return
        newest = await self._posts.summary(row.post_id)
        if newest is not None and shown(newest) != shown(summary):
            log.info("%s: %s changed while being sent to %s; editing it", self.platform,
                     row.post_id, row.chat_id)
            await self._edits.queue_delivery(row.id)
            self.wake()

    async def _attempt_edit(self, chat: str, job: EditJob) -> None:
        assert self._edits is not None
        if not await self._edits.still_wanted(job):  # its destination said no meanwhile
            log.info("%s: correction of %s in %s not sent: no longer wanted there",
                     self.platform, job.post_id, chat)
            self._edit_jobs.pop(job.id, None)
            self._edits_retired.add((job.id, job.revision))
            return
        # a deleted post put back before its deletion went out is edited instead
        summary = await self._posts.summary(job.post_id)
        if summary is None and job.action != DELETE:
            self.events.edit(self.platform, "dropped")
            await self._end_edit(job, FAILED, "post deleted or withdrawn")
            return
        try:
            if summary is None:
                await self.adapter.delete(chat, job.message_id)
            else:
                await self.adapter.edit(chat, job.message_id, summary, job.style)
        except RetryAfter as exc:
            self._answered()
            self.events.rate_limited(self.platform, exc.seconds)
            self.events.edit(self.platform, "retried")
            until = later(exc.seconds)
            if exc.whole_platform:
                self._paused_until = until
            job.next_attempt_at = until
            await self._edits.postpone(job, until, job.attempts, str(exc))
        except (MessageGone, ChatMigrated) as exc:
            self._answered()
            self.events.edit(self.platform, "gone")
            log.info("%s: message %s in %s is gone; not edited", self.platform,
                     job.message_id, chat)
            await self._end_edit(job, GONE, str(exc) or type(exc).__name__)
        except (Undeliverable, PermanentError) as exc:
            self._answered()
            self.events.edit(self.platform, "refused")
            log.warning("%s: edit of message %s in %s refused: %s", self.platform,
                        job.message_id, chat, exc)
            await self._end_edit(job, FAILED, str(exc) or type(exc).__name__)
        except (TransientError, DeliveryError, Exception) as exc:
            self._failed(chat)
            self.events.edit(self.platform, "failed")
            if not isinstance(exc, DeliveryError):
                log.warning("%s: unexpected error editing in %s", self.platform, chat,
                            exc_info=True)
            job.attempts += 1
            job.next_attempt_at = later(backoff(job.attempts))
            log.info("%s: edit in %s failed (%s); attempt %d", self.platform, chat,
                     exc or type(exc).__name__, job.attempts)
            await self._edits.postpone(job, job.next_attempt_at, job.attempts,
                                       str(exc) or type(exc).__name__)
        else:
            self._answered()
            self.events.edit(self.platform, "done")
            await self._end_edit(job, DONE)

    async def _end_edit(self, job: EditJob, status: str, error: str | None = None) -> None:
        assert self._edits is not None
        current = await self._edits.finish(job, status, error)
        self._edit_jobs.pop(job.id, None)
        self._edits_retired.add((job.id, job.revision))
        if not current:  # saved again while this edit was on its way: edit once more
            self.wake()
