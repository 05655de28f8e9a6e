"""Forum topics: each topic of a group is a destination of its own.

Commands typed in a topic (real PTB updates with `is_topic_message` and
`message_thread_id`) configure that topic and are answered in it; stories go to
exactly the topics and chats that asked for them, with `message_thread_id` on the
wire; a topic closed or deleted goes dead alone. All through the fake Bot API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from newsbot.app import Newsroom
from newsbot.store import schema
from newsbot.types import Chat
from newsbot_telegram.topics import Destination
from tests.helpers import write_post
from tests.telegram.bot_api_topics import Topic, forum
from tests.telegram.fake_bot_api import ApiError, Call, FakeBotAPI, command, group, person

ANN, BOB = person(601, "Ann"), person(602, "Bob")
FORUM = forum(-100800, "Readers")
IMAGE = "image: assets/images/a.jpg"


def here(topic: Topic | None = None) -> Chat:
    """The destination of the forum's General chat, or of one of its topics."""
    return Chat("telegram", str(FORUM.id) if topic is None else f"{FORUM.id}#{topic.thread_id}")


@pytest.fixture
def topics(fake: FakeBotAPI) -> tuple[Topic, Topic]:
    """Two topics of the forum, Ann an administrator, Bob a member."""
    fake.set_member(FORUM.id, ANN.id, "administrator")
    fake.set_member(FORUM.id, BOB.id, "member")
    return fake.open_topic(FORUM, "Sport", ANN), fake.open_topic(FORUM, "Politics", BOB)


async def ask(fake: FakeBotAPI, text: str, topic: Topic | None = None, sender: Any = ANN,
              **kw: Any) -> Call:
    """A command typed in `topic` (None: the General chat), and the bot's answer."""
    return await fake.ask(command(FORUM, text, sender=sender, topic=topic, **kw))


async def publish(room: Newsroom, posts: Path, name: str, title: str, **kw: Any) -> None:
    write_post(posts, name, title, **kw)
    await room.scan()
    await room.drain()


def stories(fake: FakeBotAPI) -> list[tuple[Any, Any, str]]:
    """(chat_id, message_thread_id, title) of every story Telegram accepted."""
    return sorted(
        ((c.chat_id, c.params.get("message_thread_id"), str(c.visible).split("\n")[0])
         for c in fake.delivered() if "reply_parameters" not in c.params),
        key=repr,
    )


@pytest.mark.parametrize(
    ("destination", "chat", "thread"),
    [("-100800#12", -100800, 12), ("-100800", -100800, None), ("42", 42, None),
     ("@worldnews", "@worldnews", None), ("-100800#x", "-100800#x", None)],
)
def test_destination_ids(destination: str, chat: int | str, thread: int | None) -> None:
    parsed = Destination.parse(destination)
    assert (parsed.chat, parsed.thread) == (chat, thread)
    assert str(parsed) == destination


