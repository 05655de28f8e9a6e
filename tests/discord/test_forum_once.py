"""A story opens one forum post, even when its send is repeated after an unknown outcome
(`newsbot_discord.forum_posts`): through the whole bot, and the adapter's `send` on its
own, with the real discord.py against the fake."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from newsbot.app import Newsroom
from newsbot.delivery import retry
from newsbot.delivery.errors import TransientError
from newsbot.store import schema
from newsbot.types import Chat, Summary
from tests.discord.fake_discord import FakeDiscord
from tests.discord.objects import (
    BOT_CAN_POST,
    FORUM,
    FORUM_TYPE,
    GUILD_ID,
    MEMBER_ID,
    READ_HISTORY,
    Channel,
)
from tests.helpers import write_post

#: another forum of the server, and one where the bot may post but not read history
OTHER_FORUM, UNREAD_FORUM = (f"144000000000000000{i}" for i in range(1, 3))
STORY = Summary("2026-02-01-a.md", "Starmer in Tokyo", "https://news.example.org/a.html",
                "Talks.", None, datetime(2026, 2, 1, 10, tzinfo=UTC), "", ())
ACTIVE = f"/guilds/{GUILD_ID}/threads/active"


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "BACKOFF_BASE_SECONDS", 0.02)


@pytest.fixture(autouse=True)
def more_forums(fake: FakeDiscord) -> None:
    for forum_id, name, rights in ((OTHER_FORUM, "other forum", BOT_CAN_POST),
                                   (UNREAD_FORUM, "unread forum", BOT_CAN_POST & ~READ_HISTORY)):
        fake.channels[forum_id] = Channel(forum_id, name, rights, type=FORUM_TYPE)


async def send(room: Newsroom, forum: str, summary: Summary = STORY) -> str:
    """The adapter's own `send`, as the outbox calls it (without the outbox's retries)."""
    return await room.adapters["discord"].send(forum, summary)


def wire(fake: FakeDiscord, since: int = 0) -> list[str]:
    """The requests Discord received (from the `since`-th on), as "METHOD path"."""
    return [f"{r.method} {r.path}" for r in fake.requests[since:]]


def post_attempts(fake: FakeDiscord, forum: str) -> int:
    return wire(fake).count(f"POST /channels/{forum}/threads")


async def outbox(room: Newsroom) -> dict[str, tuple[str, str | None]]:
    o = schema.outbox
    async with room.store.engine.connect() as conn:
        rows = await conn.execute(select(o.c.post_id, o.c.status, o.c.message_id)
                                  .where(o.c.chat_id == FORUM))
    return {post: (status, message_id) for post, status, message_id in rows}


# -- through the whole bot -----------------------------------------------------------


@pytest.mark.parametrize("lost", ["created+disconnect", "created+unavailable",
                                  "created+bad_gateway"])
async def test_a_forum_post_whose_answer_was_lost_is_still_one_post(
    room: Newsroom, fake: FakeDiscord, posts: Path, lost: str
) -> None:
    await room.subscriptions.subscribe(Chat("discord", FORUM))
    fake.fail(FORUM, lost)  # Discord opens the post; the answer never reaches the bot

    write_post(posts, "2026-02-01-tokyo.md", "Starmer in Tokyo")
    await room.scan()
    await room.drain()

    [post] = fake.threads_in(FORUM)
    assert post.name == "Starmer in Tokyo"
    # posted once: the outbox's retry found the post (and discord.py did not repeat a
    # 502 by itself)
    assert post_attempts(fake, FORUM) == 1
    assert wire(fake).count(f"GET {ACTIVE}") == 2  # a look before each attempt
    assert (await outbox(room))["2026-02-01-tokyo.md"] == ("sent", post.id)

    before = len(fake.requests)
    write_post(posts, "2026-02-02-vote.md", "The vote")
    await room.scan()
    await room.drain()

    first, second = fake.threads_in(FORUM)
    assert (first.id, second.name) == (post.id, "The vote")
    assert (await outbox(room))["2026-02-02-vote.md"] == ("sent", second.id)
    # what a forum post costs: the list, the bot's newest post's first message, the post
    assert wire(fake, before) == [f"GET {ACTIVE}", f"GET /channels/{post.id}/messages/{post.id}",
                                  f"POST /channels/{FORUM}/threads"]


# -- what the look takes for the story's post -----------------------------------------


async def test_a_corrected_title_does_not_hide_the_post_made_before(
    room: Newsroom, fake: FakeDiscord
) -> None:
    fake.fail(FORUM, "created+unavailable")
    with pytest.raises(TransientError):
        await send(room, FORUM)

    corrected = replace(STORY, title="Starmer lands in Tokyo", excerpt="Talks, at last.")
    found = await send(room, FORUM, corrected)

    [post] = fake.threads_in(FORUM)
    assert found == post.id and post.name == "Starmer in Tokyo"
    assert post_attempts(fake, FORUM) == 1


async def test_another_storys_post_or_someone_elses_is_not_taken_for_the_story(
    room: Newsroom, fake: FakeDiscord
) -> None:
    same_title = fake.forum_post(FORUM, STORY.title, "https://news.example.org/other.html")
    members = fake.forum_post(FORUM, STORY.title, STORY.url, owner=MEMBER_ID)
    elsewhere = fake.forum_post(OTHER_FORUM, STORY.title, STORY.url)

    posted = await send(room, FORUM)

    assert posted not in (same_title, members, elsewhere)
    assert [t.id for t in fake.threads_in(FORUM)] == [same_title, members, posted]
    assert post_attempts(fake, FORUM) == 1
    read = [p for p in wire(fake) if p.startswith("GET /channels/") and "/messages/" in p]
    assert read == [f"GET /channels/{same_title}/messages/{same_title}"]  # the bot's only


async def test_an_older_post_of_the_bot_with_the_storys_title_is_found_too(
    room: Newsroom, fake: FakeDiscord
) -> None:
    earlier = fake.forum_post(FORUM, STORY.title, STORY.url)
    fake.forum_post(FORUM, "Another story", "https://news.example.org/b.html")

    assert await send(room, FORUM) == earlier
    assert post_attempts(fake, FORUM) == 0


async def test_an_archived_post_is_not_seen_and_the_story_is_posted_again(
    room: Newsroom, fake: FakeDiscord
) -> None:
    archived = fake.forum_post(FORUM, STORY.title, STORY.url)
    fake.channels[archived].archived = True  # no activity for the auto-archive time

    posted = await send(room, FORUM)

    assert posted != archived and len(fake.threads_in(FORUM)) == 2  # the README's limit


async def test_a_story_whose_url_no_embed_can_carry_is_posted_without_a_look(
    room: Newsroom, fake: FakeDiscord
) -> None:
    await send(room, FORUM, replace(STORY, url="https://news.example.org/" + "x" * 2048))

    assert f"GET {ACTIVE}" not in wire(fake) and post_attempts(fake, FORUM) == 1


# -- when the look fails --------------------------------------------------------------


async def test_a_look_discord_fails_holds_the_post_back_until_it_can_look(
    room: Newsroom, fake: FakeDiscord
) -> None:
    fake.fail(f"{GUILD_ID}/threads/active", "unavailable")

    with pytest.raises(TransientError, match="503"):
        await send(room, FORUM)
    assert post_attempts(fake, FORUM) == 0

    posted = await send(room, FORUM)
    assert [t.id for t in fake.threads_in(FORUM)] == [posted]


async def test_a_look_refused_does_not_block_the_story(
    room: Newsroom, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "newsbot_discord")
    fake.fail(f"{GUILD_ID}/threads/active", "missing_access")

    posted = await send(room, FORUM)

    assert [t.id for t in fake.threads_in(FORUM)] == [posted]
    assert any("without the check" in r.getMessage() and "50001" in r.getMessage()
               for r in caplog.records)


async def test_a_first_message_the_bot_may_not_read_leaves_the_story_unchecked(
    room: Newsroom, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    """Without Read Message History the post cannot be confirmed: the story is posted
    (a possible repeat, within the README's bound) rather than held back for ever."""
    caplog.set_level(logging.WARNING, "newsbot_discord")
    earlier = fake.forum_post(UNREAD_FORUM, STORY.title, STORY.url)

    posted = await send(room, UNREAD_FORUM)

    assert [t.id for t in fake.threads_in(UNREAD_FORUM)] == [earlier, posted]
    assert f"GET /channels/{earlier}/messages/{earlier}" in wire(fake)
    assert any("without the check" in r.getMessage() and "Missing Access" in r.getMessage()
               for r in caplog.records)
