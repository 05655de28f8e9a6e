"""Paid broadcast: one story to 10,000 Telegram chats with `telegram.paid_broadcast`, the fake
enforcing 1,000 messages a second, by 1, 2 and 4 workers side by side.

Every worker is a real `newsbot run` process with the same configuration, on one store:
PostgreSQL when a server answers (`NEWSBOT_BENCH_POSTGRES`, else 127.0.0.1:5432 as the
tests find it), a fresh database per row, dropped after; without one, SQLite and one
worker only. The fake Bot API runs in a process of its own (`fake_telegram.py`), so it
does not share the bot's event loop. Workers start one after the other (each migrates
and indexes the ten posts already there, pushing nothing), then the story is written
and the fake's record of accepted sends is read until every chat has it.

Per row: the rate over the sends ((n - 1) / (last - first)) against 1,000 a second,
the 429s the bot provoked, chats lost and duplicated, the messages Telegram would
bill (past the free 30 a second), and the CPU the workers and the fake used over the
fan-out (CPU seconds ÷ wall seconds: 1.0 is one core busy; the machine has
`os.cpu_count()`), which says what bounds the rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import processes as proc
from benchmarks import report
from benchmarks.corpus import fresh_post
from newsbot.ingest.watcher import CATCH_UP_SECONDS

PAID_PER_SECOND = 1000
TITLE = "Paid broadcast: one story for every reader"
#: the worker counts measured by default (`--paid-workers 1,2,4` for the README's rows:
#: each row costs a few minutes)
WORKERS = (1,)


async def measure(workdir: Path, chats: int, workers: Sequence[int] = WORKERS
                  ) -> dict[str, Any]:
    server = await proc.postgres_server()
    rows = []
    for count in workers:
        if server is None and count > 1:
            rows.append({"workers": count, "skipped": "no PostgreSQL server answers"})
            continue
        async with proc.database(server, workdir / f"paid-{count}") as url:
            rows.append(await _row(workdir / f"paid-{count}", url, chats, count))
    return {"chats": chats, "limit_per_s": PAID_PER_SECOND, "cpus": os.cpu_count(),
            "rows": rows}


async def _row(folder: Path, url: str, chats: int, workers: int) -> dict[str, Any]:
    posts = proc.site(folder)
    ids = [str(n if n % 2 else -(1_000_000_000_000 + n)) for n in range(1, chats + 1)]
    async with proc.fake() as (api_url, stats_url):
        config = proc.config(folder, posts, url, api_url, paid=True)
        await proc.subscribe(url, ids, "paidbroadcast")
        processes = []
        try:
            for number in range(workers):
                processes.append(await proc.worker(config, folder / f"worker-{number}.log"))
                await proc.wait_until(stats_url, lambda s, n=number: s["started"] > n, 60)
            await asyncio.sleep(CATCH_UP_SECONDS + 0.5)  # the watchers' catch-up rescan
            before = [proc.cpu_seconds(p.pid) for p in processes]
            fake_before = (await proc.stats(stats_url))["cpu_seconds"]
            path = posts / "live" / f"{time.strftime('%Y-%m-%d')}-paid-broadcast.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            written = time.perf_counter()
            path.write_bytes(fresh_post(TITLE, ["paidbroadcast"]).encode())
            deadline = chats / 50 + 60  # far slower than any run measured so far
            found = await proc.wait_until(stats_url, lambda s: len({c for c, _ in s["sends"]})
                                      >= chats, deadline, title=TITLE)
            after = [proc.cpu_seconds(p.pid) for p in processes]
        finally:
            for process in processes:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                await process.wait()
    return _figures(found, ids, written, workers, url,
                    sum(after) - sum(before), found["cpu_seconds"] - fake_before)


def _figures(stats: dict[str, Any], ids: list[str], written: float, workers: int,
             url: str, workers_cpu: float, fake_cpu: float) -> dict[str, Any]:
    sends = [(str(chat), at) for chat, at in stats["sends"]]
    spread = report.spread(sends, ids, written, PAID_PER_SECOND, stats["throttled"])
    wall = spread["wall_seconds"]
    return {
        "workers": workers, "store": url.split(":", 1)[0], **spread,
        "billed": stats["billed"], "conflicts_409": stats["conflicts"],
        "protocol_problems": stats["violations"],
        "workers_cpu": round(workers_cpu / wall, 2) if wall else None,
        "fake_cpu": round(fake_cpu / wall, 2) if wall else None,
    }


def rows(figures: dict[str, Any]) -> list[tuple[str, str]]:
    """The table rows (`report.table`), one per worker count."""
    out = []
    for r in figures["rows"]:
        name = (f"paid broadcast, Telegram, {figures['chats']:,} chats, {r['workers']} "
                f"worker{'s' if r['workers'] > 1 else ''}")
        if "skipped" in r:
            out.append((name, f"not run: {r['skipped']}"))
            continue
        out.append((name, f"{report.spread_cells(r)} · {r['billed']:,} billed · CPU: "
                          f"workers {r['workers_cpu']}, fake {r['fake_cpu']} ({r['store']})"))
    return out
