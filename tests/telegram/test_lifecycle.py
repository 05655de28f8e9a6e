"""Starting and stopping the adapter against the fake: a bad token, a failed menu, twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsbot.chat.desk import CommandDesk
from newsbot.chat.queries import Queries
from newsbot.config import ConfigError
from newsbot.delivery.errors import TransientError
from newsbot.store import Store
from newsbot.store.subscriptions import Subscriptions
from newsbot.types import Summary
from newsbot_telegram import TelegramAdapter
from tests.helpers import start_alone
from tests.telegram.fake_bot_api import TOKEN, ApiError, FakeBotAPI, command, person, private

SUMMARY = Summary("p", "Title", "https://x.org/p", "", None, datetime(2026, 1, 1, tzinfo=UTC),
                  "", ())


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[CommandDesk]:
    store = await Store.open(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        yield CommandDesk(Queries(store), Subscriptions(store))
    finally:
        await store.close()


async def test_a_refused_token_is_a_config_error(fake: FakeBotAPI, desk: CommandDesk) -> None:
    adapter = TelegramAdapter("42:wrong-token-entirely", fake.api_url, desk)
    with pytest.raises(ConfigError, match=r"^telegram\.token: ") as info:
        await adapter.start()
    assert "wrong-token" not in str(info.value)
    await adapter.stop()  # already stopped: harmless


async def test_an_unreachable_api_is_a_config_error(fake: FakeBotAPI, desk: CommandDesk) -> None:
    adapter = TelegramAdapter(TOKEN, fake.api_url, desk)
    await fake.close()
    with pytest.raises(ConfigError, match=r"^telegram\.api_url: cannot reach the Bot API at "):
        await adapter.start()


async def test_menu_failure_does_not_stop_the_bot(fake: FakeBotAPI, desk: CommandDesk) -> None:
    fake.fail(ApiError.server(), method="setMyCommands")
    adapter = TelegramAdapter(TOKEN, fake.api_url, desk)
    await start_alone(adapter)
    try:
        reply = await fake.ask(command(private(person(7)), "/latest"))
        assert reply.visible == "Nothing has been published yet."
        assert await adapter.send("7", SUMMARY)
    finally:
        await adapter.stop()
        await adapter.stop()


async def test_send_before_start_is_transient(desk: CommandDesk) -> None:
    adapter = TelegramAdapter(TOKEN, "http://127.0.0.1:9/bot", desk)
    with pytest.raises(TransientError):
        await adapter.send("1", SUMMARY)
