"""Leases, the roster and the role keeper on a real PostgreSQL: one holder at a time,
takeover after expiry, shares spread over the live workers and re-spread."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from newsbot.store import Store, schema
from newsbot.workers.leases import Leases, current_leases
from newsbot.workers.roles import Role, RoleKeeper, Share
from newsbot.workers.roster import Roster, live_workers


@pytest.fixture
async def store(postgres_url: str) -> AsyncIterator[Store]:
    store = await Store.open(postgres_url)
    yield store
    await store.close()


async def expire(store: Store, holder: str) -> None:
    """What the clock does to a killed worker's leases and heartbeat."""
    async with store.engine.begin() as conn:
        await conn.execute(update(schema.leases).where(schema.leases.c.holder == holder)
                           .values(expires_at=schema.leases.c.acquired_at))
        await conn.execute(update(schema.workers).where(schema.workers.c.id == holder)
                           .values(seen_at=schema.workers.c.seen_at - timedelta(hours=1)))


async def test_one_holder_at_a_time_until_it_expires(store: Store) -> None:
    a, b = Leases(store, "a"), Leases(store, "b")
    assert await a.take("indexer")
    assert not await b.take("indexer")
    assert await a.take("indexer")  # renewing
    [lease] = await current_leases(store)
    assert (lease.name, lease.holder) == ("indexer", "a")
    await expire(store, "a")
    assert await b.take("indexer")
    assert not await a.take("indexer")
    assert [(x.name, x.holder) for x in await current_leases(store)] == [("indexer", "b")]


async def test_racing_workers_get_exactly_one_lease(store: Store) -> None:
    contenders = [Leases(store, f"w{i}") for i in range(8)]
    won = await asyncio.gather(*(c.take("poller:telegram") for c in contenders))
    assert sum(won) == 1
    [lease] = await current_leases(store, "poller:")
    assert lease.holder == f"w{won.index(True)}"


async def test_a_released_lease_is_free_at_once(store: Store) -> None:
    a, b = Leases(store, "a"), Leases(store, "b")
    assert await a.take_many(["x", "y"]) == {"x", "y"}
    await a.release("x")
    assert await b.take_many(["x", "y"]) == {"x"}


async def test_leases_work_on_sqlite_too(tmp_path: Path) -> None:
    store = await Store.open(f"sqlite:///{tmp_path / 's.sqlite3'}")
    try:
        a, b = Leases(store, "a"), Leases(store, "b")
        assert await a.take("indexer") and not await b.take("indexer")
        await expire(store, "a")
        assert await b.take("indexer")
    finally:
        await store.close()


async def test_the_roster_lists_live_workers_and_forgets_one_that_left(store: Store) -> None:
    one, two = Roster(store, "host1:11:aaaaaa"), Roster(store, "host2:22:bbbbbb")
    await one.beat()
    await two.beat()
    assert [(w.id, w.host, w.pid) for w in await live_workers(store)] == [
        ("host1:11:aaaaaa", "host1", 11), ("host2:22:bbbbbb", "host2", 22)]
    await Leases(store, two.id).take("indexer")
    await two.leave()
    assert [w.id for w in await live_workers(store)] == ["host1:11:aaaaaa"]
    assert await current_leases(store) == []


class Log:
    def __init__(self) -> None:
        self.events: list[str] = []

    def role(self, worker: str) -> Role:
        async def begin() -> None:
            self.events.append(f"{worker} begins")

        async def end() -> None:
            self.events.append(f"{worker} ends")

        return Role("indexer", begin, end)


async def test_a_role_runs_on_one_worker_and_moves_when_it_dies(store: Store) -> None:
    log = Log()
    first = RoleKeeper(store, Roster(store, "h:1:a"))
    second = RoleKeeper(store, Roster(store, "h:2:b"))
    first.add(log.role("first"))
    second.add(log.role("second"))
    await first.beat()
    await second.beat()
    await first.beat()
    assert log.events == ["first begins"]
    await expire(store, "h:1:a")  # killed: it beats no more
    await second.beat()
    assert log.events == ["first begins", "second begins"]
    await first.beat()  # it was only paused, and finds the role gone
    assert log.events == ["first begins", "second begins", "first ends"]
    await second.stop()
    assert log.events[-1] == "second ends"
    await first.beat()
    assert log.events[-1] == "first begins"
    await first.stop()


async def test_a_worker_that_cannot_do_the_role_never_takes_it(store: Store) -> None:
    log = Log()
    keeper = RoleKeeper(store, Roster(store, "h:1:a"))
    role = log.role("folderless")
    role.able = lambda: False
    keeper.add(role)
    await keeper.beat()
    assert log.events == [] and await current_leases(store) == []


SHARDS = [f"shard:discord:{i}" for i in range(4)]


def sharing(store: Store, name: str, seen: dict[str, list[list[str]]],
            beat_seconds: float = 2.5) -> RoleKeeper:
    """A keeper of the share `SHARDS`; each set it is given goes to `seen[name]`."""
    k = RoleKeeper(store, Roster(store, f"h:{ord(name)}:{name}"), beat_seconds)

    async def changed(held: frozenset[str]) -> None:
        seen.setdefault(name, []).append(sorted(held))

    k.add_share(Share(list(SHARDS), changed))
    return k


async def test_shares_spread_over_live_workers_and_respread_when_one_dies(store: Store) -> None:
    seen: dict[str, list[list[str]]] = {"a": [], "b": []}
    a, b = sharing(store, "a", seen), sharing(store, "b", seen)
    await a.beat()
    assert seen["a"] == [SHARDS]
    await b.beat()  # two live workers, but every shard is held: b waits
    await a.beat()  # a gives back its surplus
    await b.beat()  # and b takes it
    assert seen["a"][-1] == SHARDS[:2] and seen["b"][-1] == SHARDS[2:]
    await expire(store, a.worker_id)
    await b.beat()
    assert seen["b"][-1] == SHARDS
    holders = {lease.holder for lease in await current_leases(store, "shard:")}
    assert holders == {b.worker_id}


async def test_workers_started_together_split_the_shares_without_moving_any(
    store: Store
) -> None:
    seen: dict[str, list[list[str]]] = {}
    keepers = [sharing(store, name, seen, beat_seconds=0.2) for name in "ab"]
    try:
        for keeper in keepers:  # each joins the roster at start; shares wait for a beat
            await keeper.start()
        assert seen == {}
        async with asyncio.timeout(5):
            while len(seen) < 2:
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # a few more beats: nothing moves
    finally:
        for keeper in keepers:
            await keeper.stop()
    # each was given its half once, never the whole to hand back half of it
    assert sorted(seen.values()) == [[SHARDS[:2], []], [SHARDS[2:], []]]
