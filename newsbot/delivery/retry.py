"""The retry policy, the same for every platform: when a failed send is tried again, and
when the platform as a whole counts as down.

Adapters report failures as `DeliveryError`s; the dispatcher carries out what each means:

- `RetryAfter`: wait exactly as long as the platform said (every chat, when the
  limit is the whole platform's); it answered, so this is not a failure.
- `TransientError`, or any unexpected exception: try again after `backoff(attempts)`,
  1 s doubling to 10 min, never given up.
- `PermanentError`: give the chat up (its subscription is marked dead).
- `Undeliverable`: drop this story for this chat, keeping the reason.
- `ChatMigrated`: follow the chat to its new id, subscription and pending stories.

When the platform itself is down (`DOWN_AFTER_FAILURES` transient failures in
a row, across chats), every chat waits and one send at a time probes it, with
back-off up to `PROBE_CAP_SECONDS`: an outage of an hour costs a few hundred
requests, not one retry schedule per chat. The first probe that goes through
releases them all. `PlatformHealth` keeps that state for one platform.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from newsbot.store import utcnow

log = logging.getLogger("newsbot.delivery.dispatcher")  # the dispatcher's lines

#: back-off for transient failures: 1 s, 2 s, 4 s … capped; never given up on
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 600.0
#: transient failures in a row, whatever the chat, after which the platform counts as down
DOWN_AFTER_FAILURES = 5
#: while the platform is down, probes go out with back-off, at most this far apart
PROBE_CAP_SECONDS = 10.0


def backoff(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failure, with ±20% jitter against storms."""
    delay = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return delay * random.uniform(0.8, 1.2)


def later(seconds: float) -> datetime:
    """The moment `seconds` from now, as the outbox stores it."""
    return utcnow() + timedelta(seconds=seconds)


class PlatformHealth:
    """Whether one platform is up; while it is down, when to probe it and with which chat."""

    def __init__(self, platform: str = "") -> None:
        self.platform = platform  # for the log
        self.failures_in_a_row = 0
        self.failed_probes = 0  # 0 while the platform is up
        self._probe_at: datetime | None = None
        self._probe_chat: str | None = None

    @property
    def down(self) -> bool:
        return self.failed_probes > 0

    def until_probe(self, now: datetime) -> float | None:
        """While down: seconds until the next probe may go out, None once it may."""
        if self._probe_at is not None and now < self._probe_at:
            return (self._probe_at - now).total_seconds()
        return None

    def probing(self, chat: str) -> None:
        """The send to `chat` that starts now is the probe."""
        self._probe_chat, self._probe_at = chat, None

    def answered(self) -> int:
        """The platform answered (whatever it said): it is up. Returns how many probes
        failed before, when this ends an outage; 0 when it was up already."""
        self.failures_in_a_row = 0
        ended = self.failed_probes
        if ended:
            self.failed_probes, self._probe_at, self._probe_chat = 0, None, None
        return ended

    def failed(self, chat: str) -> float | None:
        """A send to `chat` failed transiently: count it, and take the platform for down
        when too many failed in a row (while down, only the probe's failure counts).
        Returns the seconds until the next probe when this failure schedules one."""
        if self.down:
            if chat != self._probe_chat:
                return None  # a send from before the outage, answering late
        else:
            self.failures_in_a_row += 1
            if self.failures_in_a_row < DOWN_AFTER_FAILURES:
                return None
        self.failed_probes += 1
        wait = min(PROBE_CAP_SECONDS, backoff(self.failed_probes))
        self._probe_at, self._probe_chat = later(wait), None
        return wait

    def up(self) -> None:
        """`answered`, saying so in the log when it ends an outage."""
        failed_probes = self.answered()
        if failed_probes:
            log.warning("%s: reachable again after %d failed probes; sending what waited",
                        self.platform, failed_probes)

    def failing(self, chat: str) -> None:
        """`failed`, saying so in the log when the platform is taken for down."""
        wait = self.failed(chat)
        if wait is None:
            return
        if self.failed_probes == 1:
            log.warning(
                "%s: %d sends in a row failed; the platform looks down: every chat waits, "
                "and one send at a time tries again (first in %.1fs)",
                self.platform, self.failures_in_a_row, wait,
            )
        else:
            log.info("%s: still down; next try in %.1fs", self.platform, wait)
