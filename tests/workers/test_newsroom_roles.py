"""The newsroom as one worker among several on a real PostgreSQL store: the indexer is a
role one worker holds, a worker without posts only sends, and the adapters' own roles
are handed to the keeper (on SQLite they simply begin)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from newsbot.adapter import Adapter
from newsbot.app import Newsroom
from newsbot.config import AppConfig
from newsbot.workers.leases import current_leases
from newsbot.workers.roles import Role, Share
from tests.helpers import ScriptedAdapter, make_config, write_post


class RolesAdapter(ScriptedAdapter):
    """A platform whose updates only one worker may take (a poller)."""

    def __init__(self, events: list[str], who: str) -> None:
        super().__init__()
        self.events = events
        self.who = who

    def worker_roles(self) -> list[Role | Share]:
        async def begin() -> None:
            self.events.append(f"{self.who} polls")

        async def end() -> None:
            self.events.append(f"{self.who} stops polling")

        return [Role("poller:scripted", begin, end)]


def pg_config(folder: Path, url: str, **site: Any) -> AppConfig:
    folder.mkdir(parents=True, exist_ok=True)
    return make_config(folder, sections={"store": {"url": url}}, **site)


def room(config: AppConfig, adapter: Adapter) -> Newsroom:
    return Newsroom(config, watch=False, make_adapters=lambda desk: {"scripted": adapter})


async def until(check: Callable[[], object], what: str, within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        assert loop.time() < deadline, f"{what}: not within {within:g}s"
        await asyncio.sleep(0.02)


@pytest.fixture
async def rooms() -> AsyncIterator[list[Newsroom]]:
    """Newsrooms a test starts, stopped after it whatever happened."""
    started: list[Newsroom] = []
    yield started
    for each in started:
        await each.stop()


async def holders(room: Newsroom, prefix: str) -> list[str]:
    return [lease.holder for lease in await current_leases(room.store, prefix)]


async def test_one_worker_indexes_and_one_polls(
    tmp_path: Path, postgres_url: str, rooms: list[Newsroom]
) -> None:
    write_post(tmp_path / "_posts", "2026-01-20-budget.md", "Budget day")
    events: list[str] = []
    config = pg_config(tmp_path, postgres_url)
    first, second = room(config, RolesAdapter(events, "first")), room(
        config, RolesAdapter(events, "second"))
    for each in (first, second):
        await each.start()
        rooms.append(each)
    assert first.crew is not None and second.crew is not None
    assert await holders(first, "indexer") == [first.crew.worker_id]
    assert await holders(first, "poller:") == [first.crew.worker_id]
    assert events == ["first polls"]
    # the first scan runs in the background of the role: the post gets indexed
    await until(lambda: first.store.posts_version > 0, "the first scan")
    assert [s.title for s in await second.queries.latest()] == ["Budget day"]

    await first.stop()  # a clean stop gives everything back at once
    rooms.remove(first)
    await second.crew.keeper.beat()
    assert events == ["first polls", "first stops polling", "second polls"]
    assert await holders(second, "indexer") == [second.crew.worker_id]


async def test_a_worker_without_the_folder_only_sends(
    tmp_path: Path, postgres_url: str, rooms: list[Newsroom],
    caplog: pytest.LogCaptureFixture,
) -> None:
    missing = pg_config(tmp_path / "elsewhere", postgres_url)
    (tmp_path / "elsewhere" / "_posts").rmdir()  # a mount that did not come up
    caplog.set_level(logging.WARNING)
    sender = room(missing, ScriptedAdapter())
    await sender.start()  # on SQLite this is a ConfigError; here the worker just sends
    rooms.append(sender)
    assert await holders(sender, "indexer") == []
    assert "is not there: this worker only sends" in caplog.text

    empty = pg_config(tmp_path / "empty", postgres_url)  # the folder is there, no posts
    idle = room(empty, ScriptedAdapter())
    await idle.start()
    rooms.append(idle)
    assert await holders(idle, "indexer") == []
    assert "holds no posts: this worker only sends" in caplog.text

    write_post(tmp_path / "site" / "_posts", "2026-01-20-budget.md", "Budget day")
    indexer = room(pg_config(tmp_path / "site", postgres_url), ScriptedAdapter())
    await indexer.start()
    rooms.append(indexer)
    assert indexer.crew is not None
    assert await holders(indexer, "indexer") == [indexer.crew.worker_id]


async def test_on_sqlite_every_role_begins_after_start_and_ends_before_stop(
    tmp_path: Path,
) -> None:
    events: list[str] = []
    adapter = RolesAdapter(events, "alone")
    alone = room(make_config(tmp_path), adapter)
    await alone.start()
    assert alone.crew is None
    assert events == ["alone polls"]
    await alone.stop()
    assert events == ["alone polls", "alone stops polling"]
