"""A steady pace for platform adapters: one request per interval, no bursts.

A token bucket lets a burst through and then runs at exactly the limit, so any
delay between us and the platform bunches requests past its limit and earns a
429. Pacing on a fixed grid slightly under the published rate keeps a fan-out
at the platform's pace with no refusals; a late wake-up does not push the grid
back, so the rate is not wasted either.
"""

from __future__ import annotations

import asyncio

#: the share of a published rate an adapter uses: room for jitter on the way
RATE_SHARE = 0.98


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
