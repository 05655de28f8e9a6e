"""Telegram: who may change (or read) a chat's subscription. Each configuration command
from someone without the right is refused, and the store is byte for byte the same
afterwards; hostile arguments get a short answer and change nothing either.

Reuses the Telegram tests' fixtures (fake Bot API, running newsroom); the basic
cases live in tests/telegram/test_commands.py, this fills in every command and
every way of lacking the right. Reading a chat's own settings in that chat is
open to its members (they see what it receives anyway); naming another chat is not.
"""

from __future__ import annotations

import pytest
from telegram import Chat as TgChat
from telegram import User

from newsbot.app import Newsroom
from newsbot.types import Chat
from tests.reliability.snapshot import store_rows
from tests.telegram import conftest as telegram_fixtures
from tests.telegram.bot_api_topics import forum
from tests.telegram.fake_bot_api import (
    BOT_ID,
    BOT_USERNAME,
    ApiError,
    FakeBotAPI,
    channel,
    command,
    group,
    person,
    private,
)

# the Telegram tests' fixtures, used here under the same names
spec = telegram_fixtures.spec
unpaced = telegram_fixtures.unpaced
fake = telegram_fixtures.fake
posts = telegram_fixtures.posts
room = telegram_fixtures.room

ANN, BOB, EVE = person(601, "Ann", "ann"), person(602, "Bob"), person(603, "Eve")
ANONYMOUS = User(1087968824, "Group", is_bot=True, username="GroupAnonymousBot")
GROUP = group(-100600, "Readers")
NEWS = channel(-100650, "World news", username="worldnews")
OTHER = channel(-100660, "Other channel", username="otherchannel")

GROUP_ONLY = "Only administrators can change this chat's subscription."
NOT_ADMIN = "You are not an administrator of World news."
UNCHECKED = "I could not check that you are an administrator of World news."


def tg(chat: TgChat) -> Chat:
    return Chat("telegram", str(chat.id))


@pytest.fixture
async def configured(room: Newsroom, fake: FakeBotAPI) -> Newsroom:
    """A group and a channel, each subscribed with a tag; Ann administers both, Bob is a
    member, Eve is nobody; the bot may post in the channel."""
    for chat in (GROUP, NEWS, OTHER):
        fake.add_chat(chat)
    fake.set_member(GROUP.id, ANN.id, "administrator")
    fake.set_member(GROUP.id, BOB.id, "member")
    fake.set_member(GROUP.id, BOT_ID, "member")
    fake.set_member(NEWS.id, ANN.id, "creator")
    fake.set_member(NEWS.id, BOB.id, "member")
    fake.set_member(NEWS.id, BOT_ID, "administrator", can_post_messages=True)
    await room.subscriptions.subscribe(tg(GROUP), ["economy"])
    await room.subscriptions.subscribe(tg(NEWS), ["politics"])
    return room


REFUSED = [
    # in the group, by a member who is not an administrator
    ("group", BOB, "/subscribe", GROUP_ONLY),
    ("group", BOB, "/subscribe politics uk", GROUP_ONLY),
    ("group", BOB, f"/subscribe@{BOT_USERNAME} politics", GROUP_ONLY),
    ("group", BOB, "/unsubscribe", GROUP_ONLY),
    # in the group, by someone who left it, and as another channel
    ("group", EVE, "/subscribe", GROUP_ONLY),
    ("group", EVE, "/unsubscribe", GROUP_ONLY),
    ("group-as-channel", None, "/subscribe", GROUP_ONLY),
    ("group-as-channel", None, "/unsubscribe", GROUP_ONLY),
    # in private, naming a channel (by name or id) that the sender does not administer
    ("private", BOB, "/subscribe @worldnews", NOT_ADMIN),
    ("private", BOB, f"/subscribe {NEWS.id} sport", NOT_ADMIN),
    ("private", BOB, "/unsubscribe @worldnews", NOT_ADMIN),
    ("private", BOB, f"/unsubscribe {NEWS.id}", NOT_ADMIN),
    ("private", BOB, "/settings @worldnews", NOT_ADMIN),
    ("private", BOB, f"/settings {NEWS.id}", NOT_ADMIN),
    ("private", EVE, "/subscribe @worldnews", NOT_ADMIN),
    ("private", EVE, "/unsubscribe @worldnews", NOT_ADMIN),
    ("private", EVE, "/settings @worldnews", NOT_ADMIN),
    # in private, naming the group (by id) that the sender does not administer
    ("private", BOB, f"/subscribe {GROUP.id}", "You are not an administrator of Readers."),
    ("private", BOB, f"/unsubscribe {GROUP.id}", "You are not an administrator of Readers."),
    ("private", BOB, f"/settings {GROUP.id}", "You are not an administrator of Readers."),
    # in another channel, naming this one
    ("other-channel", None, "/subscribe @worldnews",
     "To configure another chat, send me the command in private."),
    ("other-channel", None, "/unsubscribe @worldnews",
     "To configure another chat, send me the command in private."),
]


@pytest.mark.parametrize(("where", "sender", "text", "answer"), REFUSED,
                         ids=[f"{w}:{t}" for w, _, t, _ in REFUSED])
async def test_configuration_without_the_right_is_refused_and_changes_nothing(
    configured: Newsroom, fake: FakeBotAPI, where: str, sender: User | None, text: str,
    answer: str,
) -> None:
    before = await store_rows(configured.store)
    if where == "group":
        message = command(GROUP, text, sender=sender)
    elif where == "group-as-channel":
        message = command(GROUP, text, sender=ANONYMOUS, sender_chat=OTHER)
    elif where == "other-channel":
        message = command(OTHER, text)
    else:
        assert sender is not None
        message = command(private(sender), text)
    reply = await fake.ask(message)
    assert reply.visible == answer
    assert "politics" not in reply.visible and "economy" not in reply.visible  # nothing told
    assert await store_rows(configured.store) == before


