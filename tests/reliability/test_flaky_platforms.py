"""The real bot against Telegram and Discord that fail: a fifth of all requests answered
500/502, timed out or reset, then both platforms down for a minute. Every story
arrives exactly once and in order, memory stays flat, and an outage costs a few
probes, not a storm of retries."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from pathlib import Path

from newsbot.delivery import retry
from newsbot.types import Chat
from newsbot_discord import DiscordAdapter
from newsbot_telegram import TelegramAdapter
from tests.discord.fake_discord import FakeDiscord
from tests.helpers import write_post
from tests.reliability.botproc import BotProcess
from tests.reliability.conftest import (
    discord_channels,
    discord_env,
    pending,
    prepare_store,
    telegram_env,
)
from tests.reliability.flaky_proxy import FlakyProxy
from tests.telegram.fake_bot_api import FakeBotAPI

#: how long the platforms are down in the outage test
OUTAGE_SECONDS = 60.0


def telegram_stories(fake: FakeBotAPI) -> dict[int, list[str]]:
    """Chat → titles of the stories it received, in order."""
    out: dict[int, list[str]] = defaultdict(list)
    for call in fake.delivered():
        visible = call.visible or ""
        if visible.startswith("Story "):
            out[call.chat_id].append(visible.split("\n", 1)[0])
    return out


def discord_stories(fake: FakeDiscord, channels: list[str]) -> dict[str, list[str]]:
    return {
        channel: [body["embeds"][0]["title"] for body in fake.sent(channel) if body.get("embeds")]
        for channel in channels
    }


async def start_both(
    site: Path, bot: BotProcess, telegram_proxy: FlakyProxy, discord: FakeDiscord,
    discord_proxy: FlakyProxy, chats: list[int], channels: list[str],
) -> None:
    await prepare_store(site, [Chat("telegram", str(c)) for c in chats]
                        + [Chat("discord", c) for c in channels])
    bot.env.update(telegram_env(telegram_proxy))
    bot.env.update(discord_env(discord_proxy, discord))
    bot.start()
    # up: polling (a role the process begins after start) and the gateway's shards
    await bot.wait_for_line("telegram: polling for updates")
    await bot.wait_for_line("discord: running shard(s)")


def publish(site: Path, number: int) -> str:
    title = f"Story {number:02d}"
    write_post(site / "_posts", f"2026-04-{number:02d}-story.md", title)
    return title


async def test_a_flaky_platform_delivers_everything_exactly_once_in_flat_memory(
    site: Path, bot: BotProcess, telegram: FakeBotAPI, telegram_proxy: FlakyProxy,
    discord: FakeDiscord, discord_proxy: FlakyProxy,
) -> None:
    chats = list(range(3001, 3051))
    channels = discord_channels(discord, 8)
    await start_both(site, bot, telegram_proxy, discord, discord_proxy, chats, channels)
    telegram_proxy.timeout_hold = 6.0  # past python-telegram-bot's 5 s read timeout
    discord_proxy.timeout_hold = 3.0  # discord.py waits minutes; the connection drops first
    for proxy in (telegram_proxy, discord_proxy):
        proxy.failure_rate = 0.2

    def delivered(count: int) -> bool:
        return (
            sum(len(s) for s in telegram_stories(telegram).values()) >= len(chats) * count
            and sum(len(s) for s in discord_stories(discord, channels).values())
            >= len(channels) * count
        )

    titles = [publish(site, number) for number in range(1, 5)]
    total = len(titles)
    await bot.wait_for(lambda: delivered(1), "the first story everywhere", within=60)
    warm = bot.rss_kb()  # everything is loaded and has been used, failures included
    samples = []
    while not delivered(total):
        samples.append(bot.rss_kb())
        await asyncio.sleep(0.5)
        assert bot.running, bot.tail()
        assert len(samples) < 240, "the stories took more than two minutes"
    await bot.wait_for(lambda: pending(site) == 0, "an empty outbox")
    bot.terminate()
    assert await bot.wait_exit() == 0

    failed = [s for p in (telegram_proxy, discord_proxy) for s in p.sends()
              if s.outcome not in ("forwarded", "held")]
    assert {s.outcome for s in failed} == {"500", "502", "timeout", "reset"}
    assert telegram_stories(telegram) == {chat: titles for chat in chats}
    assert discord_stories(discord, channels) == {channel: titles for channel in channels}
    # three times the traffic again, a fifth of it failing, costs no memory to speak of
    assert max(samples) - warm < 12_000, (warm, samples)


async def test_a_minute_long_outage_costs_a_few_probes_and_then_everything_in_order(
    site: Path, bot: BotProcess, telegram: FakeBotAPI, telegram_proxy: FlakyProxy,
    discord: FakeDiscord, discord_proxy: FlakyProxy,
) -> None:
    chats = list(range(4001, 4031))
    channels = discord_channels(discord, 10)
    await start_both(site, bot, telegram_proxy, discord, discord_proxy, chats, channels)
    went_down = time.monotonic()
    telegram_proxy.down = discord_proxy.down = True
    titles = []
    for number in range(1, 4):
        titles.append(publish(site, number))
        await bot.wait_for_line(f"announcing 2026-04-{number:02d}-story.md")
    await bot.wait_for_line("telegram: 5 sends in a row failed")
    await bot.wait_for_line("discord: 5 sends in a row failed")
    while time.monotonic() - went_down < OUTAGE_SECONDS:
        assert bot.running, bot.tail()
        await asyncio.sleep(0.5)
    came_back = time.monotonic()
    telegram_proxy.down = discord_proxy.down = False

    await bot.wait_for(lambda: pending(site) == 0, "everything sent after the outage",
                       within=retry.PROBE_CAP_SECONDS * 1.3 + 60)
    bot.terminate()
    assert await bot.wait_exit() == 0

    assert telegram_stories(telegram) == {chat: titles for chat in chats}
    assert discord_stories(discord, channels) == {channel: titles for channel in channels}
    # During the outage: the sends in flight when it began, the few that failed before
    # the platform was taken for down, then one probe at a time with back-off. Retrying
    # per chat would have cost about six attempts for each of the 30 Telegram chats.
    for proxy, adapter in ((telegram_proxy, TelegramAdapter), (discord_proxy, DiscordAdapter)):
        during = proxy.sends(went_down, came_back)
        assert all(s.outcome == "reset" for s in during)
        bound = adapter.max_in_flight + retry.DOWN_AFTER_FAILURES + most_probes()
        assert len(during) <= bound, (adapter.platform, len(during), bound)


def most_probes() -> int:
    """Probes an outage of OUTAGE_SECONDS can see: back-off 1 s, 2 s, 4 s … capped at
    PROBE_CAP_SECONDS, each as short as the jitter allows (0.8 times), plus one."""
    waited, probes = 0.0, 0
    while waited <= OUTAGE_SECONDS:
        probes += 1
        waited += 0.8 * min(retry.PROBE_CAP_SECONDS, 2.0 ** (probes - 1))
    return probes + 1
