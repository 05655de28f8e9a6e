"""Fixtures for the reliability tests: each fake platform behind a flaky proxy, a store
prepared before the real bot starts, and the bot process itself (always reaped)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import pytest

from newsbot.ingest.indexer import INITIALIZED
from newsbot.store import Store, utcnow
from newsbot.store.subscriptions import Subscriptions
from newsbot.types import Chat
from tests.discord.fake_discord import API_PREFIX, FakeDiscord
from tests.discord.objects import TOKEN as DISCORD_TOKEN
from tests.discord.objects import Channel
from tests.reliability.botproc import BotProcess, write_site
from tests.reliability.flaky_proxy import FlakyProxy
from tests.telegram.fake_bot_api import TOKEN as TELEGRAM_TOKEN
from tests.telegram.fake_bot_api import FakeBotAPI, SpecChecker

_DISCORD_SEND = re.compile(re.escape(API_PREFIX) + r"/channels/\d+/messages$")


def telegram_send(method: str, path: str) -> bool:
    return path.endswith(("/sendMessage", "/sendPhoto"))


def discord_send(method: str, path: str) -> bool:
    return method == "POST" and _DISCORD_SEND.search(path) is not None


@pytest.fixture
async def telegram() -> AsyncIterator[FakeBotAPI]:
    fake = FakeBotAPI(spec=SpecChecker.from_env())
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()
    assert fake.violations == [], "\n".join(fake.violations)


@pytest.fixture
async def telegram_proxy(telegram: FakeBotAPI) -> AsyncIterator[FlakyProxy]:
    proxy = FlakyProxy(f"http://127.0.0.1:{telegram.port}", telegram_send, seed=1)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()


@pytest.fixture
async def discord() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()
    assert fake.problems == [], "\n".join(fake.problems)


@pytest.fixture
async def discord_proxy(discord: FakeDiscord) -> AsyncIterator[FlakyProxy]:
    proxy = FlakyProxy(f"http://127.0.0.1:{discord.port}", discord_send, seed=2)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()


def telegram_env(proxy: FlakyProxy, token: str = TELEGRAM_TOKEN) -> dict[str, str]:
    return {"NEWSBOT_TELEGRAM_TOKEN": token, "NEWSBOT_TELEGRAM_API_URL": f"{proxy.url}/bot"}


def discord_env(proxy: FlakyProxy, fake: FakeDiscord,
                token: str = DISCORD_TOKEN) -> dict[str, str]:
    return {
        "NEWSBOT_DISCORD_TOKEN": token,
        "NEWSBOT_DISCORD_API_URL": proxy.url + API_PREFIX,
        "NEWSBOT_DISCORD_GATEWAY_URL": fake.gateway_url,  # the gateway is not what fails here
    }


def discord_channels(fake: FakeDiscord, count: int) -> list[str]:
    """`count` more text channels the bot may post in; their ids."""
    ids = [str(1450000000000000000 + n) for n in range(count)]
    for channel_id in ids:
        fake.channels[channel_id] = Channel(channel_id, f"news-{channel_id[-3:]}")
    return ids


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """The bot's folder: newsbot.toml, _posts/ and (once prepared) newsbot.sqlite3."""
    write_site(tmp_path)
    return tmp_path


async def prepare_store(site: Path, chats: Sequence[Chat]) -> None:
    """Subscribe `chats` and mark the store as past its first run, so a post already in
    the folder when the bot starts is announced at once."""
    store = await Store.open(f"sqlite:///{site / 'newsbot.sqlite3'}")
    try:
        subscriptions = Subscriptions(store)
        for chat in chats:
            await subscriptions.subscribe(chat)
        async with store.engine.begin() as conn:
            await store.set_meta(conn, INITIALIZED, utcnow().isoformat())
    finally:
        await store.close()


def pending(site: Path) -> int:
    """Outbox rows still to send, read beside the running bot (WAL allows that)."""
    with sqlite3.connect(site / "newsbot.sqlite3", timeout=10) as db:
        return int(db.execute("SELECT count(*) FROM outbox WHERE status = 'pending'")
                   .fetchone()[0])


def integrity(site: Path) -> str:
    with sqlite3.connect(site / "newsbot.sqlite3", timeout=10) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


@pytest.fixture
def bot_env() -> dict[str, str]:
    """Extra environment for the bot; tests add the platforms they use."""
    return {"NEWSBOT_LOG_LEVEL": "INFO"}


@pytest.fixture
def bot(site: Path, bot_env: dict[str, str]) -> Iterator[BotProcess]:
    process = BotProcess(site / "newsbot.toml", bot_env)
    try:
        yield process
    finally:
        process.close()
