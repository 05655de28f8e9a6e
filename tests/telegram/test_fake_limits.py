"""The adapter's pacing keeps a chat inside the flood limits the fake enforces (what the
benchmarks rely on): a second story to a chat waits instead of provoking a 429."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsbot.types import Chat
from newsbot_telegram import TelegramAdapter
from tests.helpers import write_post
from tests.telegram.bot_api_checks import SpecChecker
from tests.telegram.conftest import telegram_config, telegram_room
from tests.telegram.fake_bot_api import FakeBotAPI, FloodLimits


async def test_two_stories_to_one_chat_are_a_second_apart(
    tmp_path: Path, posts: Path, spec: SpecChecker | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TelegramAdapter, "chat_interval", 1.0)  # as shipped
    # The pacer spaces sends a second apart as they leave; the fake measures arrivals,
    # which a busy machine (two test runs on two cores) can bring a few hundred
    # milliseconds closer: allow for that here. Unpaced, they would be milliseconds apart.
    fake = FakeBotAPI(spec=spec, limits=FloodLimits(chat_interval=0.75))
    await fake.start()
    room = telegram_room(telegram_config(tmp_path, fake))
    try:
        await room.start()
        await room.subscriptions.subscribe(Chat("telegram", "-1001234"))
        write_post(posts, "2026-02-01-one.md", "One")
        write_post(posts, "2026-02-02-two.md", "Two")
        await room.scan()
        await room.drain(timeout=10)
    finally:
        await room.stop()
        await fake.close()
    sent = fake.delivered(-1001234)
    assert len(sent) == 2 and fake.throttled == [] and fake.violations == []
    assert sent[1].at - sent[0].at >= 0.75


async def test_a_correction_right_after_the_story_waits_its_turn(
    tmp_path: Path, posts: Path, spec: SpecChecker | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Edits count against the same limits as messages: the pacer holds them too."""
    monkeypatch.setattr(TelegramAdapter, "chat_interval", 1.0)  # as shipped
    fake = FakeBotAPI(spec=spec, limits=FloodLimits(chat_interval=0.75))
    await fake.start()
    room = telegram_room(telegram_config(tmp_path, fake))
    try:
        await room.start()
        await room.subscriptions.subscribe(Chat("telegram", "-1001234"))
        write_post(posts, "2026-02-01-one.md", "Oen")
        await room.scan()
        await room.drain(timeout=10)
        write_post(posts, "2026-02-01-one.md", "One")
        await room.scan()
        await room.drain(timeout=10)
    finally:
        await room.stop()
        await fake.close()
    assert [c.method for c in fake.calls if c.chat_id == -1001234] == [
        "sendMessage", "editMessageText"]
    assert fake.throttled == [] and fake.violations == []
    assert str(fake.edits(-1001234)[0].visible).startswith("One\n")
