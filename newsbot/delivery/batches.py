"""Requests to the store that come together go as one: a group commit for the sends that
finish together, one read of a post for the sends that start together.

`await batch(item)` puts the item in the group being gathered. A group runs (`run(items)`:
one statement, one transaction, for all of them) as soon as the one before it has
finished: while the store is busy with one group the next gathers, and a lone request
waits for nothing but the next turn of the event loop. A caller gets its item's result,
or the group's exception, only once its group has run, so a send whose row is recorded
in a group counts as finished only when that group is committed (the number of sends in
flight is bounded as before). A caller cancelled meanwhile leaves its item in the group:
a message that went out is recorded all the same.

A read made this way is never older than the request: the group that answers it starts
after it was made.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batch(Generic[T, R]):
    """Runs `run(items)` for the items asked for together; `run` answers one result per
    item, in their order."""

    def __init__(self, run: Callable[[list[T]], Awaitable[Sequence[R]]]) -> None:
        self._run = run
        self._gathering: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None

    async def __call__(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._gathering.append((item, future))
        if self._task is None:
            self._task = asyncio.create_task(self._groups())
        return await future

    async def settle(self) -> None:
        """Wait until the groups under way (and gathering) have run."""
        while self._task is not None:
            await asyncio.wait([self._task])

    async def _groups(self) -> None:
        group: list[tuple[T, asyncio.Future[R]]] = []
        try:
            while self._gathering:
                group, self._gathering = self._gathering, []
                try:
                    results = await self._run([item for item, _ in group])
                except Exception as exc:
                    for _, future in group:
                        if not future.done():
                            future.set_exception(exc)
                else:
                    for (_, future), result in zip(group, results, strict=True):
                        if not future.done():
                            future.set_result(result)
        finally:
            self._task = None
            for _, future in group + self._gathering:  # cancelled: nobody waits forever
                future.cancel()
            self._gathering = []
