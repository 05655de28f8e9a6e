"""The adapter on its own: settings, lifecycle, errors in the core's terms, routing."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import discord
import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route
from discord.webhook import async_ as webhook_async

from newsbot import registry
from newsbot.chat.desk import CommandDesk
from newsbot.chat.queries import Queries
from newsbot.config import ConfigError, load_config
from newsbot.delivery.errors import DeliveryError, PermanentError, RetryAfter, TransientError
from newsbot.logs import REDACTED, redact
from newsbot.store import Store
from newsbot.store.subscriptions import Subscriptions
from newsbot.types import Summary
from newsbot_discord import DiscordAdapter, DiscordStartError
from newsbot_discord.routing import DEFAULT_API_URL, rebase
from tests.discord.fake_discord import FakeDiscord
from tests.discord.objects import NEWS, TOKEN
from tests.helpers import start_alone

STORY = Summary(
    post_id="2026-02-01-a.md",
    title="A story",
    url="https://news.example.org/a.html",
    excerpt="Short",
    image_url=None,
    date=datetime(2026, 2, 1, 10, tzinfo=UTC),
    author="",
    tags=("uk",),
)


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[CommandDesk]:
    store = await Store.open(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    yield CommandDesk(Queries(store), Subscriptions(store))
    await store.close()


def make(fake: FakeDiscord, desk: CommandDesk, token: str = TOKEN) -> DiscordAdapter:
    return DiscordAdapter(token, desk, api_url=fake.api_url, gateway_url=fake.gateway_url)


@pytest.fixture
async def adapter(fake: FakeDiscord, desk: CommandDesk) -> AsyncIterator[DiscordAdapter]:
    running = make(fake, desk)
    await start_alone(running)
    yield running
    await running.stop()


def test_registered_and_off_without_a_token(tmp_path: Path) -> None:
    assert registry.load("discord") is DiscordAdapter
    config = load_config(None, env={})
    assert DiscordAdapter.from_config(config, None) is None  # type: ignore[arg-type]
    assert "NEWSBOT_DISCORD_TOKEN" in DiscordAdapter.enable_hint


def test_from_config_reads_the_settings_and_redacts_the_token() -> None:
    env = {
        "NEWSBOT_DISCORD_TOKEN": "s3cret-discord-token",
        "NEWSBOT_DISCORD_API_URL": "http://proxy.local:8080/api/v10",
        "NEWSBOT_DISCORD_GUILD_ID": "42",
    }
    adapter = DiscordAdapter.from_config(load_config(None, env=env), None)  # type: ignore[arg-type]

    assert adapter is not None
    assert (adapter.api_url, adapter.gateway_url, adapter.guild_id) == (
        "http://proxy.local:8080/api/v10", "wss://gateway.discord.gg", 42
    )
    assert redact("token s3cret-discord-token leaked") == f"token {REDACTED} leaked"


def test_preview_needs_no_token_or_network() -> None:
    assert '"title": "A story"' in DiscordAdapter.preview(STORY)


async def test_start_and_stop_are_safe_twice(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    await adapter.start()
    assert len(fake.identify) == 1
    await adapter.stop()
    await adapter.stop()
    with pytest.raises(TransientError):
        await adapter.send(NEWS, STORY)


async def test_a_refused_token_stops_start_with_one_sentence(
    fake: FakeDiscord, desk: CommandDesk
) -> None:
    adapter = make(fake, desk, token="not-the-token")
    with pytest.raises(DiscordStartError, match=r"discord\.token .* refused the bot token"):
        await adapter.start()
    assert fake.identify == []


async def test_a_token_the_gateway_refuses_stops_start(
    fake: FakeDiscord, desk: CommandDesk
) -> None:
    fake.gateway_token = "rotated"
    with pytest.raises(DiscordStartError, match=r"discord\.token .* refused"):
        await start_alone(make(fake, desk))


def test_start_errors_are_configuration_errors_the_cli_prints() -> None:
    assert issubclass(DiscordStartError, ConfigError)


async def test_unreachable_api_stops_start(fake: FakeDiscord, desk: CommandDesk) -> None:
    adapter = DiscordAdapter(TOKEN, desk, api_url="http://127.0.0.1:9/api/v10",
                             gateway_url=fake.gateway_url)
    with pytest.raises(DiscordStartError, match=r"discord\.api_url: cannot reach Discord"):
        await adapter.start()


async def test_a_gateway_closed_for_good_is_logged_and_sends_wait(
    adapter: DiscordAdapter, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    [gateway] = [shard.task for shard in adapter.shards.running.values()]
    await fake.drop_gateway(4004, "Authentication failed.")
    async with asyncio.timeout(5):
        await asyncio.gather(gateway, return_exceptions=True)

    assert any("disconnected for good" in r.getMessage() for r in caplog.records)

    with pytest.raises(TransientError):
        await adapter.send(NEWS, STORY)
    assert fake.sent(NEWS) == []


async def test_sends_return_discords_message_id(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    message_id = await adapter.send(NEWS, STORY)
    assert message_id.isdigit()
    assert len(fake.sent(NEWS)) == 1


@pytest.mark.parametrize(
    ("kind", "error", "detail"),
    [
        ("missing_access", PermanentError, "403 Missing Access (code 50001)"),
        ("missing_permissions", PermanentError, "403 Missing Permissions (code 50013)"),
        ("unknown_channel", PermanentError, "404 Unknown Channel (code 10003)"),
        ("unavailable", TransientError, "503 upstream connect error"),
        ("disconnect", TransientError, "network error"),
        ("rate_limited_long", RetryAfter, "retry after 60s"),
    ],
)
async def test_failures_in_the_core_s_terms(
    adapter: DiscordAdapter, fake: FakeDiscord, kind: str, error: type[DeliveryError],
    detail: str,
) -> None:
    fake.fail(NEWS, kind)
    with pytest.raises(error) as raised:
        await adapter.send(NEWS, STORY)
    assert detail in str(raised.value)
    if isinstance(raised.value, RetryAfter):
        assert raised.value.seconds == 60 and not raised.value.whole_platform
    assert len(fake.attempts(NEWS)) == 1  # the library did not retry these itself


async def test_a_short_rate_limit_is_waited_out_inside_send(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    fake.fail(NEWS, "rate_limited", "rate_limited")
    await adapter.send(NEWS, STORY)
    assert [r.status for r in fake.attempts(NEWS)] == [429, 429, 200]
    nonces = {r.body["nonce"] for r in fake.attempts(NEWS)}
    assert len(nonces) == 1  # a retried send is recognisable to Discord as the same message


async def test_a_chat_id_that_is_not_a_snowflake_is_permanent(adapter: DiscordAdapter) -> None:
    with pytest.raises(PermanentError):
        await adapter.send("general", STORY)


async def test_two_adapters_in_one_process_keep_their_own_urls(
    adapter: DiscordAdapter, fake: FakeDiscord, desk: CommandDesk
) -> None:
    other_fake = FakeDiscord()
    await other_fake.start()
    other = make(other_fake, desk)
    try:
        await start_alone(other)
        await adapter.send(NEWS, STORY)
        await other.send(NEWS, STORY)
        await other.send(NEWS, STORY)
        interaction = await other_fake.use("help")
        await other_fake.answer(interaction)
    finally:
        await other.stop()
        await other_fake.close()
    assert (len(fake.sent(NEWS)), len(other_fake.sent(NEWS))) == (1, 2)
    assert other_fake.problems == []
    # nothing global was changed on the way
    assert Route.BASE == webhook_async.Route.BASE == DEFAULT_API_URL
    assert str(DiscordWebSocket.DEFAULT_GATEWAY) == "wss://gateway.discord.gg/"
    default = contextvars.copy_context().run(webhook_async.async_context.get)
    assert type(default) is webhook_async.AsyncWebhookAdapter
    assert discord.utils.MISSING is not None


@pytest.mark.parametrize(
    ("url", "target", "expected"),
    [
        (f"{DEFAULT_API_URL}/users/@me", "http://127.0.0.1:1/api/v10",
         "http://127.0.0.1:1/api/v10/users/@me"),
        (f"{DEFAULT_API_URL}/users/@me", DEFAULT_API_URL, f"{DEFAULT_API_URL}/users/@me"),
        ("https://cdn.discordapp.com/a.png", "http://x/api", "https://cdn.discordapp.com/a.png"),
    ],
)
def test_rebase(url: str, target: str, expected: str) -> None:
    assert rebase(url, DEFAULT_API_URL, target) == expected


class _Response:
    """What discord.HTTPException reads from an aiohttp response."""

    def __init__(self, status: int, headers: dict[str, str]) -> None:
        self.status, self.reason, self.headers = status, "Too Many Requests", headers


def test_a_429_the_library_gave_up_on_goes_back_to_the_outbox_as_retry_after() -> None:
    import discord

    from newsbot.delivery.errors import RetryAfter as CoreRetryAfter
    from newsbot_discord.errors import delivery_error

    error = delivery_error(discord.HTTPException(_Response(429, {"Retry-After": "2.5"}), ""))
    assert isinstance(error, CoreRetryAfter) and error.seconds == 2.5
