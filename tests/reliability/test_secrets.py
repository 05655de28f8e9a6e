"""Tokens never show: the real bot runs at DEBUG (python-telegram-bot and discord.py
log every request then, PTB its Bot API URL too) with recognisable tokens, through a
normal day, failed sends, refused and unreachable platforms, and `newsbot check`;
all it writes to stdout and stderr is searched for the tokens in every form."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest

from newsbot.types import Chat
from tests.discord.fake_discord import API_PREFIX, FakeDiscord
from tests.discord.objects import NEWS, STAFF
from tests.discord.objects import TOKEN as DISCORD_TOKEN
from tests.helpers import write_post
from tests.reliability.botproc import BotProcess
from tests.reliability.conftest import pending, prepare_store
from tests.telegram.fake_bot_api import ApiError, FakeBotAPI, command, group, person

TELEGRAM_TOKEN = "4242424242:SECRETtelegramTOKENxyzzy-0123456789abc"
WRONG_TELEGRAM_TOKEN = "5353535353:WRONGtelegramTOKENplugh-9876543210zyx"
WRONG_DISCORD_TOKEN = "MTIzWRONGdiscordTOKENfrobozz.Gx1234.abcdefghijklmnop"


def forms(token: str) -> list[str]:
    """The token as it could leak: whole, URL-quoted, and its secret half."""
    found = [token, quote(token, safe=""), quote(token)]
    if ":" in token:
        found.append(token.split(":", 1)[1])
    if "." in token:
        found.append(max(token.split("."), key=len))
    return found


def assert_no_token(output: str, *tokens: str) -> None:
    for token in tokens:
        for form in forms(token):
            assert form not in output, f"{form!r} leaked:\n" + "\n".join(
                line for line in output.splitlines() if form in line
            )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def telegram_with_token() -> AsyncIterator[FakeBotAPI]:
    fake = FakeBotAPI(token=TELEGRAM_TOKEN)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


def both(telegram: FakeBotAPI, discord: FakeDiscord, *, telegram_token: str = TELEGRAM_TOKEN,
         discord_token: str = DISCORD_TOKEN) -> dict[str, str]:
    return {
        "NEWSBOT_LOG_LEVEL": "DEBUG",
        "NEWSBOT_TELEGRAM_TOKEN": telegram_token,
        "NEWSBOT_TELEGRAM_API_URL": telegram.api_url,
        "NEWSBOT_DISCORD_TOKEN": discord_token,
        "NEWSBOT_DISCORD_API_URL": discord.api_url,
        "NEWSBOT_DISCORD_GATEWAY_URL": discord.gateway_url,
    }


async def test_a_day_at_debug_level_never_prints_a_token(
    site: Path, bot: BotProcess, telegram_with_token: FakeBotAPI, discord: FakeDiscord,
) -> None:
    telegram = telegram_with_token
    await prepare_store(site, [Chat("telegram", "61"), Chat("telegram", "62"),
                               Chat("discord", NEWS), Chat("discord", STAFF)])
    telegram.fail(ApiError.server(), method="sendMessage", chat_id=61)  # then it works
    telegram.fail(ApiError.blocked(), chat_id=62, times=None)
    discord.fail(NEWS, "unavailable")  # STAFF: the bot cannot see it (Missing Access)
    write_post(site / "_posts", "2026-06-01-day.md", "An ordinary day")
    bot.env.update(both(telegram, discord))
    bot.start()
    await bot.wait_for(lambda: telegram.delivered(61) and discord.sent(NEWS), "stories out",
                       within=40)
    readers = group(-100777, "Readers")
    await telegram.ask(command(readers, "/subscribe", sender=person(71)))  # refused: no admin
    await bot.wait_for(lambda: pending(site) == 0, "an empty outbox")
    bot.terminate()
    assert await bot.wait_exit() == 0
    output = bot.output()
    # the libraries did log their requests (and PTB the URL, which holds the token)
    assert "DEBUG" in output and "Calling Bot API endpoint `sendMessage`" in output
    assert "Set Bot API URL" in output
    assert f"{API_PREFIX}/channels/{NEWS}/messages" in output or "discord.http" in output
    assert_no_token(output, TELEGRAM_TOKEN, DISCORD_TOKEN)


@pytest.mark.parametrize("platform", ["telegram", "discord"])
async def test_a_refused_token_is_named_but_never_shown(
    site: Path, bot: BotProcess, telegram_with_token: FakeBotAPI, discord: FakeDiscord,
    platform: str,
) -> None:
    wrong = {"telegram": {"telegram_token": WRONG_TELEGRAM_TOKEN},
             "discord": {"discord_token": WRONG_DISCORD_TOKEN}}[platform]
    bot.env.update(both(telegram_with_token, discord, **wrong))
    bot.start()
    assert await bot.wait_exit() == 1
    output = bot.output()
    assert f"{platform}.token" in output.splitlines()[-1]
    assert_no_token(output, TELEGRAM_TOKEN, DISCORD_TOKEN, WRONG_TELEGRAM_TOKEN,
                    WRONG_DISCORD_TOKEN)


@pytest.mark.parametrize("platform", ["telegram", "discord"])
async def test_an_unreachable_platform_is_named_but_the_token_never_shown(
    site: Path, bot: BotProcess, telegram_with_token: FakeBotAPI, discord: FakeDiscord,
    platform: str,
) -> None:
    env = both(telegram_with_token, discord)
    nowhere = f"http://127.0.0.1:{closed_port()}"
    if platform == "telegram":
        env["NEWSBOT_TELEGRAM_API_URL"] = f"{nowhere}/bot"
    else:
        env["NEWSBOT_DISCORD_API_URL"] = f"{nowhere}{API_PREFIX}"
    bot.env.update(env)
    bot.start()
    assert await bot.wait_exit(within=60) == 1
    output = bot.output()
    assert f"{platform}.api_url" in output.splitlines()[-1]
    assert_no_token(output, TELEGRAM_TOKEN, DISCORD_TOKEN)


async def test_check_at_debug_level_never_prints_a_token(
    site: Path, bot: BotProcess, telegram_with_token: FakeBotAPI, discord: FakeDiscord,
) -> None:
    write_post(site / "_posts", "2026-06-01-day.md", "An ordinary day")
    (site / "_posts" / "broken.md").write_text("---\ntitle: [1]\n---\n", encoding="utf-8")
    bot.env.update(both(telegram_with_token, discord))
    bot.start("check")
    assert await bot.wait_exit() == 3
    output = bot.output()
    assert "adapters on: discord, telegram" in output and "broken.md" in output
    assert_no_token(output, TELEGRAM_TOKEN, DISCORD_TOKEN)
