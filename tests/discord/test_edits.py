"""Corrections on Discord: a delivered story that changes visibly has its message edited
(`PATCH` with the new embed), and a forum post its title too; a deleted message
leaves its edit job "gone"; a channel set to `/format noedits` is left alone."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from newsbot.app import Newsroom
from newsbot.store import schema
from newsbot.types import Chat
from tests.discord.conftest import discord_config, discord_room
from tests.discord.fake_discord import FakeDiscord
from tests.discord.objects import FORUM, MEMBER, MODERATOR, NEWS, SPORT
from tests.helpers import write_post

POST = "2026-02-01-tokyo.md"


def chat(channel_id: str) -> Chat:
    return Chat("discord", channel_id)


async def save(room: Newsroom, posts: Path, title: str) -> None:
    write_post(posts, POST, title, tags=["politics"])
    await room.scan()
    await room.drain()


async def job_states(room: Newsroom) -> list[tuple[str, str]]:
    e = schema.edits
    async with room.store.engine.connect() as conn:
        rows = await conn.execute(select(e.c.chat_id, e.c.status).order_by(e.c.chat_id))
        return [tuple(r) for r in rows.all()]


async def test_a_corrected_title_edits_the_embed_in_every_channel(
    room: Newsroom, fake: FakeDiscord, posts: Path
) -> None:
    for channel in (NEWS, SPORT):
        await room.subscriptions.subscribe(chat(channel))
    await save(room, posts, "Starmer in Tokyp")
    sent = {channel: fake.messages_in(channel) for channel in (NEWS, SPORT)}

    await save(room, posts, "Starmer in Tokyo")

    for channel in (NEWS, SPORT):
        [(message_id, body)] = fake.edits(channel)
        assert [message_id] == sent[channel]
        assert body["embeds"][0]["title"] == "Starmer in Tokyo"
        assert fake.messages[message_id]["embeds"][0]["title"] == "Starmer in Tokyo"
        assert len(fake.sent(channel)) == 1  # edited, not sent again
    assert await job_states(room) == sorted([(NEWS, "done"), (SPORT, "done")])


async def test_a_channel_set_to_noedits_keeps_its_embed_while_the_others_are_patched(
    room: Newsroom, fake: FakeDiscord, posts: Path
) -> None:
    for channel in (NEWS, SPORT):
        await room.subscriptions.subscribe(chat(channel))
    await save(room, posts, "Starmer in Tokyp")
    [kept], [patched] = fake.messages_in(NEWS), fake.messages_in(SPORT)
    refused = await fake.answer(await fake.use("format", {"text": "noedits"},
                                               permissions=MEMBER))
    said = await fake.answer(await fake.use("format", {"text": "noedits"},
                                            permissions=MODERATOR))
    assert "Manage Channels" in refused[0]["data"]["content"]
    assert said[0]["data"]["content"] == (
        "Format saved: this channel receives stories as full cards. Corrections: sent "
        "stories stay as they were (/format edits turns corrections on).")
    sub = await room.queries.settings(chat(NEWS))
    assert sub is not None and sub.edits == "ignore"

    await save(room, posts, "Starmer in Tokyo")

    assert [body["embeds"][0]["title"] for _, body in fake.edits(SPORT)] == ["Starmer in Tokyo"]
    assert fake.edits(NEWS) == []
    assert [r.path for r in fake.requests if r.method == "PATCH"] == [
        f"/channels/{SPORT}/messages/{patched}"]
    assert fake.messages[kept]["embeds"][0]["title"] == "Starmer in Tokyp"
    assert await job_states(room) == [(SPORT, "done")]


async def test_a_forum_post_gets_its_first_message_and_its_title_corrected(
    room: Newsroom, fake: FakeDiscord, posts: Path
) -> None:
    await room.subscriptions.subscribe(chat(FORUM))
    await save(room, posts, "Starmer in Tokyp")
    [thread_id] = [c.id for c in fake.channels.values() if c.parent_id == FORUM]

    await save(room, posts, "Starmer in Tokyo")

    [(message_id, body)] = fake.edits(thread_id)
    assert message_id == thread_id
    assert body["embeds"][0]["title"] == "Starmer in Tokyo"
    assert fake.channels[thread_id].name == "Starmer in Tokyo"
    assert await job_states(room) == [(FORUM, "done")]


async def test_a_deleted_message_leaves_its_edit_gone(
    room: Newsroom, fake: FakeDiscord, posts: Path
) -> None:
    await room.subscriptions.subscribe(chat(NEWS))
    await save(room, posts, "Starmer in Tokyp")
    [message_id] = fake.messages_in(NEWS)
    fake.delete_message(message_id)

    await save(room, posts, "Starmer in Tokyo")

    patches = [r for r in fake.requests if r.method == "PATCH"]
    assert [(r.status, r.path) for r in patches] == [
        (404, f"/channels/{NEWS}/messages/{message_id}")]
    assert await job_states(room) == [(NEWS, "gone")]


async def test_deletions_remove_the_message_and_the_forum_post(
    tmp_path: Path, fake: FakeDiscord, posts: Path
) -> None:
    room = discord_room(discord_config(tmp_path, fake))
    room.config.delivery.deletions = "delete"
    await room.start()
    try:
        for channel in (NEWS, FORUM):
            await room.subscriptions.subscribe(chat(channel))
        await save(room, posts, "Starmer in Tokyo")
        [thread_id] = [c.id for c in fake.channels.values() if c.parent_id == FORUM]
        (posts / POST).unlink()
        await room.scan()
        await room.drain()
        assert fake.messages_in(NEWS) == [] and thread_id not in fake.channels
        deletes = sorted((r.path, r.status) for r in fake.requests if r.method == "DELETE")
        [message] = [p.rsplit("/", 1)[1] for p, _ in deletes if "/messages/" in p]
        assert deletes == sorted([(f"/channels/{NEWS}/messages/{message}", 204),
                                  (f"/channels/{thread_id}", 200)])
        assert await job_states(room) == sorted([(NEWS, "done"), (FORUM, "done")])
    finally:
        await room.stop()
