"""Edit jobs in the dispatcher, against a scripted platform: a change that lands while
the story's first delivery is on its way still reaches the chat, once."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from newsbot.store import schema
from tests.helpers import chat, write_post

POST = "2026-02-01-x.md"


async def jobs(room):  # type: ignore[no-untyped-def]
    e = schema.edits
    async with room.store.engine.connect() as conn:
        result = await conn.execute(select(e.c.chat_id, e.c.message_id, e.c.status))
        return [tuple(r) for r in result.all()]


async def test_a_change_made_while_the_story_is_being_sent_edits_it_after(room_and_adapter):
    room, adapter = room_and_adapter
    await room.subscriptions.subscribe(chat("c1"))
    adapter.gate = asyncio.Event()
    write_post(room.config.site.posts_dir, POST, "Fist version")
    await room.scan()
    while not adapter.in_flight:  # the send has read the first version
        await asyncio.sleep(0.01)
    write_post(room.config.site.posts_dir, POST, "First version")
    report = await room.scan()
    assert report.edits == 0  # nothing sent yet, so nothing the scan can edit
    adapter.gate.set()
    await room.drain()
    assert adapter.sent == [("c1", POST)]
    assert adapter.edited == [("c1", "m1", "First version")]
    assert adapter.titles == {"m1": "First version"}
    assert await jobs(room) == [("c1", "m1", "done")]


async def test_an_unchanged_story_gets_no_edit_after_its_delivery(room_and_adapter):
    room, adapter = room_and_adapter
    await room.subscriptions.subscribe(chat("c1"))
    write_post(room.config.site.posts_dir, POST, "Only version")
    await room.scan()
    await room.drain()
    assert adapter.edited == [] and await jobs(room) == []
