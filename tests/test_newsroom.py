"""The core end to end: folder → store → outbox → adapter, on a real SQLite store."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime

from sqlalchemy import select

from newsbot.app import Newsroom
from newsbot.store import schema
from newsbot.workers.roles import Role, Share
from tests.helpers import (
    ScriptedAdapter,
    chat,
    console_room,
    make_config,
    scripted_room,
    write_post,
)


async def outbox_rows(room):  # type: ignore[no-untyped-def]
    o = schema.outbox
    async with room.store.engine.connect() as conn:
        rows = await conn.execute(select(o.c.post_id, o.c.chat_id, o.c.status).order_by(o.c.id))
        return [tuple(r) for r in rows.all()]


async def test_first_run_indexes_without_pushing_then_new_post_is_delivered(tmp_path):
    config = make_config(tmp_path)
    posts = config.site.posts_dir
    write_post(posts, "2026-01-30-old-one.md", "Old one")
    write_post(posts, "2026-01-31-old-two.md", "Old two")
    room, console = console_room(config)
    await room.start()
    try:
        assert [s.title for s in await room.queries.latest()] == ["Old two", "Old one"]
        await room.drain()
        assert console().sent == []  # no flood on the first run
        assert await outbox_rows(room) == []

        write_post(posts, "2026-02-01-fresh.md", "Fresh  story", tags=["politics"])
        report = await room.scan()
        assert [p.title for p in report.announced] == ["Fresh story"]
        await room.drain()
        [(chat_id, summary, text)] = console().sent
        assert chat_id == "console"
        assert summary.url == "https://news.example.org/news/2026/02/01/fresh.html"
        assert "Fresh story" in text and "#politics #News" in text
        assert await outbox_rows(room) == [("2026-02-01-fresh.md", "console", "sent")]
    finally:
        await room.stop()


async def test_each_post_reaches_matching_subscribers_once(room_and_adapter):
    room, adapter = room_and_adapter
    await room.subscriptions.subscribe(chat("all"))
    await room.subscriptions.subscribe(chat("pol"), ["Politics"])
    await room.subscriptions.subscribe(chat("sport"), ["sport"])
    await room.subscriptions.subscribe(chat("news-cat"), ["NEWS"])  # categories count too
    write_post(room.config.site.posts_dir, "2026-02-01-a.md", "A", tags=["politics"])
    write_post(room.config.site.posts_dir, "2026-02-02-b.md", "B", tags=["economy"])
    await room.scan()
    await room.scan()  # a second look announces nothing twice
    await room.drain()
    assert sorted(adapter.sent) == sorted([
        ("all", "2026-02-01-a.md"), ("all", "2026-02-02-b.md"),
        ("pol", "2026-02-01-a.md"),
        ("news-cat", "2026-02-01-a.md"), ("news-cat", "2026-02-02-b.md"),
    ])


async def test_edited_post_is_updated_not_pushed_again_and_deleted_post_disappears(
    room_and_adapter,
):
    room, adapter = room_and_adapter
    await room.subscriptions.subscribe(chat("c1"))
    path = write_post(room.config.site.posts_dir, "2026-02-01-a.md", "Typo titel")
    await room.scan()
    await room.drain()
    write_post(room.config.site.posts_dir, "2026-02-01-a.md", "Fixed title")
    await room.scan()
    await room.drain()
    assert adapter.sent == [("c1", "2026-02-01-a.md")]
    assert [s.title for s in await room.queries.latest()] == ["Fixed title"]

    path.unlink()
    report = await room.scan()
    assert report.deleted == 1
    assert await room.queries.latest() == []
    # and coming back (a git revert) is not a new story either
    write_post(room.config.site.posts_dir, "2026-02-01-a.md", "Fixed title")
    await room.scan()
    await room.drain()
    assert adapter.sent == [("c1", "2026-02-01-a.md")]
    assert [s.title for s in await room.queries.latest()] == ["Fixed title"]


async def test_rename_with_same_permalink_is_not_a_new_story(room_and_adapter):
    room, adapter = room_and_adapter
    await room.subscriptions.subscribe(chat("c1"))
    extra = "permalink: /stories/budget/"
    old = write_post(room.config.site.posts_dir, "2026-02-01-budget.md", "Budget", extra=extra)
    await room.scan()
    await room.drain()
    old.rename(room.config.site.posts_dir / "2026-02-01-budget-day.md")
    await room.scan()
    await room.drain()
    assert adapter.sent == [("c1", "/stories/budget/")]
    [summary] = await room.queries.latest()
    assert summary.url == "https://news.example.org/stories/budget/"


async def test_file_written_in_two_halves_is_sent_once_complete(room_and_adapter):
    room, adapter = room_and_adapter
    await room.subscriptions.subscribe(chat("c1"))
    whole = (
        '---\ntitle: "Half and half"\ndate: 2026-02-01T10:00:00\ntags: [x]\n---\n'
        "First paragraph.\n"
    )
    path = room.config.site.posts_dir / "2026-02-01-half.md"
    path.write_text(whole[:30], encoding="utf-8")  # front matter not closed yet
    report = await room.scan()
    assert report.announced == [] and len(report.problems) == 1
    assert report.problems[0].path == "2026-02-01-half.md"
    await room.drain()
    assert adapter.attempts == []
    path.write_text(whole, encoding="utf-8")
    report = await room.scan()
    assert [p.title for p in report.announced] == ["Half and half"]
    await room.drain()
    assert adapter.sent == [("c1", "2026-02-01-half.md")]


async def test_future_post_is_held_until_its_time(tmp_path):
    config = make_config(tmp_path)
    now = [datetime(2026, 2, 1, 12, 0, tzinfo=UTC)]
    adapter = ScriptedAdapter()
    room = scripted_room(config, adapter, clock=lambda: now[0])
    await room.start()
    try:
        await room.subscriptions.subscribe(chat("c1"))
        write_post(
            config.site.posts_dir, "2026-02-03-later.md", "Later", date="2026-02-03T09:00:00"
        )
        report = await room.scan()
        assert report.announced == []
        assert await room.queries.latest() == []  # invisible while held
        held = await room.indexer.next_release()
        assert held == datetime(2026, 2, 3, 9, 0, tzinfo=UTC)

        now[0] = datetime(2026, 2, 3, 8, 59, tzinfo=UTC)
        assert (await room.scan(())).announced == []
        now[0] = datetime(2026, 2, 3, 9, 0, 1, tzinfo=UTC)
        report = await room.scan(())
        assert [p.title for p in report.announced] == ["Later"]
        await room.drain()
        assert adapter.sent == [("c1", "2026-02-03-later.md")]
        assert [s.title for s in await room.queries.latest()] == ["Later"]
    finally:
        await room.stop()


async def subscribed_then_down(config):  # type: ignore[no-untyped-def]
    """A first run subscribes chat c1 and stops; a story is written while the bot is down."""
    room = scripted_room(config, ScriptedAdapter())
    await room.start()
    await room.subscriptions.subscribe(chat("c1"))
    await room.stop()
    write_post(config.site.posts_dir, "2026-02-01-while-down.md", "While down")


async def test_restart_sends_post_added_while_down_and_does_not_reparse(tmp_path):
    config = make_config(tmp_path)
    for i in range(5):
        write_post(config.site.posts_dir, f"2026-01-0{i + 1}-p{i}.md", f"Post {i}")
    await subscribed_then_down(config)
    adapter2 = ScriptedAdapter()
    room = scripted_room(config, adapter2)
    await room.start()
    try:
        await room.drain()
        assert adapter2.sent == [("c1", "2026-02-01-while-down.md")]
        report = await room.scan()
        assert report.parsed == 0 and report.files == 6  # unchanged folder: nothing parsed
        os.utime(config.site.posts_dir / "2026-01-01-p0.md")  # touched, same bytes
        assert (await room.scan()).parsed == 0
    finally:
        await room.stop()


class GatewayedAdapter(ScriptedAdapter):
    """A platform whose commands come over a connection that is slow to open (its share's
    `changed` waits for `opened`), as Discord's gateway waits for its IDENTIFY slot."""

    platform = "gatewayed"

    def __init__(self) -> None:
        super().__init__()
        self.opening, self.opened = asyncio.Event(), asyncio.Event()
        self.share = Share(["gateway:0"], self._changed)

    async def _changed(self, held: frozenset[str]) -> None:
        if held:
            self.opening.set()
            await self.opened.wait()

    def worker_roles(self) -> list[Role | Share]:
        return [self.share]


