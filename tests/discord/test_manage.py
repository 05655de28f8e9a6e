"""/manage on Discord: an ephemeral answer with a link bound to the member who asked."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from newsbot.app import Newsroom
from newsbot.types import Chat
from newsbot.web.tokens import Identity
from tests.discord.conftest import discord_room
from tests.discord.fake_discord import FakeDiscord
from tests.discord.fake_members import MODERATORS_ROLE
from tests.discord.objects import EPHEMERAL, MEMBER, MEMBER_ID, NEWS, TOKEN
from tests.helpers import make_config


@pytest.fixture
async def room(tmp_path: Path, fake: FakeDiscord, posts: Path) -> AsyncIterator[Newsroom]:
    section = {"api_url": fake.api_url, "gateway_url": fake.gateway_url}
    config = make_config(
        tmp_path, sections={"discord": section, "web": {"listen": "127.0.0.1:0"}},
        env={"NEWSBOT_DISCORD_TOKEN": TOKEN},
    )
    newsroom = discord_room(config)
    await newsroom.start()
    try:
        yield newsroom
    finally:
        await newsroom.stop()


async def test_manage_answers_the_member_alone(room: Newsroom, fake: FakeDiscord) -> None:
    assert "manage" in [c["name"] for c in fake.commands["global"]]
    interaction = await fake.use("manage", permissions=MEMBER)
    [answer] = await fake.answer(interaction)
    assert answer["data"]["flags"] & EPHEMERAL
    content = answer["data"]["content"]
    token = content.split("/signin?token=")[1].split()[0]
    assert room.sign_in is not None
    session, _ = await room.sign_in.redeem(token)
    assert session.identity == Identity("discord", MEMBER_ID)


async def test_the_page_shows_a_discord_channel_to_whoever_may_manage_it_now(
    room: Newsroom, fake: FakeDiscord
) -> None:
    """Rights come from Discord at every look and every change: the member's roles
    (`GET /guilds/{id}/members/{id}`) and the channel's overwrites, which discord.py
    resolves; a member who loses Manage Channels loses the channel at once."""
    await room.subscriptions.subscribe(Chat("discord", NEWS, "#news (Newsroom)"))
    fake.members[MEMBER_ID] = [MODERATORS_ROLE]
    interaction = await fake.use("manage", permissions=MEMBER)
    [answer] = await fake.answer(interaction)
    token = answer["data"]["content"].split("/signin?token=")[1].split()[0]
    assert room.web is not None
    base = f"http://127.0.0.1:{room.web.port}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(base + "/signin", data={"token": token}) as signed:
            page = await signed.text()
        assert "#news (Newsroom)" in page
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf is not None
        ask = {"chat": NEWS, "csrf": csrf.group(1), "tags": "uk", "format": "compact"}
        async with http.post(base + "/preview", json=ask) as preview:
            shown = (await preview.json())["html"]
        # the newest story tagged uk, as Discord's compact embed: a linked title, no picture
        assert 'class="dc-title"' in shown and "The vote" in shown
        assert "Budget day" not in shown and 'class="dc-image"' not in shown
        fake.members[MEMBER_ID] = []  # the role is taken away
        async with http.post(base + "/save", data={"chat": NEWS, "csrf": csrf.group(1),
                                                   "tags": "uk", "format": "compact"},
                             allow_redirects=False) as refused:
            assert refused.status == 404  # as for a chat that does not exist: nothing told
        async with http.get(base + "/") as again:
            assert "#news (Newsroom)" not in await again.text()
    sub = await room.queries.settings(Chat("discord", NEWS))
    assert sub is not None and sub.tags == () and sub.style.format == "full"  # unchanged
    asked = [r for r in fake.requests if f"/members/{MEMBER_ID}" in r.path]
    assert len(asked) >= 3  # asked at the look, the change and the look after
