"""The dispatcher's pending rows in memory: one queue per chat, in the order they were queued.

Loaded from the store at start and topped up with the rows written since the
last load, so a fan-out to a thousand chats costs one query, not one per send.
A full load now and then reconciles the queues with the store, which stays the
truth: rows retired elsewhere (unsubscribe, deleted post, migration) leave them.

With several workers (`owner` set) only the chats this worker has claimed are held:
loads read their rows alone, a chat newly claimed is read whole (`load_chats`), and
one given back leaves (`drop_chat`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Container, ItemsView

from newsbot.delivery.outbox import Delivery, Outbox


class ChatQueues:
    """Pending rows of one platform per chat; a chat's head row is the one it sends next."""

    def __init__(self, outbox: Outbox, platform: str, owner: str | None = None) -> None:
        self.outbox = outbox
        self.platform = platform
        #: the worker whose claimed chats are held (None: every chat, one process)
        self.owner = owner
        self._queues: dict[str, deque[Delivery]] = {}
        self._known: set[int] = set()
        self._watermark = 0
        #: during a load: rows retired meanwhile, which its (older) answer may still list
        self._retired_while_loading: set[int] | None = None

    @property
    def empty(self) -> bool:
        return not any(self._queues.values())

    def items(self) -> ItemsView[str, deque[Delivery]]:
        """Each chat with its queue (which may be empty)."""
        return self._queues.items()

    async def load(self, *, full: bool, sending: Container[str]) -> None:
        """Queue the pending rows written since the last load, or with `full` all of them,
        dropping queued rows the store no longer has pending, except in the chats in
        `sending` (their head is on its way). An error reading the store propagates."""
        rows = await self._read(0 if full else self._watermark)
        if full:
            live = {row.id for row in rows}
            # rows retired elsewhere (unsubscribe, deleted post, migration) leave the queues
            for chat, queue in list(self._queues.items()):
                kept = deque(d for d in queue if d.id in live or chat in sending)
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

    async def load_chats(self, chats: Collection[str]) -> None:
        """Queue every pending row of these chats (newly claimed), leaving the watermark:
        rows of other chats below it may still be on their way."""
        for row in await self._read(0, chats):
            if row.id not in self._known:
                self._known.add(row.id)
                self._queues.setdefault(row.chat_id, deque()).append(row)

    async def _read(self, after_id: int, chats: Collection[str] | None = None) -> list[Delivery]:
        # A send can finish while the query runs: its row, read as pending just before
        # it was marked sent, must not be queued again (that would send it twice).
        retired = self._retired_while_loading = set()
        try:
            rows = await self.outbox.pending(self.platform, after_id, claimed_by=self.owner,
                                             chats=chats)
        finally:
            self._retired_while_loading = None
        return [row for row in rows if row.id not in retired] if retired else rows

    def head(self, chat: str) -> Delivery | None:
        """The row the chat sends next, if any."""
        queue = self._queues.get(chat)
        return queue[0] if queue else None

    def waiting(self, chat: str) -> bool:
        """Whether the chat has a story queued (its edits wait behind it)."""
        return bool(self._queues.get(chat))

    def retire_head(self, chat: str, row: Delivery) -> None:
        """`row`, the chat's head, is done with (sent or dropped)."""
        queue = self._queues.get(chat)
        if queue and queue[0] is row:
            queue.popleft()
            self._forget(row)
            if not queue:
                del self._queues[chat]

    def drop_chat(self, chat: str) -> None:
        """Every row of the chat is done with (the chat is dead or moved to a new id)."""
        for row in self._queues.pop(chat, deque()):
            self._forget(row)

    def _forget(self, row: Delivery) -> None:
        """The row left the queues for good (sent, dropped, dead, migrated)."""
        self._known.discard(row.id)
        if self._retired_while_loading is not None:
            self._retired_while_loading.add(row.id)
