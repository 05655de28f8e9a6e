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
from newsbot.workers.roles import Share
from newsbot_discord import DiscordAdapter
from tests.discord.conftest import discord_room
from tests.discord.fake_discord import FakeDiscord, shard_of
from tests.discord.objects import (
    EPHEMERAL,
    GUILD_ID,
    MEMBER,
    MEMBER_ID,
    MEMBER_OVERWRITE,
    MODERATORS_ROLE,
    NEWS,
    PRIVATE,
    TOKEN,
    VIEW_CHANNEL,
    Channel,
    Overwrite,
)
from tests.helpers import make_config
from tests.web.conftest import Visitor


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


@pytest.fixture
def private_desk(fake: FakeDiscord) -> Channel:
    """A private thread in #news that nobody but the bot is in. Ask for it before `room`:
    the gateway's GUILD_CREATE carries the threads there are when it connects."""
    return fake.private_thread()


async def test_the_page_hides_a_private_thread_from_a_moderator_not_in_it(
    private_desk: Channel, room: Newsroom, fake: FakeDiscord
) -> None:
    """Manage Channels on #news is not enough for a private thread in it: Discord shows
    it only to its members (and those who may Manage Threads), and so does the page,
    though the worker runs the gateway and discord.py's cache resolves the thread."""
    adapter = room.adapters["discord"]
    assert isinstance(adapter, DiscordAdapter) and adapter.shards.ids == [0]
    assert adapter.shards.get_channel(int(PRIVATE)) is not None
    await room.subscriptions.subscribe(Chat("discord", NEWS, "#news (Newsroom)"))
    await room.subscriptions.subscribe(Chat("discord", PRIVATE, "#private desk (Newsroom)"))
    fake.members[MEMBER_ID] = [MODERATORS_ROLE]
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        visitor = Visitor(room, http)
        token = (await visitor.link(MEMBER_ID, "discord")).partition("token=")[2]
        async with http.post(visitor.base + "/signin", data={"token": token}) as signed:
            page = await signed.text()
        assert "#news (Newsroom)" in page and "private desk" not in page
        form = {"chat": PRIVATE, "csrf": await visitor.csrf(), "tags": "uk", "format": "compact"}
        assert (await visitor.post("/save", form))[0] == 404  # as for a chat that does not exist
        private_desk.thread_members.append(MEMBER_ID)  # someone adds them to the thread
        assert "#private desk (Newsroom)" in (await visitor.get())[1]
        assert (await visitor.post("/save", form))[0] == 303
    sub = await room.queries.settings(Chat("discord", PRIVATE))
    assert sub is not None and sub.tags == ("uk",) and sub.style.format == "compact"


@pytest.fixture
async def far_room(tmp_path: Path, fake: FakeDiscord, posts: Path,
                   monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Newsroom]:
    """The page on a worker of several that runs the gateway, but not the shard of the
    fake's server (shard 1 of 2): another worker holds that one."""
    monkeypatch.setattr(DiscordAdapter, "identify_seconds", 0.0)
    section = {"api_url": fake.api_url, "gateway_url": fake.gateway_url, "shard_count": 2}
    config = make_config(
        tmp_path, sections={"discord": section, "web": {"listen": "127.0.0.1:0"}},
        env={"NEWSBOT_DISCORD_TOKEN": TOKEN},
    )
    newsroom = discord_room(config)
    await newsroom.start()
    try:
        [share] = newsroom.adapters["discord"].worker_roles()
        assert isinstance(share, Share) and shard_of(GUILD_ID, 2) == 1
        await share.changed(frozenset({"shard:discord:0"}))  # as the role keeper does
        yield newsroom
    finally:
        await newsroom.stop()


async def test_a_worker_without_the_servers_shard_knows_its_moderators(
    far_room: Newsroom, fake: FakeDiscord
) -> None:
    """Its gateway has no cache of the server: the rights come from Discord by REST
    (the channel, the server's roles and owner, the member), at every look and change."""
    adapter = far_room.adapters["discord"]
    assert isinstance(adapter, DiscordAdapter) and adapter.shards.ids == [0]
    assert adapter.shards.get_channel(int(NEWS)) is None
    await far_room.subscriptions.subscribe(Chat("discord", NEWS, "#news (Newsroom)"))
    fake.members[MEMBER_ID] = [MODERATORS_ROLE]
    fake.channels[NEWS].overwrites = [Overwrite(MEMBER_ID, MEMBER_OVERWRITE, deny=VIEW_CHANNEL)]
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        visitor = Visitor(far_room, http)
        token = (await visitor.link(MEMBER_ID, "discord")).partition("token=")[2]
        async with http.post(visitor.base + "/signin", data={"token": token}) as signed:
            assert "#news (Newsroom)" not in await signed.text()  # hidden from them there
        fake.channels[NEWS].overwrites = []
        _, page = await visitor.get()
        assert "#news (Newsroom)" in page
        form = {"chat": NEWS, "csrf": await visitor.csrf(), "tags": "uk", "format": "compact"}
        assert (await visitor.post("/save", form))[0] == 303
        fake.members[MEMBER_ID] = []  # the role is taken away
        assert (await visitor.post("/save", {**form, "tags": "sport"}))[0] == 404
        assert "#news (Newsroom)" not in (await visitor.get())[1]
    sub = await far_room.queries.settings(Chat("discord", NEWS))
    assert sub is not None and sub.tags == ("uk",) and sub.style.format == "compact"
    assert any(r.path == f"/guilds/{GUILD_ID}" for r in fake.requests)
