"""A story send's reads and writes (`newsbot.delivery.sends`): sends that finish together
are recorded in one transaction, and every send reads the post as it is when it starts."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, select

from newsbot.store import schema
from tests.helpers import ScriptedAdapter, chat, write_post

POST = "2026-02-01-x.md"


async def test_sends_that_finish_together_are_recorded_in_one_statement(room_and_adapter):
    room, adapter = room_and_adapter
    chats = [f"c{n}" for n in range(ScriptedAdapter.max_in_flight)]
    for name in chats:
        await room.subscriptions.subscribe(chat(name))
    recorded: list[int] = []  # the rows each "mark sent" statement carried

    def statement(conn: Any, cursor: Any, sql: str, params: Any, context: Any,
                  many: bool) -> None:
        if sql.lstrip().upper().startswith("UPDATE OUTBOX") and "message_id" in sql:
            recorded.append(len(params) if many else 1)

    event.listen(room.store.engine.sync_engine, "before_cursor_execute", statement)
    adapter.gate = asyncio.Event()
    write_post(room.config.site.posts_dir, POST, "X")
    await room.scan()
    while adapter.in_flight < len(chats):  # every send is on its way
        await asyncio.sleep(0.01)
    adapter.gate.set()  # and they all finish at once
    await room.drain()
    o = schema.outbox
    async with room.store.engine.connect() as conn:
        rows = (await conn.execute(select(o.c.chat_id, o.c.status, o.c.message_id))).all()
    sent_as = {chat_id: message for chat_id, message in adapter_messages(adapter)}
    assert sorted((r.chat_id, r.status, r.message_id) for r in rows) == sorted(
        (name, "sent", sent_as[name]) for name in chats)
    assert recorded == [len(chats)]


def adapter_messages(adapter: ScriptedAdapter) -> list[tuple[str, str]]:
    """(chat, message id) of each message the adapter sent (ids follow the send order)."""
    return [(chat_id, f"m{n}") for n, (chat_id, _) in enumerate(adapter.sent, start=1)]


async def test_a_send_that_starts_after_a_change_shows_the_new_version(
    room_and_adapter, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(ScriptedAdapter, "max_in_flight", 1)  # one chat after the other
    room, adapter = room_and_adapter
    await room.subscriptions.subscribe(chat("c1"))
    await room.subscriptions.subscribe(chat("c2"))
    adapter.gate = asyncio.Event()
    write_post(room.config.site.posts_dir, POST, "First version")
    await room.scan()
    while not adapter.in_flight:  # c1's send has read the first version
        await asyncio.sleep(0.01)
    write_post(room.config.site.posts_dir, POST, "Second version")
    await room.scan()
    adapter.gate.set()
    await room.drain()
    assert [chat_id for chat_id, _ in adapter.sent] == ["c1", "c2"]
    # c2's send began after the change: it shows it (c1's message is edited to it)
    assert adapter.titles == {"m1": "Second version", "m2": "Second version"}
    assert adapter.edited == [("c1", "m1", "Second version")]
