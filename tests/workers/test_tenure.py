"""A role's tenure on a real PostgreSQL: until when, by the worker's own clock, its lease is
surely its own (counted from before the renewing statement was sent), what a role that
outlived it becomes, and that one process alone holds its roles for ever."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

import pytest

from newsbot.store import Store
from newsbot.workers.leases import Leases
from newsbot.workers.roles import Role, RoleKeeper
from newsbot.workers.roster import LEASE_SECONDS, Roster
from newsbot.workers.solo import SoloRoles
from newsbot.workers.tenure import MARGIN_SECONDS
from tests.workers.test_leases import expire


class ManualClock:
    """A worker's monotonic clock that moves only when the test says time has passed."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class SlowLeases(Leases):
    """Leases whose statements take `seconds` of the worker's clock each."""

    def __init__(self, store: Store, holder: str, clock: ManualClock, seconds: float) -> None:
        super().__init__(store, holder)
        self.clock, self.delay = clock, seconds

    async def take_many(self, names: Iterable[str]) -> set[str]:
        self.clock.advance(self.delay)
        return await super().take_many(names)


@pytest.fixture
async def store(postgres_url: str) -> AsyncIterator[Store]:
    store = await Store.open(postgres_url)
    yield store
    await store.close()


class Watched:
    """A role that notes when it begins and ends, and whether it was surely held then."""

    def __init__(self, name: str = "poller", *, fenced: bool = True) -> None:
        self.events: list[str] = []
        self.role = Role(name, self.begin, self.end, fenced=fenced)

    def _note(self, what: str) -> None:
        held = "held" if self.role.tenure.surely_held() else "not surely held"
        self.events.append(f"{what} ({held})")

    async def begin(self) -> None:
        self._note("begins")

    async def end(self) -> None:
        self._note("ends")


def keeper(store: Store, name: str, clock: ManualClock) -> RoleKeeper:
    return RoleKeeper(store, Roster(store, f"h:{len(name)}:{name}"), clock=clock)


async def test_one_process_alone_holds_its_roles_for_ever() -> None:
    watched = Watched()
    solo = SoloRoles([watched.role])
    await solo.begin()
    assert watched.role.tenure.surely_held()
    assert watched.role.tenure.remaining() == float("inf")
    await solo.end()
    assert watched.events == ["begins (held)", "ends (held)"]


async def test_the_tenure_counts_from_before_the_renewal_was_sent(store: Store) -> None:
    clock = ManualClock()
    one = keeper(store, "one", clock)
    one.leases = SlowLeases(store, one.worker_id, clock, seconds=3.0)  # a slow store
    watched = Watched()
    one.add(watched.role)
    assert not watched.role.tenure.surely_held()  # kept by a keeper: not before it is taken
    sent = clock()
    await one.beat()
    # the store extended the lease 3 s after it was asked: those 3 s are not counted
    assert watched.role.tenure.until == sent + LEASE_SECONDS - MARGIN_SECONDS
    assert watched.role.tenure.remaining() == LEASE_SECONDS - MARGIN_SECONDS - 3.0
    clock.advance(watched.role.tenure.remaining())
    assert not watched.role.tenure.surely_held()
    await one.stop()


async def test_a_fenced_role_that_outlived_its_tenure_begins_afresh(store: Store) -> None:
    clock = ManualClock()
    one = keeper(store, "one", clock)
    watched, indexer = Watched(), Watched("indexer", fenced=False)
    one.add(watched.role)
    one.add(indexer.role)
    await one.beat()
    clock.advance(2.5)
    await one.beat()  # renewed in time: the work goes on
    assert watched.events == ["begins (held)"]
    clock.advance(LEASE_SECONDS)  # paused past its tenure; nobody took the lease meanwhile
    assert not watched.role.tenure.surely_held()
    await one.beat()
    assert watched.events == ["begins (held)", "ends (held)", "begins (held)"]
    # unfenced work did not stop at a fence: it goes on (an indexer would rescan)
    assert indexer.events == ["begins (held)"]
    assert indexer.role.tenure.surely_held()
    await one.stop()


async def test_a_lost_role_ends_fenced_and_a_stopping_one_while_held(store: Store) -> None:
    clock = ManualClock()
    one, two = keeper(store, "one", clock), keeper(store, "two", clock)
    lost, kept = Watched(), Watched()
    one.add(lost.role)
    two.add(kept.role)
    await one.beat()
    await expire(store, one.worker_id)
    await two.beat()
    await one.beat()  # it finds the role gone: whatever its end does is fenced already
    assert lost.events == ["begins (held)", "ends (not surely held)"]
    await two.stop()  # leaving cleanly: its end may still act as the holder
    assert kept.events == ["begins (held)", "ends (held)"]
    assert not kept.role.tenure.surely_held()
    await one.stop()
