"""Discord's failures translated, in one place, into what the outbox should do next.

discord.py raises `HTTPException`s carrying Discord's JSON error code, `RateLimited`
when a 429 asks for longer than its `max_ratelimit_timeout`, and aiohttp's errors
when the network fails; which codes mean "this channel is closed to us" (give up
on the destination) and which mean "the message to change is gone" is Discord's
knowledge, kept here. Retrying is the core's (`newsbot.delivery.retry`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import aiohttp
import discord

from newsbot.delivery.errors import (
    DeliveryError,
    MessageGone,
    PermanentError,
    RetryAfter,
    TransientError,
    Undeliverable,
)

#: Discord error codes meaning "this channel is closed to the bot": mark it dead.
#: 10003 Unknown Channel, 50001 Missing Access, 50013 Missing Permissions,
#: 50007 Cannot send messages to this user, 50008 Cannot send messages in a non-text channel,
#: 50083 operation on an archived thread (a send only gets it when the thread is also
#: locked: an archived thread that is not wakes up), 160005 Thread is locked.
#: A new /subscribe there revives the destination.
CHANNEL_CLOSED = frozenset({10003, 50001, 50013, 50007, 50008, 50083, 160005})
#: Discord error codes meaning the message to edit is not there: 10008 Unknown Message,
#: 10003 Unknown Channel (the thread or channel holding it was deleted)
MESSAGE_GONE = (10008, 10003)


def delivery_error(exc: discord.HTTPException) -> DeliveryError:
    """The core's view of a failed Discord request."""
    detail = f"{exc.status} {exc.text or exc.response.reason} (code {exc.code})"
    if exc.status == 429:  # discord.py gave up waiting; the outbox waits as told
        retry = exc.response.headers.get("Retry-After", "1")
        try:
            return RetryAfter(float(retry))
        except ValueError:
            return RetryAfter(1.0)
    if exc.code in CHANNEL_CLOSED or exc.status == 403:
        return PermanentError(detail)
    if exc.status == 400:  # Invalid Form Body: the same payload will never be accepted
        return Undeliverable(detail)
    return TransientError(detail)


@contextlib.contextmanager
def translated(gone: tuple[int, ...] = ()) -> Iterator[None]:
    """Discord's failures inside as the core's errors; `gone`: the codes that mean the
    message to change is no more."""
    try:
        yield
    except discord.RateLimited as exc:
        raise RetryAfter(exc.retry_after) from None
    except discord.HTTPException as exc:
        if exc.code in gone:
            raise MessageGone(f"{exc.status} {exc.text} (code {exc.code})") from None
        raise delivery_error(exc) from None
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise TransientError(f"network error talking to Discord: {exc!r}") from None
