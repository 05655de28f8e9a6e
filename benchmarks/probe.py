"""The bot in a process of its own, for what only a process can tell: its peak memory.

`python -m benchmarks.probe CONFIG [CALLS TAG,TAG…]` starts a newsroom the
way `newsbot run` does (every adapter the configuration turns on, the file
watcher), measures the queries when asked to (`queries.py`), stops it, and
prints one JSON line: how long the start took, the
process's peak resident memory (`ru_maxrss`) and the largest peak of its
child processes (the readers a big first scan starts). Those are sampled from
`/proc` while they run: `RUSAGE_CHILDREN` would report the bot's own size,
since a child is forked from it before it becomes a fresh Python.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks import queries
from benchmarks.site import quick_discord_ready
from newsbot.app import Newsroom
from newsbot.config import load_config


async def start_and_stop(config_path: Path, calls: int, tags: list[str]) -> dict[str, Any]:
    """The start's time in two figures: until stories flow (every platform's dispatcher
    sends: the posts are in step and the outbox read), and until every part runs (the
    command connections too: Discord's gateway waits for its IDENTIFY slot, one per
    5 s for the bot, which the run just stopped took)."""
    room = Newsroom(load_config(config_path))
    started = time.perf_counter()
    starting = asyncio.create_task(room.start())
    while not starting.done() and (not room.adapters  # noqa: ASYNC110 - sampled: no event says it
                                   or len(room.dispatchers) < len(room.adapters)):
        await asyncio.sleep(0.005)
    delivering = time.perf_counter() - started
    await starting
    result: dict[str, Any] = {"start_seconds": round(time.perf_counter() - started, 3),
                              "delivering_seconds": round(delivering, 3)}
    try:
        if calls:
            result["queries"] = await queries.measure(room.queries, tags, calls)
    finally:
        await room.stop()
    return result


class ChildWatcher(threading.Thread):
    """Samples the peak RSS (`VmHWM`) of this process's children every few milliseconds."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kib = 0
        self.done = threading.Event()

    def run(self) -> None:
        me = os.getpid()
        while not self.done.wait(0.05):
            for pid in _children(me):
                self.peak_kib = max(self.peak_kib, _hwm_kib(pid))


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as file:
                found += [int(child) for child in file.read().split()]
    except OSError:
        pass
    return found


def _hwm_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as file:
            for line in file:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def main(argv: list[str]) -> int:
    quick_discord_ready()
    watcher = ChildWatcher()
    watcher.start()
    calls = int(argv[1]) if len(argv) > 1 else 0
    tags = argv[2].split(",") if len(argv) > 2 else []
    result = asyncio.run(start_and_stop(Path(argv[0]), calls, tags))
    watcher.done.set()
    watcher.join()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    result["peak_rss_mb"] = round(own / 1024, 1)
    result["worker_peak_rss_mb"] = round(watcher.peak_kib / 1024, 1) if watcher.peak_kib else None
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
