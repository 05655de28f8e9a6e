"""Only one worker polls Telegram: the lease `poller:telegram` decides which, on a real
PostgreSQL; when it dies, another takes over and commands are still answered, without
the 409 Conflict Telegram gives a second getUpdates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from newsbot.chat.desk import CommandDesk
from newsbot.chat.queries import Queries
from newsbot.store import Store
from newsbot.store.subscriptions import Subscriptions
from newsbot.workers.leases import current_leases
from newsbot.workers.roles import Role, RoleKeeper
from newsbot.workers.roster import Roster
from newsbot_telegram import TelegramAdapter
from tests.telegram.fake_bot_api import TOKEN, FakeBotAPI, command, person, private
from tests.workers.test_leases import expire


@dataclass
class Worker:
    """One `newsbot run` as far as Telegram goes: its store, its adapter, its heartbeat."""

    store: Store
    adapter: TelegramAdapter
    keeper: RoleKeeper

    @classmethod
    async def start(cls, url: str, name: str, fake: FakeBotAPI) -> Worker:
        store = await Store.open(url)
        adapter = TelegramAdapter(TOKEN, fake.api_url,
                                  CommandDesk(Queries(store), Subscriptions(store)))
        keeper = RoleKeeper(store, Roster(store, f"host:{len(name)}:{name}"))
        for part in adapter.worker_roles():  # asked before start, as the app does
            if isinstance(part, Role):
                keeper.add(part)
            else:
                keeper.add_share(part)
        await adapter.start()
        return cls(store, adapter, keeper)

    async def die(self) -> None:
        """Gone like a killed process: connections closed, leases left to expire."""
        await self.adapter.stop()
        await expire(self.store, self.keeper.worker_id)

    async def close(self) -> None:
        await self.adapter.stop()
        await self.store.close()


@pytest.fixture
async def workers(postgres_url: str, fake: FakeBotAPI) -> AsyncIterator[list[Worker]]:
    started = [await Worker.start(postgres_url, name, fake) for name in ("one", "two")]
    try:
        yield started
    finally:
        for worker in started:
            await worker.close()


async def answer_to(fake: FakeBotAPI, user: int) -> str | None:
    reply = await fake.ask(command(private(person(user)), "/latest"))
    return reply.visible


async def test_one_worker_polls_and_the_other_takes_over_when_it_dies(
    workers: list[Worker], fake: FakeBotAPI
) -> None:
    one, two = workers
    await one.keeper.beat()
    await two.keeper.beat()
    assert (one.adapter.poller.polling, two.adapter.poller.polling) == (True, False)
    [lease] = await current_leases(one.store, "poller:")
    assert (lease.name, lease.holder) == ("poller:telegram", one.keeper.worker_id)
    assert await answer_to(fake, 7) == "Nothing has been published yet."

    await one.die()
    await two.keeper.beat()
    assert two.adapter.poller.polling
    [lease] = await current_leases(two.store, "poller:")
    assert lease.holder == two.keeper.worker_id
    assert await answer_to(fake, 8) == "Nothing has been published yet."

    # every command answered once, and Telegram never had two pollers at a time
    assert [c.chat_id for c in fake.requests("sendMessage")] == [7, 8]
    assert fake.conflicts == []
    assert one.adapter.poller.conflicts == two.adapter.poller.conflicts == 0


async def test_a_worker_that_stops_cleanly_hands_the_poller_over_at_once(
    workers: list[Worker], fake: FakeBotAPI
) -> None:
    one, two = workers
    await one.keeper.beat()
    await two.keeper.beat()
    await one.keeper.stop()  # leaves the roster and its leases: no expiry to wait for
    assert not one.adapter.poller.polling
    await two.keeper.beat()
    assert two.adapter.poller.polling
    assert await answer_to(fake, 9) == "Nothing has been published yet."
    assert fake.conflicts == []
