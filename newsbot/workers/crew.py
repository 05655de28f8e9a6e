"""This worker among the others on one PostgreSQL store: what the newsroom wires in when
several workers share the store.

- a `RoleKeeper` (its heartbeat, the indexer's and the adapters' roles and shares);
- the chats each platform's dispatcher has claimed (`ChatClaims`), renewed at each beat;
- each platform's overall rate, shared through the store (`SharedPace`);
- wake-ups from the indexer, whichever worker it is (`Wakeups`, LISTEN/NOTIFY).

With SQLite there is no crew: one process does everything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from newsbot.store import Store
from newsbot.workers.claims import ChatClaims
from newsbot.workers.pace import SharedPaces
from newsbot.workers.roles import Role, RoleKeeper, Share
from newsbot.workers.wakeups import Wakeups

log = logging.getLogger(__name__)


class Crew:
    """Everything one worker keeps in step with the others."""

    def __init__(self, store: Store, woken: Callable[[str], None]) -> None:
        """`woken` runs whenever a worker (this one too) says it queued something."""
        self.store = store
        self.keeper = RoleKeeper(store)
        self.wakeups = Wakeups(store, woken)

    @property
    def worker_id(self) -> str:
        return self.keeper.worker_id

    def claims(self, platform: str) -> ChatClaims:
        """This worker's claims on the chats of `platform` (for its dispatcher)."""
        return ChatClaims(self.store, self.worker_id, platform)

    def paces(self, platform: str) -> SharedPaces:
        """What builds `platform`'s overall paces (for its adapter's `use_overall_pace`)."""
        return SharedPaces(self.store, platform)

    def add(self, parts: list[Role | Share]) -> None:
        """Roles and shares to keep (an adapter's `worker_roles()`, the indexer)."""
        for part in parts:
            if isinstance(part, Role):
                self.keeper.add(part)
            else:
                self.keeper.add_share(part)

    async def start(self) -> None:
        """Join the roster and take the roles that are free; beat from now on."""
        await self.wakeups.start()
        await self.keeper.start()
        log.info("worker %s joined the store's workers", self.worker_id)

    async def stop(self) -> None:
        """End every role and leave (the others take over at once)."""
        await self.wakeups.stop()
        await self.keeper.stop()

    def tell_others(self) -> None:
        """Wake every worker: something was queued (or posts changed)."""
        self.wakeups.tell_others()
