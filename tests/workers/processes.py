"""Several real `newsbot run` workers on one PostgreSQL store, for the tests of several
workers and the benchmark: their configurations, the store prepared before they start,
and what the fake Telegram received from them.

Each worker reaches the fake platform (Telegram's Bot API, or Discord's REST API)
through a proxy of its own (`FlakyProxy`), so a test sees which worker sent what and
can hold one worker's answers back before killing it, as `tests/reliability` does with
one process. (Discord's gateway is reached directly: the fake tells its sessions apart.)
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from newsbot.ingest.indexer import INITIALIZED
from newsbot.store import Store, utcnow
from newsbot.store.subscriptions import Subscriptions
from newsbot.types import Chat
from tests.discord.fake_discord import FakeDiscord
from tests.helpers import SITE_URL
from tests.reliability.botproc import BotProcess
from tests.reliability.conftest import discord_env, discord_send, telegram_env, telegram_send
from tests.reliability.flaky_proxy import FlakyProxy
from tests.telegram.fake_bot_api import FakeBotAPI

#: what a worker logs once it holds the indexer role
INDEXER = "this worker now holds indexer"
#: what a worker logs once it has joined the others
JOINED = "joined the store's workers"
#: what the indexer logs once its first scan is done
INDEXED = "indexed "


def worker_config(root: Path, store_url: str, *, posts: bool = True) -> Path:
    """`root/newsbot.toml` over `root/_posts` (left missing unless `posts`), on the
    PostgreSQL store; returns the file."""
    root.mkdir(parents=True, exist_ok=True)
    if posts:
        (root / "_posts").mkdir(exist_ok=True)
    config = root / "newsbot.toml"
    config.write_text("\n".join([
        "[site]", f'url = "{SITE_URL}"', 'posts_dir = "_posts"', "rescan_seconds = 60",
        "[store]", f'url = "{store_url}"',
    ]) + "\n", encoding="utf-8")
    return config


async def prepare_store(store_url: str, chats: Iterable[Chat], *,
                        first_run_done: bool = False) -> None:
    """Subscribe `chats`; with `first_run_done`, mark the store as past its first run (a
    post already in the folder when the workers start is news then)."""
    store = await Store.open(store_url)
    try:
        subscriptions = Subscriptions(store)
        for chat in chats:
            await subscriptions.subscribe(chat)
        if first_run_done:
            async with store.engine.begin() as conn:
                await store.set_meta(conn, INITIALIZED, utcnow().isoformat())
    finally:
        await store.close()


@dataclass(frozen=True)
class Platform:
    """The fake platform the workers send to: its origin, which requests post a message,
    and a worker's settings given the proxy it reaches the fake through."""

    origin: str
    is_send: Callable[[str, str], bool]
    env: Callable[[FlakyProxy], dict[str, str]]


def telegram_platform(fake: FakeBotAPI) -> Platform:
    return Platform(f"http://127.0.0.1:{fake.port}", telegram_send, telegram_env)


def discord_platform(fake: FakeDiscord, **settings: str) -> Platform:
    """The fake Discord, with more `discord.*` settings (`shard_count="2"`) for each worker."""
    extra = {f"NEWSBOT_DISCORD_{key.upper()}": value for key, value in settings.items()}
    return Platform(f"http://127.0.0.1:{fake.port}", discord_send,
                    lambda proxy: {**discord_env(proxy, fake), **extra})


@dataclass
class Worker:
    process: BotProcess
    proxy: FlakyProxy

    def sent(self) -> int:
        """Messages this worker got through to Telegram (held ones included)."""
        return sum(1 for seen in self.proxy.seen if seen.send and seen.outcome != "reset")


@dataclass
class Crew:
    """The workers of one test, each behind its own proxy to the same fake platform."""

    platform: Platform
    workers: list[Worker] = field(default_factory=list)

    async def add(self, config: Path, extra_env: dict[str, str] | None = None) -> Worker:
        proxy = FlakyProxy(self.platform.origin, self.platform.is_send, seed=len(self.workers))
        await proxy.start()
        env = {"NEWSBOT_LOG_LEVEL": "INFO", **self.platform.env(proxy), **(extra_env or {})}
        worker = Worker(BotProcess(config, env), proxy)
        self.workers.append(worker)
        worker.process.start()
        return worker

    async def joined(self, within: float = 30.0) -> None:
        """Wait until every worker has joined the store's workers."""
        for worker in self.workers:
            await worker.process.wait_for_line(JOINED, within)

    async def indexed(self, within: float = 30.0) -> Worker:
        """Wait until a worker took the indexer role and finished its first scan."""
        await self.workers[0].process.wait_for(self.indexers, "an indexer", within)
        [indexer] = self.indexers()
        await indexer.process.wait_for_line(INDEXED, within)
        return indexer

    def indexers(self) -> list[Worker]:
        """The workers that took the indexer role, in the order their logs say."""
        return [w for w in self.workers if any(INDEXER in line for line in w.process.lines())]

    async def close(self) -> None:
        for worker in self.workers:
            worker.process.close()
        for worker in self.workers:
            await worker.proxy.close()

    def output(self) -> str:
        return "\n".join(w.process.output() for w in self.workers)


def received(fake: FakeBotAPI, titles: Sequence[str]) -> dict[int, list[str]]:
    """Per chat, the titles (of `titles`) it received, in the order they arrived."""
    pattern = re.compile("|".join(re.escape(t) for t in titles))
    seen: dict[int, list[str]] = defaultdict(list)
    for call in sorted(fake.delivered(), key=lambda c: c.at):
        found = pattern.search(call.visible or "")
        if found:
            seen[int(call.chat_id)].append(found.group(0))
    return seen


def collapsed(titles: list[str]) -> list[str]:
    """The titles with repeats in a row made one (a story sent twice in a row)."""
    return [t for n, t in enumerate(titles) if n == 0 or titles[n - 1] != t]


def duplicates(seen: dict[int, list[str]]) -> int:
    return sum(n - 1 for titles in seen.values() for n in Counter(titles).values())
