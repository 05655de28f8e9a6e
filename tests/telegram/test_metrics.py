"""A worker's /metrics while it delivers through the real python-telegram-bot to the
fake Bot API: stories sent, and a 429 ("retry after") counted where it happened."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from newsbot.types import Chat
from tests.helpers import make_config, write_post
from tests.telegram.conftest import telegram_room
from tests.telegram.fake_bot_api import TOKEN, ApiError, FakeBotAPI


async def test_deliveries_and_a_429_are_counted_per_platform(
    tmp_path: Path, fake: FakeBotAPI, posts: Path
) -> None:
    config = make_config(tmp_path, env={"NEWSBOT_TELEGRAM_TOKEN": TOKEN}, sections={
        "telegram": {"api_url": fake.api_url}, "metrics": {"listen": "127.0.0.1:0"}})
    room = telegram_room(config)
    await room.start()
    try:
        for chat_id in ("11", "12", "13"):
            await room.subscriptions.subscribe(Chat("telegram", chat_id))
        fake.fail(ApiError.retry_after(1), method="sendMessage", chat_id=12)
        write_post(posts, "2026-02-01-fresh.md", "Fresh story", tags=["politics"])
        await room.scan()
        await room.drain()
        assert sorted(call.chat_id for call in fake.delivered()) == [11, 12, 13]
        assert room.metrics is not None
        async with aiohttp.ClientSession() as http, \
                http.get(f"http://127.0.0.1:{room.metrics.port}/metrics") as response:
            samples = (await response.text()).splitlines()
    finally:
        await room.stop()
    for expected in [
        'newsbot_deliveries_total{outcome="sent",platform="telegram"} 3.0',
        'newsbot_deliveries_total{outcome="retried",platform="telegram"} 1.0',
        'newsbot_deliveries_total{outcome="failed",platform="telegram"} 0.0',
        'newsbot_rate_limited_total{platform="telegram"} 1.0',
        'newsbot_outbox_pending{platform="telegram"} 0.0',
    ]:
        assert expected in samples
