"""Until when this worker surely still holds a lease, by its own clock: the fence that a
role's work checks before each step only the holder may take (Telegram's poller checks
it before every `getUpdates`).

A lease expires on the store's clock, `LEASE_SECONDS` after the statement that took or
renewed it ran. This worker cannot read that clock without the store, but it knows by
its own monotonic clock when it *sent* that statement: the store ran it later, so the
lease lasts at least until then plus the lease's length. Less `MARGIN_SECONDS`, that is
`until`: before it no other worker can have taken the lease; after it this one must act
as if one had, whatever else it believes. A process paused past `until` (stopped, a long
GC, a stalled event loop, its store out of reach) learns so from its clock the moment it
wakes, before its next beat could tell it: a beat needs the store, which may be what it
lost.

The margin covers what the two clocks cannot: their rates differ a little, and the step
that was checked takes a moment to take effect (a request on its way to the platform).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

#: a monotonic clock in seconds: `time.monotonic`, or one a test moves by hand
Clock = Callable[[], float]

#: how much sooner than the lease's end this worker stops counting on it
MARGIN_SECONDS = 1.0


class Tenure:
    """Until when (on `clock`) this worker surely holds one lease. Nobody to share it with
    (one process alone, no lease at all) holds it for ever: the default."""

    __slots__ = ("clock", "until")

    def __init__(self, clock: Clock = time.monotonic, until: float = math.inf) -> None:
        self.clock = clock
        self.until = until

    def remaining(self) -> float:
        """Seconds this worker surely holds the lease yet: at most 0 once it may be
        another's, infinite when it is not shared."""
        return self.until - self.clock()

    def surely_held(self) -> bool:
        return self.remaining() > 0

    def renewed(self, sent_at: float, seconds: float) -> None:
        """The lease was taken or renewed for `seconds` by a statement sent at `sent_at`
        (read on `clock` before sending it)."""
        self.until = sent_at + seconds - MARGIN_SECONDS

    def ended(self) -> None:
        """The lease is not (or no longer surely) this worker's."""
        self.until = -math.inf
