"""Commands as Telegram delivers them (updates built from real PTB objects), answered
by the real adapter through the fake Bot API; store rows checked where things change."""

from __future__ import annotations

import pytest
from telegram import User

from newsbot.app import Newsroom
from newsbot.chat.commands import COMMANDS
from newsbot.types import Chat
from newsbot_telegram import TelegramAdapter
from tests.telegram.fake_bot_api import (
    BOT_ID,
    BOT_USERNAME,
    FakeBotAPI,
    channel,
    command,
    group,
    person,
    private,
)

ANN, BOB = person(501, "Ann", "ann"), person(502, "Bob")
ANONYMOUS = User(1087968824, "Group", is_bot=True, username="GroupAnonymousBot")
GROUP = group(-100700, "Readers <club>")
NEWS = channel(-100900, "World & news", username="worldnews")


def tg(chat_id: int) -> Chat:
    return Chat("telegram", str(chat_id))


async def test_start_registers_the_command_menu(room: Newsroom, fake: FakeBotAPI) -> None:
    [call] = fake.requests("setMyCommands")
    assert call.params["commands"] == [
        {"command": spec.name, "description": spec.summary} for spec in COMMANDS
    ]
    assert fake.requests("deleteWebhook")  # long polling needs no webhook
    await fake.ask(command(private(ANN), "/help"))  # a long poll is recorded once answered
    polls = fake.requests("getUpdates")
    assert polls and polls[0].params["allowed_updates"] == ["message", "channel_post"]


@pytest.mark.parametrize("text", ["/start", "/help", f"/help@{BOT_USERNAME}"])
async def test_help_lists_the_commands(room: Newsroom, fake: FakeBotAPI, text: str) -> None:
    reply = await fake.ask(command(private(ANN), text))
    assert reply.params["parse_mode"] == "HTML"
    assert "/tag &lt;tag&gt; [n]" in reply.params["text"]
    assert reply.visible is not None
    for spec in COMMANDS:
        assert f"/{spec.name}" in reply.visible
    assert "/subscribe @channel" in reply.visible  # private chats learn the channel form


async def test_latest_is_one_compact_message_newest_first(
    room: Newsroom, fake: FakeBotAPI
) -> None:
    reply = await fake.ask(command(private(ANN), "/latest"))
    assert reply.params["text"] == (
        "<b>Latest stories</b>\n\n"
        '• <a href="https://news.example.org/news/2026/01/21/vote.html">The vote</a>'
        " — 21 Jan 2026\n"
        '• <a href="https://news.example.org/news/2026/01/20/budget.html">Budget day</a>'
        " — 20 Jan 2026"
    )
    assert reply.params["link_preview_options"] == {"is_disabled": True}
    one = await fake.ask(command(private(ANN), "/latest 1"))
    assert one.visible == "Latest stories\n\n• The vote — 21 Jan 2026"


async def test_commands_work_in_groups_with_the_bot_name_and_ignore_other_bots(
    room: Newsroom, fake: FakeBotAPI
) -> None:
    await fake.push(command(GROUP, "/latest@some_other_bot", sender=ANN))
    reply = await fake.ask(command(GROUP, f"/latest@{BOT_USERNAME} 1", sender=ANN))
    assert reply.visible == "Latest stories\n\n• The vote — 21 Jan 2026"
    assert reply.params["reply_parameters"]["message_id"] > 0  # a reply, in a busy group
    assert len(fake.requests("sendMessage", GROUP.id)) == 1


async def test_commands_work_in_channels(room: Newsroom, fake: FakeBotAPI) -> None:
    reply = await fake.ask(command(NEWS, "/tag uk"))
    assert reply.chat_id == NEWS.id
    assert reply.visible == "Stories tagged uk\n\n• The vote — 21 Jan 2026"


async def test_tag_unknown_says_so_and_suggests(room: Newsroom, fake: FakeBotAPI) -> None:
    reply = await fake.ask(command(private(ANN), "/tag politcs"))
    assert reply.visible == "No stories are tagged “politcs”. Did you mean: politics?"


async def test_tags_lists_counts(room: Newsroom, fake: FakeBotAPI) -> None:
    reply = await fake.ask(command(private(ANN), "/tags"))
    assert reply.visible == "Tags\n\nNews (2)\neconomy (1)\npolitics (1)\nuk (1)"


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("/tag " + "x" * 10_000, "A tag can be at most 64 characters long."),
        ("/tag '; DROP TABLE posts; --", "No stories are tagged “'; DROP TABLE posts; --”."),
        ("/tag <script>&", "No stories are tagged “<script>&”."),
        ("/tag 🔥🔥", "No stories are tagged “🔥🔥”."),
        ("/tag", "Which tag? For example: /tag politics"),
        ("/latest 99999999", "The number of stories must be a whole number from 1 to 20."),
        ("/latest -1", "The number of stories must be a whole number from 1 to 20."),
        ("/subscribe " + "y" * 10_000, "A tag can be at most 64 characters long."),
        ("/frobnicate", "Unknown command /frobnicate. Type /help for the list."),
    ],
    ids=["huge-tag", "sql", "html", "emoji", "no-tag", "huge-count", "negative", "huge-sub",
         "unknown"],
)
async def test_hostile_arguments_get_a_short_answer(
    room: Newsroom, fake: FakeBotAPI, text: str, answer: str
) -> None:
    reply = await fake.ask(command(private(ANN), text))
    assert reply.visible == answer
    assert await room.queries.settings(tg(ANN.id)) is None
    assert len(await room.queries.latest()) == 2  # the store is intact