TOPIC_ONLY = "Only administrators can change this topic's subscription."
FORUM = forum(-100670, "Forum")
IN_TOPIC = [
    (BOB, "/subscribe"), (BOB, "/subscribe politics"), (BOB, "/unsubscribe"),
    (BOB, '/filter "the vote"'), (BOB, "/filter off"), (BOB, "/format compact silent"),
    (EVE, "/subscribe"), (EVE, "/unsubscribe"), (None, "/unsubscribe"), (None, "/subscribe"),
]


@pytest.mark.parametrize(("sender", "text"), IN_TOPIC,
                         ids=[f"{s.first_name if s else 'as-channel'}:{t}" for s, t in IN_TOPIC])
async def test_a_topic_without_the_right_is_refused_and_changes_nothing(
    configured: Newsroom, fake: FakeBotAPI, sender: User | None, text: str
) -> None:
    """A forum topic is its group's to configure: whoever opened the topic, a member who
    is not an administrator cannot change it, nor can someone posting as a channel."""
    fake.set_member(FORUM.id, ANN.id, "administrator")
    fake.set_member(FORUM.id, BOB.id, "member")
    topic = fake.open_topic(FORUM, "Economy", BOB)
    await configured.subscriptions.subscribe(
        Chat("telegram", f"{FORUM.id}#{topic.thread_id}"), ["economy"])
    before = await store_rows(configured.store)
    if sender is None:
        message = command(FORUM, text, sender=ANONYMOUS, sender_chat=OTHER, topic=topic)
    else:
        message = command(FORUM, text, sender=sender, topic=topic)
    reply = await fake.ask(message)
    assert reply.visible == TOPIC_ONLY
    assert reply.params["message_thread_id"] == topic.thread_id
    assert await store_rows(configured.store) == before


async def test_a_failed_admin_check_refuses(configured: Newsroom, fake: FakeBotAPI) -> None:
    before = await store_rows(configured.store)
    fake.fail(ApiError(400, "Bad Request: member list is inaccessible"), method="getChatMember",
              times=None)
    for text in ("/subscribe @worldnews", "/unsubscribe @worldnews", "/settings @worldnews"):
        reply = await fake.ask(command(private(EVE), text))
        assert reply.visible is not None and reply.visible.startswith(UNCHECKED)
    group_reply = await fake.ask(command(GROUP, "/unsubscribe", sender=EVE))
    assert group_reply.visible == GROUP_ONLY
    assert await store_rows(configured.store) == before


async def test_the_rightful_administrator_still_can(
    configured: Newsroom, fake: FakeBotAPI
) -> None:
    reply = await fake.ask(command(private(ANN), "/settings @worldnews"))
    assert reply.visible == (
        "World news receives stories tagged politics."
        " Corrections: sent stories are edited in place.")
    reply = await fake.ask(command(GROUP, "/unsubscribe", sender=ANN))
    assert reply.visible == "Unsubscribed: no more stories will be sent here."
    assert await configured.queries.settings(tg(GROUP)) is None


HOSTILE = [
    "/tag " + "x" * 10_000,
    "/tag '; DELETE FROM subscriptions; --",
    "/tag \" OR 1=1 --",
    "/tag 🔥💥🧨",
    "/tag <b>bold</b> &amp;",
    "/tag @everyone",
    "/tag \u202eevil\u200b",
    "/latest 99999999999999999999",
    "/latest -5",
    "/latest NaN",
    "/latest 1e3",
    "/tags " + "y" * 5000,
    "/help " + "z" * 5000,
    "/subscribe " + "w" * 10_000,
    "/subscribe " + " ".join(f"t{i}" for i in range(40)),
    "/unsubscribe '; DROP TABLE outbox; --",
    "/settings " + "v" * 10_000,
    "/" + "a" * 300,
]


@pytest.mark.parametrize("text", HOSTILE, ids=[t[:24] for t in HOSTILE])
@pytest.mark.parametrize("where", ["private", "group"])
async def test_hostile_arguments_get_a_short_answer_and_change_nothing(
    configured: Newsroom, fake: FakeBotAPI, text: str, where: str
) -> None:
    before = await store_rows(configured.store)
    chat = private(EVE) if where == "private" else GROUP
    since = len(fake.calls)
    await fake.push(command(chat, text, sender=EVE))
    await fake.push(command(chat, "/help", sender=EVE))  # answered after the hostile one
    await fake.wait_for(lambda c: c.method == "sendMessage" and "/tag" in (c.visible or ""),
                        since=since)
    replies = [c for c in fake.calls[since:] if c.method == "sendMessage"]
    assert all(c.ok for c in replies)
    for reply in replies[:-1]:
        assert len(reply.visible or "") <= 200, reply.visible
    assert await store_rows(configured.store) == before


@pytest.mark.parametrize("where", ["private", "group"])
async def test_commands_for_another_bot_are_not_answered(
    configured: Newsroom, fake: FakeBotAPI, where: str
) -> None:
    before = await store_rows(configured.store)
    chat = private(BOB) if where == "private" else GROUP
    since = len(fake.calls)
    for text in ("/subscribe@other_bot", "/unsubscribe@other_bot", "/latest@other_bot 3",
                 "/tag@someone_else x"):
        await fake.push(command(chat, text, sender=BOB))
    await fake.ask(command(chat, "/help", sender=BOB))
    replies = [c for c in fake.calls[since:] if c.method == "sendMessage"]
    assert len(replies) == 1  # only /help
    assert await store_rows(configured.store) == before
