"""Detect to deliver, and fan-out: a running bot, its file watcher on, the limits enforced.

One newsroom (the registry's Telegram and Discord adapters, `watch=True`)
talks to both fakes, which enforce the platforms' limits (`FloodLimits`,
`RateLimits`). Destinations subscribe by tag so the two measurements do not
disturb each other:

- detect to deliver: a new post file is written every `period` seconds, tagged
  for one of a few "lane" chats in turn (so no chat gets more than one story a
  second, which would measure the pacing, not the detection); the latency is
  from just before the write to the moment each fake receives the send;
- fan-out: one post file tagged for 1,000 Telegram chats and 200 Discord
  channels; wall time is from the write to the last accepted send, the rate is
  over the sends themselves ((n - 1) / (last - first)), compared with the limit
  that binds (Telegram's 30 messages a second, Discord's 50 requests a second:
  one message per destination never meets the per-chat limits). A 429 counted
  here is one the bot provoked; lost and duplicated deliveries are counted per
  destination from what the fakes accepted.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks import corrections
from benchmarks.corpus import PostWriter, fresh_post
from benchmarks.report import percentiles, spread
from benchmarks.site import Endpoints, load, token_env, write_config
from newsbot.app import Newsroom
from newsbot.ingest.watcher import CATCH_UP_SECONDS
from newsbot.types import Chat
from tests.discord.fake_discord import FakeDiscord, RateLimits
from tests.discord.objects import Channel
from tests.telegram.bot_api_checks import SpecChecker
from tests.telegram.fake_bot_api import SENDING, Call, FakeBotAPI, FloodLimits

LANES = 4
FAN_OUT_TITLE = "Fan-out: one story for every subscriber"
IMAGE = "assets/images/7c1e9a4b2d3f4e5a8b6c0d1e2f3a4b5c.jpg"


@dataclass(slots=True)
class Fakes:
    telegram: FakeBotAPI
    discord: FakeDiscord

    @classmethod
    async def start(cls, discord_channels: list[str]) -> Fakes:
        telegram = FakeBotAPI(spec=SpecChecker.from_env(), limits=FloodLimits())
        discord = FakeDiscord(limits=RateLimits())
        for number, channel in enumerate(discord_channels):
            discord.channels[channel] = Channel(channel, f"news-{number}")
        await telegram.start()
        try:
            await discord.start()
        except BaseException:
            await telegram.close()
            raise
        return cls(telegram, discord)

    async def close(self) -> None:
        await self.discord.close()
        await self.telegram.close()

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints(self.telegram.api_url, self.discord.api_url, self.discord.gateway_url)

    @property
    def problems(self) -> list[str]:
        """Requests the real platforms would have rejected (spec checks, when enabled)."""
        return [*self.telegram.violations, *self.discord.problems]


def telegram_ids(count: int, first: int) -> list[int]:
    """Half private chats, half channels (negative ids), as a news bot's audience is."""
    return [first + n if n % 2 else -(1_000_000_000_000 + first + n) for n in range(count)]


def discord_ids(count: int, first: int) -> list[str]:
    return [str(1_600_000_000_000_000_000 + first + n) for n in range(count)]


def telegram_sends(fake: FakeBotAPI, title: str, since: int) -> list[Call]:
    return [c for c in fake.calls[since:]
            if c.ok and c.method in SENDING and title in (c.visible or "")]


def discord_sends(fake: FakeDiscord, title: str, since: int) -> list[Any]:
    return [r for r in fake.requests[since:]
            if r.status == 200 and r.method == "POST" and r.path.endswith("/messages")
            and title in json.dumps(r.body)]


async def measure(
    workdir: Path, *, samples: int, telegram_chats: int, discord_channels: int,
    period: float = 0.45,
) -> dict[str, Any]:
    tg_lanes, dc_lanes = telegram_ids(LANES, 1), discord_ids(LANES, 1)
    tg_fan, dc_fan = telegram_ids(telegram_chats, 10_000), discord_ids(discord_channels, 10_000)
    fakes = await Fakes.start(dc_lanes + dc_fan)
    try:
        posts_dir = workdir / "_posts"
        writer = PostWriter(seed=11)
        for number in range(10):  # an existing site: indexed on the first run, not pushed
            name, text, _ = writer.post(number)
            (posts_dir / name).parent.mkdir(parents=True, exist_ok=True)
            (posts_dir / name).write_text(text, encoding="utf-8")
        endpoints = fakes.endpoints
        config = load(write_config(workdir, posts_dir, endpoints), token_env(endpoints))
        room = Newsroom(config)
        await room.start()
        try:
            for lane in range(LANES):
                lane_tags = [f"lane{lane}"]
                await room.subscriptions.subscribe(Chat("telegram", str(tg_lanes[lane])), lane_tags)
                await room.subscriptions.subscribe(Chat("discord", dc_lanes[lane]), [f"lane{lane}"])
            for chat_id in tg_fan:
                await room.subscriptions.subscribe(Chat("telegram", str(chat_id)), ["fanout"])
            for channel in dc_fan:
                await room.subscriptions.subscribe(Chat("discord", channel), ["fanout"])
            # the watcher's catch-up rescan runs this long after start: not inside a sample
            await asyncio.sleep(CATCH_UP_SECONDS + 0.5)
            detect = await _detect(fakes, posts_dir, samples, period, tg_lanes, dc_lanes)
            fan = await _fan_out(fakes, room, posts_dir, [str(c) for c in tg_fan], dc_fan)
            # corrections of what was just delivered (see `corrections.py`)
            stories = [(path, title, [f"lane{n % LANES}"], IMAGE)
                       for n, (path, title) in enumerate(_samples(posts_dir, samples))]
            first_edit = await corrections.save_to_first_edit(fakes, stories, period)
            fan_path, fan_title = _fan_out_story(posts_dir)
            fixes = await corrections.correction_fan_out(
                fakes, room, fan_path, fan_title, ["fanout"], IMAGE,
                [str(c) for c in tg_fan], dc_fan)
        finally:
            await room.stop()
    finally:
        await fakes.close()
    return {"detect_to_deliver": detect, "fan_out": fan, "save_to_first_edit": first_edit,
            "correction_fan_out": fixes, "protocol_problems": fakes.problems}


