"""Adding a command means one core function: a toy command added to the desk alone is
offered and answered on the console, and rendered by Telegram and Discord against their
fakes (their real client libraries), with no line of any adapter changed."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from newsbot.app import Newsroom
from newsbot.chat.commands import CommandSpec
from newsbot.chat.desk import CommandDesk
from newsbot.chat.requests import Reply, Request, UsageError
from newsbot_console import ConsoleAdapter
from newsbot_discord import DiscordAdapter
from newsbot_telegram import TelegramAdapter
from tests.discord.fake_discord import FakeDiscord
from tests.discord.objects import TOKEN as DISCORD_TOKEN
from tests.helpers import adapter_room, make_config, two_posts
from tests.telegram.bot_api_checks import SpecChecker
from tests.telegram.fake_bot_api import TOKEN as TELEGRAM_TOKEN
from tests.telegram.fake_bot_api import FakeBotAPI, command, group, person, private

SHOUT = CommandSpec("shout", "<words>", "say it louder")


async def shout(desk: CommandDesk, request: Request) -> Reply:
    if not request.args:
        raise UsageError("Shout what? For example: /shout hello")
    stories = await desk.queries.latest(1)
    return Reply(text=" ".join(request.args).upper() + f"! ({len(stories)} story)")


TOY = [(SHOUT, shout)]
ANN = person(501, "Ann", "ann")


@pytest.fixture
def posts(tmp_path: Path) -> Path:
    return two_posts(tmp_path / "_posts")


async def test_console_offers_and_answers_the_toy(tmp_path: Path, posts: Path) -> None:
    config = make_config(tmp_path)
    holder: dict[str, ConsoleAdapter] = {}

    def make(desk: CommandDesk) -> dict[str, Any]:
        desk.add(SHOUT, shout)
        holder["console"] = ConsoleAdapter(desk, output=io.StringIO(), read_input=False)
        return dict(holder)

    room = Newsroom(config, watch=False, make_adapters=make)
    await room.start()
    try:
        console = holder["console"]
        assert await console.handle("/shout hello there") == "HELLO THERE! (1 story)"
        assert await console.handle("/shout") == "Shout what? For example: /shout hello"
        assert "/shout <words> — say it louder" in await console.handle("/help")
    finally:
        await room.stop()


@pytest.fixture
async def telegram(tmp_path: Path, posts: Path) -> AsyncIterator[FakeBotAPI]:
    fake = FakeBotAPI(spec=SpecChecker.from_env())
    await fake.start()
    config = make_config(tmp_path, sections={"telegram": {"api_url": fake.api_url}},
                         env={"NEWSBOT_TELEGRAM_TOKEN": TELEGRAM_TOKEN})
    room = adapter_room(config, TelegramAdapter, TOY)
    await room.start()
    try:
        yield fake
    finally:
        await room.stop()
        await fake.close()
    assert fake.violations == []


async def test_telegram_menu_and_answer_have_the_toy(telegram: FakeBotAPI) -> None:
    [menu] = telegram.requests("setMyCommands")
    assert {"command": "shout", "description": "say it louder"} in menu.params["commands"]
    reply = await telegram.ask(command(private(ANN), "/shout <b>hi</b>"))
    assert reply.params["text"] == "&lt;B&gt;HI&lt;/B&gt;! (1 story)"  # escaped by the adapter
    assert reply.visible == "<B>HI</B>! (1 story)"
    in_group = await telegram.ask(command(group(-100700, "Readers"), "/shout", sender=ANN))
    assert in_group.visible == "Shout what? For example: /shout hello"


@pytest.fixture
async def discord_fake(
    tmp_path: Path, posts: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FakeDiscord]:
    # discord.py waits this long after the last GUILD_CREATE; the fake sends one
    monkeypatch.setattr(DiscordAdapter, "guild_ready_timeout", 0.01)
    fake = FakeDiscord()
    await fake.start()
    section = {"api_url": fake.api_url, "gateway_url": fake.gateway_url}
    config = make_config(tmp_path, sections={"discord": section},
                         env={"NEWSBOT_DISCORD_TOKEN": DISCORD_TOKEN})
    room = adapter_room(config, DiscordAdapter, TOY)
    await room.start()
    try:
        yield fake
    finally:
        await room.stop()
        await fake.close()
    assert fake.problems == []


async def test_discord_syncs_and_answers_the_toy(discord_fake: FakeDiscord) -> None:
    synced = discord_fake.command("shout")
    assert synced["description"] == "say it louder"
    assert [(o["name"], o["required"]) for o in synced["options"]] == [("text", False)]
    interaction = await discord_fake.use("shout", {"text": "hello there"})
    [answer] = await discord_fake.answer(interaction)
    assert answer["data"]["content"] == "HELLO THERE! (1 story)"
    assert answer["data"]["allowed_mentions"] == {"parse": []}
    bare = await discord_fake.use("shout")
    [refused] = await discord_fake.answer(bare)
    assert refused["data"]["content"] == "Shout what? For example: /shout hello"
    assert refused["data"]["flags"] & 64  # only the person who asked sees it
