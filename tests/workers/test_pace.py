"""The shared pace on a real PostgreSQL: workers reserving from one schedule get slots
that never come closer than the rate allows, together; a pause asked by one holds the
others back; an idle schedule banks no burst."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest

from newsbot.delivery.pacing import DestinationPace
from newsbot.store import Store
from newsbot.workers.pace import SharedPace, SharedPaces


@pytest.fixture
async def store(postgres_url: str) -> AsyncIterator[Store]:
    store = await Store.open(postgres_url)
    yield store
    await store.close()


#: how far a slot may move converting the database's time to the loop's: the database's
#: now is placed in the middle of the statement's round trip, which a busy event loop
#: (three reservations at once here, a loaded machine) stretches by a few milliseconds
CLOCKS = 0.012


async def test_workers_reserving_together_share_one_schedule(store: Store) -> None:
    workers = [SharedPace(store, "telegram", 20) for _ in range(3)]  # 0.05 s a slot
    blocks = await asyncio.gather(*(w.reserve(n) for w in workers for n in (1, 4, 7)))
    slots = sorted(slot for block in blocks for slot in block)
    assert len(slots) == 3 * 12
    gaps = [later - earlier for earlier, later in itertools.pairwise(slots)]
    assert min(gaps) >= 0.05 - CLOCKS  # never two in one interval, whoever reserved them
    # the schedule is the rate: 36 slots span 35 intervals, not more than a beat longer
    assert slots[-1] - slots[0] == pytest.approx(35 * 0.05, abs=0.05)


async def test_each_platform_and_name_has_its_own_schedule(store: Store) -> None:
    make = SharedPaces(store, "telegram")
    assert [make(30).name, make(1000, "paid").name] == ["telegram", "telegram:paid"]
    messages, paid = make(10), make(10, "paid")
    [first] = await messages.reserve(1)
    [other] = await paid.reserve(1)  # not behind the first one
    assert abs(other - first) < 0.1 - CLOCKS


async def test_a_pause_asked_by_one_worker_holds_the_others(store: Store) -> None:
    one, two = SharedPace(store, "telegram", 30), SharedPace(store, "telegram", 30)
    loop = asyncio.get_running_loop()
    [before] = await two.reserve(1)
    assert before - loop.time() < 0.1
    one.pause(3.0)  # Telegram said "retry after 3" to the first worker
    await one.reserve(1)  # (waits for the pause to reach the store)
    [after] = await two.reserve(1)
    assert after - loop.time() >= 3.0 - 0.2


async def test_an_idle_schedule_does_not_bank_a_burst(store: Store) -> None:
    pace = SharedPace(store, "discord", 50)
    await pace.reserve(1)
    await asyncio.sleep(0.3)  # idle for 15 slots
    loop = asyncio.get_running_loop()
    first, second = await pace.reserve(2)
    assert first >= loop.time() - 0.05  # now, not 15 slots in the past
    assert second - first == pytest.approx(0.02)


async def test_destination_pace_takes_its_overall_slots_from_the_store(store: Store) -> None:
    made: list[SharedPace] = []

    def make(per_second: float, name: str = "") -> SharedPace:
        made.append(SharedPace(store, "telegram", per_second))
        return made[-1]

    pace = DestinationPace(30, chat_interval=1.0, overall=make)
    entered: list[float] = []
    loop = asyncio.get_running_loop()

    async def send(chat: str) -> None:
        async with pace.slot(chat, group=False):
            entered.append(loop.time())

    await asyncio.gather(*(send(f"c{n}") for n in range(6)))
    assert made[0].interval == pytest.approx(1 / (30 * 0.98))
    assert len(entered) == 6
