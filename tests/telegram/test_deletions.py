"""Withdrawn stories with `delivery.deletions = "delete"`: the messages of a post deleted
or unpublished are deleted where Telegram allows, through the fake Bot API; a message
older than 48 hours stays, once refused, never retried; a chat whose admins said
`/format noedits` keeps its messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from newsbot.app import Newsroom
from newsbot.store import schema
from newsbot.types import Chat
from tests.helpers import make_config, write_post
from tests.telegram.conftest import telegram_room
from tests.telegram.fake_bot_api import TOKEN, FakeBotAPI

POST = "2026-02-01-fresh.md"


async def jobs(room: Newsroom) -> list[tuple[str, str, str]]:
    e = schema.edits
    async with room.store.engine.connect() as conn:
        rows = await conn.execute(select(e.c.chat_id, e.c.action, e.c.status).order_by(e.c.id))
        return [tuple(r) for r in rows.all()]


@pytest.fixture
async def deleting(tmp_path: Path, fake: FakeBotAPI, posts: Path) -> AsyncIterator[Newsroom]:
    config = make_config(
        tmp_path, sections={"telegram": {"api_url": fake.api_url},
                            "delivery": {"deletions": "delete"}},
        env={"NEWSBOT_TELEGRAM_TOKEN": TOKEN},
    )
    room = telegram_room(config)
    await room.start()
    try:
        for chat_id in (111, -100222):
            await room.subscriptions.subscribe(Chat("telegram", str(chat_id)))
        write_post(posts, POST, "Fresh story")
        await room.scan()
        await room.drain()
        yield room
    finally:
        await room.stop()


async def test_a_deleted_post_has_its_messages_deleted_except_old_ones(
    deleting: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    sent = {c.chat_id: c.result["message_id"] for c in fake.delivered()}
    fake.age(-100222, sent[-100222])
    (posts / POST).unlink()
    await deleting.scan()
    await deleting.drain()
    assert list(fake.messages) == [(-100222, sent[-100222])]  # the old message stays
    refused = fake.requests("deleteMessage", -100222)
    assert [c.description for c in refused] == ["Bad Request: message can't be deleted"]
    assert sorted(await jobs(deleting)) == [
        ("-100222", "delete", "failed"), ("111", "delete", "done")]
    await deleting.scan()
    await deleting.drain()
    assert len(fake.requests("deleteMessage", -100222)) == 1  # not retried


async def test_an_unpublished_post_is_deleted_too(
    deleting: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    write_post(posts, POST, "Fresh story", extra="published: false")
    await deleting.scan()
    await deleting.drain()
    assert fake.messages == {}
    assert sorted(c.chat_id for c in fake.requests("deleteMessage")) == [-100222, 111]


async def test_keep_by_default_deletes_nothing(
    room: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    await room.subscriptions.subscribe(Chat("telegram", "111"))
    write_post(posts, POST, "Fresh story")
    await room.scan()
    await room.drain()
    (posts / POST).unlink()
    await room.scan()
    await room.drain()
    assert fake.requests("deleteMessage") == [] and len(fake.messages) == 1
    assert await jobs(room) == []


async def test_a_chat_that_said_noedits_keeps_its_message_of_a_deleted_post(
    deleting: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    sent = {c.chat_id: c.result["message_id"] for c in fake.delivered()}
    await deleting.subscriptions.set_edits(Chat("telegram", "-100222"), "ignore")
    (posts / POST).unlink()
    await deleting.scan()
    await deleting.drain()
    assert list(fake.messages) == [(-100222, sent[-100222])]
    assert [c.chat_id for c in fake.requests("deleteMessage")] == [111]
    assert await jobs(deleting) == [("111", "delete", "done")]
