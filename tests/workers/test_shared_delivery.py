"""Deliveries shared by several workers on a real PostgreSQL, in one process: each worker
sends only to the chats it claimed, so every chat gets each story once and in order, the
work is spread, and a chat told to wait is waited for by whoever claims it next."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

from sqlalchemy import select

from newsbot.adapter import PLAIN
from newsbot.app import Newsroom
from newsbot.delivery.errors import RetryAfter
from newsbot.store import schema, utcnow
from newsbot.types import Style, Summary
from newsbot.workers.roster import BEAT_SECONDS
from tests.helpers import ScriptedAdapter, chat, write_post
from tests.workers.test_newsroom_roles import pg_config, room, until

#: (worker, chat, post) in the order sends went out, across workers
Sends = list[tuple[str, str, str]]


class SlowAdapter(ScriptedAdapter):
    """A platform that takes a moment per send, recording who sent what in one list."""

    max_in_flight: ClassVar[int] = 4

    def __init__(self, sends: Sends, who: str) -> None:
        super().__init__()
        self.log = sends
        self.who = who

    async def send(self, chat_id: str, summary: Summary, style: Style = PLAIN) -> str:
        await asyncio.sleep(0.01)
        message = await super().send(chat_id, summary, style)
        self.log.append((self.who, chat_id, summary.post_id))
        return message


async def start_workers(folder: Path, url: str, sends: Sends, count: int) -> list[Newsroom]:
    config = pg_config(folder, url)
    rooms = []
    for number in range(count):
        each = room(config, SlowAdapter(sends, f"w{number}"))
        await each.start()
        rooms.append(each)
    return rooms


async def test_three_workers_send_each_story_once_and_in_order(
    tmp_path: Path, postgres_url: str
) -> None:
    posts = tmp_path / "_posts"
    write_post(posts, "2026-01-20-old.md", "Old news")
    sends: Sends = []
    rooms = await start_workers(tmp_path, postgres_url, sends, 3)
    try:
        await until(lambda: rooms[0].store.posts_version > 0, "the first run's scan")
        chats = [f"c{n}" for n in range(150)]
        for each in chats:
            await rooms[0].subscriptions.subscribe(chat(each))
        write_post(posts, "2026-02-01-first.md", "First story")
        write_post(posts, "2026-02-02-second.md", "Second story")
        await rooms[0].scan()
        await rooms[0].drain(timeout=30)
        await until(lambda: not any(r.dispatchers["scripted"].busy for r in rooms), "idle")
    finally:
        for each in rooms:
            await each.stop()
    per_chat: dict[str, list[str]] = defaultdict(list)
    for _, chat_id, post in sends:
        per_chat[chat_id].append(post)
    assert {c: per_chat[c] for c in chats} == {
        c: ["2026-02-01-first.md", "2026-02-02-second.md"] for c in chats}
    by_worker = Counter(who for who, _, _ in sends)
    assert set(by_worker) == {"w0", "w1", "w2"}  # woken at once, everyone took part
    # a chat's two stories went out from one worker (it stayed claimed between them)
    senders = defaultdict(set)
    for who, chat_id, _ in sends:
        senders[chat_id].add(who)
    assert all(len(senders[c]) == 1 for c in chats)


async def test_a_chat_told_to_wait_is_waited_for_by_the_next_claimer(
    tmp_path: Path, postgres_url: str
) -> None:
    posts = tmp_path / "_posts"
    write_post(posts, "2026-01-20-old.md", "Old news")
    sends: Sends = []
    first, second = await start_workers(tmp_path, postgres_url, sends, 2)
    try:
        await until(lambda: first.store.posts_version > 0, "the first run's scan")
        for each in ("slow", "fine"):
            await first.subscriptions.subscribe(chat(each))
        for each in (first, second):  # whoever claims "slow" is told to wait a minute
            adapter = each.adapters["scripted"]
            assert isinstance(adapter, ScriptedAdapter)
            adapter.script["slow"] = [RetryAfter(60)]
        write_post(posts, "2026-02-01-story.md", "A story")
        await first.scan()
        await until(lambda: any(c == "fine" for _, c, _ in sends), "the other chat served")
        attempts = [a.attempts for a in (first.adapters["scripted"], second.adapters["scripted"])]
        await until(lambda: sum(("slow", "2026-02-01-story.md") in a for a in attempts) == 1,
                    "one attempt at the slow chat")
        for _ in range(3):  # beats: the waiting chat is given back, and nobody retakes it
            await asyncio.sleep(BEAT_SECONDS / 5)
            for each in (first, second):
                assert each.crew is not None
                await each.crew.keeper.beat()
        assert all("slow" not in r.dispatchers["scripted"].claimed for r in (first, second))
        o = schema.outbox
        async with first.store.engine.connect() as conn:
            row = (await conn.execute(select(o.c.status, o.c.next_attempt_at)
                                      .where(o.c.chat_id == "slow"))).one()
        assert row.status == "pending" and row.next_attempt_at > utcnow() + timedelta(seconds=50)
        assert sum(a.count(("slow", "2026-02-01-story.md")) for a in attempts) == 1
    finally:
        for each in (first, second):
            await each.stop()


async def test_a_scan_wakes_every_worker(tmp_path: Path, postgres_url: str) -> None:
    posts = tmp_path / "_posts"
    write_post(posts, "2026-01-20-old.md", "Old news")
    sends: Sends = []
    first, second = await start_workers(tmp_path, postgres_url, sends, 2)
    try:
        await until(lambda: first.store.posts_version > 0, "the first run's scan")
        assert second.crew is not None
        heard: list[str] = []
        woken = second.crew.wakeups.woken

        def listen(payload: str) -> None:
            heard.append(payload)
            woken(payload)

        second.crew.wakeups.woken = listen
        versions = second.store.posts_version
        write_post(posts, "2026-02-01-story.md", "A story")
        await first.scan()  # the indexer, in the other worker
        await until(lambda: heard, "a notification")
        assert second.store.posts_version > versions  # its tag counts are read again
    finally:
        for each in (first, second):
            await each.stop()
