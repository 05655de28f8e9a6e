"""/manage on Telegram: the sign-in link reaches its user alone, never a group, never a log."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from newsbot import logs
from newsbot.app import Newsroom
from newsbot.chat import wording
from newsbot.types import Chat
from newsbot.web.tokens import Identity
from tests.helpers import make_config
from tests.telegram.bot_api_answers import ApiError
from tests.telegram.conftest import telegram_room
from tests.telegram.fake_bot_api import TOKEN, FakeBotAPI, channel, command, group, person, private

ANN, BOB = person(501, "Ann", "ann"), person(502, "Bob")
GROUP = group(-100700, "Readers")
NEWS = channel(-100900, "World news")
LINK = "https://bot.example.org/signin?token="


@pytest.fixture
async def room(tmp_path: Path, fake: FakeBotAPI, posts: Path) -> AsyncIterator[Newsroom]:
    sections = {"telegram": {"api_url": fake.api_url},
                "web": {"listen": "127.0.0.1:0", "public_url": "https://bot.example.org"}}
    config = make_config(tmp_path, sections=sections, env={"NEWSBOT_TELEGRAM_TOKEN": TOKEN})
    newsroom = telegram_room(config)
    await newsroom.start()
    try:
        yield newsroom
    finally:
        await newsroom.stop()


def link_in(text: str) -> str:
    start = text.index(LINK)
    return text[start:].split()[0]


async def identity_of(room: Newsroom, link: str) -> Identity:
    assert room.sign_in is not None
    session, _ = await room.sign_in.redeem(link.partition("token=")[2])
    return session.identity


async def test_manage_in_private_answers_with_the_link(
    room: Newsroom, fake: FakeBotAPI
) -> None:
    stream = io.StringIO()
    logs.configure("DEBUG", stream=stream)  # PTB logs every request's parameters at DEBUG
    [menu] = fake.requests("setMyCommands")
    assert "manage" in [c["command"] for c in menu.params["commands"]]
    reply = await fake.ask(command(private(ANN), "/manage"))
    assert reply.visible is not None
    link = link_in(reply.visible)
    assert reply.params["link_preview_options"] == {"is_disabled": True}  # no fetch of it
    assert await identity_of(room, link) == Identity("telegram", "501")
    logs.configure("WARNING", stream=io.StringIO())
    assert "sendMessage" in stream.getvalue()
    assert link.partition("token=")[2] not in stream.getvalue()


async def test_manage_in_a_group_sends_the_link_privately(
    room: Newsroom, fake: FakeBotAPI
) -> None:
    fake.add_chat(GROUP)
    fake.add_chat(private(ANN))  # Ann has talked to the bot before
    since = len(fake.calls)
    said = await fake.ask(command(GROUP, "/manage", sender=ANN))
    assert said.visible == wording.MANAGE_SENT
    [direct] = [c for c in fake.calls[since:] if c.method == "sendMessage" and c.chat_id == 501]
    assert direct.visible is not None
    assert direct.params["link_preview_options"] == {"is_disabled": True}
    assert await identity_of(room, link_in(direct.visible)) == Identity("telegram", "501")
    assert LINK not in str(fake.requests("sendMessage", GROUP.id))


async def test_manage_in_a_group_asks_for_a_private_chat_first(
    room: Newsroom, fake: FakeBotAPI
) -> None:
    fake.add_chat(GROUP)  # Bob never opened a chat with the bot: Telegram refuses
    fake.fail(ApiError.cannot_initiate(), method="sendMessage", chat_id=BOB.id)
    said = await fake.ask(command(GROUP, "/manage", sender=BOB))
    assert said.visible == wording.MANAGE_START_FIRST
    assert not [c for c in fake.delivered() if LINK in str(c.params)]


async def test_manage_as_a_channel_names_nobody(room: Newsroom, fake: FakeBotAPI) -> None:
    fake.add_chat(NEWS)
    said = await fake.ask(command(NEWS, "/manage"))
    assert said.visible == wording.MANAGE_WHO


async def test_the_page_asks_telegram_again_at_every_change(
    room: Newsroom, fake: FakeBotAPI
) -> None:
    """An administrator demoted a moment ago can change nothing: the page does not
    trust the minute-long cache the chat commands use."""
    fake.set_member(GROUP.id, ANN.id, "administrator")
    await fake.ask(command(GROUP, "/subscribe", sender=ANN))
    assert room.sign_in is not None and room.web is not None
    session, cookie = await room.sign_in.redeem(
        (await room.sign_in.link("telegram", str(ANN.id))).partition("token=")[2])
    csrf = room.sign_in.signer.csrf(session)
    base = f"http://127.0.0.1:{room.web.port}"
    async with aiohttp.ClientSession(cookies={"newsbot_session": cookie}) as http:
        async with http.get(base + "/") as page:
            assert "Readers" in await page.text()
        fake.set_member(GROUP.id, ANN.id, "member")  # demoted
        async with http.post(base + "/save", data={"chat": str(GROUP.id), "csrf": csrf,
                             "tags": "uk"}, allow_redirects=False) as change:
            assert change.status == 404  # as for a chat that is not hers: nothing told
    sub = await room.queries.settings(Chat("telegram", str(GROUP.id)))
    assert sub is not None and sub.tags == ()