async def test_each_topic_and_the_general_chat_have_their_own_settings(
    room: Newsroom, fake: FakeBotAPI, topics: tuple[Topic, Topic]
) -> None:
    sport, politics = topics
    done = await ask(fake, "/subscribe sport", sport)
    assert done.visible == ("Subscribed: this topic will receive stories tagged sport. "
                            "No stories are tagged “sport” yet.")
    # the answer is in the topic, as a reply to the command
    assert done.chat_id == FORUM.id and done.params["message_thread_id"] == sport.thread_id
    assert done.params["reply_parameters"]["message_id"] > 0
    assert done.result["is_topic_message"] is True

    await ask(fake, "/subscribe politics -economy", politics)
    filtered = await ask(fake, '/filter "the vote"', politics)
    assert filtered.visible == (
        "Filter saved: this topic receives stories tagged politics except those tagged "
        "economy, only those that mention “the vote”."
    )
    assert filtered.params["message_thread_id"] == politics.thread_id
    styled = await ask(fake, "/format headline silent", politics)
    assert styled.params["message_thread_id"] == politics.thread_id
    general = await ask(fake, "/subscribe uk")
    assert general.visible == "Subscribed: this chat will receive stories tagged uk."
    assert "message_thread_id" not in general.params  # the General chat is no topic

    a = await room.queries.settings(here(sport))
    assert a is not None and a.tags == ("sport",) and a.chat.title == "Readers › Sport"
    assert a.filters.keep == () and a.style.format == "full"
    b = await room.queries.settings(here(politics))
    assert b is not None and b.tags == ("politics",) and b.exclude == ("economy",)
    assert b.filters.keep == ("the vote",) and b.chat.title == "Readers › Politics"
    assert b.style.format == "headline" and b.style.silent
    g = await room.queries.settings(here())
    assert g is not None and g.tags == ("uk",) and g.chat.title == "Readers"
    assert len(await room.queries.subscriptions("telegram")) == 3

    shown = await ask(fake, "/settings", sport, sender=BOB)  # anyone may look
    assert shown.visible == (
        "This topic receives stories tagged sport."
        " Corrections: sent stories are edited in place.")
    assert shown.params["message_thread_id"] == sport.thread_id
    shown = await ask(fake, "/settings")
    assert shown.visible == (
        "This chat receives stories tagged uk."
        " Corrections: sent stories are edited in place.")

    bye = await ask(fake, "/unsubscribe", politics)
    assert bye.visible == "Unsubscribed: no more stories will be sent here."
    assert await room.queries.settings(here(politics)) is None
    assert await room.queries.settings(here(sport)) is not None
    assert await room.queries.settings(here()) is not None


async def test_a_topic_is_the_groups_to_configure(
    room: Newsroom, fake: FakeBotAPI, topics: tuple[Topic, Topic]
) -> None:
    sport, politics = topics
    refused = await ask(fake, "/subscribe", politics, sender=BOB)  # Bob opened it, no matter
    assert refused.visible == "Only administrators can change this topic's subscription."
    assert refused.params["message_thread_id"] == politics.thread_id
    assert await room.queries.subscriptions("telegram") == []

    await ask(fake, "/subscribe sport", sport)
    for text in ("/unsubscribe", "/filter off", "/format compact", "/subscribe politics"):
        still = await ask(fake, text, sport, sender=BOB)
        assert still.visible == "Only administrators can change this topic's subscription."
    sub = await room.queries.settings(here(sport))
    assert sub is not None and sub.tags == ("sport",) and sub.style.format == "full"

    anonymous = await ask(fake, "/subscribe", politics, sender=None, sender_chat=FORUM)
    assert anonymous.visible == "Subscribed: this topic will receive every new story."
    # rights are asked of the group, the only place Telegram knows them
    asked = {(c.chat_id, c.params["user_id"]) for c in fake.requests("getChatMember")}
    assert asked == {(FORUM.id, BOB.id), (FORUM.id, ANN.id)}


async def test_a_topic_without_its_name_is_called_by_its_number(
    room: Newsroom, fake: FakeBotAPI, topics: tuple[Topic, Topic]
) -> None:
    sport, _ = topics
    earlier = command(FORUM, "an earlier message", sender=BOB, topic=sport)
    reply = await ask(fake, "/subscribe", sport, reply_to=earlier)
    assert reply.params["message_thread_id"] == sport.thread_id
    sub = await room.queries.settings(here(sport))
    assert sub is not None and sub.chat.title == f"Readers › #{sport.thread_id}"


async def test_stories_go_to_exactly_the_topics_that_asked(
    room: Newsroom, fake: FakeBotAPI, posts: Path, topics: tuple[Topic, Topic]
) -> None:
    sport, politics = topics
    await ask(fake, "/subscribe sport", sport)
    await ask(fake, "/subscribe politics -economy", politics)
    await ask(fake, "/subscribe uk")
    await publish(room, posts, "2026-02-01-a.md", "Match report", tags=["sport"], extra=IMAGE)
    await publish(room, posts, "2026-02-02-b.md", "Vote", tags=["politics", "uk"])
    await publish(room, posts, "2026-02-03-c.md", "Rates", tags=["politics", "economy"])
    assert stories(fake) == sorted([
        (FORUM.id, sport.thread_id, "Match report"),
        (FORUM.id, politics.thread_id, "Vote"),
        (FORUM.id, None, "Vote"),
    ], key=repr)
    [photo] = fake.requests("sendPhoto")
    assert photo.ok and photo.params["message_thread_id"] == sport.thread_id
    assert photo.result["message_thread_id"] == sport.thread_id