async def test_a_slow_command_connection_holds_back_no_delivery_at_start(tmp_path):
    config = make_config(tmp_path)
    adapter = ScriptedAdapter()
    await subscribed_then_down(config)
    slow = GatewayedAdapter()
    room = Newsroom(config, watch=False,
                    make_adapters=lambda desk: {"scripted": adapter, "gatewayed": slow})
    starting = asyncio.create_task(room.start())
    try:
        await asyncio.wait_for(slow.opening.wait(), 10)
        await room.drain()  # while the other platform's connection still opens
        assert adapter.sent == [("c1", "2026-02-01-while-down.md")]
        assert not starting.done()
        slow.opened.set()
        await asyncio.wait_for(starting, 10)  # the start ends once every part runs
        assert slow.share.held == frozenset({"gateway:0"})
    finally:
        slow.opened.set()
        await asyncio.gather(starting, return_exceptions=True)
        await room.stop()


async def test_crash_between_outbox_write_and_send_loses_nothing(tmp_path):
    config = make_config(tmp_path)
    adapter = ScriptedAdapter()
    room = scripted_room(config, adapter)
    await room.start()
    for name in ("a", "b", "c"):
        await room.subscriptions.subscribe(chat(name))
    # The outbox rows are written, then the process dies before any send completes.
    adapter.gate = asyncio.Event()
    write_post(config.site.posts_dir, "2026-02-01-x.md", "X")
    await room.scan()
    while adapter.in_flight < 3:
        await asyncio.sleep(0.01)
    for dispatcher in room.dispatchers.values():  # a crash: nothing gets to finish
        dispatcher._stopping = True
        for task in list(dispatcher._in_flight.values()):
            task.cancel()
    await room.stop()
    assert adapter.sent == []

    adapter2 = ScriptedAdapter()
    room = scripted_room(config, adapter2)
    await room.start()
    try:
        await room.drain()
        assert sorted(adapter2.sent) == [
            ("a", "2026-02-01-x.md"), ("b", "2026-02-01-x.md"), ("c", "2026-02-01-x.md")
        ]
        assert {row[2] for row in await outbox_rows(room)} == {"sent"}
    finally:
        await room.stop()


async def test_stop_then_start_keeps_subscriptions(tmp_path):
    config = make_config(tmp_path)
    room, _ = console_room(config)
    await room.start()
    await room.subscriptions.subscribe(chat("c9", "console"), ["Tech"])
    await room.stop()
    room, _ = console_room(config)
    await room.start()
    try:
        sub = await room.queries.settings(chat("c9", "console"))
        assert sub is not None and sub.tags == ("Tech",)
    finally:
        await room.stop()


async def test_watcher_notices_a_new_file(tmp_path):
    config = make_config(tmp_path)
    room, console = console_room(config, watch=True)
    await room.start()
    try:
        write_post(config.site.posts_dir, "2026-02-01-watched.md", "Watched")
        for _ in range(500):  # the watcher reacts well within a second; allow slow CI
            if console().sent:
                break
            await asyncio.sleep(0.02)
        assert [s.title for _, s, _ in console().sent] == ["Watched"]
    finally:
        await room.stop()

