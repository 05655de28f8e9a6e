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
import json
import os
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.corpus import PostWriter, fresh_post
from benchmarks.site import SITE_URL
from newsbot.ingest.watcher import CATCH_UP_SECONDS
from newsbot.store import Store, schema, utcnow

ROOT = Path(__file__).resolve().parent.parent
PAID_PER_SECOND = 1000
TITLE = "Paid broadcast: one story for every reader"
#: the worker counts measured (2 and 4 need the several-workers delivery: chat claims)
WORKERS = (1,)


async def measure(workdir: Path, chats: int, workers: Sequence[int] = WORKERS
                  ) -> dict[str, Any]:
    server = await _postgres_server()
    rows = []
    for count in workers:
        if server is None and count > 1:
            rows.append({"workers": count, "skipped": "no PostgreSQL server answers"})
            continue
        async with _database(server, workdir / f"paid-{count}") as url:
            rows.append(await _row(workdir / f"paid-{count}", url, chats, count))
    return {"chats": chats, "limit_per_s": PAID_PER_SECOND, "cpus": os.cpu_count(),
            "rows": rows}


def _site(folder: Path) -> Path:
    """Ten posts already there: indexed on the first run, not pushed."""
    posts = folder / "_posts"
    writer = PostWriter(seed=17)
    for number in range(10):
        name, text, _ = writer.post(number)
        (posts / name).parent.mkdir(parents=True, exist_ok=True)
        (posts / name).write_text(text, encoding="utf-8")
    return posts


async def _row(folder: Path, url: str, chats: int, workers: int) -> dict[str, Any]:
    posts = _site(folder)
    ids = [str(n if n % 2 else -(1_000_000_000_000 + n)) for n in range(1, chats + 1)]
    async with _fake() as (api_url, stats_url):
        config = _config(folder, posts, url, api_url)
        await _subscribe(url, ids)
        processes = []
        try:
            for number in range(workers):
                processes.append(await _worker(config, folder / f"worker-{number}.log"))
                await _wait_until(stats_url, lambda s, n=number: s["started"] > n, 60)
            await asyncio.sleep(CATCH_UP_SECONDS + 0.5)  # the watchers' catch-up rescan
            before = [_cpu_seconds(p.pid) for p in processes]
            fake_before = (await _stats(stats_url))["cpu_seconds"]
            path = posts / "live" / f"{time.strftime('%Y-%m-%d')}-paid-broadcast.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            written = time.perf_counter()
            path.write_bytes(fresh_post(TITLE, ["paidbroadcast"]).encode())
            deadline = chats / 50 + 60  # far slower than any run measured so far
            found = await _wait_until(stats_url, lambda s: len({c for c, _ in s["sends"]})
                                      >= chats, deadline, title=TITLE)
            after = [_cpu_seconds(p.pid) for p in processes]
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
    per_chat = Counter(str(chat) for chat, _ in stats["sends"])
    times = sorted(at for _, at in stats["sends"])
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    rate = (len(times) - 1) / span if span > 0 else 0.0
    wall = times[-1] - written if times else 0.0
    return {
        "workers": workers, "store": url.split(":", 1)[0],
        "destinations": len(ids), "delivered": sum(1 for c in ids if per_chat[c]),
        "lost": sum(1 for c in ids if not per_chat[c]),
        "duplicated": sum(n - 1 for n in per_chat.values() if n > 1),
        "throttled_429": stats["throttled"], "billed": stats["billed"],
        "conflicts_409": stats["conflicts"], "protocol_problems": stats["violations"],
        "wall_seconds": round(wall, 3), "rate_per_s": round(rate, 1),
        "percent_of_limit": round(100 * rate / PAID_PER_SECOND, 1),
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
        out.append((name, f"{r['wall_seconds']} s · {r['rate_per_s']}/s = "
                          f"{r['percent_of_limit']}% of {figures['limit_per_s']:,}/s · "
                          f"{r['throttled_429']} × 429 · {r['lost']} lost · {r['duplicated']} "
                          f"duplicated · {r['billed']:,} billed · CPU: workers "
                          f"{r['workers_cpu']}, fake {r['fake_cpu']} ({r['store']})"))
    return out


# -- the parts -------------------------------------------------------------------------


async def _postgres_server() -> str | None:
    from tests.postgres import LOCAL_SERVICE, _answers

    url = os.environ.get("NEWSBOT_BENCH_POSTGRES") or LOCAL_SERVICE
    return url if await asyncio.to_thread(_answers, url) else None


@contextlib.asynccontextmanager
async def _database(server: str | None, folder: Path) -> AsyncIterator[str]:
    if server is None:
        yield f"sqlite:///{folder / 'newsbot.sqlite3'}"
        return
    import asyncpg

    from tests.postgres import database_url

    name = f"newsbot_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        yield database_url(server, name)
    finally:
        admin = await asyncpg.connect(server)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@contextlib.asynccontextmanager
async def _fake() -> AsyncIterator[tuple[str, str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.fake_telegram", cwd=str(ROOT),
        env=_env(), stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        where = json.loads(line)
        yield where["api_url"], where["stats"]
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        await process.wait()


def _env() -> dict[str, str]:
    from tests.telegram.fake_bot_api import TOKEN

    env = {**os.environ, "NEWSBOT_TELEGRAM_TOKEN": TOKEN}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _config(folder: Path, posts: Path, url: str, api_url: str) -> Path:
    path = folder / "newsbot.toml"
    path.write_text("\n".join([
        "[site]", f'url = "{SITE_URL}"', f'posts_dir = "{posts.as_posix()}"',
        "[store]", f'url = "{url}"', "[log]", 'level = "WARNING"',
        "[telegram]", f'api_url = "{api_url}"', "paid_broadcast = true",
    ]) + "\n", encoding="utf-8")
    return path


async def _subscribe(url: str, ids: list[str]) -> None:
    """Every chat subscribed to the story's tag, in one transaction."""
    store = await Store.open(url)
    try:
        now = utcnow()
        rows = [{"platform": "telegram", "chat_id": chat, "title": "", "tags": ["paidbroadcast"],
                 "dead": False, "dead_reason": "", "created_at": now, "updated_at": now}
                for chat in ids]
        async with store.engine.begin() as conn:
            await conn.execute(schema.subscriptions.insert(), rows)
            await store.subscriptions_changed(conn)
    finally:
        await store.close()


async def _worker(config: Path, log: Path) -> asyncio.subprocess.Process:
    with log.open("wb") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "newsbot", "run", "--config", str(config),
            cwd=str(config.parent), env=_env(), stdout=out, stderr=out,
        )


async def _stats(url: str, title: str = "") -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(
        url, params={"title": title}
    ) as response:
        result: dict[str, Any] = await response.json()
        return result


async def _wait_until(url: str, done: Any, within: float, title: str = "") -> dict[str, Any]:
    deadline = time.perf_counter() + within
    while True:
        stats = await _stats(url, title)
        if done(stats) or time.perf_counter() > deadline:
            return stats
        await asyncio.sleep(0.25)


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process so far (Linux `/proc`; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
