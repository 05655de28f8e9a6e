"""A worker's /metrics and /healthz as Prometheus and an orchestrator see them: the
counts of what the dispatcher did, the outbox's depth, the store failing or gone,
lease changes, and each newsroom's numbers kept apart from another's."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import prometheus_client
import pytest

from newsbot.app import Newsroom
from newsbot.config import AppConfig, ConfigError
from newsbot.delivery import retry
from newsbot.delivery.errors import PermanentError, RetryAfter, TransientError, Undeliverable
from newsbot.ops.metrics import Metrics
from newsbot.store import Store, StoreError
from newsbot.types import Chat
from newsbot.workers.roles import Role, RoleKeeper
from newsbot.workers.roster import Roster
from tests.helpers import ScriptedAdapter, make_config, scripted_room, write_post
from tests.reliability.test_store_trouble import pragma_on_connect, reconnect

METRICS = {"metrics": {"listen": "127.0.0.1:0"}}
CHATS = ("a", "b", "c", "d", "e", "f")


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "BACKOFF_BASE_SECONDS", 0.02)


async def get(room: Newsroom, path: str) -> tuple[int, str]:
    assert room.metrics is not None
    async with aiohttp.ClientSession() as http, \
            http.get(f"http://127.0.0.1:{room.metrics.port}{path}") as response:
        return response.status, await response.text()


async def scrape(room: Newsroom) -> list[str]:
    """The samples of /metrics, one line each (comments left out)."""
    status, text = await get(room, "/metrics")
    assert status == 200
    return [line for line in text.splitlines() if not line.startswith("#")]


async def health(room: Newsroom) -> tuple[int, dict[str, Any]]:
    assert room.metrics is not None
    async with aiohttp.ClientSession() as http, \
            http.get(f"http://127.0.0.1:{room.metrics.port}/healthz") as response:
        return response.status, await response.json()


@pytest.fixture
async def room(tmp_path: Path) -> AsyncIterator[tuple[Newsroom, ScriptedAdapter]]:
    adapter = ScriptedAdapter()
    newsroom = scripted_room(make_config(tmp_path, sections=METRICS), adapter)
    await newsroom.start()
    for chat_id in CHATS:
        await newsroom.subscriptions.subscribe(Chat("scripted", chat_id))
    try:
        yield newsroom, adapter
    finally:
        await newsroom.stop()


async def test_metrics_count_every_outcome_and_read_the_outbox_depth(
    room: tuple[Newsroom, ScriptedAdapter],
) -> None:
    newsroom, adapter = room
    adapter.script = {"c": [TransientError("server error"), None],
                      "d": [PermanentError("bot was kicked")],
                      "e": [Undeliverable("picture refused")],
                      "f": [RetryAfter(0.05), None]}
    adapter.gate = asyncio.Event()  # the platform holds every send for now
    write_post(newsroom.config.site.posts_dir, "2026-02-01-news.md", "News")
    await newsroom.scan()
    samples = await scrape(newsroom)
    assert 'newsbot_outbox_pending{platform="scripted"} 6.0' in samples
    assert 'newsbot_deliveries_total{outcome="sent",platform="scripted"} 0.0' in samples
    adapter.gate.set()
    await newsroom.drain()
    write_post(newsroom.config.site.posts_dir, "2026-02-01-news.md", "News, corrected")
    await newsroom.scan()
    await newsroom.drain()
    assert sorted(chat for chat, _ in adapter.sent) == ["a", "b", "c", "f"]
    samples = await scrape(newsroom)
    for expected in [
        'newsbot_deliveries_total{outcome="sent",platform="scripted"} 4.0',
        'newsbot_deliveries_total{outcome="failed",platform="scripted"} 1.0',
        'newsbot_deliveries_total{outcome="retried",platform="scripted"} 1.0',
        'newsbot_deliveries_total{outcome="dropped",platform="scripted"} 1.0',
        'newsbot_deliveries_total{outcome="dead",platform="scripted"} 1.0',
        'newsbot_deliveries_total{outcome="migrated",platform="scripted"} 0.0',
        'newsbot_edits_total{outcome="done",platform="scripted"} 4.0',
        'newsbot_edits_total{outcome="failed",platform="scripted"} 0.0',
        'newsbot_rate_limited_total{platform="scripted"} 1.0',
        'newsbot_outbox_pending{platform="scripted"} 0.0',
        'newsbot_edits_pending{platform="scripted"} 0.0',
        "newsbot_store_up 1.0",
        "newsbot_lease_changes_total 0.0",
    ]:
        assert expected in samples
    [info] = [line for line in samples if line.startswith("newsbot_worker_info{")]
    assert 'mode="single process"' in info and 'version="0.1.0"' in info
    assert any(line.startswith("process_resident_memory_bytes ") for line in samples)


async def test_openmetrics_when_the_scraper_asks_for_it(
    room: tuple[Newsroom, ScriptedAdapter],
) -> None:
    newsroom, _ = room
    assert newsroom.metrics is not None
    url = f"http://127.0.0.1:{newsroom.metrics.port}/metrics"
    async with aiohttp.ClientSession() as http, \
            http.get(url, headers={"Accept": "application/openmetrics-text"}) as response:
        assert response.headers["Content-Type"].startswith("application/openmetrics-text")
        text = await response.text()
    assert text.endswith("# EOF\n")
    assert 'newsbot_deliveries_total{outcome="sent",platform="scripted"} 0.0' in text


async def test_healthz_says_who_answers_and_turns_503_when_the_store_fails(
    room: tuple[Newsroom, ScriptedAdapter],
) -> None:
    newsroom, _ = room
    status, body = await health(newsroom)
    assert status == 200
    assert body["worker"].startswith(f"{socket.gethostname()}:")
    assert (body["mode"], body["store"], body["adapters"]) == (
        "single process", "ok", {"scripted": "up"})
    # the store turns read-only as a story is announced (as tests/reliability does it)
    write_post(newsroom.config.site.posts_dir, "2026-02-01-news.md", "News")
    with pragma_on_connect(newsroom.store, "PRAGMA query_only = 1"):
        await reconnect(newsroom.store)
        with pytest.raises(StoreError):
            await newsroom.scan()
    await reconnect(newsroom.store)
    status, body = await health(newsroom)
    assert (status, body["store"]) == (503, "failed")
    samples = await scrape(newsroom)
    assert "newsbot_store_up 0.0" in samples
    assert not any(line.startswith("newsbot_outbox_pending") for line in samples)


async def test_healthz_is_503_while_a_postgresql_store_does_not_answer(
    tmp_path: Path, postgres_url: str, postgres_server: str,
) -> None:
    config = make_config(tmp_path, sections={**METRICS, "store": {"url": postgres_url}})
    newsroom = scripted_room(config, ScriptedAdapter())
    await newsroom.start()
    try:
        status, body = await health(newsroom)
        assert (status, body["store"]) == (200, "ok")
        admin = await asyncpg.connect(postgres_server)
        try:  # the database is gone (dropped, or its server cut off)
            await admin.execute(f'DROP DATABASE "{postgres_url.rsplit("/", 1)[1]}" WITH (FORCE)')
        finally:
            await admin.close()
        status, body = await health(newsroom)
        assert (status, body["store"]) == (503, "unreachable")
        assert "newsbot_store_up 0.0" in await scrape(newsroom)
    finally:
        await newsroom.stop()


async def test_each_newsroom_keeps_its_own_numbers(tmp_path: Path) -> None:
    rooms: list[Newsroom] = []
    adapters = [ScriptedAdapter(), ScriptedAdapter()]
    for name, adapter in zip(("one", "two"), adapters, strict=True):
        (tmp_path / name).mkdir()
        rooms.append(scripted_room(make_config(tmp_path / name, sections=METRICS), adapter))
    try:
        for newsroom in rooms:
            await newsroom.start()
        await rooms[0].subscriptions.subscribe(Chat("scripted", "a"))
        write_post(rooms[0].config.site.posts_dir, "2026-02-01-news.md", "News")
        await rooms[0].scan()
        await rooms[0].drain()
        sent = 'newsbot_deliveries_total{outcome="sent",platform="scripted"}'
        assert f"{sent} 1.0" in await scrape(rooms[0])
        assert f"{sent} 0.0" in await scrape(rooms[1])
    finally:
        for newsroom in rooms:
            await newsroom.stop()
    # nothing of ours in the library's global registry
    assert b"newsbot_" not in prometheus_client.generate_latest(prometheus_client.REGISTRY)


async def test_a_taken_port_is_one_line_naming_the_key(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config: AppConfig = make_config(
            tmp_path, sections={"metrics": {"listen": f"127.0.0.1:{port}"}})
        newsroom = scripted_room(config, ScriptedAdapter())
        with pytest.raises(ConfigError) as info:
            await newsroom.start()
    message = str(info.value)
    assert message.startswith(f"{config.source}: metrics.listen: cannot listen on "
                              f"127.0.0.1:{port} (")
    assert "address already in use" in message and "\n" not in message
    assert newsroom.metrics is None


async def test_lease_changes_and_the_worker_id_come_from_the_role_keeper(
    postgres_url: str,
) -> None:
    store = await Store.open(postgres_url)
    metrics = Metrics(several=True)
    keeper = RoleKeeper(store, Roster(store, "host-a:101:aaaaaa"))

    async def nothing() -> None:
        """The role's work is not what is tested here."""

    keeper.add(Role("indexer", nothing, nothing))
    metrics.watch_roles(keeper)
    try:
        await keeper.beat()  # takes the indexer
        text = prometheus_client.generate_latest(metrics.registry).decode()
        assert "newsbot_lease_changes_total 1.0" in text.splitlines()
        assert 'worker="host-a:101:aaaaaa"' in text and 'mode="several workers"' in text
    finally:
        await keeper.stop()
        await store.close()
