"""Keeps the bot inside Telegram's flood limits before Telegram has to say so.

Telegram's published limits: about 30 messages a second overall, one a second
per chat, 20 a minute per group or channel. python-telegram-bot's own
`AIORateLimiter` covers the first and the last; this limiter keeps the overall
rate as a steady pace (`newsbot.delivery.pacing`: no bursts, so delays on the way cannot
bunch messages past the limit), adds the per-chat pace, and differs on two points
that matter to an outbox: it only paces requests that post a message (a `getChatMember`
check is not a message), and it never retries a `RetryAfter` itself: the
error goes back to the caller, so the outbox keeps the row pending and tries
again exactly when told. Meanwhile every message waits out the flood wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from newsbot.delivery.pacing import RATE_SHARE, SteadyPace
from newsbot_telegram.errors import retry_seconds

log = logging.getLogger(__name__)

#: per-chat and per-group limiters kept before idle ones are forgotten
_MAX_LIMITERS = 1024
_POSTING = ("copyMessage", "copyMessages", "forwardMessage", "forwardMessages")

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


def posts_message(endpoint: str) -> bool:
    """True for Bot API methods that put a message in a chat."""
    return endpoint.startswith("send") or endpoint in _POSTING


class Pacer(BaseRateLimiter[int]):
    def __init__(
        self,
        overall_per_second: float = 30,
        chat_interval: float = 1.0,
        group_per_minute: float = 20,
    ) -> None:
        # evenly spaced, not a bucket: a burst would meet Telegram's limit on the way
        self._overall = SteadyPace(overall_per_second * RATE_SHARE)
        self._chat_interval = chat_interval
        self._group_per_minute = group_per_minute
        self._chats: dict[str, AsyncLimiter] = {}
        self._groups: dict[str, AsyncLimiter] = {}
        self._resume_at = 0.0

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def _limiter(self, table: dict[str, AsyncLimiter], key: str, rate: float,
                 period: float) -> AsyncLimiter:
        if key not in table and len(table) >= _MAX_LIMITERS:
            for old, limiter in list(table.items()):
                if limiter.has_capacity(limiter.max_rate):  # idle: nothing to remember
                    del table[old]
        if key not in table:
            table[key] = AsyncLimiter(rate, period)
        return table[key]

    def _contexts(self, chat_id: Any) -> list[contextlib.AbstractAsyncContextManager[Any]]:
        key = str(chat_id)
        contexts: list[contextlib.AbstractAsyncContextManager[Any]] = []
        # groups and channels have negative ids (or an @username): 20 a minute
        if key.startswith(("-", "@")) and self._group_per_minute:
            contexts.append(self._limiter(self._groups, key, self._group_per_minute, 60))
        if self._chat_interval:
            contexts.append(self._limiter(self._chats, key, 1, self._chat_interval))
        contexts.append(self._overall)
        return contexts

    async def _wait_out_flood(self) -> None:
        delay = self._resume_at - asyncio.get_running_loop().time()
        if delay > 0:
            await asyncio.sleep(delay)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        chat_id = data.get("chat_id")
        if chat_id is None or not posts_message(endpoint):
            return await callback(*args, **kwargs)
        await self._wait_out_flood()  # before taking a slot: no burst once a flood wait ends
        async with contextlib.AsyncExitStack() as stack:
            for context in self._contexts(chat_id):
                await stack.enter_async_context(context)
            await self._wait_out_flood()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = retry_seconds(exc)
                loop = asyncio.get_running_loop()
                self._resume_at = max(self._resume_at, loop.time() + seconds)
                log.info("flood wait: Telegram asked for %.0fs (%s to %s)", seconds, endpoint,
                         chat_id)
                raise
