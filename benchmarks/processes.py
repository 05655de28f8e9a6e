"""Real `newsbot run` workers and the fake Bot API, each in a process of its own, for the
benchmarks that measure several workers on one store (`paid_broadcast.py`,
`workers.py`).

The store is PostgreSQL when a server answers (`NEWSBOT_BENCH_POSTGRES`, else
127.0.0.1:5432 as the tests find it), a fresh database per row, dropped after; without
one, SQLite (one worker only). The fake runs apart (`fake_telegram.py`) so it does not
share a bot's event loop, and answers what it accepted on its `stats` URL.
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
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.corpus import PostWriter
from benchmarks.site import SITE_URL
from newsbot.store import Store, schema, utcnow

ROOT = Path(__file__).resolve().parent.parent


def site(folder: Path, seed: int = 17) -> Path:
    """Ten posts already there: indexed on the first run, not pushed; the posts folder."""
    posts = folder / "_posts"
    writer = PostWriter(seed=seed)
    for number in range(10):
        name, text, _ = writer.post(number)
        (posts / name).parent.mkdir(parents=True, exist_ok=True)
        (posts / name).write_text(text, encoding="utf-8")
    return posts


async def postgres_server() -> str | None:
    """A server to create databases on, or None when none answers."""
    from tests.postgres import LOCAL_SERVICE, _answers

    url = os.environ.get("NEWSBOT_BENCH_POSTGRES") or LOCAL_SERVICE
    return url if await asyncio.to_thread(_answers, url) else None


@contextlib.asynccontextmanager
async def database(server: str | None, folder: Path) -> AsyncIterator[str]:
    """A fresh database on `server` (dropped after), or a SQLite file in `folder`."""
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
async def fake() -> AsyncIterator[tuple[str, str]]:
    """The fake Bot API in a process of its own: its `api_url` and `stats` URL."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.fake_telegram", cwd=str(ROOT),
        env=env(), stdout=asyncio.subprocess.PIPE,
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


def env() -> dict[str, str]:
    """The environment of the workers and the fake: the fake's token, this checkout."""
    from tests.telegram.fake_bot_api import TOKEN

    values = {**os.environ, "NEWSBOT_TELEGRAM_TOKEN": TOKEN}
    values["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), values.get("PYTHONPATH")]))
    return values


def config(folder: Path, posts: Path, url: str, api_url: str, *, paid: bool = False,
           log_level: str = "WARNING") -> Path:
    """`folder/newsbot.toml`: the posts, the store, the fake Bot API (the token comes from
    the environment, `env()`); with `paid`, paid broadcasts on."""
    path = folder / "newsbot.toml"
    path.write_text("\n".join([
        "[site]", f'url = "{SITE_URL}"', f'posts_dir = "{posts.as_posix()}"',
        "[store]", f'url = "{url}"', "[log]", f'level = "{log_level}"',
        "[telegram]", f'api_url = "{api_url}"', f"paid_broadcast = {str(paid).lower()}",
    ]) + "\n", encoding="utf-8")
    return path


async def subscribe(url: str, ids: list[str], tag: str) -> None:
    """Every chat subscribed to `tag`, in one transaction."""
    store = await Store.open(url)
    try:
        now = utcnow()
        rows = [{"platform": "telegram", "chat_id": chat, "title": "", "tags": [tag],
                 "dead": False, "dead_reason": "", "created_at": now, "updated_at": now}
                for chat in ids]
        async with store.engine.begin() as conn:
            await conn.execute(schema.subscriptions.insert(), rows)
            await store.subscriptions_changed(conn)
    finally:
        await store.close()


async def worker(config_file: Path, log: Path) -> asyncio.subprocess.Process:
    """`newsbot run` with that configuration, its output in `log`."""
    with log.open("wb") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "newsbot", "run", "--config", str(config_file),
            cwd=str(config_file.parent), env=env(), stdout=out, stderr=out,
        )


async def stats(url: str, title: str = "") -> dict[str, Any]:
    """What the fake says it accepted (sends whose text holds `title`) and counted."""
    async with aiohttp.ClientSession() as session, session.get(
        url, params={"title": title}
    ) as response:
        result: dict[str, Any] = await response.json()
        return result


async def wait_until(url: str, done: Any, within: float, title: str = "") -> dict[str, Any]:
    """The fake's stats once `done(stats)`, or after `within` seconds whatever they are."""
    deadline = time.perf_counter() + within
    while True:
        found = await stats(url, title)
        if done(found) or time.perf_counter() > deadline:
            return found
        await asyncio.sleep(0.25)


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process so far (Linux `/proc`; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
