"""What the fake Bot API answers besides results: Telegram's errors, and its flood limits.

`ApiError` is an error as Telegram sends it (`ok: false`, `error_code`,
`description`, `parameters`), with constructors for the ones newsbot must
handle. `FloodLimits` are Telegram's published limits, which the fake
enforces when given them: 30 messages a second overall and 20 a minute per
group or channel as token buckets (bursts allowed, the rate on average), one
message a second per chat as a strict spacing (see `tests/rate_limits.py`).

Paid broadcasts: a message sent with `allow_paid_broadcast` may go at up to 1,000
a second overall instead of 30 ("ignoring broadcasting limits for a fee of 0.1
Telegram Stars per message"). The Bot API does not say how the two allowances
meet; the fake's model: every message counts against the 1,000 a second, a
message without the flag must also fit the free 30 a second (counting only those),
and a paid one that arrives while all messages together are past 30 a second is
`billed` (Telegram bills "the number of successful requests that exceeded regular
limits", `TransactionPartnerTelegramApi.request_count`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from tests.rate_limits import PerKey, SlidingWindow, TokenBucket

# -- errors Telegram answers with --------------------------------------------------------


@dataclass(frozen=True)
class ApiError:
    status: int
    description: str
    parameters: dict[str, Any] | None = None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.status,
                                "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body

    @classmethod
    def retry_after(cls, seconds: int) -> ApiError:
        return cls(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})

    @classmethod
    def blocked(cls) -> ApiError:
        return cls(403, "Forbidden: bot was blocked by the user")

    @classmethod
    def cannot_initiate(cls) -> ApiError:
        """A user who never pressed Start in a private chat with the bot."""
        return cls(403, "Forbidden: bot can't initiate conversation with a user")

    @classmethod
    def kicked(cls) -> ApiError:
        return cls(403, "Forbidden: bot was kicked from the supergroup chat")

    @classmethod
    def chat_not_found(cls) -> ApiError:
        return cls(400, "Bad Request: chat not found")

    @classmethod
    def no_rights(cls) -> ApiError:
        return cls(400, "Bad Request: not enough rights to send text messages to the chat")

    @classmethod
    def photo_url(cls) -> ApiError:
        return cls(400, "Bad Request: wrong file identifier/HTTP URL specified")

    @classmethod
    def photo_fetch(cls) -> ApiError:
        return cls(400, "Bad Request: failed to get HTTP URL content")

    @classmethod
    def migrated(cls, new_chat_id: int) -> ApiError:
        return cls(400, "Bad Request: group chat was upgraded to a supergroup chat",
                   {"migrate_to_chat_id": new_chat_id})

    @classmethod
    def server(cls) -> ApiError:
        return cls(500, "Internal Server Error")


# -- flood limits -------------------------------------------------------------------------


@dataclass(frozen=True)
class FloodLimits:
    """Telegram's published flood limits; 0 turns one off."""

    overall_per_second: int = 30
    chat_interval: float = 1.0  # one message per chat in any such interval
    group_per_minute: int = 20  # groups and channels (negative ids, @names)
    paid_per_second: int = 1000  # messages sent with allow_paid_broadcast


class FloodGate:
    """Admits a message or answers the 429 Telegram would (whole seconds, at least 1).

    Overall and per group: token buckets (bursts allowed, the rate on average);
    per chat: at most one message in any `chat_interval` (see `tests/rate_limits.py`).
    """

    def __init__(self, limits: FloodLimits) -> None:
        clock = time.perf_counter
        rate = limits.overall_per_second
        self.overall = TokenBucket(rate, rate, clock) if rate else None
        paid = limits.paid_per_second
        self.paid = TokenBucket(paid, paid, clock) if paid else None
        # all messages against the free rate: whether a paid one is past it (billed)
        self._all = TokenBucket(rate, rate, clock) if rate else None
        #: paid-broadcast messages past the free rate, which Telegram charges Stars for
        self.billed = 0
        interval, per_minute = limits.chat_interval, limits.group_per_minute
        self.chats = PerKey(lambda: SlidingWindow(1, interval, clock)) if interval else None
        self.groups = (PerKey(lambda: TokenBucket(per_minute, per_minute / 60, clock))
                       if per_minute else None)

    def check(self, chat_id: Any, now: float, *, paid: bool = False) -> ApiError | None:
        key = str(chat_id)
        windows: list[SlidingWindow | TokenBucket] = []
        if self.overall is not None and not (paid and self.paid is not None):
            windows.append(self.overall)
        if self.paid is not None:
            windows.append(self.paid)
        if self.chats is not None:
            windows.append(self.chats[key])
        if self.groups is not None and key.startswith(("-", "@")):
            windows.append(self.groups[key])
        wait = max((w.wait(now) for w in windows), default=0.0)
        if wait > 0:
            return ApiError.retry_after(max(1, math.ceil(wait)))
        for window in windows:
            window.admit(now)
        if self._all is not None:
            if paid and self._all.wait(now) > 0:
                self.billed += 1
            else:
                self._all.admit(now)
        return None
