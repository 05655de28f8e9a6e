"""Taking Telegram's updates by long polling, as a role one worker holds at a time.

Telegram serves one `getUpdates` per bot: a second one terminates the first with
409 Conflict ("terminated by other getUpdates request"). So polling is the role
`poller:telegram` (`newsbot.workers`): its holder polls, the others only send, and
when the holder dies another takes over once the lease expires. One process alone
begins the role right after `start`, as it always polled.

PTB's `Updater` does the polling; its start deletes any webhook first (Telegram
refuses getUpdates while one is set), which is how going back from webhooks to
polling takes effect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

from telegram import error as tg
from telegram.ext import Application

from newsbot.workers.roles import Role

log = logging.getLogger(__name__)

#: the lease's name: one poller per bot (every worker shares the token)
POLLER = "poller:telegram"


class Poller:
    """Begins and ends PTB's polling of the adapter's current application."""

    def __init__(self, app: Callable[[], Application | None], *, timeout: int,
                 allowed_updates: Sequence[str]) -> None:
        self._app = app
        self.timeout = timeout
        self.allowed_updates = list(allowed_updates)
        #: 409 Conflicts seen while polling (another process polls this bot)
        self.conflicts = 0
        self.role = Role(POLLER, self.begin, self.end)

    @property
    def polling(self) -> bool:
        app = self._app()
        return app is not None and app.updater is not None and app.updater.running

    async def begin(self) -> None:
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
        app = self._app()
        if app is not None and app.updater is not None and app.updater.running:
            await app.updater.stop()
            log.info("telegram: stopped polling for updates")

    def _on_error(self, exc: tg.TelegramError) -> None:
        # PTB retries polling by itself; a network blip is worth a line, not a traceback
        if isinstance(exc, tg.Conflict):
            self.conflicts += 1
            log.warning("telegram: another process takes this bot's updates (%s); with "
                        "several workers only the holder of %s may poll", exc, POLLER)
            return
        log.warning("telegram: polling for updates failed: %s", exc)
