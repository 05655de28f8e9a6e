"""Real `newsbot run` workers on one real PostgreSQL store, against the fake Discord
enforcing Discord's limits: two workers split the gateway's two shards, each shard
identifying once, and commands in the servers of both are answered; together they fan a
story out to every channel once without provoking a 429; one of them killed, the other
runs both shards within a lease and answers commands in the dead one's servers again."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from newsbot.types import Chat
from newsbot.workers.roster import LEASE_SECONDS
from tests.discord.answers import RateLimits
from tests.discord.fake_discord import FakeDiscord, shard_of
from tests.discord.objects import GUILD_ID, Channel
from tests.helpers import write_post
from tests.workers.processes import Crew, Worker, discord_platform, prepare_store, worker_config

SHARDS = 2
#: text channels subscribed in each shard's server: with the lookups of channels outside
#: a worker's shard, some three times Discord's global burst of 50 requests, which two
#: workers each keeping 50 a second of their own would overrun (if fast enough to)
PER_SERVER = 50
STORY = "Council approves the new tram line"
#: a takeover needs the lease to run out, then a beat of the new holder, then its shards
TAKEOVER = LEASE_SECONDS + 15
#: what a worker logs once the first of the shards it now holds is ready
RUNS = re.compile(r"discord: running shard\(s\) \[([\d, ]*)\] of \d+")


def server_of(shard: int) -> str:
    """A server whose events go to `shard`, besides the fake's default one."""
    base = (int(GUILD_ID) >> 22) // SHARDS * SHARDS + SHARDS
    return str(((base + shard) << 22) | 7)


@pytest.fixture
async def discord() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord(limits=RateLimits())
    for shard in range(SHARDS):
        guild = server_of(shard)
        assert shard_of(guild, SHARDS) == shard
        for n in range(PER_SERVER):
            channel = str(1460000000000000000 + shard * 1000 + n)
            fake.channels[channel] = Channel(channel, f"news-{shard}-{n}", guild_id=guild)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()
    assert fake.problems == [], "\n".join(fake.problems)


@pytest.fixture
async def crew(discord: FakeDiscord) -> AsyncIterator[Crew]:
    workers = Crew(discord_platform(discord, shard_count=str(SHARDS)))
    try:
        yield workers
    finally:
        await workers.close()


def runs(worker: Worker) -> list[int]:
    """The shards the worker's gateway runs, as it last said."""
    said = [m.group(1) for line in worker.process.lines() if (m := RUNS.search(line))]
    return [int(shard) for shard in said[-1].split(", ")] if said else []


def on_each_shard(fake: FakeDiscord) -> bool:
    """Whether the gateway has one session on each shard, and only that."""
    return sorted(fake.sessions()) == [(i, SHARDS) for i in range(SHARDS)]


def identified(fake: FakeDiscord) -> list[list[int]]:
    return sorted(frame["shard"] for frame in fake.identify)


async def answered(fake: FakeDiscord, guild: str) -> str:
    """The answer to /latest typed in a channel of `guild`."""
    channel = next(c.id for c in fake.channels.values() if c.guild_id == guild)
    interaction = await fake.use("latest", channel=channel)
    [answer] = await fake.answer(interaction)
    assert answer["type"] == 4
    return str(answer["data"].get("content") or answer["data"]["embeds"])


async def test_two_workers_split_the_shards_share_the_rate_and_survive_a_kill(
    tmp_path: Path, postgres_url: str, discord: FakeDiscord, crew: Crew
) -> None:
    channels = [c.id for c in discord.channels.values() if c.name.startswith("news-")]
    await prepare_store(postgres_url, [Chat("discord", c) for c in channels])
    site = worker_config(tmp_path / "site", postgres_url)
    posts = site.parent / "_posts"
    write_post(posts, "2026-01-20-old.md", "Old news")  # indexed at the first run, not news
    for _ in range(2):
        await crew.add(site)
    await crew.joined()
    await crew.indexed()
    one, two = crew.workers
    # a story for every channel while the shards come up (stories need no gateway)
    write_post(posts, "2026-03-01-tram.md", STORY)
    await one.process.wait_for(lambda: on_each_shard(discord) and runs(one) and runs(two),
                               "each worker running its shards", within=30)

    # each shard identified once, on a worker of its own, and answers in its servers
    assert identified(discord) == [[i, SHARDS] for i in range(SHARDS)]
    assert discord.identify_refused == []  # 5 s apart, though on two workers
    assert sorted([runs(one), runs(two)]) == [[0], [1]]
    for shard in range(SHARDS):
        assert "Old news" in await answered(discord, server_of(shard))

    # the story in every channel once, sent by both workers within Discord's limits
    await one.process.wait_for(lambda: all(discord.sent(c) for c in channels),
                               "the story in every channel", within=30)
    assert {c: len(discord.sent(c)) for c in channels} == {c: 1 for c in channels}
    assert STORY in discord.sent(channels[0])[0]["embeds"][0]["title"]
    assert discord.throttled == []
    assert one.sent() > 0 and two.sent() > 0

    # one killed: the survivor runs both shards and answers in the dead one's servers
    dead, survivor = (one, two) if runs(one) == [0] else (two, one)
    dead.process.kill()
    await survivor.process.wait_for(
        lambda: runs(survivor) == [0, 1] and on_each_shard(discord),
        "both shards on the survivor", within=TAKEOVER)
    assert "Council approves" in await answered(discord, server_of(0))
    # it started the dead one's shard; its own ran on in its session, never identifying again
    assert identified(discord) == sorted([[i, SHARDS] for i in range(SHARDS)] + [[0, SHARDS]])
    assert discord.closed == [(0, SHARDS)]  # the dead one's
    assert discord.identify_refused == [] and discord.throttled == []
    assert "Traceback" not in crew.output()
