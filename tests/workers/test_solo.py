"""One worker on its own runs every role it can and holds every share whole, and gives
them all up when it stops, even when ending one of them fails."""

from __future__ import annotations

import asyncio

import pytest

from newsbot.workers import solo as solo_module
from newsbot.workers.roles import Role, Share
from newsbot.workers.solo import SoloRoles


async def test_every_role_begins_and_every_share_is_held_whole() -> None:
    events: list[str] = []

    def role(name: str, *, able: bool = True, failing_end: bool = False) -> Role:
        async def begin() -> None:
            events.append(f"begin {name}")

        async def end() -> None:
            events.append(f"end {name}")
            if failing_end:
                raise RuntimeError("could not stop")

        return Role(name, begin, end, able=lambda: able)

    async def changed(held: frozenset[str]) -> None:
        events.append(f"shards {sorted(held)}")

    share = Share(["shard:0", "shard:1"], changed)
    solo = SoloRoles([role("poller", failing_end=True), role("indexer", able=False), share])
    await solo.begin()
    assert events == ["begin poller", "shards ['shard:0', 'shard:1']"]
    assert share.held == {"shard:0", "shard:1"}

    await solo.end()  # a role that fails to stop does not keep the others running
    assert events[2:] == ["end poller", "shards []"]
    assert share.held == frozenset()


async def test_a_fatal_failure_stops_the_start() -> None:
    async def begin() -> None:
        raise PermissionError("token refused")

    async def end() -> None:
        """Never begun: never ended."""

    role = Role("poller:telegram", begin, end)
    solo = SoloRoles([role], fatal=lambda exc: isinstance(exc, PermissionError))
    with pytest.raises(PermissionError):
        await solo.begin()
    assert not role.running


async def test_any_other_failure_is_tried_again_in_the_background(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(solo_module, "RETRY_SECONDS", 0.01)
    tries: list[str] = []

    async def begin() -> None:
        tries.append("begin")
        if len(tries) < 3:
            raise ConnectionError("the platform is unreachable for a moment")

    async def end() -> None:
        tries.append("end")

    role = Role("poller:telegram", begin, end)
    solo = SoloRoles([role])
    await solo.begin()  # returns: the rest of the bot starts meanwhile
    assert not role.running
    async with asyncio.timeout(5):
        while not role.running:
            await asyncio.sleep(0.01)
    await solo.end()
    assert tries == ["begin", "begin", "begin", "end"]
