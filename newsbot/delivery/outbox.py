"""The delivery outbox: one row per (post, destination), and every change to it.

A row is written in the same transaction that announces its post, so a crash
can never lose a delivery: whatever is `pending` after a restart is sent then.
The unique constraint on (post, platform, chat) means a post is queued for a
chat at most once, however often it is announced.

Row states: pending → sent | dead (destination gone) | dropped (post deleted or
chat unsubscribed) | migrated (a new row for the chat's new id replaces it).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import Select, Table, and_, bindparam, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from newsbot.filters import Compiled, Story, Wants
from newsbot.store import Store, schema, utcnow
from newsbot.store.database import SUBSCRIPTIONS_CHANGED, chunks
from newsbot.store.rows import (
    OUTBOX_KEY,
    outbox_row,
    post_from_row,
    style_from_row,
    subscription_from_row,
)
from newsbot.types import Chat, Post, Style, Subscription, Summary

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Delivery:
    """A pending outbox row as the dispatcher holds it."""

    id: int
    post_id: str
    chat_id: str
    attempts: int
    next_attempt_at: datetime
    style: Style = field(default_factory=Style)


#: a live subscription ready to match: (chat, how stories look there, what it wants)
Wish = tuple[Chat, Style, Wants]
#: a delivery to queue: (post id, chat, how it looks)
Queued = tuple[str, Chat, Style]

# A fan-out's statements, run once per group of sends, built once: building one
# costs about as much CPU as running it.
_p, _o = schema.posts, schema.outbox
#: the live ones of some posts (`ids`)
LIVE_POSTS = select(_p).where(_p.c.id.in_(bindparam("ids", expanding=True)),
                              _p.c.status == "live")
#: a row sent (`row_id`) as message `sent_as` at `sent_at` (executed for many rows)
MARK_SENT = (update(_o).where(_o.c.id == bindparam("row_id"), _o.c.status == "pending")
             .values(status="sent", message_id=bindparam("sent_as"),
                     sent_at=bindparam("sent_on")))


class Outbox:
    def __init__(self, store: Store, tz: tzinfo = UTC) -> None:
        self.store = store
        self.tz = tz
        # Every live subscription, ready to match (tags as sets, patterns compiled), kept
        # until the store's subscriptions token changes: reading and preparing 10,000 of
        # them costs far more than matching a story against them.
        self._wishes: tuple[tuple[str | None, tuple[str, ...]], list[Wish]] | None = None

    async def fan_out(
        self,
        conn: AsyncConnection,
        posts: Iterable[Post],
        platforms: Collection[str],
    ) -> int:
        """Queue each post for every live subscription that wants it; returns rows written.

        Runs inside the caller's transaction, the one that marks the posts announced.
        Only platforms with a running adapter get rows: a platform switched off
        must not find a flood of stale stories waiting when it is switched on.
        Posts announced together are queued oldest first (row ids give each chat's order).
        Each destination's tags, exclusions and filters are matched here, once per post.
        """
        posts = sorted(posts, key=lambda post: (post.date, post.id))
        if not posts or not platforms:
            return 0
        wanted = await self.destinations(conn, posts, platforms)
        return await self.queue(conn, wanted, utcnow())

    async def destinations(
        self, conn: AsyncConnection, posts: Iterable[Post], platforms: Collection[str]
    ) -> list[Queued]:
        """(post, chat, style) for every live subscription that wants each post."""
        wishes = await self._live_wishes(conn, platforms)
        return [
            (post.id, chat, style)
            for post in posts
            for story in (Story.of(post),)
            for chat, style, wants in wishes
            if wants(story)
        ]

    async def _live_wishes(self, conn: AsyncConnection, platforms: Collection[str]) -> list[Wish]:
        key = (await self.store.get_meta(conn, SUBSCRIPTIONS_CHANGED), tuple(sorted(platforms)))
        if self._wishes is None or self._wishes[0] != key:
            subs = await self._live_subscriptions(conn, platforms)
            compiled: Compiled = {}
            wishes = [(s.chat, s.style, Wants.of(s.tags, s.exclude, s.filters, compiled))
                      for s in subs]
            self._wishes = (key, wishes)
        return self._wishes[1]

    async def queue(self, conn: AsyncConnection, items: Iterable[Queued], now: datetime) -> int:
        """Write a pending row for each (post, chat, style) in `items`, in that order
        (row ids give each chat's order), skipping those queued already; returns rows given."""
        rows = [outbox_row(post_id, chat, style, now) for post_id, chat, style in items]
        await self.store.insert_new(conn, schema.outbox, rows, OUTBOX_KEY)
        return len(rows)

    async def _live_subscriptions(
        self, conn: AsyncConnection, platforms: Collection[str]
    ) -> list[Subscription]:
        s = schema.subscriptions
        stmt = select(s).where(
            s.c.dead.is_(False), s.c.platform.in_(list(platforms))
        )
        return [subscription_from_row(row) for row in (await conn.execute(stmt)).all()]

    async def pending(
        self, platform: str, after_id: int = 0, *, claimed_by: str | None = None,
        chats: Collection[str] | None = None,
    ) -> list[Delivery]:
        """Pending rows of a platform with id > after_id, oldest first; with `claimed_by`
        only those of the chats that worker has claimed (of them, with `chats`, only
        those)."""
        o = schema.outbox
        stmt = (
            select(o.c.id, o.c.post_id, o.c.chat_id, o.c.attempts, o.c.next_attempt_at,
                   o.c.format, o.c.silent, o.c.publish)
            .where(o.c.platform == platform, o.c.status == "pending", o.c.id > after_id)
        )
        stmt = (stmt.order_by(o.c.id) if claimed_by is None
                else claimed(stmt, o, platform, claimed_by, chats))
        async with self.store.autocommit.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [
            Delivery(r.id, r.post_id, r.chat_id, r.attempts, r.next_attempt_at, style_from_row(r))
            for r in rows
        ]

    async def live_posts(self, post_ids: Collection[str]) -> dict[str, Any]:
        """The `posts` rows of those of these posts that are live (a deleted or withdrawn
        one is missing), by id, each as read (`summary_of` makes it a Summary)."""
        found: dict[str, Any] = {}
        async with self.store.autocommit.connect() as conn:
            for chunk in chunks(list(post_ids)):
                rows = (await conn.execute(LIVE_POSTS, {"ids": chunk})).all()
                found.update((row.id, row) for row in rows)
        return found

    def summary_of(self, row: Any) -> Summary:
        """The summary to send of a `posts` row (`live_posts`)."""
        return Summary.of(post_from_row(row, self.tz))

    async def _set(self, row_id: int, **values: object) -> None:
        o = schema.outbox
        async with self.store.engine.begin() as conn:
            await conn.execute(
                update(o).where(o.c.id == row_id, o.c.status == "pending").values(**values)
            )

    async def mark_sent(self, row_id: int, message_id: str) -> None:
        await self.mark_sent_all([(row_id, message_id)])

    async def mark_sent_all(self, sent: Sequence[tuple[int, str]]) -> None:
        """Rows sent, each with its message id, recorded by one statement (the sends that
        finished together: a group commit; rows apart need not commit together, so on
        PostgreSQL without BEGIN and COMMIT around it)."""
        now = utcnow()
        async with self.store.autocommit.begin() as conn:
            await conn.execute(MARK_SENT, [{"row_id": row_id, "sent_as": message_id,
                                            "sent_on": now} for row_id, message_id in sent])

    async def mark_dropped(self, row_id: int, reason: str) -> None:
        await self._set(row_id, status="dropped", last_error=reason)

    async def postpone(self, row_id: int, until: datetime, attempts: int, error: str) -> None:
        """Keep the row pending, to be tried again at `until`."""
        await self._set(row_id, next_attempt_at=until, attempts=attempts, last_error=error[:500])

    async def mark_dead(self, platform: str, chat_id: str, reason: str) -> None:
        """The destination is gone: flag its subscription and retire its pending rows."""
        s, o = schema.subscriptions, schema.outbox
        async with self.store.engine.begin() as conn:
            await conn.execute(
                update(s)
                .where(s.c.platform == platform, s.c.chat_id == chat_id)
                .values(dead=True, dead_reason=reason[:500], updated_at=utcnow())
            )
            await self.store.subscriptions_changed(conn)
            await conn.execute(
                update(o)
                .where(o.c.platform == platform, o.c.chat_id == chat_id, o.c.status == "pending")
                .values(status="dead", last_error=reason[:500])
            )

    async def migrate(self, platform: str, old_id: str, new_id: str) -> None:
        """The chat changed id: move its subscription and pending rows to the new id."""
        s, o = schema.subscriptions, schema.outbox
        now = utcnow()
        async with self.store.engine.begin() as conn:
            taken = await conn.execute(
                select(s.c.chat_id).where(s.c.platform == platform, s.c.chat_id == new_id)
            )
            if taken.first() is None:
                await conn.execute(
                    update(s)
                    .where(s.c.platform == platform, s.c.chat_id == old_id)
                    .values(chat_id=new_id, updated_at=now)
                )
            else:  # someone subscribed the new chat already; theirs wins
                await conn.execute(
                    s.delete().where(s.c.platform == platform, s.c.chat_id == old_id)
                )
            await self.store.subscriptions_changed(conn)
            old_rows = and_(
                o.c.platform == platform, o.c.chat_id == old_id, o.c.status == "pending"
            )
            moved = (await conn.execute(
                select(o.c.post_id, o.c.format, o.c.silent, o.c.publish)
                .where(old_rows).order_by(o.c.id)
            )).all()
            new_chat = Chat(platform, new_id)
            await self.queue(
                conn, ((row.post_id, new_chat, style_from_row(row)) for row in moved), now
            )
            await conn.execute(
                update(o).where(old_rows).values(status="migrated", last_error=f"now {new_id}")
            )

    async def drop_for_posts(self, conn: AsyncConnection, post_ids: Collection[str]) -> None:
        """Deleted posts are not delivered any more (inside the caller's transaction)."""
        o = schema.outbox
        for chunk in chunks(list(post_ids)):
            await conn.execute(
                update(o)
                .where(o.c.post_id.in_(chunk), o.c.status == "pending")
                .values(status="dropped", last_error="post deleted")
            )

    async def count_pending(self, platforms: Collection[str]) -> int:
        o = schema.outbox
        stmt = select(func.count()).where(
            o.c.status == "pending", o.c.platform.in_(list(platforms))
        )
        async with self.store.engine.connect() as conn:
            return int((await conn.execute(stmt)).scalar_one())


def claimed(stmt: Select[Any], table: Table, platform: str, worker_id: str,
            chats: Collection[str] | None = None) -> Select[Any]:
    """`stmt` over `table` (outbox or edits, pending rows) limited to the chats of
    `platform` that `worker_id` has claimed (of them, with `chats`, only those), by id
    (several workers on PostgreSQL). Read chat by chat from the claims: a LATERAL
    subquery on one chat's pending rows (its `ix_*_pending_chat` index), kept from
    being flattened into a join of every pending row by `OFFSET 0`, since a fan-out
    has just filled the table and the planner's statistics say it is nearly empty
    (or that pending rows are rare), which makes it scan them all once per claim."""
    c = schema.chat_claims
    rows = (stmt.where(table.c.chat_id == c.c.chat_id).order_by(table.c.id).offset(0)
            .lateral("claimed_rows"))
    mine = and_(c.c.platform == platform, c.c.worker_id == worker_id)
    if chats is not None:
        mine = and_(mine, c.c.chat_id.in_(list(chats)))
    return select(rows).select_from(c.join(rows, true())).where(mine).order_by(rows.c.id)
