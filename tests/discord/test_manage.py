"""/manage on Discord: an ephemeral answer with a link bound to the member who asked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from newsbot.app import Newsroom
from newsbot.web.tokens import Identity
from tests.discord.conftest import discord_room
from tests.discord.fake_discord import FakeDiscord
from tests.discord.objects import EPHEMERAL, MEMBER, MEMBER_ID, TOKEN
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
