"""Keeps the bot inside Telegram's flood limits before Telegram has to say so.

Telegram's published limits: about 30 messages a second overall, one a second
per chat, 20 a minute per group or channel. This is python-telegram-bot's rate
limiter hook around the core's `DestinationPace`, differing from PTB's own
`AIORateLimiter` on two points that matter to an outbox: it only paces requests
that post or edit a message (a `getChatMember` check is not a message), and it never
retries a `RetryAfter` itself: the error goes back to the caller, so the outbox
keeps the row pending and tries again exactly when told. Meanwhile every message
waits out the flood wait. Command replies are paced with the stories.

Paid broadcasts (`telegram.paid_broadcast`): a message sent with
`allow_paid_broadcast` may go at up to 1,000 a second overall (Telegram charges
Stars for the ones past the free limit), so the overall grid runs at that rate;
messages without the flag (command replies, edits, which cannot carry it) still
keep to the free 30 a second, in a grid of their own, besides taking a slot of
the paid one. Per-chat and per-group limits are the same either way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from newsbot.delivery.pacing import RATE_SHARE, DestinationPace, PaceMaker, local_pace
from newsbot_telegram.errors import retry_seconds

log = logging.getLogger(__name__)

#: besides the send* methods: copies, forwards, and the edits of corrections, which
#: Telegram counts against the same limits
_POSTING = ("copyMessage", "copyMessages", "forwardMessage", "forwardMessages",
            "editMessageText", "editMessageCaption", "editMessageMedia")

#: Telegram's overall limit for messages sent with allow_paid_broadcast
PAID_PER_SECOND = 1000

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


def posts_message(endpoint: str) -> bool:
    """True for Bot API methods that put (or change) a message in a chat."""
    return endpoint.startswith("send") or endpoint in _POSTING


class Pacer(BaseRateLimiter[int]):
    def __init__(
        self,
        overall_per_second: float = 30,
        chat_interval: float = 1.0,
        group_per_minute: float = 20,
        *,
        paid_per_second: float | None = None,
        overall: PaceMaker = local_pace,
    ) -> None:
        """`overall` builds the overall paces (the adapter's `overall_pace`): the paid
        grid is the schedule "paid", the free rate's the platform's own (""), so with
        several workers on one store each is shared by all of them."""
        paid = paid_per_second is not None
        self.pace = DestinationPace(paid_per_second or overall_per_second, chat_interval,
                                    group_per_minute, overall=overall,
                                    name="paid" if paid else "")
        #: with paid broadcasts, the free rate that messages without the flag keep to
        self.free = overall(overall_per_second * RATE_SHARE) if paid else None

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

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
        key = str(chat_id)
        # groups and channels have negative ids (or an @username)
        async with self.pace.slot(key, group=key.startswith(("-", "@"))):
            if self.free is not None and not data.get("allow_paid_broadcast"):
                async with self.free:
                    pass  # a slot of the free rate too
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = retry_seconds(exc)
                self.pace.pause(seconds)
                log.info("flood wait: Telegram asked for %.0fs (%s to %s)", seconds, endpoint,
                         chat_id)
                raise
