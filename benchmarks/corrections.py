"""Corrections, measured on the running bot of `delivery.py` once its stories are out:

- save to first edit: each lane sample story is saved again with its title fixed,
  one after the other; the latency is from just before the write to the moment
  the first edit request for it (Telegram or Discord) reaches a fake;
- correction fan-out: the fan-out story's title is fixed; every message sent for
  it (1,000 Telegram chats, 200 Discord channels) is edited. The rate is over the
  edits themselves, against the same limit that binds the fan-out; a 429 is one
  the bot provoked; "lost" counts messages never edited, "duplicated" edits
  applied twice to one message.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.corpus import fresh_post
from benchmarks.report import percentiles, spread
from newsbot.app import Newsroom
from tests.discord.fake_discord import RateLimits
from tests.telegram.fake_bot_api import EDITING, FloodLimits

FIXED = " (corrected)"


def telegram_edits(fakes: Any, title: str, since: int) -> list[Any]:
    return [c for c in fakes.telegram.calls[since:]
            if c.ok and c.method in EDITING and title in (c.visible or "")]


def discord_edits(fakes: Any, title: str, since: int) -> list[Any]:
    return [r for r in fakes.discord.requests[since:]
            if r.status == 200 and r.method == "PATCH" and "/messages/" in r.path
            and title in json.dumps(r.body)]


def _save(path: Path, text: str) -> None:
    """One small write, timed from just before it, as `delivery.py` writes its posts."""
    path.write_bytes(text.encode())


def _edits(fakes: Any, title: str, tg_since: int, dc_since: int) -> list[Any]:
    return [*telegram_edits(fakes, title, tg_since), *discord_edits(fakes, title, dc_since)]


async def save_to_first_edit(
    fakes: Any, stories: list[tuple[Path, str, list[str], str | None]], period: float
) -> dict[str, Any]:
    """Fix each story's title in turn; the latency to its first edit request."""
    latencies: list[float] = []
    missed = 0
    for path, title, tags, image in stories:
        fixed = title + FIXED
        tg_since, dc_since = len(fakes.telegram.calls), len(fakes.discord.requests)
        written = time.perf_counter()
        _save(path, fresh_post(fixed, tags, image))
        arrival = await _first(partial(_edits, fakes, fixed, tg_since, dc_since))
        if arrival is None:
            missed += 1
        else:
            latencies.append(arrival - written)
        await asyncio.sleep(max(0.0, written + period - time.perf_counter()))
    return {"samples": len(stories), **percentiles(latencies, scale=1000, suffix="_ms"),
            "missed": missed}


async def correction_fan_out(
    fakes: Any, room: Newsroom, path: Path, title: str, tags: list[str], image: str | None,
    tg_chats: list[str], dc_channels: list[str],
) -> dict[str, Any]:
    """Fix the fan-out story's title; how its edits went out on each platform."""
    fixed = title + FIXED
    tg_since, dc_since = len(fakes.telegram.calls), len(fakes.discord.requests)
    tg_throttled, dc_throttled = len(fakes.telegram.throttled), len(fakes.discord.throttled)
    written = time.perf_counter()
    _save(path, fresh_post(fixed, tags, image))
    deadline = written + 3 * len(tg_chats) / FloodLimits().overall_per_second + 60
    while time.perf_counter() < deadline:
        tg = {str(c.chat_id) for c in telegram_edits(fakes, fixed, tg_since)}
        dc = {r.path.split("/")[2] for r in discord_edits(fakes, fixed, dc_since)}
        if len(tg) >= len(tg_chats) and len(dc) >= len(dc_channels):
            break
        await asyncio.sleep(0.1)
    await room.drain(timeout=30)
    tg_times = [(str(c.chat_id), c.at) for c in telegram_edits(fakes, fixed, tg_since)]
    dc_times = [(r.path.split("/")[2], r.at) for r in discord_edits(fakes, fixed, dc_since)]
    return {
        "telegram": spread(tg_times, tg_chats, written, FloodLimits().overall_per_second,
                            len(fakes.telegram.throttled) - tg_throttled),
        "discord": spread(dc_times, dc_channels, written, RateLimits().global_per_second,
                           len(fakes.discord.throttled) - dc_throttled),
    }


async def _first(found: Callable[[], list[Any]], within: float = 5.0) -> float | None:
    deadline = time.perf_counter() + within
    while True:
        hits = found()
        if hits:
            return float(min(hit.at for hit in hits))
        if time.perf_counter() > deadline:
            return None
        await asyncio.sleep(0.002)
