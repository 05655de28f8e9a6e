"""One worker on its own: every role runs here and every share is held whole.

That is a single process on SQLite (and what a test does with an adapter it started
itself): no leases to take, nobody to hand anything to. `begin` runs right after the
adapter's `start`, `end` right before its `stop`, so the adapter behaves as it did
before roles existed (Telegram polls, Discord connects all its shards).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from newsbot.workers.roles import Role, Share

log = logging.getLogger(__name__)


class SoloRoles:
    """The roles and shares of one adapter, all of them this worker's."""

    def __init__(self, parts: Sequence[Role | Share]) -> None:
        self.roles = [p for p in parts if isinstance(p, Role)]
        self.shares = [p for p in parts if isinstance(p, Share)]

    async def begin(self) -> None:
        """Begin every role and hand every share all its names (a failure propagates:
        a lone worker that cannot take its updates should not start)."""
        for role in self.roles:
            if role.able() and not role.running:
                await role.begin()
                role.running = True
        for share in self.shares:
            share.held = frozenset(share.names)
            await share.changed(share.held)

    async def end(self) -> None:
        """End every role that runs and give every share up (errors are logged: ending
        is part of stopping, which carries on)."""
        for role in reversed(self.roles):
            if role.running:
                role.running = False
                try:
                    await role.end()
                except Exception:
                    log.exception("stopping %s failed", role.name)
        for share in self.shares:
            if share.held:
                share.held = frozenset()
                try:
                    await share.changed(share.held)
                except Exception:
                    log.exception("giving up %s failed", ", ".join(share.names))
