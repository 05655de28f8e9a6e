"""Chat claims on a real PostgreSQL: a worker claims chats whose next delivery is due, a
bounded batch at a time, oldest news first; workers claiming together get different
chats; a claim is taken over only once it expired; a worker that cannot renew stops
counting on its claims before they expire."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from newsbot.delivery.outbox import Outbox
from newsbot.store import Store, schema, utcnow
from newsbot.types import Chat, Style
from newsbot.workers.claims import ChatClaims


@pytest.fixture
async def store(postgres_url: str) -> AsyncIterator[Store]:
    store = await Store.open(postgres_url)
    yield store
    await store.close()


async def queue(store: Store, post: str, chats: list[str], *, delay: float = 0.0) -> None:
    """A pending delivery of `post` to each chat, due after `delay` seconds."""
    async with store.engine.begin() as conn:
        await Outbox(store).queue(
            conn, [(post, Chat("telegram", chat), Style()) for chat in chats],
            utcnow() + timedelta(seconds=delay))


async def holders(store: Store) -> dict[str, str]:
    c = schema.chat_claims
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(c.c.chat_id, c.c.worker_id))).all()
    return {row.chat_id: row.worker_id for row in rows}


def claims(store: Store, worker: str, **kwargs: float) -> ChatClaims:
    return ChatClaims(store, worker, "telegram", **kwargs)


async def test_a_batch_of_due_chats_oldest_news_first(store: Store) -> None:
    await queue(store, "p1", [f"c{n}" for n in range(10)])
    await queue(store, "p0", ["waiting"], delay=600)  # its head is being retried later
    await queue(store, "p2", ["waiting"])  # due, but queued behind the waiting head
    a = claims(store, "a")
    assert await a.claim(4, utcnow()) == {"c0", "c1", "c2", "c3"}
    assert await a.claim(100, utcnow()) == {f"c{n}" for n in range(4, 10)}
    assert a.held == {f"c{n}" for n in range(10)} and a.valid()
    assert await a.claim(100, utcnow()) == set()  # nothing else is due
    assert await a.claim(100, utcnow() + timedelta(seconds=601)) == {"waiting"}


async def test_workers_claiming_together_get_different_chats(store: Store) -> None:
    chats = [f"c{n}" for n in range(400)]
    await queue(store, "p1", chats)
    workers = [claims(store, f"w{n}") for n in range(3)]
    for _ in range(4):
        await asyncio.gather(*(w.claim(30, utcnow()) for w in workers))
    held = [w.held for w in workers]
    assert [len(h) for h in held] == [120, 120, 120]  # each got its own 4 × 30
    assert not (held[0] & held[1]) and not (held[1] & held[2]) and not (held[0] & held[2])
    owners = await holders(store)
    assert all(owners[chat] == w.worker_id for w in workers for chat in w.held)


async def test_a_claim_is_taken_over_only_once_it_expired(store: Store) -> None:
    await queue(store, "p1", ["c1", "c2"])
    a, b = claims(store, "a"), claims(store, "b")
    assert await a.claim(10, utcnow()) == {"c1", "c2"}
    assert await b.claim(10, utcnow()) == set()
    c = schema.chat_claims
    async with store.engine.begin() as conn:  # a was killed: its claims ran out
        await conn.execute(update(c).where(c.c.chat_id == "c1")
                           .values(expires_at=utcnow() - timedelta(seconds=1)))
    assert await b.claim(10, utcnow()) == {"c1"}
    assert await a.renew() == {"c1"}  # it was only paused, and learns it lost c1
    assert a.held == {"c2"} and await holders(store) == {"c1": "b", "c2": "a"}


async def test_a_released_chat_is_free_at_once(store: Store) -> None:
    await queue(store, "p1", ["c1", "c2"])
    a, b = claims(store, "a"), claims(store, "b")
    await a.claim(10, utcnow())
    await a.release(["c1"])
    assert a.held == {"c2"}
    assert await b.claim(10, utcnow()) == {"c1"}


async def test_a_chat_with_only_edits_due_is_claimed_too(store: Store) -> None:
    now = utcnow()
    e = schema.edits
    async with store.engine.begin() as conn:
        await conn.execute(e.insert(), [
            {"outbox_id": n, "post_id": "p", "platform": "telegram", "chat_id": chat,
             "message_id": "m", "status": "pending", "action": "edit", "revision": 1,
             "attempts": 0, "next_attempt_at": now, "created_at": now, "updated_at": now}
            for n, chat in enumerate(["fix-only", "news-too"])
        ])
    await queue(store, "p2", ["news-too"])
    a = claims(store, "a")
    assert await a.claim(10, utcnow()) == {"fix-only", "news-too"}


async def test_claims_not_renewed_in_time_are_not_counted_on(store: Store) -> None:
    await queue(store, "p1", ["c1"])
    a = claims(store, "a", seconds=0.4, margin=0.2)
    await a.claim(10, utcnow())
    assert a.valid()
    await asyncio.sleep(0.25)  # past the claim's life less the margin: stop sending
    assert not a.valid()
    assert await a.renew() == set()
    assert a.valid()
