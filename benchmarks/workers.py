"""Several workers on one PostgreSQL store: a fan-out shared by three `newsbot run`
workers beside one worker alone, and the indexer's failover.

- fan-out: one story to N Telegram chats (3,000: half private chats, half channels),
  the fake Bot API (a process of its own) enforcing Telegram's 30 messages a second.
  Per row (1 worker, 3 workers, each on a fresh database): the rate over the sends
  ((n - 1) / (last - first)) against 30/s, the 429s the workers provoked together,
  chats lost and duplicated, and the workers' CPU (seconds ÷ wall seconds);
- failover: two workers with the posts folder; the indexer is SIGKILLed and a new
  story written at once; the time from the kill to the fake accepting the story
  (the lease runs out, the other worker takes the role, scans, announces, sends),
  over `runs` kills, a fresh worker joining after each so one always stands by.

Both need a PostgreSQL server (`processes.postgres_server`); without one the rows say so.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from sqlalchemy import select

from benchmarks import processes as proc
from benchmarks import report
from benchmarks.corpus import fresh_post
from newsbot.ingest.indexer import INITIALIZED
from newsbot.store import Store, schema
from newsbot.workers.leases import current_leases
from newsbot.workers.roster import LEASE_SECONDS, live_workers

LIMIT_PER_S = 30
FAN_OUT_TITLE = "Shared fan-out: one story for every reader"
#: the worker counts of the fan-out rows: one alone, then three sharing it
FAN_OUT_WORKERS = (1, 3)


async def measure(workdir: Path, chats: int, runs: int) -> dict[str, Any]:
    server = await proc.postgres_server()
    if server is None:
        return {"skipped": "no PostgreSQL server answers"}
    rows = []
    for count in FAN_OUT_WORKERS:
        async with proc.database(server, workdir / f"fan-out-{count}") as url:
            rows.append(await _fan_out(workdir / f"fan-out-{count}", url, chats, count))
    async with proc.database(server, workdir / "failover") as url:
        failover = await _failover(workdir / "failover", url, runs)
    return {"chats": chats, "limit_per_s": LIMIT_PER_S, "fan_out": rows,
            "failover": failover}


def _ids(chats: int) -> list[str]:
    return [str(n if n % 2 else -(1_000_000_000_000 + n)) for n in range(1, chats + 1)]


def _write_story(posts: Path, slug: str, title: str, tag: str) -> None:
    path = posts / "live" / f"{time.strftime('%Y-%m-%d')}-{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(fresh_post(title, [tag]).encode())


async def _fan_out(folder: Path, url: str, chats: int, workers: int) -> dict[str, Any]:
    posts = proc.site(folder)
    ids = _ids(chats)
    async with proc.fake() as (api_url, stats_url), _Workers(url) as crew:
        config = proc.config(folder, posts, url, api_url)
        await proc.subscribe(url, ids, "fanout")
        for number in range(workers):
            await crew.start(config, folder / f"worker-{number}.log")
        await crew.ready(workers)
        before = crew.cpu()
        written = time.perf_counter()
        _write_story(posts, "fan-out", FAN_OUT_TITLE, "fanout")
        found = await proc.wait_until(
            stats_url, lambda s: len({c for c, _ in s["sends"]}) >= chats,
            chats / 10 + 60, title=FAN_OUT_TITLE)
        cpu = crew.cpu() - before
        await asyncio.sleep(1.0)  # a duplicate still on its way would arrive now
        found = await proc.stats(stats_url, FAN_OUT_TITLE)
    return _figures(found, ids, written, workers, cpu)


def _figures(stats: dict[str, Any], ids: list[str], written: float, workers: int,
             cpu: float) -> dict[str, Any]:
    sends = [(str(chat), at) for chat, at in stats["sends"]]
    spread = report.spread(sends, ids, written, LIMIT_PER_S, stats["throttled"])
    wall = spread["wall_seconds"]
    return {"workers": workers, **spread, "protocol_problems": stats["violations"],
            "workers_cpu": round(cpu / wall, 2) if wall else None}


async def _failover(folder: Path, url: str, runs: int) -> dict[str, Any]:
    posts = proc.site(folder)
    seconds: list[float] = []
    async with proc.fake() as (api_url, stats_url), _Workers(url) as crew:
        config = proc.config(folder, posts, url, api_url)
        await proc.subscribe(url, ["1001", "1002", "1003"], "failover")
        for number in range(2):
            await crew.start(config, folder / f"worker-{number}.log")
        for run in range(runs):
            indexer = await crew.ready(2)
            crew.kill(indexer)
            killed = time.perf_counter()
            title = f"Failover story {run}"
            _write_story(posts, f"failover-{run}", title, "failover")
            found = await proc.wait_until(stats_url, lambda s: bool(s["sends"]),
                                          LEASE_SECONDS * 6, title=title)
            if found["sends"]:
                seconds.append(min(at for _, at in found["sends"]) - killed)
            await crew.start(config, folder / f"worker-{run + 2}.log")
    return {"runs": runs, "delivered": len(seconds), "lease_seconds": LEASE_SECONDS,
            **report.percentiles(seconds, suffix="_s", qs=(50, 95)),
            "samples_s": [round(s, 2) for s in seconds]}


class _Workers:
    """The `newsbot run` processes of one row, and what the store says of them."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.running: dict[int, asyncio.subprocess.Process] = {}
        self.store: Store | None = None

    async def __aenter__(self) -> _Workers:
        self.store = await Store.open(self.url)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for process in self.running.values():
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        for process in self.running.values():
            await process.wait()
        if self.store is not None:
            await self.store.close()

    async def start(self, config: Path, log: Path) -> None:
        process = await proc.worker(config, log)
        self.running[process.pid] = process

    def kill(self, pid: int) -> None:
        self.running.pop(pid).send_signal(signal.SIGKILL)

    def cpu(self) -> float:
        return sum(proc.cpu_seconds(pid) for pid in self.running)

    async def ready(self, count: int, within: float = 60.0) -> int:
        """Wait until `count` running workers are on the roster, one of them holds the
        indexer role and the store's first run is done; the indexer's pid."""
        assert self.store is not None
        store = self.store

        async def indexer() -> int | None:
            live = {int(w.pid) for w in await live_workers(store)}
            if len(live & set(self.running)) < count:
                return None
            holders = [int(lease.holder.split(":")[1])
                       for lease in await current_leases(store, "indexer")]
            m = schema.meta
            async with store.engine.connect() as conn:
                done = (await conn.execute(select(m.c.value).where(m.c.key == INITIALIZED))
                        ).first()
            ready = [pid for pid in holders if pid in self.running]
            return ready[0] if ready and done else None

        return await _poll(indexer, within, f"{count} workers and an indexer")


async def _poll(check: Callable[[], Coroutine[Any, Any, int | None]], within: float,
                what: str) -> int:
    deadline = time.perf_counter() + within
    while (found := await check()) is None:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"no {what} within {within:g}s")
        await asyncio.sleep(0.1)
    return found


def rows(figures: dict[str, Any]) -> list[tuple[str, str]]:
    """The table rows (`report.table`)."""
    if "skipped" in figures:
        return [("several workers (fan-out, failover)", f"not run: {figures['skipped']}")]
    out = []
    for r in figures["fan_out"]:
        name = (f"fan-out, Telegram, {figures['chats']:,} chats, {r['workers']} "
                f"worker{'s' if r['workers'] > 1 else ''} on PostgreSQL")
        out.append((name, f"{report.spread_cells(r)} · CPU: workers {r['workers_cpu']}"))
    f = figures["failover"]
    out.append((f"indexer failover: SIGKILL → next story delivered ({f['runs']} runs)",
                f"p50 {f['p50_s']} s · p95 {f['p95_s']} s · max {f['max_s']} s "
                f"(lease {f['lease_seconds']:g} s; {f['delivered']} of {f['runs']} delivered)"))
    return out