async def test_private_chat_subscribes_itself(room: Newsroom, fake: FakeBotAPI) -> None:
    reply = await fake.ask(command(private(ANN), "/subscribe #Politics, UK"))
    assert reply.visible == "Subscribed: this chat will receive stories tagged politics, uk."
    sub = await room.queries.settings(tg(ANN.id))
    assert sub is not None and sub.tags == ("politics", "uk") and sub.chat.title == "Ann"
    assert fake.requests("getChatMember") == []  # one's own chat needs no check

    settings = await fake.ask(command(private(ANN), "/settings"))
    assert settings.visible == (
        "This chat receives stories tagged politics, uk."
        " Corrections: sent stories are edited in place.")
    unknown = await fake.ask(command(private(ANN), "/subscribe politcs"))
    assert unknown.visible == (
        "Subscribed: this chat will receive stories tagged politcs. "
        "No stories are tagged “politcs” yet (did you mean politics?)."
    )
    bye = await fake.ask(command(private(ANN), "/unsubscribe"))
    assert bye.visible == "Unsubscribed: no more stories will be sent here."
    assert await room.queries.settings(tg(ANN.id)) is None
    again = await fake.ask(command(private(ANN), "/unsubscribe"))
    assert again.visible == "This chat was not subscribed."


async def test_group_admin_subscribes_and_non_admin_is_refused(
    room: Newsroom, fake: FakeBotAPI
) -> None:
    fake.set_member(GROUP.id, ANN.id, "administrator")
    fake.set_member(GROUP.id, BOB.id, "member")

    refused = await fake.ask(command(GROUP, "/subscribe", sender=BOB))
    assert refused.visible == "Only administrators can change this chat's subscription."
    assert await room.queries.settings(tg(GROUP.id)) is None

    done = await fake.ask(command(GROUP, "/subscribe economy", sender=ANN))
    assert done.visible == "Subscribed: this chat will receive stories tagged economy."
    sub = await room.queries.settings(tg(GROUP.id))
    assert sub is not None and sub.tags == ("economy",) and sub.chat.title == "Readers <club>"

    still = await fake.ask(command(GROUP, "/unsubscribe", sender=BOB))
    assert still.visible == "Only administrators can change this chat's subscription."
    assert await room.queries.settings(tg(GROUP.id)) is not None
    anyone = await fake.ask(command(GROUP, "/settings", sender=BOB))
    assert anyone.visible == (
        "This chat receives stories tagged economy."
        " Corrections: sent stories are edited in place.")

    asked = [(c.chat_id, c.params["user_id"]) for c in fake.requests("getChatMember")]
    assert asked == [(GROUP.id, BOB.id), (GROUP.id, ANN.id)]  # cached after the first ask


async def test_anonymous_admin_counts_as_admin(room: Newsroom, fake: FakeBotAPI) -> None:
    reply = await fake.ask(command(GROUP, "/subscribe", sender=ANONYMOUS, sender_chat=GROUP))
    assert reply.visible == "Subscribed: this chat will receive every new story."
    assert await room.queries.settings(tg(GROUP.id)) is not None
    assert fake.requests("getChatMember") == []


async def test_message_sent_as_another_channel_is_refused(
    room: Newsroom, fake: FakeBotAPI
) -> None:
    reply = await fake.ask(command(GROUP, "/subscribe", sender=ANONYMOUS, sender_chat=NEWS))
    assert reply.visible == "Only administrators can change this chat's subscription."
    assert await room.queries.settings(tg(GROUP.id)) is None


async def test_subscribe_posted_in_a_channel(room: Newsroom, fake: FakeBotAPI) -> None:
    reply = await fake.ask(command(NEWS, "/subscribe uk"))
    assert reply.visible == "Subscribed: this chat will receive stories tagged uk."
    sub = await room.queries.settings(tg(NEWS.id))
    assert sub is not None and sub.tags == ("uk",) and sub.chat.title == "World & news"


NOT_ADMIN = "You are not an administrator of World & news."
CANNOT_POST = "I cannot post in World & news: I need the Post Messages permission there."


