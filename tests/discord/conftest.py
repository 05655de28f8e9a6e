"""Fixtures for the Discord adapter's tests: a fake Discord and a newsroom talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from newsbot.app import Newsroom
from newsbot.config import AppConfig
from newsbot_discord import DiscordAdapter
from tests.discord.fake_discord import FakeDiscord
from tests.discord.objects import TOKEN
from tests.helpers import adapter_room, make_config, two_posts


@pytest.fixture(autouse=True)
def quick_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    """discord.py waits `guild_ready_timeout` after the last GUILD_CREATE; the fake sends one."""
    monkeypatch.setattr(DiscordAdapter, "guild_ready_timeout", 0.01)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    try:
        yield server
    finally:
        await server.close()
    assert server.problems == [], "requests Discord would reject:\n" + "\n".join(server.problems)


def discord_config(tmp_path: Path, fake: FakeDiscord, **discord: Any) -> AppConfig:
    """newsbot.toml over tmp_path, pointing the Discord adapter at the fake."""
    section = {"api_url": fake.api_url, "gateway_url": fake.gateway_url, **discord}
    return make_config(tmp_path, sections={"discord": section},
                       env={"NEWSBOT_DISCORD_TOKEN": TOKEN})


def discord_room(config: AppConfig) -> Newsroom:
    """A newsroom whose only adapter is Discord, built by `from_config` as the registry would."""
    return adapter_room(config, DiscordAdapter)


@pytest.fixture
def posts(tmp_path: Path) -> Path:
    return two_posts(tmp_path / "_posts")


@pytest.fixture
async def room(
    tmp_path: Path, fake: FakeDiscord, posts: Path
) -> AsyncIterator[Newsroom]:
    """A running newsroom over two existing posts (indexed, not pushed: first run)."""
    newsroom = discord_room(discord_config(tmp_path, fake))
    await newsroom.start()
    try:
        yield newsroom
    finally:
        await newsroom.stop()
