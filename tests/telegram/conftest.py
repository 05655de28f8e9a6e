"""Fixtures for the Telegram adapter: a fake Bot API and a newsroom talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from newsbot.app import Newsroom
from newsbot.config import AppConfig
from newsbot_telegram import TelegramAdapter
from tests.helpers import adapter_room, make_config, two_posts
from tests.telegram.bot_api_checks import SpecChecker
from tests.telegram.fake_bot_api import TOKEN, FakeBotAPI


@pytest.fixture(scope="session")
def spec() -> SpecChecker | None:
    """The official Bot API method list, when NEWSBOT_API_SPECS points at it."""
    return SpecChecker.from_env()


@pytest.fixture(autouse=True)
def unpaced(monkeypatch: pytest.MonkeyPatch) -> None:
    """One message a second per chat would make every command test wait; pacing has its
    own tests."""
    monkeypatch.setattr(TelegramAdapter, "chat_interval", 0.0)


@pytest.fixture
async def fake(spec: SpecChecker | None) -> AsyncIterator[FakeBotAPI]:
    server = FakeBotAPI(spec=spec)
    await server.start()
    try:
        yield server
    finally:
        await server.close()
    assert server.violations == [], "requests Telegram would reject:\n" + "\n".join(
        server.violations
    )


def telegram_config(tmp_path: Path, fake: FakeBotAPI) -> AppConfig:
    """newsbot.toml over tmp_path, pointing the Telegram adapter at the fake."""
    return make_config(tmp_path, sections={"telegram": {"api_url": fake.api_url}},
                       env={"NEWSBOT_TELEGRAM_TOKEN": TOKEN})


def telegram_room(config: AppConfig) -> Newsroom:
    """A newsroom whose only adapter is Telegram, built by `from_config` as the registry does."""
    return adapter_room(config, TelegramAdapter)


@pytest.fixture
def posts(tmp_path: Path) -> Path:
    return two_posts(tmp_path / "_posts")


@pytest.fixture
async def room(tmp_path: Path, fake: FakeBotAPI, posts: Path) -> AsyncIterator[Newsroom]:
    """A running newsroom over two existing posts (indexed, not pushed: first run)."""
    newsroom = telegram_room(telegram_config(tmp_path, fake))
    await newsroom.start()
    try:
        yield newsroom
    finally:
        await newsroom.stop()


@pytest.fixture
def adapter(room: Newsroom) -> TelegramAdapter:
    found = room.adapters["telegram"]
    assert isinstance(found, TelegramAdapter)
    return found