@pytest.mark.parametrize(
    ("user_status", "bot_status", "can_post", "answer"),
    [
        ("creator", "administrator", True,
         "Subscribed: World & news will receive stories tagged politics."),
        ("administrator", "administrator", True,
         "Subscribed: World & news will receive stories tagged politics."),
        ("member", "administrator", True, NOT_ADMIN),
        ("administrator", "administrator", False, CANNOT_POST),
        ("administrator", "left", False, CANNOT_POST),
        ("left", "left", False, f"{NOT_ADMIN} {CANNOT_POST}"),
    ],
    ids=["owner", "admin", "user-not-admin", "bot-cannot-post", "bot-not-in-channel",
         "neither"],
)
@pytest.mark.parametrize("target", ["@worldnews", str(NEWS.id)])
async def test_channel_subscription_from_a_private_chat(
    room: Newsroom, fake: FakeBotAPI, target: str,
    user_status: str, bot_status: str, can_post: bool, answer: str,
) -> None:
    fake.add_chat(NEWS)
    fake.set_member(NEWS.id, ANN.id, user_status)
    fake.set_member(NEWS.id, BOT_ID, bot_status, can_post_messages=can_post)
    reply = await fake.ask(command(private(ANN), f"/subscribe {target} politics"))
    assert reply.chat_id == ANN.id
    assert reply.visible == answer
    sub = await room.queries.settings(tg(NEWS.id))
    if answer.startswith("Subscribed"):
        assert sub is not None and sub.tags == ("politics",) and sub.chat.title == "World & news"
    else:
        assert sub is None
    assert await room.queries.settings(tg(ANN.id)) is None  # not the private chat
    asked = {(c.chat_id, c.params["user_id"]) for c in fake.requests("getChatMember")}
    assert asked == {(NEWS.id, ANN.id), (NEWS.id, BOT_ID)}


async def test_channel_managed_from_a_private_chat(room: Newsroom, fake: FakeBotAPI) -> None:
    fake.add_chat(NEWS)
    fake.set_member(NEWS.id, ANN.id, "administrator")
    fake.set_member(NEWS.id, BOT_ID, "administrator", can_post_messages=True)
    await fake.ask(command(private(ANN), "/subscribe @worldnews"))
    shown = await fake.ask(command(private(ANN), "/settings @worldnews"))
    assert shown.visible == (
        "World & news receives every new story."
        " Corrections: sent stories are edited in place.")
    bob = await fake.ask(command(private(BOB), "/unsubscribe @worldnews"))
    assert bob.visible == NOT_ADMIN
    gone = await fake.ask(command(private(ANN), "/unsubscribe @worldnews"))
    assert gone.visible == "Unsubscribed: no more stories will be sent to World & news."
    assert await room.queries.settings(tg(NEWS.id)) is None


async def test_unknown_channel_and_wrong_place(room: Newsroom, fake: FakeBotAPI) -> None:
    missing = await fake.ask(command(private(ANN), "/subscribe @nosuchchannel"))
    assert missing.visible == (
        "I cannot find @nosuchchannel. Check the name, and add me to it first."
    )
    fake.set_member(GROUP.id, ANN.id, "administrator")
    elsewhere = await fake.ask(command(GROUP, "/subscribe @worldnews", sender=ANN))
    assert elsewhere.visible == "To configure another chat, send me the command in private."
    assert await room.queries.subscriptions("telegram") == []


async def test_admin_check_is_trusted_only_briefly(
    room: Newsroom, fake: FakeBotAPI, adapter: TelegramAdapter
) -> None:
    gate = adapter.updates.gate
    assert gate is not None
    now = [1000.0]
    gate.members.clock = lambda: now[0]
    fake.set_member(GROUP.id, BOB.id, "member")
    refused = await fake.ask(command(GROUP, "/subscribe", sender=BOB))
    assert refused.visible is not None and refused.visible.startswith("Only administrators")
    fake.set_member(GROUP.id, BOB.id, "administrator")  # promoted a moment later
    cached = await fake.ask(command(GROUP, "/subscribe", sender=BOB))
    assert cached.visible == refused.visible
    now[0] += gate.members.ttl + 1
    allowed = await fake.ask(command(GROUP, "/subscribe", sender=BOB))
    assert allowed.visible == "Subscribed: this chat will receive every new story."
    assert len(fake.requests("getChatMember")) == 2


async def test_filter_and_exclusions_in_a_group(room: Newsroom, fake: FakeBotAPI) -> None:
    fake.set_member(GROUP.id, ANN.id, "administrator")
    fake.set_member(GROUP.id, BOB.id, "member")
    done = await fake.ask(command(GROUP, "/subscribe politics -economy", sender=ANN))
    assert done.visible == (
        "Subscribed: this chat will receive stories tagged politics except those tagged economy."
    )
    saved = await fake.ask(command(GROUP, '/filter "the vote" -/budget/', sender=ANN))
    assert saved.visible == (
        "Filter saved: this chat receives stories tagged politics except those tagged economy, "
        "only those that mention “the vote”, never those that mention /budget/."
    )
    refused = await fake.ask(command(GROUP, "/filter off", sender=BOB))
    assert refused.visible == "Only administrators can change this chat's subscription."
    bad = await fake.ask(command(GROUP, "/filter /(a)\\1/", sender=ANN))
    assert bad.visible == "The pattern /(a)\\1/ cannot be used: invalid escape sequence: \\1."
    sub = await room.queries.settings(tg(GROUP.id))
    assert sub is not None and sub.exclude == ("economy",)
    assert sub.filters.keep == ("the vote",) and sub.filters.drop_patterns == ("budget",)
