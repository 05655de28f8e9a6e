"""A platform that is down as a whole: one probe at a time instead of a retry schedule
per chat, and every chat's stories in order once it is back. In-process, with the
scripted adapter and short back-off; `test_faults.py` does it to the real bot."""

from __future__ import annotations

import asyncio
import logging
import random
from pathlib import Path

import pytest

from newsbot.adapter import PLAIN
from newsbot.app import Newsroom
from newsbot.delivery import retry
from newsbot.delivery.errors import TransientError
from newsbot.types import Chat, Style, Summary
from tests.helpers import ScriptedAdapter, make_config, scripted_room, write_post

CHATS = [f"c{i:02d}" for i in range(30)]
STORIES = ["2026-02-01-a.md", "2026-02-02-b.md", "2026-02-03-c.md"]


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "BACKOFF_BASE_SECONDS", 0.02)
    monkeypatch.setattr(retry, "PROBE_CAP_SECONDS", 0.1)


class Outage(ScriptedAdapter):
    """Every send fails while `down`; `random_failures` fail a share of sends at random."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.random_failures = 0.0
        self.rng = random.Random(5)

    async def send(self, chat_id: str, summary: Summary, style: Style = PLAIN) -> str:
        if self.down or self.rng.random() < self.random_failures:
            self.attempts.append((chat_id, summary.post_id))
            await asyncio.sleep(0)
            raise TransientError("502 Bad Gateway")
        return await super().send(chat_id, summary, style)


async def room_with_chats(tmp_path: Path, adapter: ScriptedAdapter) -> Newsroom:
    room = scripted_room(make_config(tmp_path), adapter)
    await room.start()
    for chat_id in CHATS:
        await room.subscriptions.subscribe(Chat("scripted", chat_id))
    return room


async def test_down_platform_gets_probes_not_a_storm_and_stories_go_out_in_order(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "newsbot.delivery.dispatcher")
    adapter = Outage()
    room = await room_with_chats(tmp_path, adapter)
    try:
        adapter.down = True
        for name in STORIES:
            write_post(room.config.site.posts_dir, name, name)
            await room.scan()
        dispatcher = room.dispatchers["scripted"]
        for _ in range(500):
            if dispatcher.down:
                break
            await asyncio.sleep(0.01)
        assert dispatcher.down
        await asyncio.sleep(1.0)  # the outage goes on; probes go out with back-off
        during = len(adapter.attempts)
        adapter.down = False
        await room.drain()
    finally:
        await room.stop()
    # per-chat retries would have cost ~5 attempts for each of the 30 chats in a second
    first_wave = adapter.max_in_flight + retry.DOWN_AFTER_FAILURES
    assert during <= first_wave + 15
    for chat_id in CHATS:
        assert [post for chat, post in adapter.sent if chat == chat_id] == STORIES
    assert len(adapter.sent) == len(CHATS) * len(STORIES)
    messages = [r.getMessage() for r in caplog.records]
    assert sum("the platform looks down" in m for m in messages) == 1
    assert sum("reachable again" in m for m in messages) == 1


async def test_scattered_failures_do_not_hold_the_platform_back(tmp_path: Path) -> None:
    adapter = Outage()
    adapter.random_failures = 0.2
    room = await room_with_chats(tmp_path, adapter)
    try:
        for name in STORIES:
            write_post(room.config.site.posts_dir, name, name)
            await room.scan()
        await room.drain(timeout=30)
    finally:
        await room.stop()
    for chat_id in CHATS:
        assert [post for chat, post in adapter.sent if chat == chat_id] == STORIES
    assert len(adapter.attempts) > len(adapter.sent)  # failures happened, and were retried


async def test_stories_announced_in_one_scan_go_out_oldest_first(tmp_path: Path) -> None:
    adapter = ScriptedAdapter()
    room = await room_with_chats(tmp_path, adapter)
    dates = [f"2026-02-{day:02d}T10:00:00" for day in range(1, 9)]
    names = [f"{letter}.md" for letter in "hgfedcba"]  # named against their dates
    try:
        for name, date in zip(names, dates, strict=True):
            write_post(room.config.site.posts_dir, name, name, date=date)
        report = await room.scan()
        assert len(report.announced) == len(names)
        await room.drain()
    finally:
        await room.stop()
    for chat_id in CHATS:
        assert [post for chat, post in adapter.sent if chat == chat_id] == names
