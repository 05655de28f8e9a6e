"""Pacing for platform adapters: a steady overall pace, per-destination limits, pauses.

`SteadyPace` is one request per interval, no bursts.

An adapter builds its overall pace through a `PaceMaker` (`Adapter.overall_pace`):
this process's own `SteadyPace` by default; when several workers share one
PostgreSQL store, the core hands the adapter a maker of shared paces
(`newsbot.workers.pace.SharedPace`: slots reserved from one schedule in the store
per bot token), so all workers together keep the platform's rate.

A token bucket lets a burst through and then runs at exactly the limit, so any
delay between us and the platform bunches requests past its limit and earns a
429. Pacing on a fixed grid slightly under the published rate keeps a fan-out
at the platform's pace with no refusals; a late wake-up does not push the grid
back, so the rate is not wasted either.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator
from typing import Protocol

from aiolimiter import AsyncLimiter

#: the share of a published rate an adapter uses: room for jitter on the way
RATE_SHARE = 0.98
#: per-destination limiters kept before idle ones are forgotten
MAX_LIMITERS = 1024
#: added to a per-destination spacing: two requests to one chat that leave it apart
#: may arrive closer, as the way to the platform takes longer for one than the other
CHAT_SLACK_SECONDS = 0.1


class OverallPace(Protocol):
    """A platform's overall rate: `async with pace:` waits for the next slot."""

    async def __aenter__(self) -> None: ...

    async def __aexit__(self, *exc: object) -> None: ...

    def pause(self, seconds: float) -> None:
        """Give out no slot for `seconds` (the platform asked the whole bot to wait)."""


class PaceMaker(Protocol):
    """Builds the overall pace for `per_second` (already at the share to use). `name`
    tells two schedules of one platform apart ("" for its messages; e.g. "paid" for
    Telegram's paid broadcasts, which have a rate of their own)."""

    def __call__(self, per_second: float, name: str = "") -> OverallPace: ...


class SteadyPace:
    """`async with pace:` enters at most `per_second` times a second, evenly spaced."""

    def __init__(self, per_second: float) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self.interval = 1 / per_second
        self._next = 0.0

    async def __aenter__(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)

    async def __aexit__(self, *exc: object) -> None:
        return None

    def pause(self, seconds: float) -> None:
        self._next = max(self._next, asyncio.get_running_loop().time() + seconds)


def local_pace(per_second: float, name: str = "") -> OverallPace:
    """This process's own steady pace: the `PaceMaker` of a bot that runs alone."""
    return SteadyPace(per_second)


class DestinationPace:
    """A platform's published limits, for messages to its destinations.

    Every message takes a slot of the steady overall pace (`overall_per_second`,
    at `RATE_SHARE` of it), leaves `chat_interval` seconds (plus `CHAT_SLACK_SECONDS`)
    after the last one to the same destination left, and, for a destination that is a
    group, stays within `group_per_minute` (a bucket: short bursts allowed, the rate on
    average).
    `pause(seconds)` holds every message back, as a platform's flood wait asks (with a
    shared overall pace, every worker's messages). `overall` builds the overall pace
    (the adapter's `overall_pace`), `name` names its schedule (see `PaceMaker`).
    """

    def __init__(
        self, overall_per_second: float, chat_interval: float = 0.0,
        group_per_minute: float = 0.0, *, overall: PaceMaker = local_pace, name: str = "",
    ) -> None:
        # evenly spaced, not a bucket: a burst would meet the platform's limit on the way
        self._overall = overall(overall_per_second * RATE_SHARE, name)
        # a strict spacing, no burst allowed: requests that left it apart must still
        # arrive it apart, whatever the way there adds
        self._chat_interval = chat_interval + CHAT_SLACK_SECONDS if chat_interval else 0.0
        self._group_per_minute = group_per_minute
        #: per destination: when its last message left, and its turn to take a slot
        self._left: dict[str, float] = {}
        self._turns: dict[str, asyncio.Lock] = {}
        self._groups: dict[str, AsyncLimiter] = {}
        self._resume_at = 0.0

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` (a flood wait applies to the whole bot)."""
        self._resume_at = max(self._resume_at, asyncio.get_running_loop().time() + seconds)
        self._overall.pause(seconds)

    @contextlib.asynccontextmanager
    async def slot(self, destination: str, *, group: bool) -> AsyncIterator[None]:
        """Wait until a message to `destination` may go, then let it go."""
        await self._wait_out_pause()  # before taking a slot: no burst once a pause ends
        async with contextlib.AsyncExitStack() as stack:
            if group and self._group_per_minute:
                limiter = self._limiter(self._groups, destination, self._group_per_minute, 60)
                await stack.enter_async_context(limiter)
            if self._chat_interval:
                await self._spaced(destination)
            else:
                await stack.enter_async_context(self._overall)
            await self._wait_out_pause()
            yield

    async def _spaced(self, destination: str) -> None:
        """An overall slot no sooner than `chat_interval` after the destination's last
        message left. Counted from when it left, not from when it began waiting for its
        slot: with a queue of sends before it (a fan-out, slots shared by several
        workers), that wait can itself last a second."""
        turn = self._turns.setdefault(destination, asyncio.Lock())
        async with turn:  # one message of the destination at a time takes its slot
            loop = asyncio.get_running_loop()
            wait = self._left.get(destination, -math.inf) + self._chat_interval - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            async with self._overall:
                self._left[destination] = loop.time()
        if len(self._left) > MAX_LIMITERS:  # forget destinations whose interval is over
            since = asyncio.get_running_loop().time() - self._chat_interval
            for key, left in list(self._left.items()):
                if left < since and not self._turns[key].locked():
                    del self._left[key], self._turns[key]

    async def _wait_out_pause(self) -> None:
        delay = self._resume_at - asyncio.get_running_loop().time()
        if delay > 0:
            await asyncio.sleep(delay)

    @staticmethod
    def _limiter(
        table: dict[str, AsyncLimiter], key: str, rate: float, period: float
    ) -> AsyncLimiter:
        if key not in table and len(table) >= MAX_LIMITERS:
            for old, limiter in list(table.items()):
                if limiter.has_capacity(limiter.max_rate):  # idle: nothing to remember
                    del table[old]
        if key not in table:
            table[key] = AsyncLimiter(rate, period)
        return table[key]
