"""Answers about rights, kept for a short while (the caching policy of every platform).

Asking a platform who may change a destination costs a request (Telegram's
`getChatMember`); a burst of commands in a busy group should cost one per person,
and a demoted administrator should lose the right within a minute. An adapter asks
its platform through `Remembered.get` and decides nothing about how long an answer
holds: that is declared here, or by the adapter's class attribute.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: how long an answer is trusted
KEEP_SECONDS = 60.0
#: answers kept at most; past it the expired ones are dropped
KEEP_MOST = 4096


class Remembered(Generic[K, V]):
    """Answers by key, each trusted for `ttl` seconds; "no answer" (None) is never kept."""

    def __init__(
        self,
        ttl: float = KEEP_SECONDS,
        most: int = KEEP_MOST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.most = most
        self.clock = clock
        self._kept: dict[K, tuple[float, V]] = {}

    async def get(
        self, key: K, ask: Callable[[], Awaitable[V | None]], *, fresh: bool = False
    ) -> V | None:
        """The answer kept for `key`, else (or with `fresh`) what `ask()` says now."""
        now = self.clock()
        kept = self._kept.get(key)
        if kept is not None and kept[0] > now and not fresh:
            return kept[1]
        value = await ask()
        if value is None:
            return None
        if len(self._kept) >= self.most:
            self._kept = {k: v for k, v in self._kept.items() if v[0] > now}
        self._kept[key] = (now + self.ttl, value)
        return value
