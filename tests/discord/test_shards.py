"""Discord's shards spread over two workers on a real PostgreSQL: each shard IDENTIFYs
once, on one worker; when a worker dies its shards move to the other, which then answers
commands in their servers; stories go out by REST from any worker, shards or not."""

from __future__ import annotations

import asyncio
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
from newsbot.delivery.pacing import local_pace
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
        return self.adapter.shards.ids

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


async def all_ready(adapter: DiscordAdapter) -> None:
    """Until every shard the adapter runs is ready (`changed` waits for the first only)."""
    async with asyncio.timeout(5):
        for shard in adapter.shards.running.values():
            await shard.client.wait_until_ready()


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
    for worker in workers:
        await all_ready(worker.adapter)
    assert identified(sharded) == [[i, SHARDS] for i in range(SHARDS)]  # once each
    assert sorted(s for s in sharded.sessions() if s) == [(i, SHARDS) for i in range(SHARDS)]
    holders = {lease.name: lease.holder for lease in await current_leases(one.store, "shard:")}
    assert holders == {f"shard:discord:{i}": (one if i < 2 else two).keeper.worker_id
                       for i in range(SHARDS)}
    # each worker's gateway knows the servers of its shards, and only those
    for worker in workers:
        clients = [shard.client for shard in worker.adapter.shards.running.values()]
        assert sorted(g.id for c in clients for g in c.guilds) == sorted(
            int(g) for g in [GUILD_ID, *(g for g, _ in SERVERS)]
            if shard_of(g, SHARDS) in worker.runs())
    for _, channel in SERVERS:  # a command in every server is answered
        assert (await answered(sharded, channel))["type"] == 4

    await one.adapter.stop()  # killed: its sessions close, its leases run out
    await expire(one.store, one.keeper.worker_id)
    await two.keeper.beat()
    assert two.runs() == [0, 1, 2, 3]
    # it started the two it took over; its own two ran on in their sessions
    await sharded.wait_for(lambda: sorted(sharded.sessions()) == [
        (i, SHARDS) for i in range(SHARDS)])
    await all_ready(two.adapter)
    assert identified(sharded) == sorted(
        [[i, SHARDS] for i in range(SHARDS)] + [[0, SHARDS], [1, SHARDS]])
    assert sorted(sharded.closed) == [(0, SHARDS), (1, SHARDS)]  # the dead worker's
    moved_guild, moved = next((g, c) for g, c in SERVERS if shard_of(g, SHARDS) == 0)
    assert two.adapter.shards.running[0].client.get_guild(int(moved_guild)) is not None
    answer = await answered(sharded, moved)
    assert answer["type"] == 4 and "content" in answer["data"]

class Gate:
    """The "identify" pace, opened and shut by the test: an IDENTIFY waits while shut."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.open.set()
        self.waiting = asyncio.Event()  # an IDENTIFY waited for it since it was shut

    def shut(self) -> None:
        self.open.clear()
        self.waiting.clear()

    async def __aenter__(self) -> None:
        if not self.open.is_set():
            self.waiting.set()
        await self.open.wait()

    async def __aexit__(self, *exc: object) -> None:
        return None

    def pause(self, seconds: float) -> None:
        return None


async def test_a_worker_whose_shards_change_keeps_running_those_it_keeps(
    tmp_path: Path, sharded: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(DiscordAdapter, "identify_seconds", 5.0)  # IDENTIFYs take the gate
    gate = Gate()
    store = await Store.open(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    adapter = DiscordAdapter(TOKEN, CommandDesk(Queries(store), Subscriptions(store)),
                             api_url=sharded.api_url, gateway_url=sharded.gateway_url)
    adapter.use_overall_pace(lambda per_second, name="": gate if name else local_pace(per_second))
    server = {shard_of(guild, SHARDS): channel for guild, channel in SERVERS}
    [share] = adapter.worker_roles()
    assert isinstance(share, Share)
    try:
        await adapter.start()
        await share.changed(frozenset({"shard:discord:0", "shard:discord:1"}))
        await sharded.wait_for(lambda: sorted(sharded.sessions()) == [(0, SHARDS), (1, SHARDS)])

        await share.changed(frozenset({"shard:discord:0"}))  # shard 1 to another worker
        await sharded.wait_for(lambda: sharded.sessions() == [(0, SHARDS)])
        assert sharded.closed == [(1, SHARDS)] and adapter.shards.ids == [0]
        assert (await answered(sharded, server[0]))["type"] == 4
        with pytest.raises(AssertionError, match="no identified gateway connection"):
            await sharded.use("latest", channel=server[1])  # no worker runs it now

        gate.shut()  # shard 2 comes: its IDENTIFY waits, shard 0 answers meanwhile
        taking = asyncio.create_task(share.changed(frozenset({"shard:discord:0",
                                                              "shard:discord:2"})))
        await asyncio.wait_for(gate.waiting.wait(), 5)
        assert (await answered(sharded, server[0]))["type"] == 4
        assert not taking.done()
        gate.open.set()
        await asyncio.wait_for(taking, 5)
        assert (await answered(sharded, server[2]))["type"] == 4
        assert adapter.shards.ids == [0, 2]
    finally:
        await adapter.stop()
        await store.close()
    # shard 0 identified once and its session stayed open until the adapter stopped
    assert [frame["shard"] for frame in sharded.identify] == [[0, 4], [1, 4], [2, 4]]
    assert sharded.closed[0] == (1, SHARDS) and sorted(sharded.closed[1:]) == [
        (0, SHARDS), (2, SHARDS)]


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
        # then the first lets its shards go and takes them again
        for worker in started:
            await worker.keeper.beat()
        one = started[0].adapter.shards
        await one.changed(frozenset())
        await one.changed(frozenset(one.names[:2]))
        await fake.wait_for(lambda: sorted(fake.sessions()) == [
            (i, SHARDS) for i in range(SHARDS)], seconds=10)
    finally:
        for worker in started:
            await worker.close()
        await fake.close()
    assert fake.identify_refused == []  # each IDENTIFY waited for the previous one's 0.5 s
    assert identified(fake) == sorted(
        [[i, SHARDS] for i in range(SHARDS)] + [[0, SHARDS], [1, SHARDS]])


async def test_any_worker_sends_by_rest_whatever_shards_it_holds(
    workers: list[Worker], sharded: FakeDiscord
) -> None:
    for worker in workers:  # no beat yet: no shard, no gateway
        assert worker.runs() == []
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
        await all_ready(adapter)
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
        assert adapter.shards.ids == [0, 1]
        await all_ready(adapter)
        assert identified(sharded) == [[0, 2], [1, 2]]
        for _, channel in SERVERS:
            assert (await answered(sharded, channel))["type"] == 4
    finally:
        await room.stop()
    assert adapter.shards.running == {}


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
