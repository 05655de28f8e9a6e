"""A new indexer takes over without announcing anything twice, on a real PostgreSQL: its
first scan is not a "first run", and two indexers overlapping for a beat (the old one
not yet aware it lost the lease) queue each delivery once."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from newsbot.app import Newsroom
from newsbot.store import Store, schema
from newsbot.workers.leases import current_leases
from tests.helpers import ScriptedAdapter, chat, write_post
from tests.workers.test_newsroom_roles import pg_config, room, until


async def outbox_rows(store: Store) -> Counter[str]:
    """Outbox rows per post (whether sent yet or not: what was queued)."""
    o = schema.outbox
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(o.c.post_id))).all()
    return Counter(row.post_id for row in rows)


async def test_a_new_indexer_announces_only_what_is_new(
    tmp_path: Path, postgres_url: str
) -> None:
    posts = tmp_path / "_posts"
    write_post(posts, "2026-01-20-old.md", "Old news")
    config = pg_config(tmp_path, postgres_url)
    first = room(config, ScriptedAdapter())
    await first.start()
    await until(lambda: first.store.posts_version > 0, "the first run's scan")
    await first.subscriptions.subscribe(chat("c1"))
    write_post(posts, "2026-01-21-new.md", "New story")
    assert (await first.scan()).queued == 1
    await first.stop()

    second = room(config, ScriptedAdapter())
    await second.start()
    try:
        assert second.crew is not None
        assert [x.holder for x in await current_leases(second.store)] == [second.crew.worker_id]
        # its first scan reads every file again (as a restart would) and queues nothing
        report = await second.scan()
        assert not report.first_run and report.queued == 0
        write_post(posts, "2026-01-22-newer.md", "Newer story")
        assert (await second.scan()).queued == 1
        assert await outbox_rows(second.store) == {"2026-01-21-new.md": 1,
                                                    "2026-01-22-newer.md": 1}
    finally:
        await second.stop()


async def test_two_indexers_overlapping_queue_each_delivery_once(
    tmp_path: Path, postgres_url: str
) -> None:
    posts = tmp_path / "_posts"
    write_post(posts, "2026-01-20-old.md", "Old news")
    config = pg_config(tmp_path, postgres_url)
    rooms: list[Newsroom] = [room(config, ScriptedAdapter()), room(config, ScriptedAdapter())]
    for each in rooms:
        await each.start()
    try:
        await until(lambda: rooms[0].store.posts_version > 0, "the first run's scan")
        for number in range(200):
            await rooms[0].subscriptions.subscribe(chat(f"c{number}"))
        for round_ in range(3):
            write_post(posts, f"2026-02-0{round_ + 1}-story.md", f"Story {round_}")
            # both scan the same change at the same moment, as two indexers for a beat
            reports = await asyncio.gather(*(each.indexer.scan() for each in rooms))
            assert sum(r.queued for r in reports) >= 200  # each believed it queued them
        counts = await outbox_rows(rooms[0].store)
        assert counts == {f"2026-02-0{n + 1}-story.md": 200 for n in range(3)}
        o = schema.outbox
        async with rooms[0].store.engine.connect() as conn:
            pairs = (await conn.execute(select(o.c.post_id, o.c.chat_id))).all()
        assert len(pairs) == len(set(pairs)) == 600
    finally:
        for each in rooms:
            await each.stop()
