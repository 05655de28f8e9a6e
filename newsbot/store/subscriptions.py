"""Who gets what: every change a person makes to a destination's subscription.

The write side of the `subscriptions` table for the chat commands. Arguments
arrive already checked (the chat layer bounds and cleans them); the delivery
side's own changes (a chat gone dead, a chat moved) live with the outbox.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, delete, select, update

from newsbot.store import schema
from newsbot.store.database import Store, utcnow
from newsbot.store.rows import subscription_from_row
from newsbot.types import Chat, Filters, Subscription


class Subscriptions:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def subscribe(
        self, chat: Chat, tags: Sequence[str] = (), exclude: Sequence[str] = ()
    ) -> Subscription:
        """Subscribe `chat` (or change its tags); revives a chat marked dead. Its word
        and pattern filters, if any, stay as they were."""
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

    async def set_filters(self, chat: Chat, filters: Filters) -> Subscription | None:
        """Replace the chat's word and pattern filters; None when it is not subscribed."""
        s = schema.subscriptions
        async with self.store.engine.begin() as conn:
            done = await conn.execute(
                update(s).where(*_chat_is(chat))
                .values(filters=filters.to_json(), updated_at=utcnow())
            )
            if not done.rowcount:
                return None
            await self.store.subscriptions_changed(conn)
            row = (await conn.execute(select(s).where(*_chat_is(chat)))).one()
        return subscription_from_row(row)

    async def unsubscribe(self, chat: Chat) -> bool:
        """Remove the chat's subscription and its undelivered stories; False if it had none."""
        s, o = schema.subscriptions, schema.outbox
        async with self.store.engine.begin() as conn:
            result = await conn.execute(delete(s).where(*_chat_is(chat)))
            await self.store.subscriptions_changed(conn)
            await conn.execute(
                update(o)
                .where(o.c.platform == chat.platform, o.c.chat_id == chat.id)
                .where(o.c.status == "pending")
                .values(status="dropped", last_error="unsubscribed")
            )
        return bool(result.rowcount)


def _chat_is(chat: Chat) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    s = schema.subscriptions
    return s.c.platform == chat.platform, s.c.chat_id == chat.id
