"""The bot in a process of its own, for what only a process can tell: its peak memory.

`python -m benchmarks.probe CONFIG` starts a newsroom the way `newsbot run`
does (every adapter the configuration turns on, the file watcher), stops it
once started, and prints one JSON line: how long the start took and the
process's peak resident memory (`ru_maxrss`), plus that of its children (the
reader processes a big first scan uses, finished by then).
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from pathlib import Path

from benchmarks.site import quick_discord_ready
from newsbot.app import Newsroom
from newsbot.config import load_config


async def start_and_stop(config_path: Path) -> float:
    room = Newsroom(load_config(config_path))
    started = time.perf_counter()
    await room.start()
    seconds = time.perf_counter() - started
    await room.stop()
    return seconds


def main(argv: list[str]) -> int:
    quick_discord_ready()
    seconds = asyncio.run(start_and_stop(Path(argv[0])))
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({
        "start_seconds": round(seconds, 3),
        "peak_rss_mb": round(own / 1024, 1),
        "worker_peak_rss_mb": round(children / 1024, 1) if children else None,
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
