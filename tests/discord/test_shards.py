"""Discord's shards spread over two workers on a real PostgreSQL: each shard IDENTIFYs
once, on one worker; when a worker dies its shards move to the other, which then answers
commands in their servers; stories go out by REST from any worker, shards or not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from newsbot.chat.desk import CommandDesk
from newsbot.chat.queries import Queries
from newsbot.config import ConfigError, load_config
from newsbot.store import Store
from newsbot.store.subscriptions import Subscriptions
from newsbot.types import Summary
from newsbot.workers.leases import current_leases
from newsbot.workers.pace import SharedPaces
from newsbot.workers.roles import RoleKeeper, Share
from newsbot.workers.roster import Roster
from newsbot_discord import DiscordAdapter
from tests.discord.answers import RateLimits
from tests.discord.conftest import discord_config, discord_room
from tests.discord.fake_discord import FakeDiscord, shard_of
from tests.discord.objects import GUILD_ID, NEWS, TOKEN, Channel
from tests.workers.test_leases import expire

SHARDS = 4
_BASE = (1_200_000_000_000_000_000 >> 22) // SHARDS * SHARDS
#: one more server on each shard, with one text channel each: (guild id, channel id)
SERVERS = [(str(((_BASE + k) << 22) | 5), f"14500000000000000{k:02d}") for k in range(SHARDS)]
STORY = Summary("2026-02-01-a.md", "A story", "https://news.example.org/a.html", "Short",
                None, datetime(2026, 2, 1, 10, tzinfo=UTC), "", ())


@pytest.fixture(autouse=True)
def quick_identify(monkeypatch: pytest.MonkeyPatch) -> None:
    """Discord's five seconds between IDENTIFYs would only make the tests wait."""
    monkeypatch.setattr(DiscordAdapter, "identify_seconds", 0.0)


@pytest.fixture
async def sharded() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    fake.shard_count = SHARDS  # what GET /gateway/bot recommends
    for number, (guild_id, channel_id) in enumerate(SERVERS):
        fake.channels[channel_id] = Channel(channel_id, f"news-{number}", guild_id=guild_id)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()
    assert fake.problems == []


@dataclass
class Worker:
    store: Store
    adapter: DiscordAdapter
    keeper: RoleKeeper

    @classmethod
    async def start(cls, url: str, name: str, fake: FakeDiscord) -> Worker:
        store = await Store.open(url)
        desk = CommandDesk(Queries(store), Subscriptions(store))
        adapter = DiscordAdapter(TOKEN, desk, api_url=fake.api_url,
                                 gateway_url=fake.gateway_url)
        adapter.use_overall_pace(SharedPaces(store, "discord"))  # as the newsroom does
        keeper = RoleKeeper(store, Roster(store, f"host:{len(name)}:{name}"))
        [share] = adapter.worker_roles()
        assert isinstance(share, Share)
        keeper.add_share(share)
        await adapter.start()
        return cls(store, adapter, keeper)

    def runs(self) -> list[int]:
        client = self.adapter.shards.client
        return [] if client is None or client.shard_ids is None else sorted(client.shard_ids)

    async def close(self) -> None:
        await self.adapter.stop()
        await self.store.close()


@pytest.fixture
async def workers(postgres_url: str, sharded: FakeDiscord) -> AsyncIterator[list[Worker]]:
    started = [await Worker.start(postgres_url, name, sharded) for name in ("one", "two")]
    try:
        yield started
    finally:
        for worker in started:
            await worker.close()


async def answered(fake: FakeDiscord, channel: str) -> dict[str, Any]:
    interaction = await fake.use("latest", channel=channel)
    [answer] = await fake.answer(interaction)
    return answer


def identified(fake: FakeDiscord) -> list[list[int]]:
    return sorted(frame["shard"] for frame in fake.identify)


async def test_shards_spread_and_move_to_the_survivor(
    workers: list[Worker], sharded: FakeDiscord
) -> None:
    one, two = workers
    assert one.adapter.shards.names == [f"shard:discord:{i}" for i in range(SHARDS)]
    for worker in workers:  # both alive before either takes shards: they split them
        await worker.keeper.roster.beat()
    await one.keeper.beat()
    await two.keeper.beat()

    assert (one.runs(), two.runs()) == ([0, 1], [2, 3])
    assert identified(sharded) == [[i, SHARDS] for i in range(SHARDS)]  # once each
    assert sorted(s for s in sharded.sessions() if s) == [(i, SHARDS) for i in range(SHARDS)]
    holders = {lease.name: lease.holder for lease in await current_leases(one.store, "shard:")}
    assert holders == {f"shard:discord:{i}": (one if i < 2 else two).keeper.worker_id
                       for i in range(SHARDS)}
    # each worker's gateway knows the servers of its shards, and only those
    for worker in workers:
        client = worker.adapter.shards.client
        assert client is not None
        assert sorted(g.id for g in client.guilds) == sorted(
            int(g) for g in [GUILD_ID, *(g for g, _ in SERVERS)]
            if shard_of(g, SHARDS) in worker.runs())
    for _, channel in SERVERS:  # a command in every server is answered
        assert (await answered(sharded, channel))["type"] == 4

    await one.adapter.stop()  # killed: its sessions close, its leases run out
    await expire(one.store, one.keeper.worker_id)
    await two.keeper.beat()
    assert two.runs() == [0, 1, 2, 3]
    # its own two shards restarted with the two it took over: each shard runs once, there
    await sharded.wait_for(lambda: sorted(sharded.sessions()) == [
        (i, SHARDS) for i in range(SHARDS)])
    assert identified(sharded) == sorted([[i, SHARDS] for i in range(SHARDS)] * 2)
    moved_guild, moved = next((g, c) for g, c in SERVERS if shard_of(g, SHARDS) == 0)
    client = two.adapter.shards.client
    assert client is not None and client.get_guild(int(moved_guild)) is not None
    answer = await answered(sharded, moved)
    assert answer["type"] == 4 and "content" in answer["data"]

