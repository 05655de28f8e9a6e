"""A store that stops taking writes (disk full, read-only) stops the bot with one clear
error naming the store, leaves what it holds consistent, and loses nothing: after the
fix, a new start delivers everything, repeating at most the sends that were in flight.

In-process, with SQLite's own mechanisms: `PRAGMA max_page_count` makes the database
"full" (SQLITE_FULL), `PRAGMA query_only` makes it read-only (SQLITE_READONLY), both
set on every new connection of the running newsroom's engine. The subprocess tests
(`test_faults.py`) do the same to the real `newsbot run` from outside.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from newsbot.app import Newsroom
from newsbot.store import Store, StoreError, schema, store_trouble
from newsbot.types import Chat
from tests.helpers import ScriptedAdapter, make_config, scripted_room, write_post

CHATS = [f"c{i:03d}" for i in range(300)]


@contextlib.contextmanager
def pragma_on_connect(store: Store, pragma: str) -> Iterator[None]:
    """Every connection the engine opens from now on runs `pragma` first."""

    def apply(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(pragma)
        cursor.close()

    event.listen(store.engine.sync_engine, "connect", apply)
    try:
        yield
    finally:
        event.remove(store.engine.sync_engine, "connect", apply)


async def reconnect(store: Store) -> None:
    """Drop the pooled connections, so the next query connects (and runs the pragmas)."""
    await store.engine.dispose()


async def outbox_rows(store: Store) -> list[tuple[str, str, str]]:
    o = schema.outbox
    async with store.engine.connect() as conn:
        rows = await conn.execute(select(o.c.post_id, o.c.chat_id, o.c.status))
        return [tuple(r) for r in rows.all()]


async def announced(store: Store, post_id: str) -> bool | None:
    p = schema.posts
    async with store.engine.connect() as conn:
        row = (await conn.execute(select(p.c.announced).where(p.c.id == post_id))).first()
    return None if row is None else bool(row.announced)


async def integrity(store: Store) -> str:
    async with store.engine.connect() as conn:
        return str((await conn.execute(text("PRAGMA integrity_check"))).scalar_one())


async def page_count(store: Store) -> int:
    async with store.engine.connect() as conn:
        return int((await conn.execute(text("PRAGMA page_count"))).scalar_one())


async def started_room(tmp_path: Path, adapter: ScriptedAdapter) -> Newsroom:
    config = make_config(tmp_path)
    write_post(config.site.posts_dir, "2026-01-01-old.md", "Old")
    room = scripted_room(config, adapter)
    await room.start()
    for chat_id in CHATS:
        await room.subscriptions.subscribe(Chat("scripted", chat_id))
    return room


async def test_disk_full_during_a_fan_out_writes_nothing_and_resumes_after_the_fix(
    tmp_path: Path,
) -> None:
    adapter = ScriptedAdapter()
    room = await started_room(tmp_path, adapter)
    try:
        write_post(room.config.site.posts_dir, "2026-02-01-news.md", "News")
        full = f"PRAGMA max_page_count = {await page_count(room.store)}"
        with pragma_on_connect(room.store, full):
            await reconnect(room.store)
            with pytest.raises(StoreError) as caught:
                await room.scan()
        await reconnect(room.store)
        message = str(caught.value)
        assert message.startswith("sqlite:///") and "newsbot.sqlite3" in message
        assert "the disk is full" in message and "database or disk is full" in message
        assert room.failure is caught.value
        # all or nothing: not announced, no delivery rows, the file not recorded either
        assert await announced(room.store, "2026-02-01-news.md") in (None, False)
        assert await outbox_rows(room.store) == []
        assert await integrity(room.store) == "ok"
    finally:
        await room.stop()

    fixed = scripted_room(room.config, adapter)  # space freed: start again
    await fixed.start()
    try:
        await fixed.drain()
    finally:
        await fixed.stop()
    assert sorted(chat for chat, post in adapter.sent if post == "2026-02-01-news.md") == CHATS


async def test_read_only_store_during_sends_stops_the_bot_and_repeats_only_in_flight_sends(
    tmp_path: Path,
) -> None:
    adapter = ScriptedAdapter()
    room = await started_room(tmp_path, adapter)
    await room.stop()  # run it the way `newsbot run` does
    adapter.gate = asyncio.Event()
    runner = asyncio.create_task(room.run_until_stopped())
    try:
        for _ in range(500):
            if room.dispatchers:
                break
            await asyncio.sleep(0.01)
        write_post(room.config.site.posts_dir, "2026-02-01-news.md", "News")
        await room.scan()
        for _ in range(500):  # the dispatcher has its sends out, waiting at the platform
            if adapter.in_flight == adapter.max_in_flight:
                break
            await asyncio.sleep(0.01)
        with pragma_on_connect(room.store, "PRAGMA query_only = 1"):
            await reconnect(room.store)
            adapter.gate.set()  # the platform confirms; recording that fails
            with pytest.raises(StoreError) as caught:
                await asyncio.wait_for(runner, 15)
    finally:
        if not runner.done():
            runner.cancel()
            with contextlib.suppress(BaseException):
                await runner
    assert "the database is read-only" in str(caught.value)
    assert "attempt to write a readonly database" in str(caught.value)
    sent_before = list(adapter.sent)
    assert 0 < len(sent_before) <= adapter.max_in_flight  # nothing started after the failure

    fixed = scripted_room(room.config, adapter)
    await fixed.start()
    try:
        await fixed.drain()
        assert await integrity(fixed.store) == "ok"
        o = schema.outbox
        async with fixed.store.engine.connect() as conn:
            statuses = (await conn.execute(
                select(o.c.status, func.count()).group_by(o.c.status)
            )).all()
    finally:
        await fixed.stop()
    assert dict(statuses) == {"sent": len(CHATS)}
    news = [chat for chat, post in adapter.sent if post == "2026-02-01-news.md"]
    assert sorted(set(news)) == CHATS
    assert len(news) - len(CHATS) <= len(sent_before)  # only unrecorded sends repeat


async def test_a_read_only_store_is_refused_at_start(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    first = scripted_room(config, ScriptedAdapter())
    await first.start()
    await first.stop()
    path = config.store.url.removeprefix("sqlite:///")
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    with pytest.raises(StoreError) as caught:
        await Store.open(read_only)
    assert str(caught.value).startswith("sqlite:///file:")
    assert "the database is read-only" in str(caught.value)
    assert not (tmp_path / "file:").exists()  # the URI is not taken for a folder


def test_only_real_store_trouble_stops_the_bot() -> None:
    import sqlite3

    busy = sqlite3.OperationalError("database is locked")
    busy.sqlite_errorcode = 5  # type: ignore[attr-defined]
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = 13  # type: ignore[attr-defined]
    io_error = sqlite3.OperationalError("disk I/O error")
    io_error.sqlite_errorcode = 778  # type: ignore[attr-defined]  # SQLITE_IOERR_WRITE

    class PgError(Exception):
        sqlstate = "25006"

    url = "postgresql://bot:hunter2@db/news"
    assert store_trouble(busy, url) is None
    assert store_trouble(ValueError("bug"), url) is None
    assert "disk is full" in str(store_trouble(full, url))
    assert "is the disk full or failing" in str(store_trouble(io_error, url))
    read_only = str(store_trouble(PgError("cannot execute INSERT in a read-only transaction"), url))
    assert "read-only" in read_only and "hunter2" not in read_only and "***" in read_only
