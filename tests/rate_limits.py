"""Platform rate limits as the fake servers enforce them (when asked to).

Telegram and Discord both publish their limits as "so many per so long"
without saying how they count; the fakes read that literally: a sliding
window, so at most `limit` requests are admitted in ANY interval of `period`
seconds. A client that bursts its whole allowance at once and then paces at
the steady rate therefore fails here, which is the point: a bot that keeps
within this model keeps within any fairer one.

Only admitted requests count: a refused one does not push the window on.
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


class Windows:
    """Sliding windows per key (chat, channel), created on first use."""

    def __init__(
        self, limit: int, period: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.period = period
        self.clock = clock
        self._windows: dict[str, SlidingWindow] = {}

    def __getitem__(self, key: str) -> SlidingWindow:
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = SlidingWindow(self.limit, self.period, self.clock)
        return window


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
