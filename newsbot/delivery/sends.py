"""The dispatcher's story sends: one delivery through the adapter, and what its outcome
writes to the outbox. A mixin of `Dispatcher` (`dispatcher.py` decides which chat sends
when; `corrections.py` does for edit jobs what this module does for stories).

A send reads its post just before it goes (a post deleted or withdrawn meanwhile is
dropped, never sent) and again once the platform confirmed it and its row is marked
sent (`Corrections._overtaken`: a change made while it was on its way is edited in).
Those reads go through `PostReader`, and the rows sent are recorded through a `Batch`
(a group commit), so a fan-out to thousands of chats (a paid broadcast: up to 1,000
messages a second) costs the store one read and one commit per group of sends that
start or finish together, not three transactions per send; a send counts as finished
(its chat free, its slot in flight given back) only once its row is committed.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from newsbot.adapter import Adapter
from newsbot.delivery.batches import Batch
from newsbot.delivery.chat_queues import ChatQueues
from newsbot.delivery.errors import (
    ChatMigrated,
    DeliveryError,
    PermanentError,
    RetryAfter,
    TransientError,
    Undeliverable,
)
from newsbot.delivery.events import DeliveryEvents
from newsbot.delivery.outbox import Delivery, Outbox
from newsbot.delivery.retry import backoff, later
from newsbot.types import Summary

log = logging.getLogger("newsbot.delivery.dispatcher")  # one logger for the dispatcher's lines

#: versions of posts kept built (the posts being sent now: one in a fan-out)
POSTS_KEPT = 64


class PostReader:
    """Posts as the dispatcher sends them: read from the store for every send (the sends
    asking together share one read, `Batch`), each version made a Summary once."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self._batch: Batch[str, Summary | None] = Batch(self._read)
        #: post id → (its row as last read, the summary made of it)
        self._built: dict[str, tuple[Any, Summary]] = {}

    async def summary(self, post_id: str) -> Summary | None:
        """The post's summary as the store has it now; None once deleted or withdrawn."""
        return await self._batch(post_id)

    async def settle(self) -> None:
        """Wait for the reads under way."""
        await self._batch.settle()

    async def _read(self, post_ids: list[str]) -> list[Summary | None]:
        rows = await self.outbox.live_posts(set(post_ids))
        found: dict[str, Summary] = {}
        for post_id, row in rows.items():
            known = self._built.pop(post_id, None)
            # the row itself is the key: any change to what was read makes a new summary
            summary = known[1] if known is not None and known[0] == row else (
                self.outbox.summary_of(row))
            self._built[post_id] = (row, summary)  # the newest last
            found[post_id] = summary
        while len(self._built) > POSTS_KEPT:
            del self._built[next(iter(self._built))]
        return [found.get(post_id) for post_id in post_ids]


class StorySends:
    """What `Dispatcher` gives its story sends (set in its `__init__` by `_prepare_sends`)."""

    platform: str
    adapter: Adapter
    outbox: Outbox
    events: DeliveryEvents
    _queues: ChatQueues
    _paused_until: datetime | None

    if TYPE_CHECKING:  # the dispatcher's own, which its sends use

        def _answered(self) -> None: ...

        def _failed(self, chat: str) -> None: ...

        def wake(self, *, resync: bool = False) -> None: ...

        async def _overtaken(self, row: Delivery, summary: Summary) -> None: ...

    def _prepare_sends(self) -> None:
        self._posts = PostReader(self.outbox)
        self._sent: Batch[tuple[int, str], None] = Batch(self._record_sent)

    async def _record_sent(self, sent: list[tuple[int, str]]) -> list[None]:
        await self.outbox.mark_sent_all(sent)
        return [None] * len(sent)

    async def _attempt(self, chat: str, row: Delivery) -> None:
        summary = await self._posts.summary(row.post_id)
        if summary is None:
            self.events.delivery(self.platform, "dropped")
            await self.outbox.mark_dropped(row.id, "post deleted or withdrawn")
            self._queues.retire_head(chat, row)
            return
        try:
            message_id = await self.adapter.send(chat, summary, row.style)
        except RetryAfter as exc:
            self._answered()
            self.events.rate_limited(self.platform, exc.seconds)
            self.events.delivery(self.platform, "retried")
            until = later(exc.seconds)
            log.info("%s: told to wait %.1fs for %s", self.platform, exc.seconds, chat)
            if exc.whole_platform:
                self._paused_until = until
            await self._postpone(row, until, row.attempts, str(exc))
        except ChatMigrated as exc:
            self._answered()
            self.events.delivery(self.platform, "migrated")
            log.info("%s: chat %s moved to %s", self.platform, chat, exc.new_chat_id)
            await self.outbox.migrate(self.platform, chat, exc.new_chat_id)
            self._queues.drop_chat(chat)
            self.wake(resync=True)
        except Undeliverable as exc:
            self._answered()
            self.events.delivery(self.platform, "dropped")
            log.error("%s: %s can never be sent to %s: %s", self.platform, row.post_id, chat, exc)
            await self.outbox.mark_dropped(row.id, f"undeliverable: {exc}")
            self._queues.retire_head(chat, row)
        except PermanentError as exc:
            self._answered()
            self.events.delivery(self.platform, "dead")
            log.warning("%s: giving up on chat %s: %s", self.platform, chat, exc)
            await self.outbox.mark_dead(self.platform, chat, str(exc) or type(exc).__name__)
            self._queues.drop_chat(chat)
        except (TransientError, DeliveryError, Exception) as exc:
            self._failed(chat)
            self.events.delivery(self.platform, "failed")
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
            self.events.delivery(self.platform, "sent")
            await self._sent((row.id, message_id))
            self._queues.retire_head(chat, row)
            await self._overtaken(row, summary)

    async def _postpone(self, row: Delivery, until: datetime, attempts: int, error: str) -> None:
        row.next_attempt_at, row.attempts = until, attempts
        await self.outbox.postpone(row.id, until, attempts, error)