async def test_the_identifies_of_every_worker_keep_discords_pace(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(DiscordAdapter, "identify_seconds", 0.5)  # Discord's 5 s, shorter
    fake = FakeDiscord(limits=RateLimits(identify_period=0.5))
    fake.shard_count = SHARDS
    await fake.start()
    started = [await Worker.start(postgres_url, name, fake) for name in ("one", "two")]
    try:
        for worker in started:
            await worker.keeper.roster.beat()
        # one takes half the shards, the other the rest while the first's are starting;
        # then the first restarts its gateway (as when its set changes)
        for worker in started:
            await worker.keeper.beat()
        one = started[0].adapter.shards
        await one.changed(frozenset(one.names[:2]))
        await fake.wait_for(lambda: sorted(fake.sessions()) == [
            (i, SHARDS) for i in range(SHARDS)], seconds=10)
    finally:
        for worker in started:
            await worker.close()
        await fake.close()
    assert fake.identify_refused == []  # each IDENTIFY waited for the previous one's 0.5 s
    assert identified(fake) == sorted([[i, SHARDS] for i in range(SHARDS)] + [[0, 4], [1, 4]])


async def test_any_worker_sends_by_rest_whatever_shards_it_holds(
    workers: list[Worker], sharded: FakeDiscord
) -> None:
    for worker in workers:  # no beat yet: no shard, no gateway
        assert worker.runs() == [] and worker.adapter.shards.client is None
        assert (await worker.adapter.send(NEWS, STORY)).isdigit()
    assert len(sharded.sent(NEWS)) == 2
    assert sharded.identify == []


async def test_a_set_shard_count_is_used_without_asking_discord(
    postgres_url: str, sharded: FakeDiscord
) -> None:
    store = await Store.open(postgres_url)
    adapter = DiscordAdapter(TOKEN, CommandDesk(Queries(store), Subscriptions(store)),
                             api_url=sharded.api_url, gateway_url=sharded.gateway_url,
                             shard_count=2)
    try:
        await adapter.start()
        assert adapter.shards.names == ["shard:discord:0", "shard:discord:1"]
        assert not [r for r in sharded.requests if r.path == "/gateway/bot"]
        [share] = adapter.worker_roles()
        assert isinstance(share, Share)
        await share.changed(frozenset(share.names))
        assert identified(sharded) == [[0, 2], [1, 2]]
    finally:
        await adapter.stop()
        await store.close()


async def test_one_process_runs_every_shard(tmp_path: Path, sharded: FakeDiscord) -> None:
    room = discord_room(discord_config(tmp_path, sharded, shard_count=2))
    await room.start()
    try:
        adapter = room.adapters["discord"]
        assert isinstance(adapter, DiscordAdapter)
        client = adapter.shards.client
        assert client is not None and sorted(client.shard_ids or []) == [0, 1]
        assert identified(sharded) == [[0, 2], [1, 2]]
        for _, channel in SERVERS:
            assert (await answered(sharded, channel))["type"] == 4
    finally:
        await room.stop()
    assert adapter.shards.client is None


def test_shard_count_is_read_from_the_settings() -> None:
    config = load_config(None, env={"NEWSBOT_DISCORD_TOKEN": TOKEN,
                                    "NEWSBOT_DISCORD_SHARD_COUNT": "3"})
    adapter = DiscordAdapter.from_config(config, None)  # type: ignore[arg-type]
    assert adapter is not None
    assert adapter.shards.names == [f"shard:discord:{i}" for i in range(3)]
    with pytest.raises(ConfigError, match=r"discord\.shard_count: Input should be greater"):
        load_config(None, env={"NEWSBOT_DISCORD_TOKEN": TOKEN,
                               "NEWSBOT_DISCORD_SHARD_COUNT": "0"})


async def identify(fake: FakeDiscord, shard: list[int]) -> aiohttp.WSMessage:
    """What the fake's gateway answers a bare IDENTIFY for `shard` on a new connection."""
    async with aiohttp.ClientSession() as session, session.ws_connect(
        fake.gateway_url + "?v=10&encoding=json"
    ) as ws:
        assert (await ws.receive_json())["op"] == 10  # HELLO
        await ws.send_json({"op": 2, "d": {"token": TOKEN, "intents": 0, "shard": shard,
                                           "properties": {}}})
        return await ws.receive()


async def test_the_fake_gateway_refuses_an_invalid_shard(sharded: FakeDiscord) -> None:
    closed = await identify(sharded, [4, 4])
    assert closed.type == aiohttp.WSMsgType.CLOSE and closed.data == 4010


async def test_the_fake_gateway_invalidates_an_identify_too_soon() -> None:
    fake = FakeDiscord(limits=RateLimits(identify_period=60.0))
    await fake.start()
    try:
        ready = await identify(fake, [0, 2])
        refused = await identify(fake, [1, 2])  # as from another process: the bot's limit
    finally:
        await fake.close()
    assert ready.json()["t"] == "READY"
    assert refused.json() == {"op": 9, "d": False, "s": None, "t": None}  # Invalid Session
    assert [frame["shard"] for frame in fake.identify_refused] == [[1, 2]]
