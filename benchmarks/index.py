"""Indexing: a first start over N posts, a plain front matter baseline, a restart.

- cold: `Newsroom.start()` over a folder of N posts and an empty store (the
  store is created and migrated, every file read, parsed and written, nothing
  announced: a first run), in posts per second;
- baseline: `frontmatter.load()` over the same files, one after the other, as
  a plain script would read them (front matter only, nothing rendered or
  stored); the ratio cold / baseline is above 1 when the bot is faster;
- warm: `Newsroom.start()` again over the unchanged folder and the filled store.

The files were just written, so both the bot and the baseline read them from
the page cache: this measures the code, not the disk. The newsroom runs the
console adapter only (it prints nothing: no post is new); the platforms'
start-up is not part of indexing.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import frontmatter

from benchmarks.site import Endpoints, load, write_config
from newsbot.app import Newsroom
from newsbot.chat.desk import CommandDesk
from newsbot.config import AppConfig
from newsbot_console import ConsoleAdapter


def console_newsroom(config: AppConfig) -> Newsroom:
    """A newsroom whose only adapter is a silent console (no input, output to a buffer)."""

    def make(desk: CommandDesk) -> dict[str, Any]:
        return {"console": ConsoleAdapter(desk, output=io.StringIO(), read_input=False)}

    return Newsroom(config, watch=False, make_adapters=make)


async def timed_start(config: AppConfig) -> float:
    """Seconds `Newsroom.start()` took (the newsroom is stopped again afterwards)."""
    room = console_newsroom(config)
    started = time.perf_counter()
    await room.start()
    seconds = time.perf_counter() - started
    await room.stop()
    return seconds


def baseline(posts_dir: Path) -> tuple[int, float]:
    """(files, seconds) for plain `frontmatter.load` over every `.md` file."""
    files = sorted(posts_dir.rglob("*.md"))
    started = time.perf_counter()
    for path in files:
        frontmatter.load(path)
    return len(files), time.perf_counter() - started


async def measure(posts_dir: Path, count: int, workdir: Path) -> dict[str, Any]:
    config = load(write_config(workdir, posts_dir, Endpoints()), {})
    cold = await timed_start(config)
    warm = await timed_start(config)
    files, plain = baseline(posts_dir)
    cold_rate = count / cold
    plain_rate = files / plain
    return {
        "posts": count,
        "cold_seconds": round(cold, 3),
        "cold_posts_per_s": round(cold_rate),
        "baseline_posts_per_s": round(plain_rate),
        "cold_vs_baseline": round(cold_rate / plain_rate, 2),
        "warm_seconds": round(warm, 3),
    }