def _samples(posts_dir: Path, samples: int) -> list[tuple[Path, str]]:
    """The sample stories `_detect` wrote: (file, title)."""
    folder = posts_dir / "live"
    return [(next(folder.glob(f"*-sample-{number}.md")), _sample_title(number))
            for number in range(samples)]


def _sample_title(number: int) -> str:
    return f"Sample {number} from the newsroom"


def _fan_out_story(posts_dir: Path) -> tuple[Path, str]:
    return next((posts_dir / "live").glob("*-fan-out.md")), FAN_OUT_TITLE


async def _detect(
    fakes: Fakes, posts_dir: Path, samples: int, period: float,
    tg_lanes: list[int], dc_lanes: list[str],
) -> dict[str, Any]:
    latencies: dict[str, list[float]] = {"telegram": [], "discord": []}
    missed = Counter[str]()
    folder = posts_dir / "live"
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(samples):
        lane = number % LANES
        title = _sample_title(number)
        data = fresh_post(title, [f"lane{lane}"], IMAGE).encode()
        path = folder / f"{time.strftime('%Y-%m-%d')}-sample-{number}.md"
        tg_since, dc_since = len(fakes.telegram.calls), len(fakes.discord.requests)
        written = time.perf_counter()
        path.write_bytes(data)
        tg, dc = await asyncio.gather(
            _first(partial(telegram_sends, fakes.telegram, title, tg_since)),
            _first(partial(discord_sends, fakes.discord, title, dc_since)),
        )
        for platform, arrival in (("telegram", tg), ("discord", dc)):
            if arrival is None:
                missed[platform] += 1
            else:
                latencies[platform].append(arrival - written)
        await asyncio.sleep(max(0.0, written + period - time.perf_counter()))
    return {
        "samples": samples,
        **{
            platform: {**percentiles(values, scale=1000, suffix="_ms"),
                       "missed": missed[platform]}
            for platform, values in latencies.items()
        },
    }


async def _first(found: Callable[[], Sequence[Any]], within: float = 5.0) -> float | None:
    """Arrival time of the first matching send, or None after `within` seconds."""
    deadline = time.perf_counter() + within
    while True:
        hits = found()
        if hits:
            return float(hits[0].at)
        if time.perf_counter() > deadline:
            return None
        await asyncio.sleep(0.002)


async def _fan_out(
    fakes: Fakes, room: Newsroom, posts_dir: Path, tg_chats: list[str], dc_channels: list[str]
) -> dict[str, Any]:
    title = FAN_OUT_TITLE
    tg_since, dc_since = len(fakes.telegram.calls), len(fakes.discord.requests)
    tg_throttled, dc_throttled = len(fakes.telegram.throttled), len(fakes.discord.throttled)
    path = posts_dir / "live" / f"{time.strftime('%Y-%m-%d')}-fan-out.md"
    written = time.perf_counter()
    path.write_bytes(fresh_post(title, ["fanout"], IMAGE).encode())
    expected = len(tg_chats) / FloodLimits().overall_per_second
    deadline = written + 3 * expected + 60
    while time.perf_counter() < deadline:
        tg = {str(c.chat_id) for c in telegram_sends(fakes.telegram, title, tg_since)}
        dc = {r.path.split("/")[2] for r in discord_sends(fakes.discord, title, dc_since)}
        if len(tg) >= len(tg_chats) and len(dc) >= len(dc_channels):
            break
        await asyncio.sleep(0.1)
    await room.drain(timeout=30)
    tg_times = [(str(c.chat_id), c.at) for c in telegram_sends(fakes.telegram, title, tg_since)]
    dc_times = [(r.path.split("/")[2], r.at)
                for r in discord_sends(fakes.discord, title, dc_since)]
    return {
        "telegram": spread(tg_times, tg_chats, written, FloodLimits().overall_per_second,
                            len(fakes.telegram.throttled) - tg_throttled),
        "discord": spread(dc_times, dc_channels, written, RateLimits().global_per_second,
                           len(fakes.discord.throttled) - dc_throttled),
    }
