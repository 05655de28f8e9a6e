"""Fixtures for the Discord adapter's tests: a fake Discord and a newsroom talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from newsbot.app import Newsroom
from newsbot.config import AppConfig, load_config
from newsbot_discord import DiscordAdapter
from tests.discord.fake_discord import FakeDiscord
from tests.discord.objects import TOKEN
from tests.helpers import SITE_URL, write_post


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
    (tmp_path / "_posts").mkdir(exist_ok=True)
    lines = [
        "[site]",
        f'url = "{SITE_URL}"',
        'posts_dir = "_posts"',
        "[store]",
        'url = "sqlite:///newsbot.sqlite3"',
        "[discord]",
        f'api_url = "{fake.api_url}"',
        f'gateway_url = "{fake.gateway_url}"',
    ]
    lines += [f"{key} = {value!r}" for key, value in discord.items()]
    (tmp_path / "newsbot.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_config(tmp_path / "newsbot.toml", env={"NEWSBOT_DISCORD_TOKEN": TOKEN})


def discord_room(config: AppConfig) -> Newsroom:
    """A newsroom whose only adapter is Discord, built by `from_config` as the registry would."""

    def make(queries: Any) -> dict[str, Any]:
        adapter = DiscordAdapter.from_config(config, queries)
        assert adapter is not None
        return {"discord": adapter}

    return Newsroom(config, watch=False, make_adapters=make)


@pytest.fixture
def posts(tmp_path: Path) -> Path:
    folder = tmp_path / "_posts"
    folder.mkdir(exist_ok=True)
    write_post(folder, "2026-01-20-budget.md", "Budget day", tags=["economy"])
    write_post(folder, "2026-01-21-vote.md", "The vote", tags=["politics", "uk"])
    return folder


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
