"""The steady pace adapters use to stay under a platform's rate: the schedule it keeps."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from newsbot.delivery import pacing
from newsbot.delivery.pacing import CHAT_SLACK_SECONDS, DestinationPace, SteadyPace


async def test_entries_are_evenly_spaced_without_a_burst(monkeypatch: pytest.MonkeyPatch):
    waits: list[float] = []

    async def record(seconds: float) -> None:  # no real waiting: only the plan counts
        waits.append(seconds)

    monkeypatch.setattr(pacing.asyncio, "sleep", record)
    pace = SteadyPace(4)
    for _ in range(5):
        async with pace:
            pass
    # the first goes at once, then one per 1/4 s (the real clock moves a hair meanwhile)
    assert waits == pytest.approx([0.25, 0.5, 0.75, 1.0], abs=0.01)


async def test_an_idle_pace_does_not_save_up_a_burst():
    pace = SteadyPace(1000)
    async with pace:
        pass
    await asyncio.sleep(0.01)  # idle for ten intervals
    loop = asyncio.get_running_loop()
    async with pace:
        pass
    # the next free slot is one interval after this entry, not ten slots banked
    assert pace._next - loop.time() <= pace.interval


def test_a_pace_needs_a_positive_rate():
    with pytest.raises(ValueError, match="positive"):
        SteadyPace(0)


class LateSlots:
    """An overall pace whose slots come late, as behind a queue of other sends."""

    def __init__(self, sleep: Callable[[float], Awaitable[None]]) -> None:
        self.sleep = sleep

    async def __aenter__(self) -> None:
        await self.sleep(0.2)

    async def __aexit__(self, *exc: object) -> None:
        return None

    def pause(self, seconds: float) -> None:
        """Not asked here."""


async def test_a_destination_is_spaced_from_when_its_last_message_left(
    monkeypatch: pytest.MonkeyPatch,
):
    really = asyncio.sleep
    pace = DestinationPace(10, chat_interval=60,
                           overall=lambda per_second, name="": LateSlots(really))
    async with pace.slot("c1", group=False):
        pass  # left after waiting 0.2 s for its slot
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(pacing.asyncio, "sleep", record)
    async with pace.slot("c1", group=False):
        pass
    # a full interval after the first one left, not after it began waiting for its slot
    assert waits == [pytest.approx(60 + CHAT_SLACK_SECONDS, abs=0.05)]
