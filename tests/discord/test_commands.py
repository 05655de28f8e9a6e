"""Slash commands through the gateway: synced definitions, answers, who may configure."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest

from newsbot.app import Newsroom
from newsbot.chat.commands import COMMANDS
from newsbot.types import Chat
from tests.discord.conftest import discord_config, discord_room
from tests.discord.fake_discord import FakeDiscord
from tests.discord.objects import (
    ADMINISTRATOR,
    ANNOUNCE,
    EPHEMERAL,
    GUILD_ID,
    MANAGE_CHANNELS,
    MEMBER,
    MODERATOR,
    NEWS,
    SPORT,
    pings,
)
from tests.helpers import write_post


def text(answer: dict[str, Any]) -> str:
    return answer["data"]["content"]


def ephemeral(answer: dict[str, Any]) -> bool:
    return bool((answer["data"].get("flags") or 0) & EPHEMERAL)


async def ask(fake: FakeDiscord, name: str, options: dict[str, Any] | None = None,
              **kw: Any) -> dict[str, Any]:
    interaction = await fake.use(name, options, **kw)
    [answer] = await fake.answer(interaction)
    assert answer["type"] == 4
    assert answer["data"]["allowed_mentions"] == {"parse": []}
    return answer


# -- what is registered ---------------------------------------------------------


async def test_commands_are_synced_globally_from_the_shared_list(
    room: Newsroom, fake: FakeDiscord
) -> None:
    synced = {c["name"]: c for c in fake.commands["global"]}
    assert list(synced) == [spec.name for spec in COMMANDS]
    for spec in COMMANDS:
        assert synced[spec.name]["description"] == spec.summary
        moderator = int(synced[spec.name]["default_member_permissions"] or 0)
        assert moderator == (MANAGE_CHANNELS if spec.moderator_only else 0)
    assert synced["subscribe"]["contexts"] == [0]  # servers only
    tag = {o["name"]: o for o in synced["tag"]["options"]}
    assert tag["tag"]["required"] is True and tag["tag"]["autocomplete"] is True
    assert tag["count"]["min_value"] == 1 and tag["count"]["max_value"] == 20
    for name in ("subscribe", "unsubscribe", "filter", "format", "settings"):
        [channel] = [o for o in synced[name]["options"] if o["type"] == 7]
        assert channel["name"] == "channel" and channel["required"] is False
        assert channel["channel_types"] == [0, 5, 15]  # text, announcement, forum
    for name in ("latest", "tag", "tags", "help"):
        assert all(o["type"] != 7 for o in synced[name].get("options") or [])
    assert GUILD_ID not in fake.commands


async def test_gateway_uses_default_intents_without_message_content(
    room: Newsroom, fake: FakeDiscord
) -> None:
    [identify] = fake.identify
    assert identify["intents"] == discord.Intents.default().value
    assert not identify["intents"] & (1 << 15)  # MESSAGE_CONTENT


@pytest.fixture
async def guild_room(tmp_path: Path, fake: FakeDiscord, posts: Path) -> AsyncIterator[Newsroom]:
    newsroom = discord_room(discord_config(tmp_path, fake, guild_id=int(GUILD_ID)))
    await newsroom.start()
    yield newsroom
    await newsroom.stop()


async def test_guild_id_syncs_to_that_guild_only(guild_room: Newsroom, fake: FakeDiscord) -> None:
    assert [c["name"] for c in fake.commands[GUILD_ID]] == [spec.name for spec in COMMANDS]
    assert fake.commands.get("global") is None
    answer = await ask(fake, "settings")
    assert "not subscribed" in text(answer)


# -- who may configure ----------------------------------------------------------


@pytest.mark.parametrize("permissions", [MODERATOR, MEMBER | ADMINISTRATOR])
async def test_member_who_can_manage_channels_subscribes_the_channel(
    room: Newsroom, fake: FakeDiscord, permissions: int
) -> None:
    answer = await ask(fake, "subscribe", {"tags": "politics, Breaking News"},
                       permissions=permissions)

    assert text(answer) == (
        "Subscribed: this channel will receive stories tagged politics, Breaking News. "
        "No stories are tagged “Breaking News” yet."
    )
    assert not ephemeral(answer)
    sub = await room.queries.settings(Chat("discord", NEWS))
    assert sub is not None and sub.tags == ("politics", "Breaking News")
    assert sub.chat.title == "#news (Newsroom)"


async def test_member_without_manage_channels_is_refused_and_nothing_changes(
    room: Newsroom, fake: FakeDiscord
) -> None:
    await room.subscriptions.subscribe(Chat("discord", SPORT), ["tennis"])

    answers = [
        await ask(fake, "subscribe", {"tags": "politics"}, permissions=MEMBER),
        await ask(fake, "subscribe", permissions=MEMBER, channel=SPORT),
        await ask(fake, "unsubscribe", permissions=MEMBER, channel=SPORT),
    ]

    for answer in answers:
        assert ephemeral(answer)
        assert "Manage Channels" in text(answer)
    assert await room.queries.settings(Chat("discord", NEWS)) is None
    sub = await room.queries.settings(Chat("discord", SPORT))
    assert sub is not None and sub.tags == ("tennis",)


async def test_subscribe_says_when_the_bot_cannot_post_in_the_channel(
    room: Newsroom, fake: FakeDiscord
) -> None:
    answer = await ask(fake, "subscribe", permissions=MODERATOR, channel=ANNOUNCE)

    assert ephemeral(answer)
    assert "I need the Embed Links and Send Messages permissions" in text(answer)
    assert await room.queries.settings(Chat("discord", ANNOUNCE)) is None


async def test_unsubscribe_by_a_moderator(room: Newsroom, fake: FakeDiscord) -> None:
    await room.subscriptions.subscribe(Chat("discord", NEWS))

    done = await ask(fake, "unsubscribe", permissions=MODERATOR)
    again = await ask(fake, "unsubscribe", permissions=MODERATOR)

    assert text(done) == "Unsubscribed: no more stories will be sent here."
    assert not ephemeral(done)
    assert text(again) == "This channel was not subscribed." and ephemeral(again)
    assert await room.queries.settings(Chat("discord", NEWS)) is None


async def test_too_many_tags_is_an_ephemeral_usage_error(
    room: Newsroom, fake: FakeDiscord
) -> None:
    tags = ", ".join(f"t{i}" for i in range(30))
    answer = await ask(fake, "subscribe", {"tags": tags}, permissions=MODERATOR)

    assert ephemeral(answer)
    assert text(answer) == "A subscription can filter on at most 25 tags."


# -- answers ----------------------------------------------------------------------


async def test_latest_answers_with_embeds(room: Newsroom, fake: FakeDiscord) -> None:
    answer = await ask(fake, "latest")

    assert not ephemeral(answer)
    titles = [e["title"] for e in answer["data"]["embeds"]]
    assert titles == ["The vote", "Budget day"]
    assert answer["data"]["embeds"][0]["url"].endswith("/2026/01/21/vote.html")


async def test_latest_twenty_is_split_into_messages_of_ten_embeds(
    room: Newsroom, fake: FakeDiscord, posts: Path
) -> None:
    for day in range(1, 23):
        write_post(posts, f"2026-02-{day:02d}-s.md", f"Story {day}", extra='excerpt: "' +
                   "word " * 100 + '"')
    await room.scan()

    interaction = await fake.use("latest", {"count": 20})
    first, second = await fake.answer(interaction, 2)

    assert first["type"] == 4 and second["type"] == "followup"
    counts = [len(first["data"]["embeds"]), len(second["data"]["embeds"])]
    assert counts == [10, 10]
    assert second["data"]["embeds"][-1]["title"] == "Story 3"


async def test_tag_answers_with_embeds_and_suggests_close_tags(
    room: Newsroom, fake: FakeDiscord
) -> None:
    found = await ask(fake, "tag", {"tag": "Politics"})
    unknown = await ask(fake, "tag", {"tag": "politic", "count": 3})

    assert [e["title"] for e in found["data"]["embeds"]] == ["The vote"]
    assert not ephemeral(found)
    assert ephemeral(unknown)
    assert text(unknown) == "No stories are tagged “politic”. Did you mean: politics?"


async def test_autocomplete_offers_matching_tags(room: Newsroom, fake: FakeDiscord) -> None:
    typed = await fake.use("tag", {"tag": "po"}, focused="tag")
    listed = await fake.use("tag", {"tag": ""}, focused="tag")
    filter_ = await fake.use("subscribe", {"tags": "politics, e"}, focused="tags",
                             permissions=MODERATOR)
    again = await fake.use("subscribe", {"tags": "Politics, pol"}, focused="tags")

    [choices] = await fake.answer(typed)
    assert choices == {"type": 8, "data": {"choices": [{"name": "politics", "value": "politics"}]}}
    [everything] = await fake.answer(listed)
    assert [c["value"] for c in everything["data"]["choices"]] == [
        "News", "economy", "politics", "uk"
    ]
    [more] = await fake.answer(filter_)
    assert [c["value"] for c in more["data"]["choices"]] == ["politics, economy", "politics, News"]
    [nothing_new] = await fake.answer(again)
    assert nothing_new["data"]["choices"] == []


async def test_tags_settings_and_help(room: Newsroom, fake: FakeDiscord) -> None:
    await room.subscriptions.subscribe(Chat("discord", SPORT), ["uk"])

    tags = await ask(fake, "tags")
    settings = await ask(fake, "settings", channel=SPORT)
    help_ = await ask(fake, "help")

    assert text(tags) == "Tags: News (2), economy (1), politics (1), uk (1)"
    assert text(settings) == (
        "This channel receives stories tagged uk. Corrections: sent stories are edited in place.")
    assert ephemeral(settings)
    assert ephemeral(help_)
    for spec in COMMANDS:
        assert f"/{spec.name}" in text(help_)


async def test_a_long_tag_list_is_fitted_to_one_message(
    room: Newsroom, fake: FakeDiscord, posts: Path
) -> None:
    write_post(posts, "2026-02-01-many.md", "Many tags", tags=[f"tag{i:03d}" for i in range(300)])
    await room.scan()

    answer = await ask(fake, "tags")

    assert len(text(answer)) <= 2000 and text(answer).endswith("…")


async def test_settings_of_a_dead_channel_says_how_to_restart(
    room: Newsroom, fake: FakeDiscord
) -> None:
    await room.subscriptions.subscribe(Chat("discord", NEWS))
    await room.outbox.mark_dead("discord", NEWS, "403 Missing Access (code 50001)")

    answer = await ask(fake, "settings")

    assert "delivery stopped (403 Missing Access (code 50001))" in text(answer)
    assert "/subscribe" in text(answer)


async def test_answers_ping_nobody(room: Newsroom, fake: FakeDiscord, posts: Path) -> None:
    write_post(posts, "2026-02-01-ping.md", "Hi @everyone", tags=["<@&456>"])
    await room.scan()

    latest = await ask(fake, "latest", {"count": 1})
    tags = await ask(fake, "tags")

    assert "<@&456>" in text(tags)
    for answer in (latest, tags):
        assert pings(answer["data"]) == set()


async def test_unexpected_failure_gets_an_ephemeral_apology(
    room: Newsroom, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(n: int | None = None) -> list[Any]:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(room.queries, "latest", broken)

    answer = await ask(fake, "latest")

    assert ephemeral(answer)
    assert text(answer).startswith("Sorry, something went wrong")
    assert "database on fire" not in text(answer)
    assert any("/latest failed" in r.getMessage() for r in caplog.records)


async def test_filter_takes_its_text_in_one_option(room: Newsroom, fake: FakeDiscord) -> None:
    await ask(fake, "subscribe", {"tags": "uk, -economy"}, permissions=MODERATOR)
    synced = fake.command("filter")
    assert [(o["name"], o["type"]) for o in synced["options"]] == [("text", 3), ("channel", 7)]
    answer = await ask(fake, "filter", {"text": 'vote "budget day" -/^Ad/'},
                       permissions=MODERATOR)
    assert text(answer) == (
        "Filter saved: this channel receives stories tagged uk except those tagged economy, "
        "only those that mention vote or “budget day”, never those that mention /^Ad/."
    )
    refused = await ask(fake, "filter", {"text": "off"}, permissions=MEMBER)
    assert ephemeral(refused) and "Manage Channels" in text(refused)
    sub = await room.queries.settings(Chat("discord", NEWS))
    assert sub is not None and sub.filters.keep == ("vote", "budget day")
