"""Taking Telegram's updates by long polling, as a role one worker holds at a time.

Telegram serves one `getUpdates` per bot: a second one terminates the first with
409 Conflict ("terminated by other getUpdates request"). So polling is the role
`poller:telegram` (`newsbot.workers`): its holder polls, the others only send, and
when the holder dies another takes over once the lease expires. One process alone
begins the role right after `start`, as it always polled.

Every getUpdates goes through `FencedPolls`, which sends it only while the role's
tenure (`newsbot.workers.tenure`) says the lease is surely this worker's, and asks
Telegram to hold it open no longer than that. A worker that wakes after its lease
ran out (paused, a long GC, a stalled event loop, its store out of reach) sends no
other getUpdates: the refusal ends its polling, and its keeper begins it again at
the next beat if the lease turns out to be still its own. Updates its last poll
fetched were to be confirmed by the poll it refused: the next holder is given them
again, so such a command may be answered twice, never lost.

PTB's `Updater` does the polling; its start deletes any webhook first (Telegram
refuses getUpdates while one is set), which is how going back from webhooks to
polling takes effect.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import aiohttp
from telegram import error as tg
from telegram.ext import Application
from telegram.request import RequestData

from newsbot.workers.roles import Role
from newsbot.workers.tenure import Tenure
from newsbot_telegram.transport import FORM, AiohttpRequest

log = logging.getLogger(__name__)

#: the lease's name: one poller per bot (every worker shares the token)
POLLER = "poller:telegram"


class PollRefused(tg.TelegramError):
    """A getUpdates kept back: this worker may not hold the poller long enough for it."""


def _refused_confirmation(record: logging.LogRecord) -> bool:
    """PTB's stop sends one last getUpdates to confirm the updates it fetched, and logs its
    failure as an error with a traceback. Refused at the fence that is expected: one line
    says what it means instead."""
    refused = record.exc_info[1] if record.exc_info else None
    if isinstance(refused, PollRefused):
        log.info("telegram: the updates polled last are not confirmed (%s): any the polls "
                 "before did not confirm go to whoever polls next", refused)
        return False
    return True


logging.getLogger("telegram.ext.Updater").addFilter(_refused_confirmation)


class FencedPolls(AiohttpRequest):
    """PTB's `get_updates_request`: each getUpdates goes out only while the poller's lease
    is surely this worker's, and waits at Telegram no longer than that.

    Why the wait is capped: Telegram holds a long poll open for its `timeout` after it
    arrives, and a poll still open when another worker's arrives is the 409 Conflict this
    fence is for (and the updates the two could each take). The lease lasts 10 s and is
    renewed every 2.5 s, and the poll's timeout is 10 s too: a poll sent just before a
    renewal that never comes would outlive the lease by seconds. A fixed shorter timeout
    would not do either, as a renewal can come late. So each poll waits at most the
    whole seconds the lease is surely held yet, and ends at Telegram before another
    worker can take the lease (the tenure's margin, a second, covers the request's way
    there: a poll that took longer to connect could still meet the next holder's).
    Between beats that makes polls of 6 to 9 s rather than 10; an update still ends a
    poll at once, so commands are answered as soon, for an idle request every few
    seconds. Less than a second left is too short for a long poll: refused, and PTB
    tries again after its back-off (renewed by then, or lapsed). A lease shared with
    nobody (one process alone) is held for ever: every poll goes out as PTB asked it.
    """

    __slots__ = ("_tenure",)

    def __init__(self, tenure: Callable[[], Tenure]) -> None:
        super().__init__(1)  # one getUpdates at a time
        self._tenure = tenure

    def _outgoing(self, request_data: RequestData | None, read_timeout: Any
                  ) -> tuple[bytes | aiohttp.FormData | None, dict[str, str] | None, Any]:
        params = {} if request_data is None else request_data.json_parameters
        asked = float(params.get("timeout") or 0)
        left = self._tenure().remaining()
        if left > 0 and asked <= left:
            return super()._outgoing(request_data, read_timeout)
        if left < 1:
            raise PollRefused("getUpdates not sent: " + (
                f"this worker's lease on {POLLER} may have run out" if left <= 0
                else f"less than a second of {POLLER} is surely this worker's"))
        wait = int(left)
        params["timeout"] = str(wait)
        if isinstance(read_timeout, int | float):  # PTB counts the poll's wait in it
            read_timeout -= asked - wait
        return urlencode(params).encode(), FORM, read_timeout


class Poller:
    """Begins and ends PTB's polling of the adapter's current application."""

    def __init__(self, app: Callable[[], Application | None], *, timeout: int,
                 allowed_updates: Sequence[str]) -> None:
        self._app = app
        self.timeout = timeout
        self.allowed_updates = list(allowed_updates)
        #: 409 Conflicts seen while polling (another process polls this bot)
        self.conflicts = 0
        #: getUpdates the fence kept back (the lease not surely this worker's)
        self.refused = 0
        self.role = Role(POLLER, self.begin, self.end, fenced=True)
        self._halting: asyncio.Task[bool] | None = None

    def request(self) -> FencedPolls:
        """What PTB polls with: fenced by this role's tenure, whoever keeps it."""
        return FencedPolls(lambda: self.role.tenure)

    @property
    def polling(self) -> bool:
        app = self._app()
        return app is not None and app.updater is not None and app.updater.running

    async def begin(self) -> None:
        await self.halted()
        app = self._app()
        if app is None or app.updater is None:
            raise RuntimeError("the telegram adapter is not started")
        if app.updater.running:
            return
        await app.updater.start_polling(
            timeout=timedelta(seconds=self.timeout),
            allowed_updates=self.allowed_updates,
            error_callback=self._on_error,
        )
        log.info("telegram: polling for updates")

    async def end(self) -> None:
        await self.halted()
        if await self._stop_polling():
            log.info("telegram: stopped polling for updates")

    async def halted(self) -> None:
        """Wait until polling ended at the fence has finished stopping."""
        task, self._halting = self._halting, None
        if task is not None:
            try:
                await task
            except Exception:
                log.exception("telegram: stopping polling failed")

    async def _stop_polling(self) -> bool:
        """Stop PTB's polling if it runs (its last getUpdates, confirming what it fetched,
        goes through the fence too); whether it ran."""
        app = self._app()
        if app is None or app.updater is None or not app.updater.running:
            return False
        await app.updater.stop()
        return True

    def _on_error(self, exc: tg.TelegramError) -> None:
        # PTB retries polling by itself; a network blip is worth a line, not a traceback
        if isinstance(exc, PollRefused):
            self.refused += 1
            if self.role.tenure.surely_held() or self._halting is not None:
                log.info("telegram: %s", exc)
                return
            log.warning("telegram: %s; polling stops (another worker may hold %s now)",
                        exc, POLLER)
            self._halting = asyncio.create_task(self._stop_polling(), name="telegram-poller-halt")
            return
        if isinstance(exc, tg.Conflict):
            self.conflicts += 1
            log.warning("telegram: another process takes this bot's updates (%s); with "
                        "several workers only the holder of %s may poll", exc, POLLER)
            return
        log.warning("telegram: polling for updates failed: %s", exc)
