"""Fixtures shared by the core tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from newsbot.app import Newsroom
from tests.helpers import ScriptedAdapter, make_config, scripted_room


@pytest.fixture
async def room_and_adapter(tmp_path: Path) -> AsyncIterator[tuple[Newsroom, ScriptedAdapter]]:
    """A started newsroom over an empty posts folder, delivering to a ScriptedAdapter."""
    config = make_config(tmp_path)
    adapter = ScriptedAdapter()
    room = scripted_room(config, adapter)
    await room.start()
    yield room, adapter
    await room.stop()


# a real PostgreSQL, for the tests of several workers (tests/postgres.py says where from)
from tests.postgres import postgres_server, postgres_url  # noqa: E402

__all__ = ["postgres_server", "postgres_url"]
