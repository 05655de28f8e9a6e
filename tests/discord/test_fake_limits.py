"""discord.py reads the bucket headers the rate-limited fake sends, and waits instead of
provoking 429s (what the benchmarks rely on)."""

from __future__ import annotations

from pathlib import Path

from newsbot.types import Chat
from tests.discord.conftest import discord_config, discord_room
from tests.discord.fake_discord import FakeDiscord, RateLimits
from tests.discord.objects import NEWS
from tests.helpers import write_post


async def test_a_full_channel_bucket_is_waited_out_not_hit(tmp_path: Path, posts: Path) -> None:
    fake = FakeDiscord(limits=RateLimits(channel_messages=2, channel_period=1.0))
    await fake.start()
    room = discord_room(discord_config(tmp_path, fake))
    try:
        await room.start()
        await room.subscriptions.subscribe(Chat("discord", NEWS))
        for day in (1, 2, 3):
            write_post(posts, f"2026-02-0{day}-story.md", f"Story {day}")
        await room.scan()
        await room.drain(timeout=10)
    finally:
        await room.stop()
        await fake.close()
    assert len(fake.sent(NEWS)) == 3
    assert fake.throttled == []
    assert fake.problems == []
