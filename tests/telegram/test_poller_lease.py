"""Only one worker polls Telegram: the lease `poller:telegram` decides which, on a real
PostgreSQL; when it dies, another takes over and commands are still answered, without
the 409 Conflict Telegram gives a second getUpdates. A worker paused past its lease
sends no getUpdates once it wakes (its tenure, on a clock the test moves), and its
long polls end before the lease does; one process alone polls as it always did."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from newsbot.chat.desk import CommandDesk
from newsbot.chat.queries import Queries
from newsbot.store import Store
from newsbot.store.subscriptions import Subscriptions
from newsbot.workers.leases import current_leases
from newsbot.workers.roles import Role, RoleKeeper
from newsbot.workers.roster import LEASE_SECONDS, Roster
from newsbot.workers.tenure import MARGIN_SECONDS
from newsbot_telegram import TelegramAdapter
from tests.telegram.fake_bot_api import TOKEN, FakeBotAPI, command, person, private
from tests.workers.test_leases import expire
from tests.workers.test_newsroom_roles import until
from tests.workers.test_tenure import ManualClock


@dataclass
class Worker:
    """One `newsbot run` as far as Telegram goes: its store, its adapter, its heartbeat."""

    store: Store
    adapter: TelegramAdapter
    keeper: RoleKeeper
    #: its monotonic clock: time passes for it only when the test says so
    clock: ManualClock = field(default_factory=ManualClock)

    @classmethod
    async def start(cls, url: str, name: str, fake: FakeBotAPI) -> Worker:
        store = await Store.open(url)
        adapter = TelegramAdapter(TOKEN, fake.api_url,
                                  CommandDesk(Queries(store), Subscriptions(store)))
        clock = ManualClock()
        keeper = RoleKeeper(store, Roster(store, f"host:{len(name)}:{name}"), clock=clock)
        for part in adapter.worker_roles():  # asked before start, as the app does
            if isinstance(part, Role):
                keeper.add(part)
            else:
                keeper.add_share(part)
        await adapter.start()
        return cls(store, adapter, keeper, clock)

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


async def test_a_worker_paused_past_its_lease_polls_no_more_and_the_next_one_answers(
    workers: list[Worker], fake: FakeBotAPI
) -> None:
    one, two = workers
    await one.keeper.beat()
    await two.keeper.beat()
    surely = LEASE_SECONDS - MARGIN_SECONDS  # 9 s from the renewal
    first = await fake.held_poll()  # one's long poll waits no longer than that
    one.clock.advance(surely - 1)  # time passes, no renewal: a second left for sure
    assert await answer_to(fake, 7) == "Nothing has been published yet."
    confirming = await fake.held_poll(lambda call: call is not first)
    assert (first.params["timeout"], confirming.params["timeout"]) == (surely, 1)

    one.clock.advance(LEASE_SECONDS)  # paused: its beats stopped, its lease ran out
    paused = time.perf_counter()
    await until(lambda: not one.adapter.poller.polling, "the stale poller stopped")
    await expire(one.store, one.keeper.worker_id)  # what the store's clock did meanwhile
    handover = time.perf_counter()
    await two.keeper.beat()
    assert two.adapter.poller.polling
    assert await answer_to(fake, 8) == "Nothing has been published yet."
    await one.keeper.beat()  # it wakes and finds the role another's
    assert not one.adapter.poller.polling

    # one's last poll ended by its deadline and the next was never sent
    polls = fake.requests("getUpdates")
    assert [call for call in polls if paused <= call.at < handover] == []
    assert one.adapter.poller.refused >= 1 and two.adapter.poller.refused == 0
    # each command answered once (the first one's update confirmed in time), no 409
    assert [c.chat_id for c in fake.requests("sendMessage")] == [7, 8]
    assert fake.conflicts == []
    assert one.adapter.poller.conflicts == two.adapter.poller.conflicts == 0


async def test_one_process_alone_polls_as_it_always_did(
    adapter: TelegramAdapter, fake: FakeBotAPI
) -> None:
    reply = await fake.ask(command(private(person(5)), "/latest"))
    assert reply.ok and reply.visible
    held = await fake.held_poll()
    polls = [*fake.requests("getUpdates"), held]
    assert {call.params["timeout"] for call in polls} == {TelegramAdapter.poll_timeout}
    assert adapter.poller.refused == 0
