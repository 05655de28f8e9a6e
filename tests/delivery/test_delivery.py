"""What the outbox does with each kind of failure an adapter reports."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from newsbot.delivery import retry
from newsbot.delivery.errors import (
    ChatMigrated,
    PermanentError,
    RetryAfter,
    TransientError,
    Undeliverable,
)
from newsbot.store import schema
from tests.helpers import ScriptedAdapter, chat, make_config, scripted_room, write_post


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "BACKOFF_BASE_SECONDS", 0.02)


async def rows(room, *cols):  # type: ignore[no-untyped-def]
    o = schema.outbox
    async with room.store.engine.connect() as conn:
        result = await conn.execute(select(*(o.c[c] for c in cols)).order_by(o.c.id))
        return [tuple(r) for r in result.all()]


async def announce(room, name: str = "2026-02-01-x.md", title: str = "X") -> None:  # type: ignore[no-untyped-def]
    write_post(room.config.site.posts_dir, name, title)
    await room.scan()


async def test_transient_errors_retry_until_delivered_once(room_and_adapter):
    room, adapter = room_and_adapter
    await room.subscriptions.subscribe(chat("c1"))
    adapter.script["c1"] = [TransientError("502"), TransientError("timeout"), None]
    await announce(room)
    await room.drain()
    assert adapter.sent == [("c1", "2026-02-01-x.md")]
    assert len(adapter.attempts) == 3
    assert await rows(room, "status", "attempts", "message_id") == [("sent", 2, "m1")]


async def test_unexpected_exception_is_treated_as_transient(room_and_adapter):
    room, adapter = room_and_adapter
    await room.subscriptions.subscribe(chat("c1"))
    adapter.script["c1"] = [RuntimeError("adapter bug"), None]
    await announce(room)
    await room.drain()
    assert adapter.sent == [("c1", "2026-02-01-x.md")]


async def test_retry_after_waits_as_told_and_keeps_row_pending(room_and_adapter):
    room, adapter = room_and_adapter
    await room.subscriptions.subscribe(chat("c1"))
    adapter.script["c1"] = [RetryAfter(0.4), None]
    await announce(room)
    # right after the refusal the row is pending with the platform's wait recorded
    for _ in range(100):
        if adapter.attempts:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    [(status, error)] = await rows(room, "status", "last_error")
    assert status == "pending" and error == "retry after 0.4s"
    assert adapter.sent == []
    await room.drain()
    assert adapter.sent == [("c1", "2026-02-01-x.md")]
    # a flood wait is not a failure: it does not count as an attempt
    assert await rows(room, "status", "attempts") == [("sent", 0)]


async def test_permanent_error_marks_chat_dead_and_stops_costing_work(room_and_adapter):
    room, adapter = room_and_adapter
    await room.subscriptions.subscribe(chat("gone"))
    await room.subscriptions.subscribe(chat("ok"))
    adapter.script["gone"] = [PermanentError("bot was blocked by the user")]
    await announce(room)
    await room.drain()
    sub = await room.queries.settings(chat("gone"))
    assert sub is not None and sub.dead and sub.dead_reason == "bot was blocked by the user"
    await announce(room, "2026-02-02-y.md", "Y")
    await room.drain()
    assert [a for a in adapter.attempts if a[0] == "gone"] == [("gone", "2026-02-01-x.md")]
    assert sorted(adapter.sent) == [("ok", "2026-02-01-x.md"), ("ok", "2026-02-02-y.md")]
    # subscribing again revives the chat
    await room.subscriptions.subscribe(chat("gone"))
    await announce(room, "2026-02-03-z.md", "Z")
    await room.drain()
    assert ("gone", "2026-02-03-z.md") in adapter.sent


async def test_undeliverable_story_is_dropped_without_blocking_the_chat(room_and_adapter):
    room, adapter = room_and_adapter
    await room.subscriptions.subscribe(chat("c1"))
    adapter.script["c1"] = [Undeliverable("payload refused")]
    await announce(room, "2026-02-01-a.md", "A")
    await announce(room, "2026-02-02-b.md", "B")
    await room.drain()
    assert adapter.sent == [("c1", "2026-02-02-b.md")]
    assert await rows(room, "status", "last_error") == [
        ("dropped", "undeliverable: payload refused"), ("sent", None)
    ]
    sub = await room.queries.settings(chat("c1"))
    assert sub is not None and not sub.dead


async def test_migrated_chat_moves_subscription_and_resends_there(room_and_adapter):
    room, adapter = room_and_adapter
    await room.subscriptions.subscribe(chat("-100"), ["News"])
    adapter.script["-100"] = [ChatMigrated("-100999")]
    await announce(room)
    await room.drain()
    assert adapter.sent == [("-100999", "2026-02-01-x.md")]
    assert await room.queries.settings(chat("-100")) is None
    moved = await room.queries.settings(chat("-100999"))
    assert moved is not None and moved.tags == ("News",)
    assert await rows(room, "chat_id", "status") == [("-100", "migrated"), ("-100999", "sent")]


async def test_each_chat_gets_its_stories_in_order_even_across_retries(room_and_adapter):
    room, adapter = room_and_adapter
    await room.subscriptions.subscribe(chat("c1"))
    await room.subscriptions.subscribe(chat("c2"))
    adapter.script["c1"] = [TransientError("blip")]
    write_post(room.config.site.posts_dir, "2026-02-01-a.md", "A")
    write_post(room.config.site.posts_dir, "2026-02-02-b.md", "B")
    write_post(room.config.site.posts_dir, "2026-02-03-c.md", "C")
    await room.scan()
    await room.drain()
    for c in ("c1", "c2"):
        assert [post for ch, post in adapter.sent if ch == c] == [
            "2026-02-01-a.md", "2026-02-02-b.md", "2026-02-03-c.md"
        ]


async def test_deleted_post_is_not_delivered_and_unsubscribe_drops_pending(room_and_adapter):
    room, adapter = room_and_adapter
    await room.subscriptions.subscribe(chat("c1"))
    await room.subscriptions.subscribe(chat("c2"))
    adapter.gate = asyncio.Event()  # hold every send
    write_post(room.config.site.posts_dir, "2026-02-01-a.md", "A")
    write_post(room.config.site.posts_dir, "2026-02-02-b.md", "B")
    await room.scan()
    (room.config.site.posts_dir / "2026-02-02-b.md").unlink()
    await room.scan()
    assert await room.subscriptions.unsubscribe(chat("c2"))
    for dispatcher in room.dispatchers.values():
        dispatcher.wake(resync=True)
    adapter.gate.set()
    await room.drain()
    assert ("c1", "2026-02-02-b.md") not in adapter.sent
    assert ("c2", "2026-02-02-b.md") not in adapter.sent
    statuses = dict(((p, c), s) for p, c, s in await rows(room, "post_id", "chat_id", "status"))
    assert statuses[("2026-02-02-b.md", "c1")] == "dropped"
    assert statuses[("2026-02-02-b.md", "c2")] == "dropped"


async def test_graceful_stop_leaves_unsent_rows_pending_for_next_start(tmp_path):
    config = make_config(tmp_path)
    adapter = ScriptedAdapter()
    room = scripted_room(config, adapter)
    await room.start()
    for i in range(6):
        await room.subscriptions.subscribe(chat(f"c{i}"))
    adapter.gate = asyncio.Event()
    write_post(config.site.posts_dir, "2026-02-01-a.md", "A")
    await room.scan()
    while adapter.in_flight < ScriptedAdapter.max_in_flight:
        await asyncio.sleep(0.01)
    stopping = asyncio.create_task(room.stop())
    await asyncio.sleep(0.05)
    adapter.gate.set()  # the sends in flight finish during the grace period
    await stopping
    in_flight_done = len(adapter.sent)
    assert in_flight_done == ScriptedAdapter.max_in_flight

    adapter2 = ScriptedAdapter()
    room = scripted_room(config, adapter2)
    await room.start()
    try:
        await room.drain()
        delivered = sorted(c for c, _ in adapter.sent + adapter2.sent)
        assert delivered == [f"c{i}" for i in range(6)]  # all, none twice
    finally:
        await room.stop()


async def test_a_row_sent_while_a_full_reload_reads_is_not_sent_again(room_and_adapter):
    """The reload's answer was read just before the send was marked: it lists the row
    as pending. Queuing it again would deliver the story twice."""
    room, adapter = room_and_adapter
    await room.subscriptions.subscribe(chat("c1"))
    adapter.gate = asyncio.Event()
    await announce(room)
    while adapter.in_flight < 1:
        await asyncio.sleep(0.01)

    read, release = asyncio.Event(), asyncio.Event()
    original = room.outbox.pending

    async def stale_pending(platform: str, after_id: int = 0, **only):  # type: ignore[no-untyped-def]
        rows = await original(platform, after_id, **only)
        if after_id == 0 and not read.is_set():
            read.set()
            await release.wait()  # answer only after the send below was marked sent
        return rows

    room.outbox.pending = stale_pending
    [dispatcher] = room.dispatchers.values()
    dispatcher.wake(resync=True)
    await read.wait()
    adapter.gate.set()
    while not adapter.sent or adapter.in_flight:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)  # let the send be marked sent in the store
    release.set()
    await room.drain()
    await asyncio.sleep(0.1)
    assert adapter.sent == [("c1", "2026-02-01-x.md")]
    assert await rows(room, "status") == [("sent",)]
