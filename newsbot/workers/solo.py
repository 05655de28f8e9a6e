"""One worker on its own: every role runs here and every share is held whole.

That is a single process on SQLite (and what a test does with an adapter it started
itself): no leases to take, nobody to hand anything to. `begin` runs right after the
adapter's `start`, `end` right before its `stop`, so the adapter behaves as it did
before roles existed (Telegram polls, Discord connects all its shards).

A role that fails to begin for a reason a person must fix (`fatal`: a refused token)
stops the start, as it always did. Any other failure (the platform unreachable for a
moment) is logged and tried again every `RETRY_SECONDS` in the background, as a
RoleKeeper would at its next beat: the rest of the bot runs meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

from newsbot.workers.roles import Role, Share
from newsbot.workers.roster import BEAT_SECONDS

log = logging.getLogger(__name__)

#: how soon a role that failed to begin is tried again
RETRY_SECONDS = BEAT_SECONDS


def _never(exc: BaseException) -> bool:
    return False


class SoloRoles:
    """The roles and shares of one adapter, all of them this worker's."""

    def __init__(self, parts: Sequence[Role | Share], *,
                 fatal: Callable[[BaseException], bool] = _never) -> None:
        self.roles = [p for p in parts if isinstance(p, Role)]
        self.shares = [p for p in parts if isinstance(p, Share)]
        self.fatal = fatal
        self._started: set[int] = set()  # shares whose `changed` went through
        self._retry: asyncio.Task[None] | None = None

    async def begin(self) -> None:
        """Begin every role and hand every share all its names; a fatal failure raises,
        any other is tried again in the background."""
        if not await self._attempt():
            self._retry = asyncio.create_task(self._again(), name="solo-roles-retry")

    async def _attempt(self) -> bool:
        """One round; whether everything runs now."""
        done = True
        for role in self.roles:
            if role.running or not role.able():
                continue
            try:
                await role.begin()
                role.running = True
            except Exception as exc:
                if self.fatal(exc):
                    raise
                done = False
                log.warning("%s did not start (%s); trying again in %gs", role.name, exc,
                            RETRY_SECONDS)
        for share in self.shares:
            if id(share) in self._started:
                continue
            share.held = frozenset(share.names)
            try:
                await share.changed(share.held)
                self._started.add(id(share))
            except Exception as exc:
                if self.fatal(exc):
                    raise
                done = False
                log.warning("%s did not start (%s); trying again in %gs",
                            ", ".join(share.names), exc, RETRY_SECONDS)
        return done

    async def _again(self) -> None:
        while True:
            await asyncio.sleep(RETRY_SECONDS)
            try:
                if await self._attempt():
                    return
            except Exception:
                log.exception("a role cannot start; it will not be tried again")
                return

    async def end(self) -> None:
        """End every role that runs and give every share up (errors are logged: ending
        is part of stopping, which carries on)."""
        if self._retry is not None:
            self._retry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retry
            self._retry = None
        for role in reversed(self.roles):
            if role.running:
                role.running = False
                try:
                    await role.end()
                except Exception:
                    log.exception("stopping %s failed", role.name)
        for share in self.shares:
            self._started.discard(id(share))
            if share.held:
                share.held = frozenset()
                try:
                    await share.changed(share.held)
                except Exception:
                    log.exception("giving up %s failed", ", ".join(share.names))
