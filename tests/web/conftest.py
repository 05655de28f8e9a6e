"""A newsroom with the moderators' page on, over a platform whose moderators the test
decides, and a browser-less client that keeps cookies like a browser."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from newsbot.app import Newsroom
from newsbot.types import Chat
from tests.helpers import ScriptedAdapter, make_config, scripted_room, two_posts


class Moderated(ScriptedAdapter):
    """The scripted platform, where `moderators[chat id]` are the users who run a chat."""

    def __init__(self) -> None:
        super().__init__()
        self.moderators: dict[str, set[str]] = {}
        self.asked: list[tuple[str, str]] = []

    async def may_moderate(self, user_id: str, chat_id: str) -> bool | None:
        self.asked.append((user_id, chat_id))
        return user_id in self.moderators.get(chat_id, set())


NEWS = Chat("scripted", "-100", "World news")
SPORT = Chat("scripted", "-200", "Sport club")


@pytest.fixture
def platform() -> Moderated:
    adapter = Moderated()
    adapter.moderators = {NEWS.id: {"ann"}, SPORT.id: {"bob"}}
    return adapter


@pytest.fixture
async def room(tmp_path: Path, platform: Moderated) -> AsyncIterator[Newsroom]:
    two_posts(tmp_path / "_posts")
    config = make_config(tmp_path, sections={"web": {"listen": "127.0.0.1:0"}})
    newsroom = scripted_room(config, platform)
    await newsroom.start()
    await newsroom.subscriptions.subscribe(NEWS)
    await newsroom.subscriptions.subscribe(SPORT)
    try:
        yield newsroom
    finally:
        await newsroom.stop()


class Visitor:
    """One browser: its cookies, and helpers for the page's forms."""

    def __init__(self, room: Newsroom, http: aiohttp.ClientSession) -> None:
        self.room = room
        self.http = http
        assert room.web is not None
        self.base = f"http://127.0.0.1:{room.web.port}"

    async def link(self, user: str, platform: str = "scripted") -> str:
        assert self.room.sign_in is not None
        return await self.room.sign_in.link(platform, user)

    async def sign_in(self, user: str) -> aiohttp.ClientResponse:
        link = await self.link(user)
        token = link.partition("token=")[2]
        return await self.http.post(self.base + "/signin", data={"token": token})

    async def get(self, path: str = "/") -> tuple[int, str]:
        async with self.http.get(self.base + path) as response:
            return response.status, await response.text()

    async def csrf(self) -> str:
        _, page = await self.get()
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        assert found is not None, "no form on the page"
        return found.group(1)

    async def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        async with self.http.post(self.base + path, data=data, allow_redirects=False) as r:
            return r.status, await r.text()


@pytest.fixture
async def visitor(room: Newsroom) -> AsyncIterator[Visitor]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        yield Visitor(room, http)


@pytest.fixture
async def stranger(room: Newsroom) -> AsyncIterator[Visitor]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        yield Visitor(room, http)
