"""Threads, forum channels and announcement channels, through the whole bot and the real
discord.py against the fake: where `/subscribe` points, and how a story lands there."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord
import pytest
from sqlalchemy import select

from newsbot.app import Newsroom
from newsbot.store import schema
from newsbot.types import Chat, Style, Summary
from newsbot_discord import DiscordAdapter
from newsbot_discord.places import Place, matching_tags, post_title
from tests.discord.fake_discord import FakeDiscord
from tests.discord.objects import (
    ANNOUNCEMENT,
    BOT_CAN_POST,
    BULLETIN,
    EMBED_LINKS,
    EPHEMERAL,
    FORUM,
    FORUM_TAGS,
    FORUM_TYPE,
    MEMBER,
    MODERATOR,
    NEWS,
    PUBLIC_THREAD,
    READ_HISTORY,
    REQUIRE_TAG,
    SEND_IN_THREADS,
    THREAD,
    VIEW_CHANNEL,
    Channel,
)
from tests.helpers import write_post

#: more places, in the server before the bot connects
QUIET_BULLETIN, CLOSED_FORUM, MUTE_THREAD, STRICT_FORUM = (
    f"142000000000000000{i}" for i in range(1, 5))
#: threads in every state, only known to the REST API (Discord syncs active threads only,
#: and these are looked up when a story goes there)
AWAKE, SLEEPING, LOCKED, SHUT = (f"143000000000000000{i}" for i in range(1, 5))
GONE = "1439999999999999999"
IN_THREADS = BOT_CAN_POST | SEND_IN_THREADS
STORY = Summary("2026-02-01-a.md", "A story", "https://news.example.org/a.html", "Short", None,
                datetime(2026, 2, 1, 10, tzinfo=UTC), "", ("uk",))


@pytest.fixture(autouse=True)
def more_places(fake: FakeDiscord) -> None:
    for channel in (
        Channel(QUIET_BULLETIN, "quiet bulletin", type=ANNOUNCEMENT),
        Channel(CLOSED_FORUM, "closed forum", VIEW_CHANNEL | EMBED_LINKS, type=FORUM_TYPE),
        Channel(MUTE_THREAD, "mute thread", BOT_CAN_POST, type=PUBLIC_THREAD, parent_id=NEWS),
        # posts must carry one of its tags; the bot cannot read its history
        Channel(STRICT_FORUM, "strict forum", BOT_CAN_POST & ~READ_HISTORY, type=FORUM_TYPE,
                tags=FORUM_TAGS, flags=REQUIRE_TAG),
    ):
        fake.channels[channel.id] = channel


def chat(channel_id: str) -> Chat:
    return Chat("discord", channel_id)


async def ask(fake: FakeDiscord, name: str, options: dict[str, Any] | None = None,
              **kw: Any) -> tuple[str, bool]:
    interaction = await fake.use(name, options, **kw)
    [answer] = await fake.answer(interaction)
    data = answer["data"]
    return data["content"], bool((data.get("flags") or 0) & EPHEMERAL)


async def publish(room: Newsroom, posts: Path, name: str, title: str, **kw: Any) -> None:
    write_post(posts, name, title, **kw)
    await room.scan()
    await room.drain()


async def outbox(room: Newsroom) -> dict[tuple[str, str], tuple[str, str | None]]:
    o = schema.outbox
    async with room.store.engine.connect() as conn:
        rows = await conn.execute(select(o.c.post_id, o.c.chat_id, o.c.status, o.c.message_id))
    return {(post, chat_id): (status, message_id) for post, chat_id, status, message_id in rows}


def titles(bodies: list[dict[str, Any]]) -> list[str]:
    return [body["embeds"][0]["title"] for body in bodies]


# -- threads ---------------------------------------------------------------------


async def test_subscribe_inside_a_thread_and_the_story_lands_in_the_thread(
    room: Newsroom, fake: FakeDiscord, posts: Path
) -> None:
    said, private = await ask(fake, "subscribe", permissions=MODERATOR, channel=THREAD)
    refused, _ = await ask(fake, "subscribe", permissions=MODERATOR, channel=MUTE_THREAD)

    assert (said, private) == ("Subscribed: this channel will receive every new story.", False)
    assert refused == (
        "I cannot post in this channel: I need the Send Messages in Threads permission there.")
    [sub] = await room.queries.subscriptions()
    assert (sub.chat.id, sub.chat.title) == (THREAD, "#election night (Newsroom)")

    await publish(room, posts, "2026-02-01-a.md", "In the thread")

    assert titles(fake.sent(THREAD)) == ["In the thread"]
    assert fake.sent(NEWS) == []  # the thread's channel gets nothing


async def test_a_locked_or_deleted_thread_stops_only_itself(
    room: Newsroom, fake: FakeDiscord, posts: Path
) -> None:
    for thread_id, name, archived, locked in (
        (AWAKE, "awake", False, False), (SLEEPING, "sleeping", True, False),
        (LOCKED, "locked", False, True), (SHUT, "shut", True, True),
    ):
        fake.channels[thread_id] = Channel(thread_id, name, IN_THREADS, type=PUBLIC_THREAD,
                                           parent_id=NEWS, archived=archived, locked=locked)
    for channel in (NEWS, AWAKE, SLEEPING, LOCKED, SHUT, GONE):
        await room.subscriptions.subscribe(chat(channel))

    await publish(room, posts, "2026-02-01-a.md", "First")
    await publish(room, posts, "2026-02-02-b.md", "Second")

    for channel in (NEWS, AWAKE, SLEEPING):  # a message wakes an archived thread
        assert titles(fake.sent(channel)) == ["First", "Second"]
    assert not fake.channels[SLEEPING].archived
    reasons = {}
    for channel in (LOCKED, SHUT, GONE):
        sub = await room.queries.settings(chat(channel))
        assert sub is not None and sub.dead
        reasons[channel] = sub.dead_reason
        assert len(fake.attempts(channel)) <= 1  # a dead thread costs no more requests
    assert "160005" in reasons[LOCKED] and "50083" in reasons[SHUT]
    assert "10003" in reasons[GONE]


# -- the channel option -----------------------------------------------------------


async def test_a_forum_is_subscribed_with_the_channel_option_by_its_moderator(
    room: Newsroom, fake: FakeDiscord
) -> None:
    there = {"channel": FORUM, "tags": "politics"}
    refused = await ask(fake, "subscribe", there, permissions=MODERATOR, elsewhere=MEMBER)
    assert refused == (
        "You are not a member who can Manage Channels of #stories (Newsroom).", True)
    assert await room.queries.subscriptions() == []

    said = await ask(fake, "subscribe", there, permissions=MODERATOR, elsewhere=MODERATOR)
    shown = await ask(fake, "settings", {"channel": FORUM}, elsewhere=MODERATOR)

    assert said == ("Subscribed: #stories (Newsroom) will receive stories tagged politics.",
                    False)
    assert shown == ("#stories (Newsroom) receives stories tagged politics. "
                     "Corrections: sent stories are edited in place.", True)
    [sub] = await room.queries.subscriptions()
    assert (sub.chat.id, sub.chat.title, sub.tags) == (
        FORUM, "#stories (Newsroom)", ("politics",))
    assert await room.queries.settings(chat(NEWS)) is None  # where it was typed: untouched


async def test_the_channel_option_checks_the_bot_there_and_a_refusal_changes_nothing(
    room: Newsroom, fake: FakeDiscord
) -> None:
    await room.subscriptions.subscribe(chat(FORUM), ["uk"])

    cannot = await ask(fake, "subscribe", {"channel": CLOSED_FORUM}, permissions=MODERATOR)
    stranger = await ask(fake, "unsubscribe", {"channel": FORUM}, permissions=MODERATOR,
                         elsewhere=MEMBER)
    formats = await ask(fake, "format", {"text": "headline", "channel": FORUM},
                        permissions=MODERATOR, elsewhere=MEMBER)

    # without Create Posts (Send Messages), Discord implicitly denies Embed Links too
    assert cannot == ("I cannot post in #closed forum (Newsroom): I need the Embed Links and "
                      "Create Posts permissions there.", True)
    for answer in (stranger, formats):
        assert answer == (
            "You are not a member who can Manage Channels of #stories (Newsroom).", True)
    [sub] = await room.queries.subscriptions()
    assert (sub.chat.id, sub.tags, sub.style) == (FORUM, ("uk",), Style())


# -- forums -----------------------------------------------------------------------


async def test_a_story_becomes_a_forum_post_with_the_matching_tags(
    room: Newsroom, fake: FakeDiscord, posts: Path
) -> None:
    await room.subscriptions.subscribe(chat(FORUM))
    await room.subscriptions.set_style(chat(FORUM), Style("compact", silent=True))

    await publish(room, posts, "2026-02-01-a.md", "Starmer in Tokyo",
                  tags=["uk", "economy", "politics"], extra='excerpt: "Talks. More talks."')

    [summary] = await room.queries.latest(1)
    first = json.loads(DiscordAdapter.preview(summary, Style("compact", silent=True)))
    del first["tts"]
    [post] = fake.posts(FORUM)
    tag_ids = dict((name, tag_id) for tag_id, name in FORUM_TAGS)
    assert post == {"name": "Starmer in Tokyo", "message": first,
                    "applied_tags": [tag_ids["UK"], tag_ids["Politics"]]}
    assert post["message"]["flags"] == 4096  # silent, as any message
    assert fake.sent(FORUM) == []
    status, message_id = (await outbox(room))[("2026-02-01-a.md", FORUM)]
    thread = fake.channels[message_id or ""]
    assert status == "sent" and (thread.parent_id, thread.name) == (FORUM, "Starmer in Tokyo")
    assert fake.messages[message_id or ""]["embeds"][0]["title"] == "Starmer in Tokyo"


async def test_subscribing_a_forum_says_which_stories_it_holds_back(
    room: Newsroom, fake: FakeDiscord
) -> None:
    said = await ask(fake, "subscribe", {"channel": STRICT_FORUM}, permissions=MODERATOR,
                     elsewhere=MODERATOR)

    assert said == (
        "Subscribed: #strict forum (Newsroom) will receive every new story. "
        "#strict forum (Newsroom) requires one of its tags, so only stories tagged "
        "Politics, UK and Sport can be posted there. Without the Read Message History "
        "permission in #strict forum (Newsroom), a story whose sending is tried again "
        "could be posted twice.", False)
    [sub] = await room.queries.subscriptions()
    assert sub.chat.id == STRICT_FORUM  # said, not refused


async def test_a_forum_that_requires_a_tag_takes_the_stories_that_have_one(
    room: Newsroom, fake: FakeDiscord, posts: Path
) -> None:
    await room.subscriptions.subscribe(chat(STRICT_FORUM))

    await publish(room, posts, "2026-02-01-a.md", "Weather", tags=["weather"])
    await publish(room, posts, "2026-02-02-b.md", "Cup final", tags=["sport"])

    [post] = fake.posts(STRICT_FORUM)
    assert (post["name"], post["applied_tags"]) == ("Cup final", [FORUM_TAGS[2][0]])
    rows = await outbox(room)
    assert rows[("2026-02-01-a.md", STRICT_FORUM)] == ("dropped", None)
    assert rows[("2026-02-02-b.md", STRICT_FORUM)][0] == "sent"


async def test_a_forum_unknown_to_the_gateway_is_looked_up_once(
    room: Newsroom, fake: FakeDiscord, posts: Path
) -> None:
    late = "1420000000000000009"
    fake.channels[late] = Channel(late, "late forum", type=FORUM_TYPE, tags=FORUM_TAGS)
    await room.subscriptions.subscribe(chat(late))

    await publish(room, posts, "2026-02-01-a.md", "One", tags=["sport"])
    await publish(room, posts, "2026-02-02-b.md", "Two " + "long " * 30)

    assert [r.method for r in fake.requests if r.path == f"/channels/{late}"] == ["GET"]
    first, second = fake.posts(late)
    assert first["applied_tags"] == [FORUM_TAGS[2][0]] and "applied_tags" not in second
    assert len(second["name"]) <= 100 and second["name"].endswith("long…")


@pytest.mark.parametrize(
    ("story", "forum", "chosen"),
    [
        (("UK", "uk", "Politics"), (("1", "uk"), ("2", "POLITICS")), ["1", "2"]),
        (tuple("abcdefg"), tuple((str(i), c) for i, c in enumerate("gfedcba")), list("65432")),
        (("sport",), (), []),
    ],
)
def test_forum_tags_are_matched_by_name_in_the_storys_order_at_most_five(
    story: tuple[str, ...], forum: tuple[tuple[str, str], ...], chosen: list[str]
) -> None:
    place = Place(discord.ChannelType.forum, tuple((int(i), name) for i, name in forum))
    assert matching_tags(place, story) == chosen


@pytest.mark.parametrize(
    ("title", "name"),
    [("A story", "A story"), (" Two\n lines ", "Two lines"), ("  ", STORY.url),
     ("x" * 150, "x" * 99 + "…")],
)
def test_a_post_title_is_one_line_of_at_most_100_characters(title: str, name: str) -> None:
    assert post_title(replace(STORY, title=title)) == name


# -- announcement channels --------------------------------------------------------


async def test_an_announcement_channel_publishes_when_asked(
    room: Newsroom, fake: FakeDiscord, posts: Path
) -> None:
    for channel in (BULLETIN, QUIET_BULLETIN, NEWS):
        await ask(fake, "subscribe", permissions=MODERATOR, channel=channel)
    for channel in (BULLETIN, NEWS):  # NEWS is a text channel: nothing to publish there
        said = await ask(fake, "format", {"text": "publish"}, permissions=MODERATOR,
                         channel=channel)
        assert said[0].endswith("published to following servers.")

    await publish(room, posts, "2026-02-01-a.md", "Big news")

    rows = await outbox(room)
    published = rows[("2026-02-01-a.md", BULLETIN)][1]
    assert fake.crossposts(BULLETIN) == [(published, 200)]
    assert fake.messages[published or ""]["flags"] & 1  # CROSSPOSTED
    assert fake.crossposts(QUIET_BULLETIN) == [] and fake.crossposts(NEWS) == []
    for channel in (BULLETIN, QUIET_BULLETIN, NEWS):
        assert titles(fake.sent(channel)) == ["Big news"]


async def test_past_the_crosspost_limit_a_story_stays_unpublished_and_is_sent_once(
    room: Newsroom, fake: FakeDiscord, posts: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake.crossposts_per_hour = 1
    await room.subscriptions.subscribe(chat(BULLETIN))
    await room.subscriptions.set_style(chat(BULLETIN), Style(publish=True))
    caplog.set_level(logging.WARNING, "newsbot_discord")

    await publish(room, posts, "2026-02-01-a.md", "First")
    await publish(room, posts, "2026-02-02-b.md", "Second")

    rows = await outbox(room)
    first, second = (rows[(post, BULLETIN)] for post in ("2026-02-01-a.md", "2026-02-02-b.md"))
    assert fake.crossposts(BULLETIN) == [(first[1], 200), (second[1], 429)]
    assert titles(fake.sent(BULLETIN)) == ["First", "Second"]
    assert len(fake.attempts(BULLETIN)) == 2  # never sent again
    assert first[0] == second[0] == "sent"
    assert any("crosspost limit" in r.getMessage() and "2026-02-02-b.md" in r.getMessage()
               for r in caplog.records)
