"""Platform rate limits as the fake servers enforce them (when asked to).

Telegram and Discord publish their limits as "so many per so long" without
saying how they count. The fakes use the usual models:

- `TokenBucket` for a rate with room for bursts (Telegram's 30 messages a
  second overall and 20 a minute per group, Discord's 50 requests a second):
  a bucket of `burst` tokens refilled at `rate` per second (GCRA). A client
  pacing steadily below the rate never empties it, so delays on the way do
  not hurt it; a client that spends the burst and then runs at exactly the
  rate keeps it empty, and the first two requests that arrive closer
  together than they left are refused;
- `SlidingWindow` for a minimum spacing (Telegram's one message a second per
  chat): at most `limit` admissions in ANY `period` seconds;
- `FixedWindow` for Discord's per-route buckets, which announce their window
  in the `X-RateLimit-*` headers.

Only admitted requests count: a refused one does not use up the allowance.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class SlidingWindow:
    """At most `limit` admissions in any `period` seconds."""

    def __init__(
        self, limit: int, period: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("a window needs limit >= 1 and period > 0")
        self.limit = limit
        self.period = period
        self.clock = clock
        self._times: deque[float] = deque()

    def wait(self, now: float | None = None) -> float:
        """Seconds until one more request would be admitted (0.0: now)."""
        now = self.clock() if now is None else now
        while self._times and self._times[0] <= now - self.period:
            self._times.popleft()
        if len(self._times) < self.limit:
            return 0.0
        return self._times[0] + self.period - now

    def admit(self, now: float | None = None) -> None:
        """Count one request at `now` (callers check `wait()` first)."""
        self._times.append(self.clock() if now is None else now)

    @property
    def used(self) -> int:
        """Requests counted in the window that ends now."""
        self.wait()
        return len(self._times)


class TokenBucket:
    """`burst` requests at once, `rate` a second on average (the generic cell rate
    algorithm: a theoretical arrival time instead of a token count)."""

    def __init__(
        self, burst: int, rate: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if burst < 1 or rate <= 0:
            raise ValueError("a bucket needs burst >= 1 and rate > 0")
        self.interval = 1.0 / rate
        self.tolerance = (burst - 1) * self.interval
        self.clock = clock
        self._due = -float("inf")  # when the bucket would be full again

    def wait(self, now: float | None = None) -> float:
        """Seconds until one more request would be admitted (0.0: now)."""
        now = self.clock() if now is None else now
        return max(0.0, self._due - self.tolerance - now)

    def admit(self, now: float | None = None) -> None:
        now = self.clock() if now is None else now
        self._due = max(self._due, now) + self.interval


class PerKey:
    """One limit per key (chat, channel), each made on first use by `make`."""

    def __init__(self, make: Callable[[], SlidingWindow | TokenBucket]) -> None:
        self.make = make
        self._limits: dict[str, SlidingWindow | TokenBucket] = {}

    def __getitem__(self, key: str) -> SlidingWindow | TokenBucket:
        limit = self._limits.get(key)
        if limit is None:
            limit = self._limits[key] = self.make()
        return limit


class FixedWindow:
    """Discord's bucket: the first request opens a window of `period` seconds in which
    `limit` requests are admitted; the next request after it opens a new one."""

    def __init__(
        self, limit: int, period: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.period = period
        self.clock = clock
        self.opened: float | None = None
        self.count = 0

    def _roll(self, now: float) -> None:
        if self.opened is not None and now >= self.opened + self.period:
            self.opened, self.count = None, 0

    def wait(self, now: float | None = None) -> float:
        """Seconds until one more request would be admitted (0.0: now)."""
        now = self.clock() if now is None else now
        self._roll(now)
        if self.count < self.limit:
            return 0.0
        assert self.opened is not None
        return self.opened + self.period - now

    def admit(self, now: float | None = None) -> None:
        now = self.clock() if now is None else now
        self._roll(now)
        if self.opened is None:
            self.opened = now
        self.count += 1

    def reset_after(self, now: float | None = None) -> float:
        """Seconds until the current window closes (the full period when none is open)."""
        now = self.clock() if now is None else now
        self._roll(now)
        if self.opened is None:
            return self.period
        return self.opened + self.period - now

    @property
    def remaining(self) -> int:
        self._roll(self.clock())
        return self.limit - self.count
