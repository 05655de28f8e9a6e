"""Requests that come together run as one group (`newsbot.delivery.batches`): the group
commit of the sends that finish together and the shared read of a post."""

from __future__ import annotations

import asyncio

import pytest

from newsbot.delivery.batches import Batch


class Recorder:
    """A `run` that records each group and answers each item doubled; held at `gate`."""

    def __init__(self) -> None:
        self.groups: list[list[int]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.failure: Exception | None = None

    async def __call__(self, items: list[int]) -> list[int]:
        self.groups.append(items)
        await self.gate.wait()
        if self.failure is not None:
            raise self.failure
        return [item * 2 for item in items]


async def test_requests_made_together_run_as_one_group_each_getting_its_own_answer():
    run = Recorder()
    batch = Batch(run)
    assert await asyncio.gather(batch(1), batch(2), batch(3)) == [2, 4, 6]
    assert run.groups == [[1, 2, 3]]


async def test_a_request_made_while_a_group_runs_goes_with_the_next_group():
    run = Recorder()
    run.gate.clear()
    batch = Batch(run)
    first = asyncio.ensure_future(batch(1))
    while not run.groups:  # the first group has started
        await asyncio.sleep(0)
    later = [asyncio.ensure_future(batch(n)) for n in (2, 3)]
    await asyncio.sleep(0)
    assert not first.done()  # its answer waits for its group to finish
    run.gate.set()
    assert await first == 2 and await asyncio.gather(*later) == [4, 6]
    assert run.groups == [[1], [2, 3]]


async def test_a_group_that_fails_fails_every_request_in_it_and_the_next_group_runs():
    run = Recorder()
    run.failure = RuntimeError("store gone")
    batch = Batch(run)
    results = await asyncio.gather(batch(1), batch(2), return_exceptions=True)
    assert [str(r) for r in results] == ["store gone", "store gone"]
    run.failure = None
    assert await batch(3) == 6


async def test_a_request_cancelled_before_its_group_runs_is_still_run():
    """A send cancelled (a stop) while its row waits for the group commit: the message
    went out, so the row is still recorded, and `settle` waits for that."""
    run = Recorder()
    batch = Batch(run)
    waiting = asyncio.ensure_future(batch(1))
    await asyncio.sleep(0)  # queued; its group starts at the next turn of the loop
    assert run.groups == []
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await batch.settle()
    assert run.groups == [[1]]
