"""Discord: a member without Manage Channels cannot change a channel's subscription,
whatever other rights they hold, and hostile options get a short, private answer that
pings nobody. The store is the same afterwards in every case.

Reuses the Discord tests' fixtures (fake Discord, running newsroom); the basic cases
live in tests/discord/test_commands.py. `/settings` shows the subscription of the
channel it is used in, privately, to anyone who can use commands there: it names
nothing they could not see, and changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from newsbot.app import Newsroom
from newsbot.types import Chat
from tests.discord import conftest as discord_fixtures
from tests.discord.fake_discord import FakeDiscord
from tests.discord.objects import EPHEMERAL, MEMBER, MODERATOR, NEWS, SPORT, pings
from tests.reliability.snapshot import store_rows

# the Discord tests' fixtures, used here under the same names
quick_ready = discord_fixtures.quick_ready
fake = discord_fixtures.fake
posts = discord_fixtures.posts
room = discord_fixtures.room

MANAGE_MESSAGES, MANAGE_ROLES, MANAGE_GUILD, KICK = 1 << 13, 1 << 28, 1 << 5, 1 << 1
MENTION_EVERYONE, MANAGE_WEBHOOKS = 1 << 17, 1 << 29


async def answer(fake: FakeDiscord, name: str, options: dict[str, Any] | None = None,
                 **kw: Any) -> dict[str, Any]:
    interaction = await fake.use(name, options, **kw)
    [reply] = await fake.answer(interaction)
    assert reply["type"] == 4
    return reply["data"]


@pytest.fixture
async def configured(room: Newsroom) -> Newsroom:
    await room.subscriptions.subscribe(Chat("discord", NEWS), ["politics"])
    return room


@pytest.mark.parametrize(
    "permissions",
    [MEMBER, MEMBER | MANAGE_MESSAGES, MEMBER | MANAGE_ROLES, MEMBER | MANAGE_GUILD,
     MEMBER | KICK, MEMBER | MENTION_EVERYONE | MANAGE_WEBHOOKS],
    ids=["member", "manage-messages", "manage-roles", "manage-server", "kick",
         "everyone-and-webhooks"],
)
@pytest.mark.parametrize(
    ("name", "options", "channel"),
    [("subscribe", None, NEWS), ("subscribe", {"tags": "sport, uk"}, NEWS),
     ("subscribe", None, SPORT), ("unsubscribe", None, NEWS), ("unsubscribe", None, SPORT)],
    ids=["subscribe-subscribed", "subscribe-tags", "subscribe-new", "unsubscribe",
         "unsubscribe-unsubscribed"],
)
async def test_configuration_without_manage_channels_is_refused_and_changes_nothing(
    configured: Newsroom, fake: FakeDiscord, permissions: int, name: str,
    options: dict[str, Any] | None, channel: str,
) -> None:
    before = await store_rows(configured.store)
    reply = await answer(fake, name, options, permissions=permissions, channel=channel)
    assert reply["flags"] & EPHEMERAL
    assert reply["content"] == (
        "Only members who can Manage Channels can change this channel's subscription."
    )
    assert await store_rows(configured.store) == before


async def test_settings_shows_this_channel_only_privately_and_changes_nothing(
    configured: Newsroom, fake: FakeDiscord
) -> None:
    before = await store_rows(configured.store)
    here = await answer(fake, "settings", permissions=MEMBER, channel=NEWS)
    elsewhere = await answer(fake, "settings", permissions=MEMBER, channel=SPORT)
    assert here["flags"] & EPHEMERAL and elsewhere["flags"] & EPHEMERAL
    assert here["content"] == (
        "This channel receives stories tagged politics."
        " Corrections: sent stories are edited in place.")
    assert "politics" not in elsewhere["content"]
    assert await store_rows(configured.store) == before


HOSTILE_TAGS = [
    "x" * 10_000, "'; DELETE FROM subscriptions; --", "\" OR 1=1 --", "🔥💥🧨",
    "@everyone", "<@&1210000000000000001>", "<@1300000000000000002>", "@here <#1>",
    "\u202eevil\u200b", "<b>x</b> &amp;", "",
]


@pytest.mark.parametrize("tag", HOSTILE_TAGS, ids=[t[:16] or "empty" for t in HOSTILE_TAGS])
async def test_hostile_tags_get_a_short_answer_that_pings_nobody(
    configured: Newsroom, fake: FakeDiscord, tag: str
) -> None:
    before = await store_rows(configured.store)
    reply = await answer(fake, "tag", {"tag": tag}, permissions=MEMBER)
    assert reply["allowed_mentions"] == {"parse": []} and pings(reply) == set()
    assert len(reply.get("content") or "") <= 200
    assert await store_rows(configured.store) == before


@pytest.mark.parametrize(
    ("name", "options"),
    [("tag", {"tag": "x", "count": 0}), ("subscribe", {"tags": "y" * 10_000}),
     ("subscribe", {"tags": ", ".join(f"t{i}" for i in range(40))}),
     ("subscribe", {"tags": "@everyone, <@&1>, " + "z" * 65})],
    ids=["zero", "huge-filter", "many-tags", "long-tag"],
)
async def test_hostile_options_get_a_short_private_answer_and_change_nothing(
    configured: Newsroom, fake: FakeDiscord, name: str, options: dict[str, Any]
) -> None:
    before = await store_rows(configured.store)
    reply = await answer(fake, name, options, permissions=MODERATOR, channel=SPORT)
    assert reply["flags"] & EPHEMERAL
    assert reply["allowed_mentions"] == {"parse": []} and pings(reply) == set()
    assert 0 < len(reply["content"]) <= 200
    assert await store_rows(configured.store) == before


@pytest.mark.parametrize("count", [-5, 0, 10**12, 2**63])
async def test_counts_out_of_range_are_bounded(
    configured: Newsroom, fake: FakeDiscord, count: int
) -> None:
    # Discord itself refuses these (min_value 1, max_value 20); a forged one is clamped
    before = await store_rows(configured.store)
    reply = await answer(fake, "latest", {"count": count}, permissions=MEMBER)
    assert reply["allowed_mentions"] == {"parse": []} and pings(reply) == set()
    assert 1 <= len(reply.get("embeds") or []) <= 10 or len(reply["content"]) <= 200
    assert await store_rows(configured.store) == before
