"""Paid broadcasts: with `telegram.paid_broadcast`, stories go with `allow_paid_broadcast`
(a photo, a text, and the text sent when a photo is refused), paced up to Telegram's
1,000 a second; the fake, enforcing 30 a second without the flag and 1,000 with it,
refuses none of a fan-out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from newsbot.app import Newsroom
from newsbot.types import Chat
from newsbot_telegram import TelegramAdapter
from tests.helpers import make_config, write_post
from tests.telegram.bot_api_checks import SpecChecker
from tests.telegram.conftest import telegram_room
from tests.telegram.fake_bot_api import (
    TOKEN,
    ApiError,
    FakeBotAPI,
    FloodLimits,
    command,
    person,
    private,
)

IMAGE = "image: assets/images/a.jpg"


def paid_room(tmp_path: Path, fake: FakeBotAPI, paid: bool = True) -> Newsroom:
    section = {"api_url": fake.api_url, "paid_broadcast": paid}
    return telegram_room(make_config(tmp_path, sections={"telegram": section},
                                     env={"NEWSBOT_TELEGRAM_TOKEN": TOKEN}))


@pytest.fixture
async def paid(tmp_path: Path, fake: FakeBotAPI, posts: Path) -> AsyncIterator[Newsroom]:
    room = paid_room(tmp_path, fake)
    await room.start()
    try:
        yield room
    finally:
        await room.stop()


async def test_stories_carry_allow_paid_broadcast(
    paid: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    for chat_id in (11, 12, 13):
        await paid.subscriptions.subscribe(Chat("telegram", str(chat_id)))
    fake.fail(ApiError.photo_url(), method="sendPhoto", chat_id=13)  # sent as text instead
    write_post(posts, "2026-02-01-pic.md", "With a picture", extra=IMAGE)
    await paid.scan()
    await paid.drain()
    sent = {c.chat_id: c for c in fake.delivered()}
    assert {chat: c.method for chat, c in sent.items()} == {
        11: "sendPhoto", 12: "sendPhoto", 13: "sendMessage"}
    assert all(c.params["allow_paid_broadcast"] is True for c in sent.values())
    assert fake.requests("sendPhoto", 13)[0].params["allow_paid_broadcast"] is True

    write_post(posts, "2026-02-02-text.md", "Just words")
    await paid.scan()
    await paid.drain()
    words = [c for c in fake.delivered() if "Just words" in str(c.visible)]
    assert [c.method for c in words] == ["sendMessage"] * 3
    assert all(c.params["allow_paid_broadcast"] is True for c in words)


async def test_command_replies_are_not_paid_for(paid: Newsroom, fake: FakeBotAPI) -> None:
    reply = await fake.ask(command(private(person(7)), "/latest"))
    assert "allow_paid_broadcast" not in reply.params


async def test_without_the_setting_nothing_is_paid_for(
    room: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    await room.subscriptions.subscribe(Chat("telegram", "11"))
    write_post(posts, "2026-02-01-pic.md", "With a picture", extra=IMAGE)
    await room.scan()
    await room.drain()
    [story] = fake.delivered(11)
    assert "allow_paid_broadcast" not in story.params
    adapter = room.adapters["telegram"]
    assert isinstance(adapter, TelegramAdapter) and not adapter.paid_broadcast


async def test_a_paid_fan_out_meets_no_flood_limit(
    tmp_path: Path, posts: Path, spec: SpecChecker | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """300 chats at once: past the free 30 a second, within the paid 1,000."""
    monkeypatch.setattr(TelegramAdapter, "chat_interval", 1.0)  # as shipped
    fake = FakeBotAPI(spec=spec, limits=FloodLimits())
    await fake.start()
    room = paid_room(tmp_path, fake)
    chats = [n if n % 2 else -1_000_000_000_000 - n for n in range(1, 301)]
    try:
        await room.start()
        for chat_id in chats:
            await room.subscriptions.subscribe(Chat("telegram", str(chat_id)))
        write_post(posts, "2026-02-01-all.md", "For everyone")
        await room.scan()
        await room.drain(timeout=60)
    finally:
        await room.stop()
        await fake.close()
    assert sorted(c.chat_id for c in fake.delivered()) == sorted(chats)  # each once
    assert fake.throttled == [] and fake.violations == []
    # and it did use the paid allowance: stories went past the free 30 a second, which
    # only the flag allows (the fake counts those as Telegram bills them); paced at the
    # free rate, or without the flag, none would be billed
    assert fake.billed > 0