async def test_fallbacks_stay_in_the_topic(
    room: Newsroom, fake: FakeBotAPI, posts: Path, topics: tuple[Topic, Topic]
) -> None:
    """A refused picture becomes text, refused HTML plain text: both in the same topic."""
    sport, _ = topics
    await ask(fake, "/subscribe", sport)
    fake.fail(ApiError.photo_url(), method="sendPhoto", chat_id=FORUM.id)
    fake.fail(ApiError(400, "Bad Request: can't parse entities: whatever"),
              method="sendMessage", chat_id=FORUM.id)
    await publish(room, posts, "2026-02-01-a.md", "Pic", extra=IMAGE)
    sent = [c for c in fake.calls if c.method in ("sendPhoto", "sendMessage")
            and "reply_parameters" not in c.params]
    assert [(c.method, c.status, c.params.get("message_thread_id"), c.params.get("parse_mode"))
            for c in sent] == [
        ("sendPhoto", 400, sport.thread_id, "HTML"),
        ("sendMessage", 400, sport.thread_id, "HTML"),
        ("sendMessage", 200, sport.thread_id, None),
    ]
    assert sent[-1].result["is_topic_message"] is True


@pytest.mark.parametrize(("end", "reason"), [("close_topic", "TOPIC_CLOSED"),
                                             ("delete_topic", "message thread not found")])
async def test_a_closed_or_deleted_topic_goes_dead_alone(
    room: Newsroom, fake: FakeBotAPI, posts: Path, topics: tuple[Topic, Topic],
    end: str, reason: str,
) -> None:
    sport, politics = topics
    await ask(fake, "/subscribe", sport)
    await ask(fake, "/subscribe", politics)
    await ask(fake, "/subscribe")
    await publish(room, posts, "2026-02-01-a.md", "Before")
    getattr(fake, end)(sport)
    await publish(room, posts, "2026-02-02-b.md", "After")
    await publish(room, posts, "2026-02-03-c.md", "Later")

    [refused] = [c for c in fake.requests("sendMessage")
                 if c.params.get("message_thread_id") == sport.thread_id and not c.ok]
    assert refused.status == 400 and reason in refused.description
    dead = await room.queries.settings(here(sport))
    assert dead is not None and dead.dead and reason.casefold() in dead.dead_reason.casefold()
    for alive in (here(politics), here()):
        sub = await room.queries.settings(alive)
        assert sub is not None and not sub.dead
    got = stories(fake)
    assert [t for _, thread, t in got if thread == sport.thread_id] == ["Before"]
    assert sorted(t for _, thread, t in got if thread == politics.thread_id) == [
        "After", "Before", "Later"]
    assert sorted(t for _, thread, t in got if thread is None) == ["After", "Before", "Later"]
    o = schema.outbox
    async with room.store.engine.connect() as conn:
        rows = (await conn.execute(select(o.c.post_id, o.c.status)
                                   .where(o.c.chat_id == here(sport).id))).all()
    assert sorted(tuple(r) for r in rows) == [
        ("2026-02-01-a.md", "sent"), ("2026-02-02-b.md", "dead")]  # "Later" never queued

    again = await ask(fake, "/subscribe", politics)  # the rest of the group still answers
    assert again.ok and again.params["message_thread_id"] == politics.thread_id


async def test_a_plain_groups_reply_threads_are_not_topics(
    room: Newsroom, fake: FakeBotAPI
) -> None:
    plain = group(-100810, "Chatter")
    fake.set_member(plain.id, ANN.id, "administrator")
    first = command(plain, "hello", sender=BOB)
    # in a supergroup without topics a reply carries its chain's thread id, not a topic
    message = command(plain, "/subscribe", sender=ANN, reply_to=first)
    assert message.message_thread_id == first.message_id and not message.is_topic_message
    reply = await fake.ask(message)
    assert reply.visible == "Subscribed: this chat will receive every new story."
    assert await room.queries.settings(Chat("telegram", str(plain.id))) is not None
