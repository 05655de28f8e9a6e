"""Who gets what: every change a person makes to a destination's subscription.

The write side of the `subscriptions` table for the chat commands. Arguments
arrive already checked (the chat layer bounds and cleans them); the delivery
side's own changes (a chat gone dead, a chat moved) live with the outbox.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Executable, delete, select, update

from newsbot.filters import Story, Wants
from newsbot.store import schema
from newsbot.store.database import Store, utcnow
from newsbot.store.rows import OUTBOX_KEY, outbox_row, post_from_row, subscription_from_row
from newsbot.types import IGNORE, Chat, Filters, Style, Subscription

#: a first batch looks through at most this many of the newest stories, a page at a time
FIRST_BATCH_SCAN = 2000
FIRST_BATCH_PAGE = 200
#: why a pending correction was not sent (`edits.last_error`)
SKIPPED_WHY = "the destination takes no corrections"


class Subscriptions:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def subscribe(
        self, chat: Chat, tags: Sequence[str] = (), exclude: Sequence[str] = ()
    ) -> Subscription:
        """Subscribe `chat` (or change its tags); revives a chat marked dead. Its filters
        and style, if any, stay as they were."""
        now = utcnow()
        s = schema.subscriptions
        values = {"tags": list(tags), "exclude": list(exclude), "title": chat.title,
                  "dead": False, "dead_reason": ""}
        stmt = self.store.insert(s).values(
            platform=chat.platform, chat_id=chat.id, created_at=now, updated_at=now, **values
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["platform", "chat_id"], set_={**values, "updated_at": now}
        )
        async with self.store.engine.begin() as conn:
            await conn.execute(stmt)
            await self.store.subscriptions_changed(conn)
            row = (await conn.execute(select(s).where(*_chat_is(chat)))).one()
        return subscription_from_row(row)

    async def set_tags(
        self, chat: Chat, tags: Sequence[str], exclude: Sequence[str]
    ) -> Subscription | None:
        """Change the tags of a subscribed chat, leaving it as it was otherwise (a chat
        marked dead stays so: `subscribe` is what revives one)."""
        return await self._change(chat, tags=list(tags), exclude=list(exclude))

    async def set_filters(self, chat: Chat, filters: Filters) -> Subscription | None:
        """Replace the chat's word and pattern filters; None when it is not subscribed."""
        return await self._change(chat, filters=filters.to_json())

    async def set_style(self, chat: Chat, style: Style) -> Subscription | None:
        """Change how stories look in the chat; None when it is not subscribed."""
        return await self._change(
            chat, format=style.format, silent=style.silent, publish=style.publish
        )

    async def set_edits(self, chat: Chat, edits: str | None) -> Subscription | None:
        """Whether stories already sent to the chat are corrected: "update", "ignore" (no
        edits, no deletions), or None to follow the site; None when it is not subscribed.
        "ignore" also skips the corrections still pending there, in the same transaction
        (a later correction of a story, once edits are back on, brings its message up to
        date)."""
        e = schema.edits
        skip = None
        if edits == IGNORE:
            skip = (
                update(e)
                .where(e.c.platform == chat.platform, e.c.chat_id == chat.id,
                       e.c.status == "pending")  # `newsbot.delivery.edits` states
                .values(status="skipped", last_error=SKIPPED_WHY, updated_at=utcnow())
            )
        return await self._change(chat, skip, edits=edits)

    async def _change(
        self, chat: Chat, also: Executable | None = None, **values: object
    ) -> Subscription | None:
        """Update the chat's row (and run `also` in the same transaction when it has one)."""
        s = schema.subscriptions
        async with self.store.engine.begin() as conn:
            done = await conn.execute(
                update(s).where(*_chat_is(chat)).values(**values, updated_at=utcnow())
            )
            if not done.rowcount:
                return None
            if also is not None:
                await conn.execute(also)
            await self.store.subscriptions_changed(conn)
            row = (await conn.execute(select(s).where(*_chat_is(chat)))).one()
        return subscription_from_row(row)

    async def queue_newest(self, sub: Subscription, last: int) -> tuple[int, int]:
        """A first batch: queue the newest `last` live stories `sub` wants, oldest first,
        through the outbox like any delivery (never a story queued for it before).
        Returns how many were found and how many of those are new to the chat."""
        p = schema.posts
        wants = Wants.of(sub.tags, sub.exclude, sub.filters)
        chosen: list[str] = []
        newest = select(p).where(p.c.status == "live").order_by(p.c.date.desc(), p.c.id)
        async with self.store.engine.begin() as conn:
            for offset in range(0, FIRST_BATCH_SCAN, FIRST_BATCH_PAGE):
                page = (await conn.execute(newest.offset(offset).limit(FIRST_BATCH_PAGE))).all()
                chosen += [row.id for row in page if wants(Story.of(post_from_row(row)))]
                if len(chosen) >= last or len(page) < FIRST_BATCH_PAGE:
                    break
            chosen = chosen[:last]
            o = schema.outbox
            had = set((await conn.execute(select(o.c.post_id).where(
                o.c.platform == sub.chat.platform, o.c.chat_id == sub.chat.id,
                o.c.post_id.in_(chosen),
            ))).scalars())
            now = utcnow()
            rows = [outbox_row(post_id, sub.chat, sub.style, now)
                    for post_id in reversed(chosen) if post_id not in had]
            await self.store.insert_new(conn, schema.outbox, rows, OUTBOX_KEY)
        return len(chosen), len(rows)

    async def unsubscribe(self, chat: Chat) -> bool:
        """Remove the chat's subscription and its undelivered stories; False if it had none."""
        s, o = schema.subscriptions, schema.outbox
        async with self.store.engine.begin() as conn:
            result = await conn.execute(delete(s).where(*_chat_is(chat)))
            if not result.rowcount:
                return False
            await self.store.subscriptions_changed(conn)
            await conn.execute(
                update(o)
                .where(o.c.platform == chat.platform, o.c.chat_id == chat.id)
                .where(o.c.status == "pending")
                .values(status="dropped", last_error="unsubscribed")
            )
        return True


def _chat_is(chat: Chat) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    s = schema.subscriptions
    return s.c.platform == chat.platform, s.c.chat_id == chat.id
