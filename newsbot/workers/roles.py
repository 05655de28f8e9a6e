"""Keeping this worker's leases: the heartbeat loop that takes, renews and gives
back roles, and starts or stops what each stands for.

A `Role` is one lease (the indexer, Telegram's poller): whoever holds it does the
work, the others try again at every beat and take over once it has expired. A
`Share` is a set of leases spread evenly over the live workers (Discord's shards):
each worker holds about `ceil(total / live workers)`, giving some back when a
worker joins and taking the orphans of one that died. A worker takes no share at
its first beat, only joins: workers started together are then all on the roster
when they take their shares, so none takes them all only to hand most back (moving
a Discord shard restarts a gateway: IDENTIFYs, one per 5 s for the whole bot).

A worker that cannot reach the store cannot renew: once its leases may have
expired it stops every role at once, before another worker can have taken them,
so two workers never do one role's work for longer than a beat.

Each role's `tenure` (`tenure.py`) says until when, by this worker's own clock, its
lease is surely still this worker's: work that must never overlap another holder's
checks it before each step (Telegram's poller, before every getUpdates), so even a
worker paused past its lease (a beat that never came) takes no such step on waking.
A fenced role (one whose work checks its tenure and may stop itself there) whose
tenure ran out before its next renewal is ended then, and begun afresh if the lease
is still (or again) this worker's: its work may have stopped at its fence. Other
roles go on: an indexer begun afresh would scan the whole folder again, for a pause
that the store's lease says changed nothing.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from newsbot.store import Store
from newsbot.workers.leases import Leases, current_leases
from newsbot.workers.roster import BEAT_SECONDS, LEASE_SECONDS, Roster, live_workers
from newsbot.workers.tenure import Clock, Tenure

log = logging.getLogger(__name__)

#: called with what the role needs: nothing (a Role) or the share's names held now
Starter = Callable[[], Awaitable[None]]


@dataclass(eq=False)
class Role:
    """Work only one worker does at a time, while it holds the lease `name`."""

    name: str
    begin: Starter
    end: Starter
    #: whether this worker can do it at all (an indexer needs the posts folder)
    able: Callable[[], bool] = lambda: True
    running: bool = False
    #: until when this worker surely holds the lease: a RoleKeeper renews it at each beat;
    #: kept by no keeper (one process alone) the role is this worker's for ever
    tenure: Tenure = field(default_factory=Tenure)
    #: its work checks `tenure` before each step and may stop there: begun afresh when
    #: the tenure lapsed while the lease stayed this worker's
    fenced: bool = False


@dataclass(eq=False)
class Share:
    """Leases `names` spread over the live workers; `changed` is told this worker's set
    whenever it changes (and an empty set when it lets them all go)."""

    names: list[str]
    changed: Callable[[frozenset[str]], Awaitable[None]]
    held: frozenset[str] = field(default_factory=frozenset)


#: a callback run at every beat after the leases (chat claims renew there), given the roster
BeatHook = Callable[[], Awaitable[None]]


class RoleKeeper:
    """The heartbeat of one worker: its roster entry, its roles and its shares."""

    def __init__(self, store: Store, roster: Roster | None = None,
                 beat_seconds: float = BEAT_SECONDS, clock: Clock = time.monotonic) -> None:
        """`clock` measures the roles' tenures (and how long the store was out of reach)."""
        self.store = store
        self.roster = roster or Roster(store)
        self.leases = Leases(store, self.roster.id)
        self.beat_seconds = beat_seconds
        self.clock = clock
        self.roles: list[Role] = []
        self.shares: list[Share] = []
        self.hooks: list[BeatHook] = []
        #: lease changes seen by this worker (taken or lost), for the metrics
        self.changes = 0
        self._last_renewed: float | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def worker_id(self) -> str:
        return self.roster.id

    def add(self, role: Role) -> None:
        role.tenure = Tenure(self.clock, until=-math.inf)  # held once taken, not before
        self.roles.append(role)

    def add_share(self, share: Share) -> None:
        self.shares.append(share)

    def on_beat(self, hook: BeatHook) -> None:
        self.hooks.append(hook)

    async def start(self) -> None:
        """Join the roster and take the roles free now (the shares at the next beat), then
        keep beating in the background."""
        await self.beat(shares=False)
        self._task = asyncio.create_task(self._run(), name="worker-heartbeat")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.beat_seconds)
            try:
                await self.beat()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("worker heartbeat failed: %s", exc)
                await self._maybe_lost()

    async def beat(self, *, shares: bool = True) -> None:
        """One round: heartbeat, roles, shares (unless not), hooks."""
        started = self.clock()
        await self.roster.beat()
        for role in self.roles:
            await self._keep(role)
        if self.shares and shares:
            live = max(1, len(await live_workers(self.store)))
            for share in self.shares:
                await self._spread(share, live)
        self._last_renewed = started
        for hook in self.hooks:
            await hook()

    async def _keep(self, role: Role) -> None:
        sent = self.clock()  # before the statement: the store extends the lease after it
        held = role.able() and await self.leases.take(role.name)
        lapsed = role.fenced and role.running and not role.tenure.surely_held()
        if held:
            role.tenure.renewed(sent, self.leases.seconds)
        else:
            role.tenure.ended()
        if held and lapsed:
            log.warning("%s was not renewed in time; starting it afresh", role.name)
            await self._end(role)
        if held and not role.running:
            log.info("this worker now holds %s", role.name)
            self.changes += 1
            role.running = True
            try:
                await role.begin()
            except Exception:
                log.exception("starting %s failed; giving the role back", role.name)
                role.running = False
                role.tenure.ended()
                await self.leases.release(role.name)
        elif not held and role.running:
            log.warning("this worker lost %s; stopping it", role.name)
            self.changes += 1
            await self._end(role)

    async def _spread(self, share: Share, live: int) -> None:
        fair = math.ceil(len(share.names) / live)
        mine = await self.leases.take_many(share.held)  # renew
        if len(mine) > fair:  # a worker joined: give the surplus back
            surplus = sorted(mine, key=share.names.index)[fair:]
            await self.leases.release(*surplus)
            mine -= set(surplus)
        elif len(mine) < fair:
            taken = {lease.name for lease in await current_leases(self.store)}
            free = [name for name in share.names if name not in taken]
            mine |= await self.leases.take_many(free[: fair - len(mine)])
        if mine != share.held:
            self.changes += len(mine ^ share.held)
            log.info("this worker now holds %d of %d: %s", len(mine), len(share.names),
                     ", ".join(sorted(mine, key=share.names.index)) or "none")
            share.held = frozenset(mine)
            await share.changed(share.held)

    async def _maybe_lost(self) -> None:
        """The store did not answer: once our leases may have run out, stop their work."""
        now = self.clock()
        if self._last_renewed is not None and now - self._last_renewed < (
            LEASE_SECONDS - self.beat_seconds
        ):
            return
        for role in self.roles:
            if role.running:
                log.warning("cannot renew %s; stopping it", role.name)
                await self._end(role)
                role.tenure.ended()
        for share in self.shares:
            if share.held:
                share.held = frozenset()
                await share.changed(share.held)

    async def _end(self, role: Role) -> None:
        role.running = False
        try:
            await role.end()
        except Exception:
            log.exception("stopping %s failed", role.name)

    async def stop(self) -> None:
        """Stop beating, end every role and leave the roster (others take over at once)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for role in self.roles:
            if role.running:  # its tenure still holds: its last steps are the holder's
                await self._end(role)
            role.tenure.ended()
        for share in self.shares:
            if share.held:
                share.held = frozenset()
                await share.changed(share.held)
        try:
            await self.roster.leave()
        except Exception as exc:
            log.warning("could not leave the roster (others take over after %gs): %s",
                        LEASE_SECONDS, exc)
